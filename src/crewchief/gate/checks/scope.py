"""Does the change stay where it was allowed to go?

Paths outside the policy's and task's allow globs, inside deny globs or the built-in protected paths
(the policy and CI that judge agents), too many files or lines, and file kinds a reviewer must look at
closely: binaries, large files, symlinks, new executable bits, submodules.
"""

from __future__ import annotations

import posixpath
import tomllib
from typing import ClassVar, Literal

from crewchief.gate.change import Change, FileChange, Side, Status, match_any
from crewchief.gate.check import CheckContext
from crewchief.gate.findings import Finding, Severity, fingerprint
from crewchief.spec.policy import PROTECTED_PATHS, PYPROJECT, Policy
from crewchief.spec.task import Task

NAME = "scope"


def _finding(
    rule: str,
    severity: Severity,
    message: str,
    path: str | None,
    *,
    blocking: bool,
    cwe: str | None = None,
    line: int | None = None,
) -> Finding:
    return Finding(
        NAME,
        rule,
        severity,
        message,
        path=path,
        line=line,
        blocking=blocking,
        cwe=cwe,
        fingerprint=fingerprint(rule, path or ""),
    )


def _touched_paths(file: FileChange) -> list[str]:
    paths = [file.path]
    if file.old and file.old.path != file.path:
        paths.insert(0, file.old.path)
    return paths


def _symlink_escapes(side: Side) -> bool:
    """True when the link's target leaves the repository (absolute, or climbs above the root)."""
    if side.data is None:
        return True
    target = side.data.decode("utf-8", "surrogateescape")
    if target.startswith(("/", "~")):
        return True
    joined = posixpath.normpath(posixpath.join(posixpath.dirname(side.path), target))
    return joined == ".." or joined.startswith("../")


def _path_findings(file: FileChange, policy: Policy, task: Task | None) -> list[Finding]:
    found: list[Finding] = []
    protected = [g for g in PROTECTED_PATHS if g not in policy.scope.unprotect]
    for path in _touched_paths(file):
        if match_any(path, protected):
            found.append(
                _finding(
                    "protected-path",
                    Severity.CRITICAL,
                    "touches a protected path (policy, CI or agent instructions); agents may not change "
                    "the rules that judge them",
                    path,
                    blocking=True,
                )
            )
            continue
        if match_any(path, policy.scope.deny):
            found.append(
                _finding(
                    "denied-path",
                    Severity.HIGH,
                    "touches a path the policy denies ([scope] deny)",
                    path,
                    blocking=True,
                )
            )
            continue
        if policy.scope.allow and not match_any(path, policy.scope.allow):
            found.append(
                _finding(
                    "outside-policy-scope",
                    Severity.HIGH,
                    "touches a path outside the policy's allowed scope ([scope] allow)",
                    path,
                    blocking=True,
                )
            )
            continue
        if task and task.scope and not match_any(path, task.scope):
            found.append(
                _finding(
                    "outside-task-scope",
                    Severity.HIGH,
                    f"touches a path outside task '{task.id}' scope",
                    path,
                    blocking=True,
                )
            )
    if "\ufffd" in file.path or any("\udc80" <= ch <= "\udcff" for ch in file.path):
        found.append(
            _finding(
                "non-utf8-name",
                Severity.MEDIUM,
                "file name is not valid UTF-8; tools and reviewers may show it wrongly",
                file.path,
                blocking=False,
            )
        )
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in file.path):
        found.append(
            _finding(
                "control-char-name",
                Severity.HIGH,
                "file name contains control characters (newline, escape); it can spoof "
                "terminal and log output",
                file.path,
                blocking=True,
                cwe="CWE-150",
            )
        )
    return found


def _kind_findings(file: FileChange, policy: Policy) -> list[Finding]:
    found: list[Finding] = []
    old, new = file.old, file.new
    if (old and old.is_submodule) or (new and new.is_submodule):
        verb = {Status.ADDED: "adds", Status.DELETED: "removes"}.get(file.status, "changes")
        found.append(
            _finding(
                "submodule",
                Severity.HIGH,
                f"{verb} a git submodule: it brings in code this gate cannot see",
                file.path,
                blocking=True,
            )
        )
        return found
    if new is None:
        return found
    if new.is_symlink:
        if old is None or not old.is_symlink or old.data != new.data:
            if _symlink_escapes(new):
                found.append(
                    _finding(
                        "symlink-outside-repo",
                        Severity.CRITICAL,
                        "adds a symlink that points outside the repository",
                        file.path,
                        blocking=True,
                        cwe="CWE-59",
                    )
                )
            else:
                found.append(
                    _finding(
                        "symlink",
                        Severity.LOW,
                        "adds a symlink inside the repository",
                        file.path,
                        blocking=False,
                    )
                )
        return found
    if new.is_executable and not (old and old.is_executable):
        found.append(
            _finding(
                "executable-bit",
                Severity.MEDIUM,
                "makes a file executable",
                file.path,
                blocking=False,
            )
        )
    limit = policy.scope.max_file_kb * 1024
    if new.size > limit and (old is None or old.size <= limit or new.size > old.size):
        found.append(
            _finding(
                "large-file",
                Severity.HIGH,
                f"file is {new.size // 1024} KiB, over the policy limit of "
                f"{policy.scope.max_file_kb} KiB ([scope] max_file_kb)",
                file.path,
                blocking=True,
            )
        )
    elif new.is_binary and policy.scope.binary != "allow" and (old is None or old.blob != new.blob):
        block = policy.scope.binary == "block"
        found.append(
            _finding(
                "binary-file",
                Severity.HIGH if block else Severity.MEDIUM,
                "adds or changes a binary file; its content cannot be reviewed as text",
                file.path,
                blocking=block,
            )
        )
    return found


def _size_findings(change: Change, policy: Policy) -> list[Finding]:
    found: list[Finding] = []
    files = len(change.files)
    if policy.scope.max_files is not None and files > policy.scope.max_files:
        found.append(
            _finding(
                "too-many-files",
                Severity.HIGH,
                f"changes {files} files, over the policy limit of {policy.scope.max_files}",
                None,
                blocking=True,
            )
        )
    lines = change.lines_added + change.lines_removed
    if policy.scope.max_lines is not None and lines > policy.scope.max_lines:
        found.append(
            _finding(
                "too-many-lines",
                Severity.HIGH,
                f"changes {lines} lines, over the policy limit of {policy.scope.max_lines}",
                None,
                blocking=True,
            )
        )
    return found


def _policy_table(side: Side | None) -> object:
    if side is None or side.text is None:
        return None
    try:
        tool = tomllib.loads(side.text).get("tool", {})
    except tomllib.TOMLDecodeError:
        return "<unparsable>"
    return tool.get("crewchief") if isinstance(tool, dict) else None


def _pyproject_policy_findings(change: Change) -> list[Finding]:
    """The policy may live in pyproject.toml's [tool.crewchief]: changing that table is as much
    a change to the rules as editing crewchief.toml, though the file itself is not protected."""
    found = []
    for file in change.files:
        touches = file.path == PYPROJECT or (file.old is not None and file.old.path == PYPROJECT)
        if touches and _policy_table(file.old) != _policy_table(file.new):
            found.append(
                _finding(
                    "policy-changed",
                    Severity.CRITICAL,
                    "changes the [tool.crewchief] policy in pyproject.toml; agents may not change "
                    "the rules that judge them",
                    PYPROJECT,
                    blocking=True,
                )
            )
    return found


class ScopeCheck:
    name: ClassVar[str] = NAME
    version: ClassVar[str] = "1"
    kind: ClassVar[Literal["static", "dynamic"]] = "static"

    def run(self, ctx: CheckContext) -> list[Finding]:
        findings: list[Finding] = []
        for file in ctx.change.files:
            findings.extend(_path_findings(file, ctx.policy, ctx.task))
            findings.extend(_kind_findings(file, ctx.policy))
        findings.extend(_size_findings(ctx.change, ctx.policy))
        findings.extend(_pyproject_policy_findings(ctx.change))
        return findings


CHECK = ScopeCheck()
