"""The home page is the morning brief, with the review queue below it; what agents wrote (task
titles, agent names, reasons) reaches the browser as text."""

from __future__ import annotations

import re

from tests.helpers.overnight import overnight
from tests.helpers.web import client
from tests.web.test_escaping import assert_inert


def section_ids(html: str, key: str) -> list[int]:
    body = html.split(f'id="brief-{key}"', 1)[1].split("</section>", 1)[0]
    return [int(n) for n in re.findall(r'<tr class="brief-run" data-id="(\d+)"', body)]


def test_home_is_the_brief_above_the_queue(repo) -> None:
    n = overnight(repo)
    with client(repo) as http:
        page = http.get("/?since=7h")
        bad = http.get("/?since=%1b[2Jsoon")
    assert page.status_code == 200
    html = page.text
    assert html.index('id="brief"') < html.index('id="queue"')  # the brief first, then the queue
    assert section_ids(html, "ready") == [n.ids["pass_low"], n.ids["pass_high"]]
    assert section_ids(html, "review") == [n.ids["ungated"], n.ids["block"], n.ids["review"]]
    assert section_ids(html, "gave_up") == [n.ids["failed"], n.ids["timed_out"]]
    assert section_ids(html, "running") == [n.ids["running"], n.ids["queued"]]
    assert f'<a href="/runs/{n.ids["failed"]}">' in html
    assert_inert(html)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # the title and the reason, as text
    assert "onerror=alert(2)&gt;" in html and "&lt;svg onload=alert(3)&gt;" in html
    assert "\\x1b[31mred" in html and "second line" not in html
    assert "$1.00 · 2,400 tokens" in html
    assert bad.status_code == 400 and "not a time" in bad.text
    assert_inert(bad.text)
    assert "\\x1b[2Jsoon" in bad.text


def test_a_big_night_does_not_push_the_queue_out_of_sight(repo, monkeypatch) -> None:
    from crewchief.web import pages

    monkeypatch.setattr(pages, "BRIEF_ROWS", 1)
    n = overnight(repo)
    with client(repo) as http:
        html = http.get("/?since=7h").text
    assert section_ids(html, "review") == [n.ids["ungated"]]  # the riskiest one stays
    assert "Needs a look (3)" in html and "and 2 more" in html
    assert section_ids(html, "ready") == [n.ids["pass_low"]] and "and 1 more" in html
