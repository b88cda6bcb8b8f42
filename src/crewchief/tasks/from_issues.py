"""Tasks from GitHub issues: `crewchief task import github --repo OWNER/NAME --label agent-ready`.

An issue labelled for agents becomes `.crewchief/tasks/gh-<number>-<slug>.md`: its title is the
task's title, its body the objective, and two sections of the body (the documented format) fill the
front matter:

    ## Acceptance
    - tests/test_prices.py::test_rounding_half_even

    ## Scope
    - src/prices/**

The issue's URL is kept as `source:` and a digest of the task as imported as `source_hash:`, so a
later import finds the file again and knows both whether the issue changed and whether the lead
edited the file since:
- the issue unchanged: the file is left alone, edited or not (`unchanged`);
- the issue changed, the file as imported: the file is rewritten (`updated`);
- the issue changed and the file edited: the file is kept and reported (`kept, edited locally`),
  since only the lead can merge the two; deleting the file imports the issue afresh.
A file without a digest (imported by an older crewchief) counts as edited unless it is exactly what
the issue renders to, when the digest is added. A task whose issue is no longer listed (closed,
deleted, moved, or its label taken off) is reported and its file left alone: it is the lead's file
now, perhaps edited, perhaps half done, and only the lead knows whether it is still wanted.

An issue with no acceptance entries gets the task lint's findings as a comment asking for them (one
comment, edited in place on later imports). The comment is a courtesy: when GitHub refuses it (a
read-only token), the issue's report says `comment not posted` and the import goes on.

Issues are matched by URL on any host (`https://HOST/OWNER/NAME/issues/N`), so a GitHub Enterprise
server (`GITHUB_API_URL`) works as github.com does.

The body is written by whoever can edit the issue, which may be anyone, so it is treated as
untrusted: acceptance entries must be pytest node ids (an entry that is a shell command would run in
the gate), control characters are escaped, and HTML comments, which GitHub hides from the person
who labelled the issue but an agent would read, are made visible in the task file.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import yaml

from crewchief.github import GitHub, GitHubError, upsert_comment
from crewchief.spec.errors import SpecError
from crewchief.spec.task import TASK_DIR, parse_task
from crewchief.textsafe import markdown_inline, visible, visible_lines

LINT_MARKER = "<!-- crewchief-task-lint -->"
_SECTION = re.compile(
    r"^#{1,6}\s*(acceptance(?:\s+(?:tests|criteria))?|scope)\s*:?\s*$", re.IGNORECASE | re.MULTILINE
)
_HEADING = re.compile(r"^#{1,6}\s", re.MULTILINE)
_ITEM = re.compile(r"^\s*[-*+]\s+(?:\[[ xX]\]\s+)?`?([^`\n]+?)`?\s*$")
_NODE_ID = re.compile(r"^[\w./-]+\.py(::[\w\[\].,=-]+)*$")
_HIDDEN = re.compile(r"<!--(.*?)-->", re.DOTALL)
ISSUE_URL = re.compile(r"^https://[\w.:-]+/([\w.-]+/[\w.-]+)/issues/(\d+)$")
"""A task's `source` when it was imported from an issue: its repository and number (any host,
for GitHub Enterprise)."""
_HASH_LINE = re.compile(r"^source_hash:[^\n]*\n", re.MULTILINE)
_STORED_HASH = re.compile(r"^source_hash:\s*['\"]?([0-9a-f]+)['\"]?\s*$", re.MULTILINE)
KEPT_EDITED = (
    "kept, edited locally (the issue changed since the import: merge by hand, "
    "or delete the file to import it afresh)"
)
"""The action of a task whose issue changed after the lead edited its file."""
NOT_POSTED = "comment not posted"


@dataclass(frozen=True)
class IssueTask:
    number: int
    url: str
    title: str
    objective: str
    acceptance: list[str]
    scope: list[str]
    refused: list[str] = field(default_factory=list)
    """Acceptance entries that are not pytest node ids, left out of the task."""


def _sections(body: str) -> tuple[str, dict[str, list[str]]]:
    """The body without the Acceptance and Scope sections' headings and list items (any other
    line in them stays in the objective: nothing the author wrote is dropped), and those items."""
    found: dict[str, list[str]] = {"acceptance": [], "scope": []}
    kept: list[str] = []
    matches = list(_SECTION.finditer(body))
    cursor = 0
    for match in matches:
        kept.append(body[cursor : match.start()])
        following = _HEADING.search(body, match.end())
        end = following.start() if following else len(body)
        key = "scope" if match.group(1).lower() == "scope" else "acceptance"
        for line in body[match.end() : end].splitlines(keepends=True):
            item = _ITEM.match(line)
            if item:
                found[key].append(item.group(1).strip())
            elif line.strip():
                kept.append(line)
        cursor = end
    kept.append(body[cursor:])
    return "".join(kept).strip(), found


def _reveal_hidden(text: str) -> str:
    return _HIDDEN.sub(lambda m: f"(hidden in the issue: {' '.join(m.group(1).split())})", text)


def parse_issue(issue: dict[str, Any]) -> IssueTask:
    body = str(issue.get("body") or "").replace("\r\n", "\n")
    objective, found = _sections(_reveal_hidden(body))
    acceptance = [a for a in found["acceptance"] if _NODE_ID.match(a)]
    return IssueTask(
        number=int(issue["number"]),
        url=str(issue.get("html_url") or ""),
        title=visible(str(issue.get("title") or f"issue {issue['number']}"), 200),
        objective=visible_lines(objective, 20000),
        acceptance=acceptance,
        scope=[visible(s, 200) for s in found["scope"]],
        refused=[a for a in found["acceptance"] if not _NODE_ID.match(a)],
    )


def task_id_for(number: int, title: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:50].strip("-")
    return f"gh-{number}-{slug}" if slug else f"gh-{number}"


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _unhashed(text: str) -> str:
    """A task file's text without its `source_hash` line: what the digest is taken of."""
    return _HASH_LINE.sub("", text, count=1)


def _render(task_id: str, issue: IssueTask, digest: str | None) -> str:
    meta: dict[str, Any] = {"id": task_id, "title": issue.title, "source": issue.url}
    if digest is not None:
        meta["source_hash"] = digest
    if issue.scope:
        meta["scope"] = issue.scope
    meta["acceptance"] = issue.acceptance
    front = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, width=1000)
    return f"---\n{front}---\n{issue.objective}\n"


def render(task_id: str, issue: IssueTask) -> str:
    """The task file for `issue`, carrying the digest of the rest of its text."""
    return _render(task_id, issue, _digest(_render(task_id, issue, None)))


def _write(path: Path, text: str) -> str:
    """Write the rendered `text` to `path` unless that would lose something; the action taken
    (the module docstring says which, when)."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, "utf-8")
        return "created"
    before = path.read_text("utf-8")
    stored = _STORED_HASH.search(before.split("\n---", 1)[0])
    if stored is None:  # an older import: as imported only if it is what the issue renders to
        if _unhashed(before) != _unhashed(text):
            return KEPT_EDITED
        path.write_text(text, "utf-8")
        return "unchanged"
    if stored.group(1) == _digest(_unhashed(text)):
        return "unchanged"
    if stored.group(1) != _digest(_unhashed(before)):
        return KEPT_EDITED
    path.write_text(text, "utf-8")
    return "updated"


@dataclass(frozen=True)
class Imported:
    number: int
    task_id: str
    action: str
    """created, updated or unchanged; for a task whose issue is no longer listed, what became of
    the issue (see `LEFT_BEHIND`)."""
    problems: list[str]


LEFT_BEHIND = "the task file is left as it is"
"""Ends the action of a task whose issue is no longer listed: the import reports it, never
deletes or rewrites the file."""


def fetch_issue(gh: GitHub, repository: str, number: int) -> dict[str, Any] | None:
    """The issue, or None when GitHub says it is gone for good. A 404 counts as gone only when
    the repository itself answers: GitHub also says 404 for a repository the token cannot see,
    and a wrong token is no reason to give up on an issue (that GitHubError is raised)."""
    try:
        data = gh.call("GET", f"/repos/{repository}/issues/{number}").data
        return data if isinstance(data, dict) else {}
    except GitHubError as exc:
        if exc.status == 410:  # what GitHub answers for a deleted issue
            return None
        if exc.status != 404:
            raise
    gh.call("GET", f"/repos/{repository}")
    return None


def _fate(gh: GitHub, repository: str, number: int, url: str, labels: set[str]) -> str:
    """What became of an issue a task came from that the labelled listing no longer holds."""
    try:
        issue = fetch_issue(gh, repository, number)
    except GitHubError as exc:
        return f"issue not checked ({exc}); {LEFT_BEHIND}"
    if issue is None:
        return f"issue deleted on GitHub; {LEFT_BEHIND}"
    moved = str(issue.get("html_url") or url)
    if moved.rstrip("/").lower() != url.lower():  # a transferred issue answers from its new home
        return f"issue moved to {visible(moved, 200)}; {LEFT_BEHIND}"
    if issue.get("state") == "closed":
        reason = str(issue.get("state_reason") or "").replace("_", " ")
        return (
            f"issue closed on GitHub{f' ({visible(reason, 40)})' if reason else ''}; {LEFT_BEHIND}"
        )
    has = {str(x.get("name")) for x in issue.get("labels") or [] if isinstance(x, dict)}
    missing = sorted(labels - has)
    if missing:
        return f"issue no longer labelled {visible(', '.join(missing), 100)}; {LEFT_BEHIND}"
    return f"issue open but not listed; {LEFT_BEHIND}"


def _left_behind(
    gh: GitHub, repository: str, label: str, existing: dict[str, Path], listed: set[str]
) -> list[Imported]:
    """A report line for each task of this repository's issues that the listing left out."""
    labels = {part.strip() for part in label.split(",") if part.strip()}
    results = []
    for url, path in existing.items():
        match = ISSUE_URL.match(url)
        if url in listed or not match or match.group(1).lower() != repository.lower():
            continue
        number = int(match.group(2))
        results.append(Imported(number, path.stem, _fate(gh, repository, number, url, labels), []))
    return results


def _existing_by_source(root: Path) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for path in sorted((root / TASK_DIR).glob("*.md")):
        try:
            task = parse_task(path.read_bytes(), str(path))
        except (SpecError, OSError):  # a malformed task file is `task lint`'s business
            continue
        if task.source:
            found[task.source] = path
    return found


def _lint_comment(task_id: str, issue: IssueTask, problems: list[str]) -> str:
    lines = [
        f"crewchief imported this issue as task `{task_id}`, but an agent would have to guess:",
        "",
        *(f"- {markdown_inline(p, 400)}" for p in problems),
        "",
        "Add a `## Acceptance` section listing the pytest tests that must pass when the work is "
        "done (for example `- tests/test_module.py::test_new_behaviour`), and a `## Scope` "
        "section with the paths the change may touch.",
    ]
    return "\n".join(lines)


def import_issues(
    gh: GitHub,
    repository: str,
    label: str,
    root: Path,
    lint: Callable[[str], list[str]],
) -> list[Imported]:
    """Write (or rewrite) a task per open issue carrying `label`; `lint(task_id)` returns the task
    lint's messages for a written task. Tasks imported earlier whose issue is no longer listed
    are reported after them, their files untouched."""
    existing = _existing_by_source(root)
    results = []
    listed: set[str] = set()
    labels = quote(label, safe=",")  # GitHub reads a comma as "and"; anything else is text
    for raw in gh.paginate(f"/repos/{repository}/issues?state=open&labels={labels}"):
        if not isinstance(raw, dict) or "pull_request" in raw:
            continue  # the issues endpoint lists pull requests too
        issue = parse_issue(raw)
        listed.add(issue.url)
        path = (
            existing.get(issue.url)
            or root / TASK_DIR / f"{task_id_for(issue.number, issue.title)}.md"
        )
        task_id = path.stem
        action = _write(path, render(task_id, issue))
        problems = [*lint(task_id)]
        problems += [
            f"acceptance entry {r!r} is not a pytest test id; left out" for r in issue.refused
        ]
        if not issue.acceptance and action in ("created", "updated"):
            body = _lint_comment(task_id, issue, problems)
            try:
                upsert_comment(gh, repository, issue.number, body, marker=LINT_MARKER)
            except GitHubError as exc:  # a courtesy, not the import: say so and go on
                problems.append(f"{NOT_POSTED}: {exc}")
        results.append(Imported(issue.number, task_id, action, problems))
    return results + _left_behind(gh, repository, label, existing, listed)
