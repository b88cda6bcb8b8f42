"""The `test-integrity` check: a change must not make the test suite easier to pass.

An agent told to make the tests pass can delete the failing test, weaken its assertion, skip it,
deselect it in config or patch pytest's outcome through a hook. Each of those is a fact visible in
the syntax of the test code and config, so each is found by comparing the base and head versions
(summaries from `pytest_ast`, settings from `testconfig`) and blocks; a new `# pragma: no cover` has
honest uses and only asks for review. Tests are matched across the whole change by qualified name,
so moving a test to another file is not a deletion. Files are parsed as Python decodes them
(`pysource`), so a coding cookie cannot hide a hook from the check.

Smaller analyses sit beside this module, one per concern: `suppressed` (added suppression
comments), `symlinks` (test files turned into links), `expected` (expected values edited with the
code they check), `encodings` (files Python reads differently from the diff), `runner_tampering`
(production code that sniffs or patches the test run), `coverage_settings` (coverage.py settings
judged by an allow-list); the rules they report are in `rules`.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, NamedTuple

from crewchief.gate.analysis import pysource
from crewchief.gate.analysis import pytest_ast as pa
from crewchief.gate.change import Side, Status, match_any
from crewchief.gate.check import CheckContext
from crewchief.gate.checks.test_integrity import (
    coverage_settings,
    encodings,
    expected,
    runner_tampering,
    suppressed,
    symlinks,
)
from crewchief.gate.checks.test_integrity import testconfig as tc
from crewchief.gate.checks.test_integrity.config_allowlist import unlisted_changes
from crewchief.gate.checks.test_integrity.rules import NAME, RULES
from crewchief.gate.findings import Finding, RuleTable, Severity, fingerprint
from crewchief.gate.introduced import introduced
from crewchief.spec.task import Task

VERSION = "4"


@dataclass(frozen=True)
class _Module:
    path: str
    side: Side
    summary: dict[str, Any] | None
    """None when the version cannot be read (too large, symlink): nothing is concluded from it."""
    collected: bool
    guarded: bool
    counterpart: str | None
    """The path of the other version of the same file (old for head, new for base)."""

    @property
    def ok(self) -> bool:
        return self.summary is not None and self.summary.get("error") is None

    def get(self, key: str) -> list[Any]:
        return list(self.summary.get(key) or []) if self.ok and self.summary else []


class IntegrityCheck:
    name: ClassVar[str] = NAME
    version: ClassVar[str] = VERSION
    kind: ClassVar[Literal["static", "dynamic"]] = "static"
    rules: ClassVar[RuleTable] = RULES

    def run(self, ctx: CheckContext) -> list[Finding]:
        root = tc.read_settings({n: ctx.change.context.get(n) for n in tc.CONFIG_NAMES})
        base, head = _modules(ctx, root.collect)
        findings = [
            *_syntax_errors(base, head),
            *_compare_tests(base, head, _newly_raised(ctx), _changed_code(ctx), ctx.task),
            *_module_skips(base, head),
            *_hooks(base, head),
            *_exits(base, head),
            *suppressed.findings(ctx.change.files),
            *encodings.findings(ctx.change.files),
            *symlinks.findings(ctx.change.files, list(ctx.policy.tests.paths)),
            *runner_tampering.findings(ctx.change.files, list(ctx.policy.tests.paths)),
            *coverage_settings.findings(ctx.change, list(ctx.policy.tests.paths)),
            *_config(ctx),
        ]
        findings.sort(key=lambda f: (f.path or "", f.line or 0, f.rule, f.message))
        return findings


CHECK = IntegrityCheck()


def _guarded(path: str, globs: list[str]) -> bool:
    return path.endswith(".py") and (
        match_any(path, globs) or path.rsplit("/", 1)[-1] == "conftest.py"
    )


def _summary(
    ctx: CheckContext, side: Side, collect: pa.Collect, shared: dict[str, Any]
) -> dict[str, Any] | None:
    if side.data is None or side.is_symlink or side.is_submodule:
        return None
    text = pysource.python_text(side)
    if text is None:
        return {"error": {"line": 1, "message": "not readable as Python source text"}}
    key = (NAME, VERSION, collect.digest(), side.blob)
    result: dict[str, Any] = ctx.memo(key, lambda: pa.summarize(text, collect, shared))
    return None if result.get("unanalysable") else result


def _may_register_hooks(text: str | None) -> bool:
    """Cheap sniff for a module that may define or register pytest hooks, read before parsing:
    `def pytest_...`, an assignment or `setattr` of a hook name, a plugin list."""
    return text is not None and ("pytest_" in text)


def _modules(ctx: CheckContext, collect: pa.Collect) -> tuple[list[_Module], list[_Module]]:
    """Base and head versions of every changed file that holds tests, fixtures or pytest hooks."""
    globs = list(ctx.policy.tests.paths)
    shared: dict[str, Any] = {}  # function body text -> facts, shared by base and head
    base: list[_Module] = []
    head: list[_Module] = []
    for f in ctx.change.files:
        old = f.old if f.status != Status.COPIED else None  # a copy's source is still there
        sides = [s for s in (old, f.new) if s is not None and s.path.endswith(".py")]
        if not sides:
            continue
        hooky = any(_may_register_hooks(pysource.python_text(s)) for s in sides)
        if not hooky and not any(_guarded(s.path, globs) for s in sides):
            continue
        for side, out, other in ((old, base, f.new), (f.new, head, old)):
            if side is None or not side.path.endswith(".py"):
                continue
            guarded = _guarded(side.path, globs)
            collected = (
                guarded
                and side.path.rsplit("/", 1)[-1] != "conftest.py"
                and pa.is_test_module(side.path, collect)
            )
            counterpart = other.path if other is not None else None
            out.append(
                _Module(
                    side.path,
                    side,
                    _summary(ctx, side, collect, shared),
                    collected,
                    guarded,
                    counterpart,
                )
            )
    return base, head


_RAISE = re.compile(r"\braise\s+([A-Za-z_][\w.]*)|\bwarn\(.*?\b(\w+Warning)\b")


def _newly_raised(ctx: CheckContext) -> frozenset[str]:
    """Exception and warning classes that added lines of code outside the tests raise: a test
    that now expects one of them follows a change of behaviour rather than hiding a failure."""
    globs = list(ctx.policy.tests.paths)
    names: set[str] = set()
    for f in ctx.change.files:
        if f.new is None or not f.new.path.endswith(".py") or _guarded(f.new.path, globs):
            continue
        for _, text in f.added_lines:
            for match in _RAISE.finditer(text):
                names.add((match.group(1) or match.group(2)).rsplit(".", 1)[-1])
    return frozenset(names)


def _syntax_errors(base: list[_Module], head: list[_Module]) -> list[Finding]:
    broken_base = {m.path for m in base if m.summary is not None and not m.ok}
    out = []
    for mod in head:
        if mod.summary is None or mod.ok or not mod.guarded or mod.counterpart in broken_base:
            continue
        error = mod.summary["error"]
        out.append(
            RULES["test-file-syntax-error"].finding(
                f"{mod.path} does not parse ({error['message']}): pytest cannot collect or import "
                "it, so its tests no longer run",
                path=mod.path,
                line=error.get("line"),
                fingerprint=fingerprint("test-file-syntax-error", mod.path),
            )
        )
    return out


@dataclass(frozen=True)
class _Test:
    module: _Module
    data: dict[str, Any]

    @property
    def q(self) -> str:
        return str(self.data["q"])


class _Facts(NamedTuple):
    """What a test asserts, its helpers' assertions included."""

    asserts: list[int]
    tols: list[list[Any]]
    exact: list[str]
    """Text of each exact assertion (`==`, `is`, assertEqual)."""
    loose: list[list[str]]
    """[kind, text, expected exception names] of each looser assertion."""


class _Helpers:
    """Assertions made in helper functions count for the tests that call them, so moving asserts
    into a helper is not mistaken for removing them."""

    def __init__(self, modules: list[_Module]) -> None:
        self.by_module: dict[str, dict[str, Any]] = {
            m.path: m.summary["helpers"] for m in modules if m.ok and m.summary
        }
        self.by_name: dict[str, dict[str, Any]] = {}
        for helpers in self.by_module.values():
            for q, facts in helpers.items():
                self.by_name.setdefault(q, facts)

    def facts(self, test: _Test) -> _Facts:
        asserts = [int(a) for a in test.data["asserts"]]
        tols = list(test.data["tols"])
        exact = [str(e) for e in test.data.get("exact", [])]
        loose = [list(x) for x in test.data.get("loose", [])]
        local = self.by_module.get(test.module.path, {})
        owner = test.q.rsplit(".", 1)[0] if "." in test.q else ""
        seen: set[str] = set()
        stack = [(c, 0) for c in test.data["calls"]]
        while stack:
            call, depth = stack.pop()
            facts = self._resolve(call, owner, local)
            if facts is None or call in seen or depth > 4:
                continue
            seen.add(call)
            asserts.extend(int(a) for a in facts["asserts"])
            tols.extend(facts["tols"])
            exact.extend(str(e) for e in facts.get("exact", []))
            loose.extend(list(x) for x in facts.get("loose", []))
            stack.extend((c, depth + 1) for c in facts["calls"])
        return _Facts(asserts, tols, exact, loose)

    def _resolve(self, call: str, owner: str, local: dict[str, Any]) -> dict[str, Any] | None:
        if call.startswith("self."):
            method = call[5:]
            if owner and f"{owner}.{method}" in local:
                return dict(local[f"{owner}.{method}"])
            for q, facts in local.items():
                if q.endswith("." + method):
                    return dict(facts)
            return None
        found = local.get(call) or self.by_name.get(call)
        return dict(found) if found is not None else None


def _tests(modules: list[_Module]) -> list[_Test]:
    return [_Test(m, t) for m in modules if m.collected for t in m.get("tests")]


def _match(
    base: list[_Test], head: list[_Test]
) -> tuple[list[tuple[_Test, _Test]], list[_Test], list[_Test]]:
    """Pair base and head tests: same file and name, then same name anywhere, then same body."""
    pairs: list[tuple[_Test, _Test]] = []
    keys: list[Any] = [
        lambda t, side: ((t.module.counterpart if side == "b" else t.module.path), t.q),
        lambda t, side: t.q,
        lambda t, side: t.data["body"],
    ]
    for key in keys:
        pool: dict[Any, list[_Test]] = defaultdict(list)
        for t in head:
            pool[key(t, "h")].append(t)
        rest: list[_Test] = []
        for t in base:
            candidates = pool.get(key(t, "b"))
            if candidates:
                pairs.append((t, candidates.pop(0)))
            else:
                rest.append(t)
        used = {id(h) for _, h in pairs}
        base, head = rest, [t for t in head if id(t) not in used]
    return pairs, base, head


def _changed_code(ctx: CheckContext) -> set[str]:
    globs = list(ctx.policy.tests.paths)
    return expected.changed_code(ctx.change.files, lambda path: _guarded(path, globs))


def _compare_tests(
    base_mods: list[_Module],
    head_mods: list[_Module],
    raised: frozenset[str] = frozenset(),
    code: set[str] | None = None,
    task: Task | None = None,
) -> list[Finding]:
    pairs, gone, new = _match(_tests(base_mods), _tests(head_mods))
    head_by_path = {m.path: m for m in head_mods}
    uncollected: dict[str, _Module] = {}
    for mod in head_mods:
        for q, body in mod.get("uncollected"):
            uncollected.setdefault(q, mod)
            uncollected.setdefault(body, mod)
        if not mod.collected:
            for t in mod.get("tests"):
                uncollected.setdefault(t["q"], mod)
                uncollected.setdefault(t["body"], mod)
    out: list[Finding] = []
    for test in gone:
        other = head_by_path.get(test.module.counterpart or "")
        if other is not None and not other.ok:
            continue  # a head version that does not parse is reported once, as a syntax error
        line = int(test.data["line"])
        where = uncollected.get(test.q) or uncollected.get(test.data["body"])
        if where is not None:
            out.append(
                RULES["test-not-collected"].finding(
                    f"test {test.q} still exists in {where.path} but pytest no longer collects it "
                    "(renamed, moved to a non-test file or disabled), so it stops running",
                    path=test.module.path,
                    line=line,
                    fingerprint=fingerprint("test-not-collected", test.q),
                )
            )
        else:
            out.append(
                RULES["test-deleted"].finding(
                    f"test {test.q} from {test.module.path} was deleted; a change should not remove "
                    "the tests that judge it",
                    path=test.module.path,
                    line=line,
                    fingerprint=fingerprint("test-deleted", test.q),
                )
            )
    base_helpers, head_helpers = _Helpers(base_mods), _Helpers(head_mods)
    reported: set[tuple[str, str]] = set()
    for b, h in pairs:
        out.extend(_compare_pair(b, h, base_helpers, head_helpers, raised))
        new_skips = introduced(b.data["skips"], h.data["skips"], key=lambda s: (s[0], s[1]))
        out.extend(_skip_findings(h, new_skips, reported, existing=True))
    for t in new:
        out.extend(_skip_findings(t, t.data["skips"], reported, existing=False))
    out.extend(
        expected.findings(pairs, code or set(), task.supersedes_test if task else lambda t: False)
    )
    return out


def _skip_findings(
    test: _Test, skips: list[list[str]], reported: set[tuple[str, str]], *, existing: bool
) -> list[Finding]:
    out = []
    for origin, text in skips:
        if (origin, text) in reported:
            continue
        reported.add((origin, text))
        line = int(test.data["line"])
        if existing:
            out.append(
                RULES["test-skipped"].finding(
                    f"existing test {origin} is now skipped or expected to fail ({text}), so a failure "
                    "no longer fails the suite",
                    path=test.module.path,
                    line=line,
                    fingerprint=fingerprint("test-skipped", origin, text),
                    snippet=text[:200] or None,
                )
            )
        else:
            out.append(
                RULES["new-test-skipped"].finding(
                    f"new test {origin} is skipped or expected to fail ({text}); check it is not hiding "
                    "a failure",
                    path=test.module.path,
                    line=line,
                    fingerprint=fingerprint("new-test-skipped", origin, text),
                    snippet=text[:200] or None,
                )
            )
    return out


def _compare_pair(
    b: _Test, h: _Test, bh: _Helpers, hh: _Helpers, raised: frozenset[str]
) -> list[Finding]:
    before, after = bh.facts(b), hh.facts(h)
    b_asserts, b_tols = before.asserts, before.tols
    h_asserts, h_tols = after.asserts, after.tols
    path, line = h.module.path, int(h.data["line"])
    out = []
    replaced = _replaced(before, after)
    if len(h_asserts) < len(b_asserts):
        out.append(
            RULES["assertions-removed"].finding(
                f"test {h.q} makes {len(h_asserts)} assertion(s), down from {len(b_asserts)}: it checks "
                "less than before",
                path=path,
                line=line,
                fingerprint=fingerprint("assertions-removed", h.q),
            )
        )
    elif Counter(h_asserts)[pa.STRONG] < Counter(b_asserts)[pa.STRONG]:
        out.append(
            RULES["assertion-weakened"].finding(
                f"test {h.q} replaced an exact assertion (equality, identity, comparison, raises) with "
                "a truthiness check that passes for almost any value" + _was_now(replaced),
                path=path,
                line=line,
                fingerprint=fingerprint("assertion-weakened", h.q),
            )
        )
    if int(h.data.get("broad_raises", 0)) > int(b.data.get("broad_raises", 0)):
        out.append(
            RULES["assertion-weakened"].finding(
                f"test {h.q} now expects any Exception where it expected a specific error: it passes "
                "when the code fails in the wrong way",
                path=path,
                line=line,
                fingerprint=fingerprint("assertion-weakened", h.q, "broad-raises"),
            )
        )
    if int(h.data.get("swallows", 0)) > int(b.data.get("swallows", 0)):
        out.append(
            RULES["assertions-swallowed"].finding(
                f"test {h.q} wraps its assertions in a try whose except catches the failure and "
                "does not re-raise: the test cannot fail",
                path=path,
                line=line,
                fingerprint=fingerprint("assertions-swallowed", h.q, "swallows"),
            )
        )
    loosened = _loosened(b_tols, h_tols)
    if loosened:
        out.append(
            RULES["tolerance-loosened"].finding(
                f"test {h.q} loosened a numeric tolerance ({loosened}), so wrong results can pass",
                path=path,
                line=line,
                fingerprint=fingerprint("tolerance-loosened", h.q),
            )
        )
    if not out:
        out.extend(_exact_replaced(h, replaced, raised))
    return out


_KIND_WORDS = {
    "raises": "an expected exception",
    "isinstance": "a type check",
    "membership": "a membership test",
    "inequality": "an inequality",
    "is not": "an `is not` check",
    "is not None": "an `is not None` check",
    "approx": "an approximate comparison with its own tolerance",
    "truthiness": "a truthiness check",
}


def _replaced(before: _Facts, after: _Facts) -> tuple[list[str], list[list[str]]]:
    """Exact assertions the head lost (net of exact ones it gained) and the looser assertions it
    gained: the old and new text of a weakening that a count of assertions does not see."""
    lost = Counter(before.exact) - Counter(after.exact)
    gained = Counter(after.exact) - Counter(before.exact)
    if sum(lost.values()) <= sum(gained.values()):
        return [], []
    old_loose = Counter(x[1] for x in before.loose)
    fresh: list[list[str]] = []
    for item in after.loose:
        if old_loose[item[1]] > 0:
            old_loose[item[1]] -= 1
        else:
            fresh.append(item)
    return (list(lost.elements()), fresh) if fresh else ([], [])


def _was_now(replaced: tuple[list[str], list[list[str]]]) -> str:
    old, new = replaced
    if not old:
        return ""
    return f" (was `{' ; '.join(old)[:200]}`, now `{' ; '.join(x[1] for x in new)[:200]}`)"


def _exact_replaced(
    h: _Test, replaced: tuple[list[str], list[list[str]]], raised: frozenset[str]
) -> list[Finding]:
    """Exact assertions swapped for looser ones, unless every new looser one expects an exception
    that the change itself starts raising in the code under test (the behaviour changed)."""
    old, new = replaced
    unexplained = [
        x for x in new if not (x[0] == "raises" and x[2] and set(x[2].split(",")) <= raised)
    ]
    if not old or not unexplained:
        return []
    kinds = ", ".join(dict.fromkeys(_KIND_WORDS.get(x[0], x[0]) for x in unexplained))
    return [
        RULES["assertion-loosened"].finding(
            f"test {h.q} replaced an exact assertion with {kinds}, which passes for many wrong "
            f"results even though the test now counts as many assertions or more{_was_now(replaced)}",
            path=h.module.path,
            line=int(h.data["line"]),
            fingerprint=fingerprint("assertion-loosened", h.q),
            snippet=" ; ".join(old)[:200] or None,
        )
    ]


def _loosened(base: list[list[Any]], head: list[list[Any]]) -> str:
    by_kind: dict[str, list[list[Any]]] = defaultdict(list)
    for tol in head:
        by_kind[str(tol[0])].append(tol)
    for kind in dict.fromkeys(str(t[0]) for t in base):
        olds = [t for t in base if t[0] == kind]
        for old, new in zip(olds, by_kind.get(kind, []), strict=False):
            for index, label in ((1, "relative"), (2, "absolute")):
                before, after = old[index], new[index]
                if before is not None and after is not None and after > before * (1 + 1e-9):
                    return f"{kind} {label} tolerance {before:g} -> {after:g}"
    return ""


def _module_skips(base: list[_Module], head: list[_Module]) -> list[Finding]:
    base_by_path = {m.path: m for m in base}
    out = []
    for mod in head:
        if not mod.ok or not mod.guarded:
            continue
        before = base_by_path.get(mod.counterpart or "")
        old = before.get("module_skips") if before is not None else []
        fresh = introduced(old, mod.get("module_skips"), key=lambda s: s[0])
        for text, line in fresh:
            hides_existing = before is not None or text.startswith("collect_ignore")
            rule = RULES["module-skipped" if hides_existing else "new-test-skipped"]
            out.append(
                rule.finding(
                    f"{mod.path} now skips or ignores tests at module level ({text}), so they no "
                    "longer run",
                    path=mod.path,
                    line=int(line),
                    fingerprint=fingerprint(rule.id, mod.path, text),
                    snippet=text[:200] or None,
                )
            )
    return out


def _hooks(base: list[_Module], head: list[_Module]) -> list[Finding]:
    def key(item: tuple[_Module, list[Any]]) -> tuple[str, bool]:
        name, tampers = str(item[1][0]), bool(item[1][2])
        return (name, True) if name in pa.OUTCOME_HOOKS else (name, tampers)

    olds = [(m, h) for m in base for h in m.get("hooks")]
    news = [(m, h) for m in head for h in m.get("hooks")]
    out = []
    for mod, (name, line, tampers) in introduced(olds, news, key=key):
        if name in pa.OUTCOME_HOOKS:
            out.append(
                RULES["test-outcome-hook"].finding(
                    f"{mod.path} defines {name}, a pytest hook that can change test outcomes or "
                    "reports, so failing tests may be reported as passing",
                    path=mod.path,
                    line=int(line),
                    fingerprint=fingerprint("test-outcome-hook", name),
                )
            )
        else:
            out.append(
                RULES["test-collection-hook"].finding(
                    f"{mod.path} defines {name}"
                    + (
                        " and its body removes, deselects or skips tests or rewrites results"
                        if tampers
                        else "; check it does not hide tests"
                    ),
                    path=mod.path,
                    line=int(line),
                    fingerprint=fingerprint("test-collection-hook", name, str(tampers)),
                    severity=Severity.HIGH if tampers else Severity.MEDIUM,
                    blocking=bool(tampers),
                )
            )
    return out


def _exits(base: list[_Module], head: list[_Module]) -> list[Finding]:
    olds = [(m, e) for m in base for e in m.get("exits")]
    news = [(m, e) for m in head if m.guarded for e in m.get("exits")]
    out = []
    for mod, (scope, text, line) in introduced(olds, news, key=lambda x: (x[1][0], x[1][1])):
        out.append(
            RULES["test-exit-call"].finding(
                f"{scope} in test code calls {text}, which can end the test process before "
                "failures are reported",
                path=mod.path,
                line=int(line),
                fingerprint=fingerprint("test-exit-call", scope, text),
                snippet=text[:200] or None,
            )
        )
    return out


def _config(ctx: CheckContext) -> list[Finding]:
    old: dict[str, bytes | None] = {}
    new: dict[str, bytes | None] = {}
    for f in ctx.change.files:
        if f.old is not None:
            old[f.old.path] = f.old.data
            new.setdefault(f.old.path, None)
        if f.new is not None:
            new[f.new.path] = f.new.data
            old.setdefault(f.new.path, None)
    dirs = {
        p.rsplit("/", 1)[0] if "/" in p else ""
        for p in old
        if p.rsplit("/", 1)[-1] in tc.CONFIG_NAMES
    }
    out: list[Finding] = []
    for d in sorted(dirs):
        prefix = f"{d}/" if d else ""

        def files(
            changed: dict[str, bytes | None], prefix: str = prefix
        ) -> dict[str, bytes | None]:
            got = {}
            for name in tc.CONFIG_NAMES:
                path = prefix + name
                got[name] = changed[path] if path in changed else ctx.change.context.get(path)
            return got

        before, after = tc.read_settings(files(old), d), tc.read_settings(files(new), d)
        out.extend(_compare_settings(before, after, new, prefix))
    return out


def _line_of(data: bytes | None, needle: str) -> int | None:
    if not data:
        return None
    for number, line in enumerate(data.decode("utf-8", "replace").splitlines(), 1):
        if needle in line:
            return number
    return None


class _Loosened(NamedTuple):
    """A test setting that now runs or checks less: what a finding says, before it has a place."""

    rule: str
    message: str
    needle: str
    """Text of the line the finding points at, in the file that holds the setting."""
    key: str
    blocking: bool = True
    where: str | None = None
    """The file that holds the setting, when not the pytest configuration file."""


def _compare_settings(
    before: tc.PytestSettings, after: tc.PytestSettings, new: dict[str, bytes | None], prefix: str
) -> list[Finding]:
    where = after.source or before.source or f"{prefix}pytest.ini"
    loosened = [
        *_deselecting(before, after),
        *_narrowed_testpaths(before, after),
        *_narrowed_collection(before, after),
        *_weakened_checks(before, after),
        *(
            _Loosened(
                "test-config-changed",
                f"{what}: not a setting known to leave which tests run, and how they count, "
                "unchanged",
                key.split(" ", 1)[0],
                key,
                blocking=False,
            )
            for key, what in unlisted_changes(before, after)
        ),
    ]
    out = [_setting_finding(item, item.where or where, new, prefix) for item in loosened]
    for path in sorted(set(after.broken) - set(before.broken)):
        out.append(
            RULES["test-config-unreadable"].finding(
                f"{path} no longer parses, so pytest or coverage may fail or ignore its settings",
                path=path,
                fingerprint=fingerprint("test-config-unreadable", path),
            )
        )
    return out


def _setting_finding(
    item: _Loosened, where: str, new: dict[str, bytes | None], prefix: str
) -> Finding:
    """A loosened setting that does not block (a first testpaths) is a medium one to review."""
    rule = RULES[item.rule]
    return rule.finding(
        item.message,
        path=where,
        line=_line_of(new.get(where), item.needle),
        fingerprint=fingerprint(rule.id, prefix, item.key),
        severity=None if item.blocking else Severity.MEDIUM,
        blocking=None if item.blocking else False,
    )


def _deselecting(before: tc.PytestSettings, after: tc.PytestSettings) -> list[_Loosened]:
    fresh = introduced(
        tc.narrowing_options(before.addopts), tc.narrowing_options(after.addopts), key=lambda o: o
    )
    return [
        _Loosened(
            "pytest-config-deselects",
            f"pytest addopts now include `{opt}`, which deselects, ignores or hides tests",
            opt.split(" ", 1)[0],
            opt,
        )
        for opt in fresh
    ]


def _narrowed_testpaths(before: tc.PytestSettings, after: tc.PytestSettings) -> list[_Loosened]:
    if after.testpaths is None or after.testpaths == before.testpaths:
        return []
    if before.testpaths is None:
        return [
            _Loosened(
                "pytest-testpaths-narrowed",
                f"testpaths now limits collection to {', '.join(after.testpaths) or 'nothing'}; "
                "tests outside these paths stop running",
                "testpaths",
                "testpaths",
                blocking=False,
            )
        ]
    dropped = sorted(set(before.testpaths) - set(after.testpaths))
    if not dropped:
        return []
    return [
        _Loosened(
            "pytest-testpaths-narrowed",
            f"testpaths no longer include {', '.join(dropped)}, so tests there stop running",
            "testpaths",
            "testpaths",
        )
    ]


def _narrowed_collection(before: tc.PytestSettings, after: tc.PytestSettings) -> list[_Loosened]:
    out: list[_Loosened] = []
    skipped_dirs = sorted(set(after.norecursedirs) - set(before.norecursedirs))
    if skipped_dirs:
        out.append(
            _Loosened(
                "pytest-collection-narrowed",
                f"norecursedirs now skips {', '.join(skipped_dirs)}, so tests there are not "
                "collected",
                "norecursedirs",
                "norecursedirs",
            )
        )
    for option, b, a in (
        ("python_files", before.collect.files, after.collect.files),
        ("python_classes", before.collect.classes, after.collect.classes),
        ("python_functions", before.collect.functions, after.collect.functions),
    ):
        dropped = sorted(set(b) - set(a))
        if dropped:
            out.append(
                _Loosened(
                    "pytest-collection-narrowed",
                    f"{option} no longer includes {', '.join(dropped)}, so tests named that way "
                    "are not collected",
                    option,
                    option,
                )
            )
    return out


def _weakened_checks(before: tc.PytestSettings, after: tc.PytestSettings) -> list[_Loosened]:
    out: list[_Loosened] = []
    if before.xfail_strict and not after.xfail_strict:
        out.append(
            _Loosened(
                "xfail-strict-disabled",
                "xfail_strict was turned off, so xfail tests that unexpectedly pass no longer fail",
                "xfail_strict",
                "xfail_strict",
            )
        )
    if before.fail_under is not None and (
        after.fail_under is None or after.fail_under < before.fail_under
    ):
        now = "removed" if after.fail_under is None else f"{after.fail_under:g}"
        on_command_line = "cov-fail-under" in " ".join(before.addopts)
        out.append(
            _Loosened(
                "coverage-threshold-lowered",
                f"coverage fail_under went from {before.fail_under:g} to {now}, letting untested "
                "code in",
                "cov-fail-under" if on_command_line else "fail_under",
                "fail_under",
                where=after.fail_under_source or before.fail_under_source,
            )
        )
    return out
