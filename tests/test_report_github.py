"""The gate report where GitHub shows it: a pull-request comment (Markdown, rendered here by a
CommonMark parser with GitHub's tables, as GitHub would) and workflow-command annotations. Agent
text must render as text, the comment must fit GitHub's limit, and the CLI must produce both."""

from __future__ import annotations

import re
from collections.abc import Callable
from html import unescape
from typing import cast

import pytest
from markdown_it import MarkdownIt

from crewchief.gate.change import Change
from crewchief.gate.check import Check
from crewchief.gate.engine import gate_change
from crewchief.gate.findings import Finding, Report, Severity
from crewchief.gate.report import render_github, render_markdown
from crewchief.gate.report.markdown import COMMENT_LIMIT
from crewchief.spec.policy import Policy
from crewchief.textsafe import markdown_inline, workflow_command_value
from tests.helpers.cli import run_cli
from tests.helpers.repo import Repo

HOSTILE_MD = (
    "see [docs](https://evil.example/x) ![i](https://evil.example/p.png) <img src=x onerror=a()>"
    " `code` **bold** @octocat #12 | cell\n## heading &lt;b&gt;"
)


def _html(markdown: str) -> str:
    return MarkdownIt("commonmark").enable("table").render(markdown)


class _Fixed:
    name = "security"
    version = "1"
    kind = "static"

    def __init__(self, findings: list[Finding]) -> None:
        self.findings = findings

    def run(self, ctx: object) -> list[Finding]:
        return self.findings


def _report(findings: list[Finding]) -> Report:
    change = Change.from_files({}, {"src/a.py": "x = 1\n"})
    checks = {"security": _Fixed(findings)}
    return gate_change(change, Policy(), only=["security"], checks=cast(dict[str, Check], checks))


def _hostile() -> Finding:
    return Finding(
        "security", "taint-sql", Severity.HIGH, HOSTILE_MD, path="src/caf\udce9 x,y:z.py",
        line=7, blocking=True, cwe="CWE-89",
    )  # fmt: skip


def test_agent_markdown_renders_as_its_own_text() -> None:
    html = _html(markdown_inline(HOSTILE_MD))
    for made in ("<a ", "<img", "<code", "<strong", "<h2", "<table", "&lt;b&gt;"):
        assert made not in html, (made, html)
    assert "@octocat" not in html  # no mention: GitHub would notify the user
    # What the reader sees is the text itself, once the HTML is read back.
    text = unescape(re.sub(r"<[^>]+>", "", html)).replace("@\u200b", "@").strip()
    assert text == HOSTILE_MD.replace("\n", "\\x0a")


def test_the_comment_puts_blocking_findings_in_a_table_with_links() -> None:
    plain = Finding("security", "b101", Severity.LOW, "assert used", path="src/a.py", line=1)
    body = render_markdown(
        _report([_hostile(), plain]), link_base="https://github.com/o/r/blob/abc123"
    )
    html = _html(body)
    assert "BLOCK" in body.splitlines()[0]
    table = html.split("<table>")[1].split("</table>")[0]
    assert table.count("<tr>") == 2  # the header and the one blocking finding
    assert 'href="https://github.com/o/r/blob/abc123/src/caf%E9%20x%2Cy%3Az.py#L7"' in table
    assert "b101" not in table and "b101" in html  # non-blocking: only in the collapsed details
    assert "<details><summary>security: failed" in body
    assert "evil.example" not in re.findall(r'href="([^"]+)"', html)[0]


def test_a_huge_report_is_summarised_under_githubs_comment_limit() -> None:
    many = [
        Finding("security", f"rule-{i}", Severity.HIGH, "x" * 300, path=f"src/m{i}.py", line=i,
                blocking=i % 2 == 0)
        for i in range(3000)
    ]  # fmt: skip
    body = render_markdown(_report(many))
    assert len(body) <= COMMENT_LIMIT
    assert "more blocking findings are not listed here" in body
    assert "left out to stay under GitHub's comment limit" in body
    assert body.count("| high | security |") > 50  # it fills the room it has


def test_annotations_cannot_start_a_second_command() -> None:
    finding = Finding(
        "security", "taint-sql", Severity.HIGH, "boom\n::add-mask::x\r\n::warning::fake 100%",
        path="src/a,b:c.py", line=4, blocking=True, cwe="CWE-89",
    )  # fmt: skip
    quiet = Finding("quality", "E501", Severity.LOW, "long line", path="src/a.py", line=9)
    lines = render_github(_report([quiet, finding])).splitlines()
    assert lines[0] == (
        "::error file=src/a%2Cb%3Ac.py,line=4,title=security/taint-sql::"
        "boom%0A::add-mask::x%0A::warning::fake 100%25 (CWE-89)"
    )
    assert lines[1].startswith("::notice file=src/a.py,line=9,title=quality/E501::")
    assert lines[-1].startswith("crewchief gate: block (risk ")
    assert len(lines) == 3
    assert workflow_command_value("a:b,c", property_value=True) == "a%3Ab%2Cc"


@pytest.mark.parametrize("fmt", ["markdown", "github"])
def test_the_cli_writes_both_formats(
    fmt: str,
    make_repo: Callable[..., Repo],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    repo = make_repo({"app.py": "def f():\n    return 1\n"})
    repo.branch("agent")
    risky = "import subprocess\n\n\ndef f(cmd):\n    return subprocess.call(cmd, shell=True)\n"
    head = repo.commit({"app.py": risky})
    monkeypatch.setenv("GITHUB_SERVER_URL", "https://github.example")
    monkeypatch.setenv("GITHUB_REPOSITORY", "team/app")
    args = ("--base", "main", "--head", "agent", "--static", "--format", fmt)
    result = run_cli(capsys, "gate", "--repo", str(repo.path), *args)
    assert result.code == 1, result.err  # shell=True on a parameter blocks
    if fmt == "markdown":
        assert result.out.startswith("### crewchief gate: **BLOCK**")
        assert f"(https://github.example/team/app/blob/{head}/app.py#L5)" in result.out
    else:
        assert "file=app.py,line=5,title=security/" in result.out
        assert result.out.splitlines()[-1].startswith("crewchief gate: block")


@pytest.mark.parametrize("text", ["- item", "1. one", "12) x", "= under", "  + x", "a-b c+d"])
def test_line_starts_that_make_lists_stay_text(text: str) -> None:
    assert _html(markdown_inline(text)) == f"<p>{text.strip()}</p>\n"
