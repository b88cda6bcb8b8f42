"""The morning brief on a real repository and store: sections, order, window, spend, every format,
and agent-written text that stays text in each."""

from __future__ import annotations

import datetime as dt
import json
import re
from html.parser import HTMLParser

import pytest

from crewchief.errors import UserError
from crewchief.review.brief import collect, parse_since
from crewchief.store import open_store
from tests.helpers.cli import run_cli
from tests.helpers.overnight import Night, overnight
from tests.helpers.repo import Repo
from tests.helpers.schemas import assert_matches


@pytest.fixture
def night(repo: Repo) -> tuple[Repo, Night]:
    return repo, overnight(repo)


def brief_json(capsys: pytest.CaptureFixture[str], repo: Repo, *args: str) -> dict:
    result = run_cli(capsys, "brief", "--repo", str(repo.path), "--format", "json", *args)
    assert result.code == 0, result.err
    document: dict = json.loads(result.out)
    return document


def ids(runs: list[dict]) -> list[int]:
    return [run["id"] for run in runs]


def test_sections_in_the_order_a_reviewer_works(capsys, night) -> None:
    repo, n = night
    doc = brief_json(capsys, repo, "--since", "7h")
    assert_matches("brief", doc)
    assert doc["schema"] == "crewchief.brief/v1"
    assert ids(doc["ready"]) == [n.ids["pass_low"], n.ids["pass_high"]]  # safest approval first
    assert ids(doc["review"]) == [n.ids["ungated"], n.ids["block"], n.ids["review"]]
    assert ids(doc["gave_up"]) == [n.ids["failed"], n.ids["timed_out"]]
    assert ids(doc["running"]) == [n.ids["running"], n.ids["queued"]]
    assert doc["older_awaiting"] == 1  # old_pass: in the queue, not in the brief
    failed, timed_out = doc["gave_up"]
    assert failed["reason"].startswith("agent crashed \x1b[31mred")
    assert "second line" not in failed["reason"] and len(failed["reason"]) <= 160
    assert (failed["task"], failed["attempt"], timed_out["attempt"]) == ("hostile", 1, 2)
    assert timed_out["reason"].startswith("the agent ran past its time budget")
    assert doc["ready"][0]["reason"] is None and doc["ready"][0]["verdict"] == "pass"
    assert doc["ready"][0]["risk"] == 3 and doc["ready"][0]["tokens"] == 1200


def test_spent_sums_the_window_and_what_still_runs(night) -> None:
    repo, n = night
    brief = collect(open_store(repo.path), n.since, n.now)
    # 10+20+30+5+5 awaiting, 15+30 gave up, 0 cancelled, 45 running until now, queued not started
    assert brief.spent.agent_minutes == 160.0
    assert (brief.spent.usd, brief.spent.tokens, brief.spent.runs) == (1.0, 2400, 10)


def test_since_filters_the_window(capsys, night) -> None:
    repo, n = night
    recent = brief_json(capsys, repo, "--since", "2h")
    assert ids(recent["ready"]) == [] and ids(recent["review"]) == []
    assert recent["older_awaiting"] == 6  # every run awaiting review, none listed
    assert ids(recent["running"]) == [n.ids["running"], n.ids["queued"]]  # always listed
    week = (n.now - dt.timedelta(days=4)).isoformat()
    everything = brief_json(capsys, repo, "--since", week)
    assert ids(everything["ready"]) == [n.ids["old_pass"], n.ids["pass_low"], n.ids["pass_high"]]
    assert n.ids["old_failed"] in ids(everything["gave_up"])
    assert everything["since"] == week and everything["older_awaiting"] == 0


@pytest.mark.parametrize("value", ["yesterday", "25:00", "12x", "2026-13-01", ""])
def test_a_bad_since_is_one_line_and_exit_2(capsys, repo, value) -> None:
    result = run_cli(capsys, "brief", "--repo", str(repo.path), "--since", value)
    assert result.code == 2 and result.out == ""
    assert len(result.err.strip().splitlines()) == 1
    assert "HH:MM" in result.err and "12h" in result.err


def test_since_forms() -> None:
    now = dt.datetime(2026, 12, 6, 3, 30, tzinfo=dt.UTC)
    local = now.astimezone()
    evening = parse_since("18:00", now)
    assert evening < now and now - evening < dt.timedelta(days=1)
    assert (evening.astimezone().hour, evening.astimezone().minute) == (18, 0)
    earlier = (local - dt.timedelta(minutes=5)).strftime("%H:%M")
    assert now - parse_since(earlier, now) < dt.timedelta(minutes=6)  # today, not yesterday
    assert parse_since("90m", now) == now - dt.timedelta(minutes=90)
    assert parse_since("2d", now) == now - dt.timedelta(days=2)
    assert parse_since("2026-12-05T18:00+01:00", now) == dt.datetime(2026, 12, 5, 17, tzinfo=dt.UTC)
    naive = parse_since("2026-12-05T18:00", now)
    assert naive.utcoffset() == local.utcoffset() and naive.hour == 18
    with pytest.raises(UserError, match="in the future"):
        parse_since("2026-12-07T00:00Z", now)
    with pytest.raises(UserError, match="not a time"):
        parse_since("\x1b[2J18:00", now)


def test_text_shows_hostile_text_as_text(capsys, night) -> None:
    repo, _ = night
    result = run_cli(capsys, "brief", "--repo", str(repo.path), "--since", "7h")
    assert result.code == 0, result.err
    out = result.out
    assert "\x1b" not in out and "\x07" not in out
    assert "\\x1b[31mred" in out  # the escape made visible, not obeyed
    assert "second line" not in out
    for title in ("Ready to approve (2)", "Needs a look (3)", "Gave up (2)", "Still running (2)"):
        assert title in out
    assert out.index("Ready to approve") < out.index("Needs a look") < out.index("Gave up")
    assert "$1.00 · 2,400 tokens" in out and "1 older runs still await review" in out


def test_markdown_cannot_link_embed_or_break_the_table(capsys, night) -> None:
    repo, _ = night
    result = run_cli(
        capsys, "brief", "--repo", str(repo.path), "--since", "7h", "--format", "markdown"
    )
    assert result.code == 0, result.err
    md = result.out
    assert "](https://e.x" not in md.replace("\\](", "")  # every link bracket escaped
    assert "\\[click\\]" in md and "\\[px\\]" in md
    assert not re.search(r"(?<!\\)<", md) and "\x1b" not in md  # no HTML of its making
    assert "@here" not in md  # a mention would notify
    for line in md.splitlines():
        if line.startswith("| ") and not line.startswith("| ---"):
            assert len(re.findall(r"(?<!\\)\|", line)) == 6, line  # five cells, no more
    assert "second line" not in md


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def test_html_page_is_inert(capsys, night) -> None:
    repo, n = night
    result = run_cli(capsys, "brief", "--repo", str(repo.path), "--since", "7h", "--format", "html")
    assert result.code == 0, result.err
    html = result.out
    parser = _Tags()
    parser.feed(html)
    names = {tag for tag, _ in parser.tags}
    assert not names & {"script", "img", "svg", "a"}, names  # no links outside the web UI
    assert not [a for _, attrs in parser.tags for a in attrs if a.startswith("on")]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;svg onload=alert(3)&gt;" in html
    assert "\x1b" not in html and "\\x1b[31mred" in html
    assert f'data-id="{n.ids["failed"]}"' in html
