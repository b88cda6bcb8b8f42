"""The pull-request comment as a reviewer sees it: `--format markdown` rendered to HTML the way
GitHub renders comments (CommonMark with tables), opened in Debian's chromium, and screenshotted to
test-artifacts/pr-comment.png. Hostile agent text must stay text on the page: no link, image or
element of its making."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest
from markdown_it import MarkdownIt

from crewchief.gate.change import Change
from crewchief.gate.check import Check
from crewchief.gate.engine import gate_change
from crewchief.gate.findings import Finding, Severity
from crewchief.gate.report import render_markdown
from crewchief.spec.policy import Policy
from tests.web.test_browser import ARGS, ARTIFACTS, CHROMIUM

pytestmark = pytest.mark.slow

LINK_BASE = "https://github.com/team/app/blob/0123456789abcdef"
HOSTILE = (
    "[approve me](https://evil.example/) <img src=x onerror=alert(1)> <script>alert(2)</script>"
    " @octocat"
)
PAGE = """<!doctype html><html><head><meta charset="utf-8"><style>
body {{ font: 14px -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 24px;
       color: #1f2328; max-width: 1000px; }}
table {{ border-collapse: collapse; }} td, th {{ border: 1px solid #d0d7de; padding: 6px 13px; }}
code {{ background: #eff1f3; padding: 2px 4px; border-radius: 6px; }}
details {{ margin: 8px 0; }} a {{ color: #0969da; }}
</style></head><body>{body}</body></html>"""


class _Fixed:
    name = "security"
    version = "1"
    kind = "static"

    def run(self, ctx: object) -> list[Finding]:
        return [
            Finding("security", "taint-sql", Severity.HIGH, HOSTILE, path="app/views.py",
                    line=42, blocking=True, cwe="CWE-89"),
            Finding("security", "bandit-b602", Severity.HIGH, "subprocess call with shell=True",
                    path="app/jobs.py", line=7, blocking=True, cwe="CWE-78"),
            Finding("security", "bandit-b101", Severity.LOW, "assert used", path="app/util.py",
                    line=3),
        ]  # fmt: skip


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    assert CHROMIUM.exists(), "chromium is missing: run scripts/install-browser.sh (make test does)"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield launched
        launched.close()


def test_the_comment_renders_as_github_shows_it(browser: Any) -> None:
    change = Change.from_files({}, {"app/views.py": "x = 1\n"})
    checks = cast(dict[str, Check], {"security": _Fixed()})
    report = gate_change(change, Policy(), only=["security"], checks=checks)
    body = (
        MarkdownIt("commonmark")
        .enable("table")
        .render(render_markdown(report, link_base=LINK_BASE))
    )
    context = browser.new_context(viewport={"width": 1100, "height": 700}, java_script_enabled=True)
    page = context.new_page()
    dialogs: list[str] = []

    def on_dialog(dialog: Any) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    try:
        page.set_content(PAGE.format(body=body))
        page.locator("details").first.evaluate("d => d.open = true")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "pr-comment.png"), full_page=True)
        hrefs = page.locator("a").evaluate_all("els => els.map(e => e.href)")
        lines = {
            f"{LINK_BASE}/app/{where}" for where in ("views.py#L42", "jobs.py#L7", "util.py#L3")
        }
        assert len(hrefs) == 5 and set(hrefs) == lines  # two in the table, three in the details
        assert page.locator("img, script").count() == 0
        assert dialogs == []
        assert "BLOCK" in page.locator("h3").inner_text()
        assert page.locator("table tr").count() == 3  # header and two blocking findings
        assert "[approve me](https://evil.example/)" in page.locator("table").inner_text()
        assert "@octocat" not in page.content()
    finally:
        context.close()
    assert Path(ARTIFACTS / "pr-comment.png").stat().st_size > 10_000
