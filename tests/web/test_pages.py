"""Queue, run, tasks and JSON pages on real repositories and a real store."""

from __future__ import annotations

import json
import re

import pytest

from crewchief.store import open_store
from crewchief.web.queueview import Query, queue_page, snapshot
from crewchief.web.snapshot import load_awaiting
from tests.helpers.cli import run_cli
from tests.helpers.repo import Repo
from tests.helpers.web import BASE, EVAL, GOOD, client, fake_run

RISKY = {
    "app.py": "import os\n\n\ndef greet(name):\n    os.system('echo ' + name)\n",
    "CODEOWNERS": "* @a\n",
}


@pytest.fixture
def web_repo(make_repo) -> Repo:
    return make_repo(BASE)


def run_ids(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<tr class="run[^"]*" data-href="/runs/(\d+)"', html)]


def test_queue_is_ranked_filtered_sorted_and_matches_the_cli_json(web_repo, capsys) -> None:
    clean = fake_run(web_repo, GOOD, priority=1)
    risky = fake_run(web_repo, RISKY, task="other", agent="b")
    evals = fake_run(web_repo, EVAL, agent="b")
    with client(web_repo) as http:
        page = http.get("/").text
        api = http.get("/api/queue").json()
        by_agent = http.get("/?agent=b").text
        blocked = http.get("/?verdict=block").text
        by_task = http.get("/?task=other").text
        by_id_desc = http.get("/?sort=id&desc=1").text
    cli = json.loads(
        run_cli(capsys, "review", "--repo", str(web_repo.path), "--format", "json").out
    )
    assert api == cli
    assert run_ids(page) == [r["id"] for r in cli["queue"]]
    assert run_ids(page)[0] == risky
    assert "<strong>3</strong> runs await review" in page
    assert sorted(run_ids(by_agent)) == sorted([risky, evals])
    assert run_ids(blocked) == [risky]
    assert run_ids(by_task) == [risky]
    assert run_ids(by_id_desc) == [evals, risky, clean]
    assert 'href="?sort=id"' in page and 'href="?sort=risk"' in by_id_desc


def test_queue_ranks_everything_but_renders_one_page(web_repo) -> None:
    run_id = fake_run(web_repo, GOOD)
    (first,) = load_awaiting(open_store(web_repo.path))
    assert first.id == run_id
    runs = [first._replace(id=n + 1, risk=n % 97, verdict="review") for n in range(450)]
    page = queue_page(snapshot(runs), Query())
    assert (page.total, page.matching, page.pages, len(page.rows)) == (450, 450, 3, 200)
    assert page.rows[0].run.risk == 96  # the riskiest of all 450, not of the first page
    last = queue_page(snapshot(runs), Query(page=9))
    assert last.page == 3 and len(last.rows) == 50


def test_the_queue_cache_sees_every_commit(web_repo) -> None:
    first = fake_run(web_repo, GOOD)
    with client(web_repo) as http:
        assert run_ids(http.get("/").text) == [first]
        assert run_ids(http.get("/").text) == [first]  # served from the cache
        second = fake_run(web_repo, GOOD, task="other")  # another process's store
        assert sorted(run_ids(http.get("/").text)) == [first, second]
        open_store(web_repo.path).update_run(second, risk=99)  # no event, no report
        assert run_ids(http.get("/").text) == [second, first]


def test_run_page_has_findings_at_their_lines_checks_cost_and_transcript(
    web_repo, tmp_path
) -> None:
    log = tmp_path / "t.log"
    log.write_text("step 1\nstep 2: edited app.py\n")
    run_id = fake_run(web_repo, EVAL, transcript=str(log))
    with client(web_repo) as http:
        html = http.get(f"/runs/{run_id}").text
        split = http.get(f"/runs/{run_id}?view=split").text
        missing = http.get("/runs/999")
    line = html.index('id="f0-L2"')
    assert html.index("security/bandit-b307", line) < html.index('id="f0-L3"', line)
    assert re.search(r'<a href="#finding-\d+"[^>]*>bandit-b307:2</a>', html)  # checks link to it
    for text in (
        "$0.05",
        "1200 in + 340 out",
        "scripted-1",
        "step 2: edited app.py",
        "mine: work on greet",
    ):
        assert text in html
    assert 'id="approve-form"' in html and 'id="reject-form"' in html
    assert 'class="code split"' in split and "security/bandit-b307" in split
    assert missing.status_code == 404


def test_evidence_links_serve_only_files_in_crewchiefs_folder(web_repo, tmp_path) -> None:
    run_id = fake_run(web_repo, GOOD)
    store = open_store(web_repo.path)
    inside = web_repo.path / ".git" / "crewchief" / "evidence" / "20260101T000000-abc" / "tests.log"
    inside.parent.mkdir(parents=True)
    inside.write_text("<script>alert(1)</script> 3 passed\n")
    outside = tmp_path / "secret.txt"
    outside.write_text("do not serve me\n")
    report = store.latest_report(run_id)
    assert report is not None
    elsewhere = (
        web_repo.path / ".git" / "crewchief" / "gate-cache.sqlite"
    )  # crewchief's, not evidence
    link = inside.parent / "link.log"
    link.symlink_to(outside)
    report["checks"][0]["evidence"] = [str(inside), str(outside), str(elsewhere), str(link)]
    store.save_report(run_id, report)
    with client(web_repo) as http:
        page = http.get(f"/runs/{run_id}").text
        shown = http.get(f"/runs/{run_id}/evidence/0/0")
        refused = http.get(f"/runs/{run_id}/evidence/0/1")
        not_evidence = http.get(f"/runs/{run_id}/evidence/0/2")
        via_link = http.get(f"/runs/{run_id}/evidence/0/3")
        absent = http.get(f"/runs/{run_id}/evidence/5/0")
    assert f'href="/runs/{run_id}/evidence/0/0">tests.log</a>' in page
    assert shown.status_code == 200 and "3 passed" in shown.text
    assert shown.headers["content-type"].startswith("text/plain")
    assert "sandbox" in shown.headers["content-security-policy"]
    assert refused.status_code == 404 and "do not serve" not in refused.text
    assert absent.status_code == 404
    assert not_evidence.status_code == 404
    assert via_link.status_code == 404 and "do not serve" not in via_link.text


def test_tasks_page_lists_tasks_and_their_runs(web_repo) -> None:
    run_id = fake_run(web_repo, GOOD)
    with client(web_repo) as http:
        html = http.get("/tasks").text
    assert "greet" in html and "other" in html and "Greet politely" in html
    assert f'href="/runs/{run_id}"' in html and "awaiting_review</span> 1" in html
