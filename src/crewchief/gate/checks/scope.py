"""Does the change stay where it was allowed to go?

Paths outside the policy's and task's allow globs, inside deny globs or the built-in protected paths
(the policy and CI that judge agents), too many files or lines, and file kinds a reviewer must look at
closely: binaries, large files, symlinks, new executable bits, submodules.
"""

from __future__ import annotations

import posixpath
import re
import tomllib
from typing import ClassVar, Literal

from crewchief.gate.change import Change, FileChange, Side, Status, match_any
from crewchief.gate.check import CheckContext
from crewchief.gate.checks import ci_recipes
from crewchief.gate.findings import Finding, Rule, RuleTable, Severity, fingerprint
from crewchief.spec.policy import PROTECTED_PATHS, PYPROJECT, Policy
from crewchief.spec.task import Task

NAME = "scope"


RULES = RuleTable(
    NAME,
    Rule(
        NAME,
        "protected-path",
        Severity.CRITICAL,
        "Touches a built-in protected path: the policy, CI or agent instructions.",
        "Revert the change to that path; a human changes policy and CI in a change of their own.",
        blocking=True,
    ),
    Rule(
        NAME,
        "denied-path",
        Severity.HIGH,
        "Touches a path the policy denies ([scope] deny).",
        "Revert the change to that path, or have the policy's owners allow it.",
        blocking=True,
    ),
    Rule(
        NAME,
        "outside-policy-scope",
        Severity.HIGH,
        "Touches a path outside the policy's allowed scope ([scope] allow).",
        "Keep the change inside the allowed paths, or widen [scope] allow in a separate change.",
        blocking=True,
    ),
    Rule(
        NAME,
        "outside-task-scope",
        Severity.HIGH,
        "Touches a path outside the task's scope.",
        "Keep the change inside the task's scope, or widen the task's scope first.",
        blocking=True,
    ),
    Rule(
        NAME,
        "non-utf8-name",
        Severity.MEDIUM,
        "A file name that is not valid UTF-8, which tools and reviewers may show wrongly.",
        "Rename the file to a UTF-8 name.",
        blocking=False,
    ),
    Rule(
        NAME,
        "control-char-name",
        Severity.HIGH,
        "A file name with control characters that can spoof terminal and log output.",
        "Rename the file without newlines, escapes or other control characters.",
        cwe="CWE-150",
        blocking=True,
    ),
    Rule(
        NAME,
        "submodule",
        Severity.HIGH,
        "Adds, removes or changes a git submodule, whose code the gate cannot see.",
        "Vendor the code or add the dependency through a manifest, where it can be reviewed.",
        blocking=True,
    ),
    Rule(
        NAME,
        "symlink-outside-repo",
        Severity.CRITICAL,
        "Adds a symlink that points outside the repository.",
        "Remove the symlink; reference the file by a path inside the repository.",
        cwe="CWE-59",
        blocking=True,
    ),
    Rule(
        NAME,
        "symlink",
        Severity.LOW,
        "Adds or retargets a symlink inside the repository.",
        "Check that the link's target is the file meant.",
        blocking=False,
    ),
    Rule(
        NAME,
        "unreviewed-code",
        Severity.CRITICAL,
        "Adds or changes code Python may run instead of the reviewed source: committed bytecode "
        "(*.pyc, __pycache__/), a .pth file or sitecustomize.py/usercustomize.py (startup hooks), "
        "or a .py symlink to a file that is not Python source.",
        "Delete it and commit the source; a repository that must ship one lists it in "
        "[scope] unprotect.",
        blocking=True,
    ),
    Rule(
        NAME,
        "executable-bit",
        Severity.MEDIUM,
        "Makes a file executable.",
        "Check that the file is meant to run; otherwise drop the executable bit.",
        blocking=False,
    ),
    Rule(
        NAME,
        "large-file",
        Severity.HIGH,
        "A file over the policy's size limit ([scope] max_file_kb).",
        "Keep large files out of the repository (generate or download them), or raise the limit.",
        blocking=True,
    ),
    Rule(
        NAME,
        "binary-file",
        Severity.MEDIUM,
        "Adds or changes a binary file, which cannot be reviewed as text; "
        'high and blocking under [scope] binary = "block".',
        "Check where the binary came from, or produce it from reviewable sources.",
        blocking=False,
    ),
    Rule(
        NAME,
        "too-many-files",
        Severity.HIGH,
        "Changes more files than the policy allows ([scope] max_files).",
        "Split the change into smaller ones.",
        blocking=True,
    ),
    Rule(
        NAME,
        "too-many-lines",
        Severity.HIGH,
        "Changes more lines than the policy allows ([scope] max_lines).",
        "Split the change into smaller ones.",
        blocking=True,
    ),
    Rule(
        NAME,
        "policy-changed",
        Severity.CRITICAL,
        "Changes the [tool.crewchief] policy in pyproject.toml.",
        "Revert the policy table; a human changes the policy in a change of their own.",
        blocking=True,
    ),
)


def _at(rule_id: str, path: str | None) -> str:
    """Scope findings are about a path, so rule and path are their identity across base and head."""
    return fingerprint(rule_id, path or "")


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
                RULES["protected-path"].finding(
                    "touches a protected path (policy, CI or agent instructions); agents may not change "
                    "the rules that judge them",
                    path=path,
                    fingerprint=_at("protected-path", path),
                )
            )
            continue
        if match_any(path, policy.scope.deny):
            found.append(
                RULES["denied-path"].finding(
                    "touches a path the policy denies ([scope] deny)",
                    path=path,
                    fingerprint=_at("denied-path", path),
                )
            )
            continue
        if policy.scope.allow and not match_any(path, policy.scope.allow):
            found.append(
                RULES["outside-policy-scope"].finding(
                    "touches a path outside the policy's allowed scope ([scope] allow)",
                    path=path,
                    fingerprint=_at("outside-policy-scope", path),
                )
            )
            continue
        if task and task.scope and not match_any(path, task.scope):
            found.append(
                RULES["outside-task-scope"].finding(
                    f"touches a path outside task '{task.id}' scope",
                    path=path,
                    fingerprint=_at("outside-task-scope", path),
                )
            )
    found.extend(_name_findings(file.path))
    return found


def _name_findings(path: str) -> list[Finding]:
    """File names that display as something else than they are."""
    found: list[Finding] = []
    if "\ufffd" in path or any("\udc80" <= ch <= "\udcff" for ch in path):
        found.append(
            RULES["non-utf8-name"].finding(
                "file name is not valid UTF-8; tools and reviewers may show it wrongly",
                path=path,
                fingerprint=_at("non-utf8-name", path),
            )
        )
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in path):
        found.append(
            RULES["control-char-name"].finding(
                "file name contains control characters (newline, escape); it can spoof "
                "terminal and log output",
                path=path,
                fingerprint=_at("control-char-name", path),
            )
        )
    return found


def _ci_recipe_findings(change: Change, policy: Policy) -> list[Finding]:
    """What a protected workflow runs is CI too: Makefile/justfile recipes (`make test`), scripts
    (`bash ci/test.sh`) and tox environments (`tox -e lint`), read from the base workflows."""
    if ".github/**" in policy.scope.unprotect or not any(
        ci_recipes.WORKFLOW.match(p) for p in change.context
    ):
        return []
    context = {p: d.decode("utf-8", "replace") for p, d in change.context.items()}
    scripts = ci_recipes.invoked_scripts(ci_recipes.workflows_in(context))
    found: list[Finding] = []
    for f in change.files:
        if f.old is None or f.old.text is None or match_any(f.path, policy.scope.unprotect):
            continue
        new = f.new.text if f.new is not None and f.new.text is not None else ""
        if f.old.path in scripts and not match_any(f.old.path, PROTECTED_PATHS):
            found.append(_ci_finding(f.old.path, None, "", "script"))
        elif f.path in ci_recipes.RECIPE_FILES:
            for target, line in ci_recipes.changed_recipes(context, f.old.text, new, f.path):
                found.append(_ci_finding(f.path, line, target, "recipe"))
        elif f.path == "tox.ini":
            for section, line in ci_recipes.changed_tox_envs(context, f.old.text, new):
                found.append(_ci_finding(f.path, line, section, "tox environment"))
    return found


def _ci_finding(path: str, line: int | None, target: str, what: str) -> Finding:
    named = f"the '{target}' {what} of {path}" if target else f"the {what} {path}"
    return RULES["protected-path"].finding(
        f"changes {named}, which a protected CI workflow runs: editing it changes what CI "
        "checks as surely as editing the workflow",
        path=path,
        line=line,
        fingerprint=_at("protected-path", f"{path}:{target}"),
        snippet=target or None,
    )


_BYTECODE = re.compile(r"(^|/)__pycache__/|\.py[co]$")
_STARTUP = re.compile(r"\.pth$|(^|/)(site|user)customize\.py$")


def _unreviewed_reason(path: str, new: Side) -> str | None:
    """Why Python may run this file's content rather than the source a reviewer read: bytecode is
    imported instead of (or without) its `.py`, and `.pth` lines starting with `import` and
    `sitecustomize`/`usercustomize` on the path run in every interpreter start, tests included. A
    `.py` symlink to an in-repo non-Python file runs text that was reviewed as data."""
    if _BYTECODE.search(path):
        return "committed bytecode, which Python may run instead of the reviewed source"
    if _STARTUP.search(path):
        return "a Python startup hook, which runs before any reviewed code in every interpreter"
    if (
        new.is_symlink
        and path.endswith(".py")
        and new.data is not None
        and not _symlink_escapes(new)
    ):
        target = new.data.decode("utf-8", "surrogateescape")
        if not target.endswith(".py"):
            return f"a .py symlink to `{target}`, which Python runs though it was reviewed as data"
    return None


def _unreviewed_findings(file: FileChange, policy: Policy) -> list[Finding]:
    """Files that make what runs differ from what was reviewed; one owner for bytecode (hygiene's
    build-artifact leaves it here). [scope] unprotect globs allow a repository's own."""
    new, old = file.new, file.old
    if new is None:
        return []
    if old is not None and (old.path, old.blob, old.mode) == (file.path, new.blob, new.mode):
        return []
    reason = _unreviewed_reason(file.path, new)
    if reason is None or match_any(file.path, policy.scope.unprotect):
        return []
    return [
        RULES["unreviewed-code"].finding(
            f"adds or changes `{file.path}`: {reason}",
            path=file.path,
            fingerprint=_at("unreviewed-code", file.path),
        )
    ]


def _kind_findings(file: FileChange, policy: Policy) -> list[Finding]:
    found: list[Finding] = []
    old, new = file.old, file.new
    if (old and old.is_submodule) or (new and new.is_submodule):
        verb = {Status.ADDED: "adds", Status.DELETED: "removes"}.get(file.status, "changes")
        found.append(
            RULES["submodule"].finding(
                f"{verb} a git submodule: it brings in code this gate cannot see",
                path=file.path,
                fingerprint=_at("submodule", file.path),
            )
        )
        return found
    if new is None:
        return found
    unreviewed = _unreviewed_findings(file, policy)
    if unreviewed:
        return unreviewed  # the stronger finding; a binary or symlink note would repeat it
    if new.is_symlink:
        if old is None or not old.is_symlink or old.data != new.data:
            found.append(_symlink_finding(file.path, new))
        return found
    if new.is_executable and not (old and old.is_executable):
        found.append(
            RULES["executable-bit"].finding(
                "makes a file executable",
                path=file.path,
                fingerprint=_at("executable-bit", file.path),
            )
        )
    limit = policy.scope.max_file_kb * 1024
    if new.size > limit and (old is None or old.size <= limit or new.size > old.size):
        found.append(
            RULES["large-file"].finding(
                f"file is {new.size // 1024} KiB, over the policy limit of "
                f"{policy.scope.max_file_kb} KiB ([scope] max_file_kb)",
                path=file.path,
                fingerprint=_at("large-file", file.path),
            )
        )
    elif new.is_binary and policy.scope.binary != "allow" and (old is None or old.blob != new.blob):
        block = policy.scope.binary == "block"
        found.append(
            RULES["binary-file"].finding(
                "adds or changes a binary file; its content cannot be reviewed as text",
                path=file.path,
                fingerprint=_at("binary-file", file.path),
                severity=Severity.HIGH if block else Severity.MEDIUM,
                blocking=block,
            )
        )
    return found


def _symlink_finding(path: str, new: Side) -> Finding:
    if _symlink_escapes(new):
        return RULES["symlink-outside-repo"].finding(
            "adds a symlink that points outside the repository",
            path=path,
            fingerprint=_at("symlink-outside-repo", path),
        )
    return RULES["symlink"].finding(
        "adds a symlink inside the repository", path=path, fingerprint=_at("symlink", path)
    )


def _size_findings(change: Change, policy: Policy) -> list[Finding]:
    found: list[Finding] = []
    files = len(change.files)
    if policy.scope.max_files is not None and files > policy.scope.max_files:
        found.append(
            RULES["too-many-files"].finding(
                f"changes {files} files, over the policy limit of {policy.scope.max_files}",
                path=None,
                fingerprint=_at("too-many-files", None),
            )
        )
    lines = change.lines_added + change.lines_removed
    if policy.scope.max_lines is not None and lines > policy.scope.max_lines:
        found.append(
            RULES["too-many-lines"].finding(
                f"changes {lines} lines, over the policy limit of {policy.scope.max_lines}",
                path=None,
                fingerprint=_at("too-many-lines", None),
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
                RULES["policy-changed"].finding(
                    "changes the [tool.crewchief] policy in pyproject.toml; agents may not change "
                    "the rules that judge them",
                    path=PYPROJECT,
                    fingerprint=_at("policy-changed", PYPROJECT),
                )
            )
    return found


class ScopeCheck:
    name: ClassVar[str] = NAME
    version: ClassVar[str] = "1"
    kind: ClassVar[Literal["static", "dynamic"]] = "static"
    rules: ClassVar[RuleTable] = RULES

    def run(self, ctx: CheckContext) -> list[Finding]:
        findings: list[Finding] = []
        for file in ctx.change.files:
            findings.extend(_path_findings(file, ctx.policy, ctx.task))
            findings.extend(_kind_findings(file, ctx.policy))
        findings.extend(_size_findings(ctx.change, ctx.policy))
        findings.extend(_pyproject_policy_findings(ctx.change))
        findings.extend(_ci_recipe_findings(ctx.change, ctx.policy))
        return findings


CHECK = ScopeCheck()
