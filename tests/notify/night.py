"""The overnight store of the brief tests, plus a run whose agent-written text attacks Slack."""

from __future__ import annotations

import datetime as dt

from crewchief.review.brief import Brief, collect
from crewchief.store import RunState, open_store
from tests.helpers.overnight import make_run, overnight
from tests.helpers.repo import Repo

SLACK_TITLE = "<!channel> Q&A <script>alert(1)</script>"
SLACK_REASON = "<!here> boom & <https://evil.example/x|click me> <@U024BE7LH>"


def hostile_brief(repo: Repo) -> Brief:
    """Every section filled (`overnight`), and a gave-up run with mentions, links and `&`."""
    night = overnight(repo)
    store = open_store(repo.path)
    store.upsert_task("slack", SLACK_TITLE, 1, {})
    start = night.now - dt.timedelta(hours=1)
    make_run(
        store,
        "slack",
        RunState.FAILED,
        agent="<!everyone>",
        start=start,
        minutes=3,
        reason=SLACK_REASON,
    )
    brief = collect(store, night.since, night.now)
    store.close()
    return brief
