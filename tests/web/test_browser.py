"""The review loop in a real browser: Playwright driving Debian's chromium (never a download).

These tests fail, not skip, when chromium is missing: `make test` installs it with
scripts/install-browser.sh. A screenshot of the run page is left in test-artifacts/.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from crewchief.store import RunState, open_store
from crewchief.web.app import create_app
from tests.helpers.repo import Repo
from tests.helpers.web import BASE, EVAL, GOOD, fake_run, live_server

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    assert CHROMIUM.exists(), "chromium is missing: run scripts/install-browser.sh (make test does)"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    yield page
    context.close()
    assert errors == [], f"the page logged errors: {errors}"


@pytest.fixture
def web_repo(make_repo) -> Repo:
    return make_repo(BASE)


def test_review_loop_in_the_browser(page, web_repo) -> None:
    from playwright.sync_api import expect

    risky = fake_run(web_repo, EVAL, agent="claude")
    clean = fake_run(web_repo, GOOD, task="other", agent="codex")
    store = open_store(web_repo.path)
    first, second = (
        (risky, clean)
        if (store.run(risky).risk or 0) >= (store.run(clean).risk or 0)
        else (clean, risky)
    )
    with live_server(create_app(web_repo.path, regate=None, who="Rita")) as url:
        # the queue: keyboard selection, enter opens
        page.goto(url + "/")
        expect(page.locator("#queue tr.run")).to_have_count(2)
        expect(page.locator(f"#run-{first}")).to_have_class("run selected")
        page.keyboard.press("j")
        expect(page.locator(f"#run-{second}")).to_have_class("run selected")
        page.keyboard.press("k")
        page.keyboard.press("j")
        page.keyboard.press("Enter")
        expect(page).to_have_url(f"{url}/runs/{second}")
        page.goto(f"{url}/?verdict={store.run(risky).verdict}&agent=claude")
        expect(page.locator("#queue tr.run")).to_have_count(1)

        # a run: the finding sits under its line; the screenshot is the test's artifact
        page.goto(f"{url}/runs/{risky}")
        finding = page.locator("#f0-L2 + tr.findings .finding")
        expect(finding).to_contain_text("security/bandit-b307")
        expect(page.locator("#f0-L2")).to_contain_text("eval(name)")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "run-page.png"), full_page=True)
        page.keyboard.press("s")
        expect(page).to_have_url(f"{url}/runs/{risky}?view=split")
        expect(page.locator("table.code.split tr.findings")).to_contain_text("bandit-b307")
        page.locator("table.code.split tr.findings").scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / "run-page-split.png"))

        # reject with feedback from the keyboard; the next attempt is queued
        page.keyboard.press("r")
        expect(page.locator("#feedback")).to_be_focused()
        page.keyboard.type("Do not call eval on user input.")
        page.keyboard.press("Control+Enter")
        expect(page).to_have_url(f"{url}/runs/{risky}?done=rejected")
        page.locator("#next-attempt").click()
        expect(page.locator("#state")).to_have_text("queued")
        expect(page.locator(".history")).to_contain_text("Do not call eval on user input.")

        # approve with `a` (confirmed); the commit is on main
        page.goto(f"{url}/runs/{clean}")
        page.once("dialog", lambda dialog: dialog.accept())
        page.keyboard.press("a")
        expect(page).to_have_url(f"{url}/runs/{clean}?done=approved")
        commit = web_repo.git("rev-parse", "main")
        expect(page.locator("#merge-commit")).to_have_text(commit[:12])
    assert "hello" in web_repo.git("show", "main:app.py")
    assert store.run(clean).state == "merged" and store.run(risky).state == "rejected"


def test_a_run_in_progress_updates_live(page, web_repo, tmp_path) -> None:
    from playwright.sync_api import expect

    log = tmp_path / "transcript.log"
    log.write_text("starting\n")
    run_id = fake_run(web_repo, GOOD, transcript=str(log), until=RunState.RUNNING)
    store = open_store(web_repo.path)
    with live_server(create_app(web_repo.path, regate=None, poll_seconds=0.1)) as url:
        page.goto(f"{url}/runs/{run_id}")
        expect(page.locator("#state")).to_have_text("running")
        with open(log, "a") as fh:
            fh.write("edited \x1b[1mapp.py <img src=x onerror=alert(1)>\n")
        expect(page.locator("#transcript")).to_contain_text(
            "edited \\x1b[1mapp.py <img src=x onerror=alert(1)>"
        )
        assert page.locator("#transcript img").count() == 0
        head = web_repo.git("rev-parse", f"crewchief/greet/{run_id}")
        store.transition(run_id, RunState.VALIDATING, head_commit=head)
        expect(page.locator("#state")).to_have_text("validating")
        store.save_report(run_id, {"verdict": "pass", "risk": 2, "findings": [], "checks": []})
        store.transition(run_id, RunState.AWAITING_REVIEW)
        expect(page.locator("#approve-form")).to_be_visible(timeout=10_000)  # reloaded
        expect(page.locator("#state")).to_have_text("awaiting_review")
