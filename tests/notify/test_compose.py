"""The brief as a Slack message: its shape, and agent-written text that stays text."""

from __future__ import annotations

import json
import re

from crewchief.notify import compose
from tests.notify.night import hostile_brief

_RAW_AMPERSAND = re.compile(r"&(?!amp;|lt;|gt;)")


def _mrkdwn(body: dict) -> list[str]:
    texts = [b["text"]["text"] for b in body["blocks"] if b["type"] == "section"]
    texts += [e["text"] for b in body["blocks"] if b["type"] == "context" for e in b["elements"]]
    return texts


def test_slack_body_has_text_and_a_section_per_part(repo) -> None:
    brief = hostile_brief(repo)
    body = compose.slack_body(brief, "crewchief: batch ended")
    assert set(body) == {"text", "blocks"}
    assert body["text"] == "crewchief: batch ended: 2 ready, 3 to review, 3 gave up, 2 running"
    header, summary, *sections, context = body["blocks"]
    assert header == {
        "type": "header",
        "text": {"type": "plain_text", "text": "crewchief: batch ended"},
    }
    assert summary["text"]["type"] == "mrkdwn"
    titles = [s["text"]["text"].splitlines()[0] for s in sections]
    assert titles == [
        "*Ready to approve* (2)",
        "*Needs a look* (3)",
        "*Gave up* (3)",
        "*Still running* (2)",
    ]
    assert context["type"] == "context" and context["elements"][0]["text"].startswith("Spent $1.00")
    assert all(len(text) <= 3000 for text in _mrkdwn(body)) and len(body["blocks"]) <= 50


def test_agent_text_cannot_mention_link_or_inject_entities(repo) -> None:
    body = compose.slack_body(hostile_brief(repo), "crewchief: batch ended")
    gave_up = next(t for t in _mrkdwn(body) if t.startswith("*Gave up*"))
    assert "&lt;!channel&gt; Q&amp;A &lt;script&gt;alert(1)&lt;/script&gt;" in gave_up
    assert (
        "&lt;!here&gt; boom &amp; &lt;https://evil.example/x|click me&gt; &lt;@U024BE7LH&gt;"
        in gave_up
    )
    assert "&lt;!everyone&gt;" in gave_up
    for text in [*_mrkdwn(body), body["text"]]:
        assert "<" not in text and ">" not in text, text
        assert not _RAW_AMPERSAND.search(text), text
    for text in [*_mrkdwn(body), body["text"]]:
        assert "\x1b" not in text and "\x07" not in text, text  # control characters made visible
    assert "\\x1b[31mred" in json.dumps(body)


def test_a_big_night_is_cut_per_section_and_counted(repo) -> None:
    brief = hostile_brief(repo)
    many = brief.review * 10  # 30 runs needing a look
    big = type(brief)(**{**brief.__dict__, "review": many})
    section = next(t for t in _mrkdwn(compose.slack_body(big, "h")) if t.startswith("*Needs"))
    assert section.startswith("*Needs a look* (30)")
    assert len(section.splitlines()) == 1 + compose.SECTION_RUNS + 1
    assert section.endswith("… and 20 more: `crewchief brief`")


def test_mail_is_text_and_html_with_counts_in_the_subject(repo) -> None:
    message = compose.mail(
        hostile_brief(repo),
        "crewchief: batch ended",
        "cc@example.com",
        ["a@example.com", "b@example.com"],
    )
    assert (
        message["Subject"] == "crewchief: batch ended: 2 ready, 3 to review, 3 gave up, 2 running"
    )
    assert (message["From"], message["To"]) == ("cc@example.com", "a@example.com, b@example.com")
    assert message.get_content_type() == "multipart/alternative"
    text, html = (part.get_content() for part in message.iter_parts())
    assert "Ready to approve (2)" in text and "\x1b" not in text
    assert (
        "<script>" not in html
        and "&lt;script&gt;" in html
        and html.lstrip().lower().startswith("<!doctype html")
    )
