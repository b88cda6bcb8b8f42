"""The `security` check: bandit's findings, untrusted-input flows, and Trojan Source characters.

bandit knows dangerous call shapes; `taint` knows where data came from; `unicode_safety` knows what a
reviewer cannot see; `structural` knows what a call really is once aliases and computed names are
resolved, what runs at import time, what waits for a date, and what protection a function lost. Each runs on both versions of the changed files, and only what the head
introduces is reported: findings are matched across the whole change by rule and a fingerprint of
the code, so a function moved to another file is not new. A call of a helper from another module of
the repository is judged by that helper as it is on the same side (base or head); a helper the
change makes pass a parameter to a sink is reported at that sink when a file the change left alone
hands it untrusted data.

What blocks: facts, not guesses. bandit is a heuristic, so a bandit finding blocks only when bandit
itself is highly confident of a high-severity problem, and never for tests that only say a weak
algorithm or an old protocol is used; when the taint analysis proves that only constants and
checked values reach the call bandit judges by its shape, the bandit finding is low. A tainted
value reaching a shell command, `eval`, SQL text or a deserialiser blocks. A tainted file path, XML
document, LDAP filter or XPath blocks when it comes from a web request; from argv, `input()` or the
environment it asks for review, since the operator chose it. Tainted HTML, redirects and session
values ask for review.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version
from typing import Any, ClassVar, Literal

from crewchief.gate.analysis import taint
from crewchief.gate.analysis.pyfiles import is_python, line_text
from crewchief.gate.analysis.pysource import python_text
from crewchief.gate.analysis.taint_modules import (
    ModuleFiles,
    ModuleHelpers,
    callers,
    touched_functions,
)
from crewchief.gate.change import MODE_FILE, FileChange, Side, match_any
from crewchief.gate.check import CheckContext
from crewchief.gate.checks.security import regions, unicode_safety
from crewchief.gate.checks.security import structural as structural_rules
from crewchief.gate.checks.security.bandit_runner import BanditIssue
from crewchief.gate.checks.security.rules import BANDIT, NAME, RULES, TAINT_RULES
from crewchief.gate.findings import Finding, RuleTable, Severity, fingerprint
from crewchief.gate.introduced import introduced
from crewchief.gate.trees import SideFiles, base_files, head_files, read_side

_SPACE = re.compile(r"\s+")
_REMOTE_BLOCKS = frozenset({taint.PATH, taint.XML, taint.LDAP, taint.XPATH})
_SEVERITY = {"LOW": Severity.LOW, "MEDIUM": Severity.MEDIUM, "HIGH": Severity.HIGH}
_MIN_RANK = {"low": 1, "medium": 2, "high": 3}

_ADVISORY_BANDIT = frozenset(
    {"B303", "B304", "B305", "B312", "B321", "B324", "B401", "B402", "B411", "B413", "B415"}
)
"""bandit tests that flag what is used (a weak hash, an old protocol) rather than how untrusted data
flows. md5 for a cache key or FTP to a legacy server is often the point, so even at high severity
and confidence they ask for review instead of blocking."""
_DUPLICATED_BANDIT = frozenset({"B613"})
"""bandit's Trojan Source test: `unicode_safety` reports the same lines with the exact characters."""
_BANDIT_SINKS = {
    **dict.fromkeys(("B602", "B604", "B605", "B609"), taint.COMMAND),
    **dict.fromkeys(("B608", "B610", "B611"), taint.SQL),
    **dict.fromkeys(("B102", "B307"), taint.CODE),
    **dict.fromkeys(("B301", "B302", "B506", "B614"), taint.DESERIALIZATION),
    **dict.fromkeys(("B313", "B314", "B315", "B316", "B317", "B318", "B319", "B320"), taint.XML),
    **dict.fromkeys(("B308", "B703", "B704"), taint.XSS),
}
"""bandit tests that judge a sink call by its shape, with the taint sink kind of that call. When
the taint analysis proves that only constants and checked values reach the call (a `shell=True`
command built from literals, SQL text filled with an `int()`), the shape alone is a low finding:
a reviewer is shown it, but it neither blocks nor asks for review."""
_SECRET_BANDIT = frozenset({"B105", "B106", "B107"})
"""Hard-coded password tests, whose text and line quote the password itself."""


class SecurityCheck:
    name: ClassVar[str] = NAME
    version: ClassVar[str] = "6"
    kind: ClassVar[Literal["static", "dynamic"]] = "static"
    rules: ClassVar[RuleTable] = RULES

    def run(self, ctx: CheckContext) -> list[Finding]:
        found = [*self._python(ctx), *unicode_safety.findings(ctx.change)]
        ignored = {rule.lower() for rule in ctx.policy.security.ignore}
        return [f for f in found if not _is_ignored(f, ignored)]

    def _python(self, ctx: CheckContext) -> list[Finding]:
        files = ctx.change.files
        head: list[Finding] = []
        # Folded text of the lines that head findings point at, by tool (True for taint).
        flagged: dict[bool, set[str]] = {True: set(), False: set()}
        structural: set[str] = set()
        modules = _Modules(ctx)
        for file in (f for f in files if f.new is not None and _analysable(f.new)):
            side = file.new
            assert side is not None
            found = self._side(ctx, file, side, bandit=True, flows=True, modules=modules)
            head.extend(found)
            for f in found:
                flagged[_is_taint(f)].add(_folded(line_text(side, f.line)))
            in_tests = match_any(side.path, ctx.policy.tests.paths)
            shaped = structural_rules.quiet_in_tests(self._structural(ctx, side), in_tests)
            head.extend(shaped)
            structural.update(_folded(line_text(side, f.line)) for f in shaped)
            head.extend(structural_rules.quiet_in_tests(self._diff(ctx, file), in_tests))
        # A base finding can only match a head one if it flags a line with the same text, so a
        # tool need not run on a base file holding none of the lines it flagged in the head.
        base: list[Finding] = []
        for file in (f for f in files if f.old is not None and _analysable(f.old)):
            side = file.old
            assert side is not None
            lines = {_folded(line) for line in side.lines}
            bandit, flows = bool(lines & flagged[False]), bool(lines & flagged[True])
            if bandit or flows:
                found = self._side(ctx, file, side, bandit=bandit, flows=flows, modules=modules)
                base.extend(found)
            if lines & structural:
                base.extend(self._structural(ctx, side))
        return [*_introduced(base, head, files), *self._callers(ctx, modules)]

    def _side(
        self,
        ctx: CheckContext,
        file: FileChange,
        side: Side,
        *,
        bandit: bool,
        flows: bool,
        modules: _Modules,
    ) -> list[Finding]:
        findings: list[Finding] = []
        found = self._bandit(ctx, file, side) if bandit else []
        issues = [BanditIssue.from_json(data) for data in found]
        # The taint analysis runs for its flows, or to weigh a bandit finding on a sink call.
        weigh = any(issue.test_id in _BANDIT_SINKS for issue in issues)
        helpers = modules.of(head=side is file.new)
        analysis = self._taint(ctx, side, helpers) if flows or weigh else {}
        if bandit:
            min_rank = _MIN_RANK[ctx.policy.security.bandit_min_severity]
            # assert is how tests check things; bandit's own docs say to skip B101 there.
            in_tests = match_any(side.path, ctx.policy.tests.paths)
            clean = {(kind, line) for kind, line in analysis.get("clean", [])}
            for issue in issues:
                if _MIN_RANK.get(issue.severity.lower(), 1) < min_rank:
                    continue
                if issue.test_id in _DUPLICATED_BANDIT or (issue.test_id == "B101" and in_tests):
                    continue
                proven = (_BANDIT_SINKS.get(issue.test_id), issue.line) in clean
                findings.append(_bandit_finding(side, issue, in_tests=in_tests, proven=proven))
        if flows:
            for data in analysis.get("flows", []):
                findings.append(_taint_finding(side, taint.Flow.from_json(data)))
        return findings

    def _bandit(self, ctx: CheckContext, file: FileChange, side: Side) -> list[dict[str, Any]]:
        """bandit's findings on the part of this side that can differ from the other side (see
        `regions`): what is left out would be matched away against the other side anyway."""
        new = side is file.new
        other = file.old if new else file.new

        def compute() -> list[dict[str, Any]]:
            from crewchief.gate.checks.security import bandit_runner

            assert side.data is not None
            prune = regions.prune_for(file, new=new)
            return [issue.to_json() for issue in bandit_runner.scan(side.data, side.path, prune)]

        key = (*_bandit_key(side), other.blob if other else "-", "head" if new else "base")
        return _memo(ctx, key, compute)

    def _structural(self, ctx: CheckContext, side: Side) -> list[Finding]:
        def compute() -> list[dict[str, Any]]:
            return [f.to_json() for f in structural_rules.side_findings(side)]

        found = _memo(ctx, ("structural", side.blob, _key(side.path)), compute)
        return [Finding.from_json(data) for data in found]

    def _diff(self, ctx: CheckContext, file: FileChange) -> list[Finding]:
        def compute() -> list[dict[str, Any]]:
            return [f.to_json() for f in structural_rules.diff_findings(file)]

        old = file.old.blob if file.old is not None else "-"
        assert file.new is not None
        key = ("removed", old, file.new.blob, _key(file.path))
        return [Finding.from_json(data) for data in _memo(ctx, key, compute)]

    def _taint(self, ctx: CheckContext, side: Side, modules: ModuleFiles | None) -> dict[str, Any]:
        """The flows of a side, and its sinks proven clean, as JSON for the cache. Calls of
        functions from other modules of the repository are judged by their summaries on the
        same side (`modules`). The cached analysis records the helpers it asked about and the
        blob ids they had; when one of them differs now, the analysis is made again under a
        key naming the new ones."""

        def analyse() -> dict[str, Any]:
            # Python's reading, not the diff's: a module that starts with a UTF-8 BOM is code
            # that runs, and `Side.text` keeps the BOM, which `ast.parse` rejects.
            text = python_text(side)
            helpers = ModuleHelpers(modules, side.path) if modules is not None else None
            found = taint.analyse_file(text or "", helpers)
            asked = helpers.asked if helpers is not None else []
            return {
                "flows": [flow.to_json() for flow in found.flows],
                "clean": sorted([kind, line] for kind, line in found.clean),
                "helpers": [list(name) for name in asked],
                "exposed": None
                if found.exposed is None
                else {name: sorted(map(list, pairs)) for name, pairs in found.exposed.items()},
                "deps": helpers.dependencies(asked) if helpers is not None else [],
            }

        key = (NAME, SecurityCheck.version, "taint", side.blob, _key(side.path))
        if modules is None:
            return dict(ctx.memo(key, analyse))
        known = modules.analyses.get((side.blob, side.path))
        if known is not None:
            return known
        value: dict[str, Any] = ctx.memo(key, analyse)
        if value["helpers"]:
            deps = ModuleHelpers(modules, side.path).dependencies(value["helpers"])
            if deps != value["deps"]:
                value = dict(ctx.memo((*key, *deps), analyse))
        modules.analyses[side.blob, side.path] = value
        return value

    def _callers(self, ctx: CheckContext, modules: _Modules) -> list[Finding]:
        """Flows the change opens in files it did not touch: an existing helper made to pass a
        parameter to a sink (`run(cmd)` now calls a shell) is dangerous where an unchanged route
        hands it request data. Only helpers that now expose a parameter they did not expose
        at base are followed, so most changes read no other file."""
        head, base = modules.of(head=True), modules.of(head=False)
        if head is None or base is None:
            return []
        changed = {s.path for f in ctx.change.files for s in (f.old, f.new) if s is not None}
        found: list[Finding] = []
        for file in ctx.change.files:
            new, old = file.new, file.old
            if new is None or old is None or not _analysable(new) or new.text is None:
                continue
            # The head's own analysis has them when it ran; a file without a source word in it
            # (a pure helper module) is summarised for the purpose.
            analysed = self._taint(ctx, new, head)["exposed"]
            if analysed is not None and not any(analysed.values()):
                continue  # no function of the file passes a parameter on: nothing to follow
            touched = touched_functions(python_text(new) or "", file.added_line_numbers)
            if analysed is None:
                now = {n: p for n, p in head.exposures(new.path, touched).items() if p}
            else:
                now = {n: {(a, b) for a, b in analysed[n]} for n in touched if analysed.get(n)}
            before = base.exposures(old.path, now) if now else {}
            # A function new at head has no unchanged callers: they would not have run.
            exposed = [n for n in now if n in before and now[n] - before[n]]
            if not exposed:
                continue
            helpers = {f"{new.path}:{name}" for name in exposed}
            for path, text in callers(head, new.path, exposed, changed).items():
                data = text.encode()
                caller = Side(path, MODE_FILE, head.blobs[path], len(data), data)
                old_flows = {
                    (f["kind"], f["sink_line"], f.get("helper"))
                    for f in self._taint(ctx, caller, base)["flows"]
                }
                for flow in map(taint.Flow.from_json, self._taint(ctx, caller, head)["flows"]):
                    if flow.helper in helpers and (
                        (flow.kind, flow.sink_line, flow.helper) not in old_flows
                    ):
                        found.append(_caller_finding(new, path, flow))
        return found


class _Modules:
    """The repository's modules on each side, made when the taint analysis first asks: the
    head tree for the head analysis and the base tree for the base one."""

    def __init__(self, ctx: CheckContext) -> None:
        self.ctx = ctx
        self._sides: dict[bool, ModuleFiles | None] = {}

    def of(self, *, head: bool) -> ModuleFiles | None:
        if head not in self._sides:
            change = self.ctx.change
            files = head_files(change) if head else base_files(change)
            self._sides[head] = None if files is None else self._files(files)
        return self._sides[head]

    def _files(self, files: SideFiles) -> ModuleFiles:
        def read(paths: list[str]) -> dict[str, bytes]:
            return read_side(self.ctx.change, files, paths)

        def memo(key: Sequence[str], compute: Callable[[], Any]) -> Any:
            return self.ctx.memo((NAME, SecurityCheck.version, *key), compute)

        return ModuleFiles(files.blobs, read, memo)


def _introduced(
    base: list[Finding], head: list[Finding], files: Iterable[FileChange]
) -> list[Finding]:
    """The head findings left once base ones are matched away, one for one. Where the head holds
    more copies of a finding than the base (a dangerous line pasted into new code), the copies on
    lines the change left alone are matched first, so the one reported is the new one."""
    added = {file.path: file.added_line_numbers for file in files}
    order = {id(f): i for i, f in enumerate(head)}
    new_last = sorted(head, key=lambda f: f.line in added.get(f.path or "", ()))
    fresh = introduced(base, new_last, key=lambda f: (f.rule, f.fingerprint))
    return sorted(fresh, key=lambda f: order[id(f)])


def _memo(
    ctx: CheckContext, key: Iterable[str], compute: Callable[[], Any]
) -> list[dict[str, Any]]:
    value = ctx.memo((NAME, SecurityCheck.version, *key), compute)
    return list(value)


def _is_taint(finding: Finding) -> bool:
    return finding.rule.startswith("taint-")


def _key(path: str) -> str:
    """A path as a cache key can store it: a non-UTF-8 file name carries lone surrogates, which
    SQLite refuses."""
    return path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _folded(line: str) -> str:
    """White space folded as `findings.fingerprint` folds it."""
    return _SPACE.sub(" ", line).strip()


def _bandit_key(side: Side) -> tuple[str, ...]:
    return ("bandit", _bandit_version(), side.blob, _key(side.path))


def _bandit_version() -> str:
    """Part of the cache key, read from metadata so a warm run never imports bandit."""
    try:
        return package_version("bandit")
    except PackageNotFoundError:
        return "unknown"


def _analysable(side: Side) -> bool:
    return is_python(side) and not side.is_symlink and side.data is not None


def _is_ignored(finding: Finding, ignored: set[str]) -> bool:
    if not ignored:
        return False
    rule = finding.rule.lower()
    return rule in ignored or rule.removeprefix("bandit-") in ignored


def _bandit_finding(
    side: Side, issue: BanditIssue, *, in_tests: bool = False, proven: bool = False
) -> Finding:
    """In test paths a bandit finding asks for review and never blocks: a test of a permission
    check must `chmod 0o777` a file, and a human decides whether the test needed it. A sink call
    the taint analysis proved clean (`proven`) is low: only its shape is suspect."""
    rule = RULES[BANDIT].member(issue.test_id.lower())
    code = line_text(side, issue.line)
    blocking = (
        not in_tests
        and not proven
        and issue.severity == "HIGH"
        and issue.confidence == "HIGH"
        and issue.test_id not in _ADVISORY_BANDIT
    )
    secret = issue.test_id in _SECRET_BANDIT
    text = issue.text.split(":", 1)[0] if secret else issue.text
    if proven:
        text += " (the taint analysis found only constants and checked values reaching it)"
    severity = Severity.LOW if proven else _SEVERITY.get(issue.severity, Severity.LOW)
    return rule.finding(
        f"bandit {issue.test_id} ({issue.test_name}, {issue.confidence.lower()} confidence): {text}",
        path=side.path,
        line=issue.line,
        fingerprint=fingerprint(rule.id, code),
        snippet=None if secret else unicode_safety.escape(code.strip(), only_hidden=True),
        severity=severity,
        blocking=blocking,
        cwe=f"CWE-{issue.cwe}" if issue.cwe else None,
    )


def _taint_finding(side: Side, flow: taint.Flow) -> Finding:
    rule_id, why = TAINT_RULES[flow.kind]
    rule = RULES[rule_id]
    code = line_text(side, flow.sink_line)
    where = "module level" if flow.function == "<module>" else f"{flow.function}()"
    message = (
        f"untrusted {flow.source} (line {flow.source_line}) reaches {flow.sink} "
        f"(line {flow.sink_line}) in {where}, which {why}"
    )
    if flow.path:
        message += f"; path: {_path_text(flow.path)}"
    return rule.finding(
        unicode_safety.escape(message, 900, only_hidden=True),
        path=side.path,
        line=flow.sink_line,
        fingerprint=fingerprint(rule.id, flow.function, code),
        snippet=unicode_safety.escape(code.strip(), only_hidden=True),
        # A file path, XML document, LDAP filter or XPath from a web request is reachable by
        # anyone on the network; from argv, input() or the environment it is the operator's own
        # choice: review. HTML, redirects and session values ask for review either way.
        blocking=rule.blocking or (flow.remote and flow.kind in _REMOTE_BLOCKS),
        cwe=flow.cwe,
    )


def _caller_finding(helper: Side, caller: str, flow: taint.Flow) -> Finding:
    """A flow found in an unchanged `caller`, reported at the sink in the changed helper: the
    line the change made dangerous, with the caller's source and call named."""
    rule_id, why = TAINT_RULES[flow.kind]
    rule = RULES[rule_id]
    code = line_text(helper, flow.helper_line)
    function = flow.helper.rsplit(":", 1)[-1]
    message = (
        f"untrusted {flow.source} ({caller} line {flow.source_line}) reaches {flow.sink}: "
        f"{function}() now passes it on, and {caller} line {flow.sink_line} calls it in "
        f"{flow.function}(), which {why}"
    )
    here = {"": caller, helper.path: ""}
    path = [replace(step, path=here.get(step.path, step.path)) for step in flow.path]
    if path:
        message += f"; path: {_path_text(path)}"
    return rule.finding(
        unicode_safety.escape(message, 900, only_hidden=True),
        path=helper.path,
        line=flow.helper_line,
        fingerprint=fingerprint(rule.id, caller, flow.function, code),
        snippet=unicode_safety.escape(code.strip(), only_hidden=True),
        blocking=rule.blocking or (flow.remote and flow.kind in _REMOTE_BLOCKS),
        cwe=flow.cwe,
    )


def _path_text(path: Iterable[taint.Step]) -> str:
    """The hops of a flow in order, each with its line (and its file, in another module)."""
    return " -> ".join(
        f"{step.path + ' ' if step.path else ''}line {step.line} {step.note}" for step in path
    )


CHECK = SecurityCheck()
