"""What a Python test module says about its tests, read from its syntax tree alone.

The test-integrity check compares base and head summaries of every changed test module, so the
summary holds exactly what can weaken a suite: which tests pytest collects, how many assertions each
makes and how strict they are, tolerances, skips, collection and outcome hooks, and process exits. It
is plain JSON so the check can memoise it per blob.
"""

from __future__ import annotations

import ast
import fnmatch
import hashlib
import re
from dataclasses import dataclass
from typing import Any

from crewchief.gate.analysis import expected_values as ev
from crewchief.gate.analysis import hook_registrations as hr
from crewchief.gate.analysis.pysource import parse as parse_python

STRONG = 2
"""Equality, identity, comparison, membership, type and raises checks: they pin a value."""
WEAK = 1
"""Truthiness and negated checks: they pass for almost any value."""

_WEAK_METHODS = frozenset(
    {
        "assertTrue",
        "assertFalse",
        "assertIsNotNone",
        "assertIsNot",
        "assertNotEqual",
        "assertNotEquals",
        "assert_",
        "failUnless",
        "failIf",
        "assert_called",
    }
)
_STRONG_CALLS_IN_ASSERT = frozenset(
    {"isinstance", "issubclass", "isclose", "allclose", "array_equal", "equal", "fullmatch"}
)
_RAISES = frozenset({"raises", "warns", "deprecated_call"})
_EXACT_METHODS = frozenset(
    {
        "assertEqual",
        "assertEquals",
        "assertIs",
        "assertIsNone",
        "assertListEqual",
        "assertDictEqual",
        "assertTupleEqual",
        "assertSetEqual",
        "assertSequenceEqual",
        "assertMultiLineEqual",
        "assertCountEqual",
        "assertAlmostEqual",
        "assertAlmostEquals",
        "failUnlessEqual",
        "assert_called_once_with",
        "assert_called_with",
        "assert_has_calls",
        "assert_equal",
        "assert_array_equal",
        "assert_almost_equal",
        "assert_array_almost_equal",
        "assert_allclose",
        "assert_frame_equal",
        "assert_series_equal",
        "assert_index_equal",
    }
)
"""Assertion methods that pin one value: replacing them with anything looser is a weakening."""
_LOOSE_METHODS: dict[str, str] = {
    "assertRaises": "raises",
    "assertRaisesRegex": "raises",
    "assertRaisesRegexp": "raises",
    "assertWarns": "raises",
    "assertWarnsRegex": "raises",
    "assertIsInstance": "isinstance",
    "assertNotIsInstance": "isinstance",
    "assertIn": "membership",
    "assertNotIn": "membership",
    "assertGreater": "inequality",
    "assertGreaterEqual": "inequality",
    "assertLess": "inequality",
    "assertLessEqual": "inequality",
    "assertNotEqual": "inequality",
    "assertNotEquals": "inequality",
    "assertNotAlmostEqual": "inequality",
    "assertIsNot": "is not",
    "assertIsNotNone": "is not None",
    "assertTrue": "truthiness",
    "assertFalse": "truthiness",
    "assert_": "truthiness",
    "failUnless": "truthiness",
    "failIf": "truthiness",
}
"""Assertion methods that admit many values, by the kind of check they make."""
_SKIP_CALLS = frozenset({"pytest.skip", "pytest.xfail", "skip", "xfail"})
_SKIP_DECORATORS = frozenset({"skip", "skipIf", "skipUnless", "expectedFailure"})
_SKIP_MARKS = frozenset({"skip", "skipif", "xfail"})
_MAY_EXIT = re.compile(r"\b(exit|_exit|kill|killpg|abort|quit|SystemExit)\b")
_EXITS = frozenset({"sys.exit", "os._exit", "os.kill", "os.killpg", "os.abort", "exit", "quit"})

# Tolerance-taking calls: (kind, positional index of rel, of abs, default rel, default abs,
# keyword names for rel, for abs, how "places"/"decimal" digits turn into an absolute tolerance).
_TOLERANCES: dict[str, tuple[int | None, int | None, float | None, float | None]] = {
    "approx": (1, 2, 1e-6, 1e-12),
    "isclose": (2, 3, 1e-5, 1e-8),
    "math.isclose": (None, None, 1e-9, 0.0),
    "allclose": (2, 3, 1e-5, 1e-8),
    "assert_allclose": (2, 3, 1e-7, 0.0),
}
_PLACES: dict[str, tuple[int, int, float]] = {
    # name: (positional index of the digits, default digits, scale of 10**-digits)
    "assertAlmostEqual": (2, 7, 0.5),
    "assertAlmostEquals": (2, 7, 0.5),
    "failUnlessAlmostEqual": (2, 7, 0.5),
    "assert_almost_equal": (2, 7, 1.5),
    "assert_array_almost_equal": (2, 6, 1.5),
}
_REL_KEYS = frozenset({"rel", "rel_tol", "rtol"})
_ABS_KEYS = frozenset({"abs", "abs_tol", "atol", "delta"})
_PLACE_KEYS = frozenset({"places", "decimal"})

OUTCOME_HOOKS = frozenset(
    {
        "pytest_runtest_makereport",
        "pytest_report_teststatus",
        "pytest_runtest_call",
        "pytest_pyfunc_call",
        "pytest_runtest_protocol",
        "pytest_runtest_logreport",
    }
)
"""Hooks that can turn a failing test into a passing one just by being defined."""
GUARDED_HOOKS = frozenset(
    {
        "pytest_collection_modifyitems",
        "pytest_ignore_collect",
        "pytest_collect_file",
        "pytest_deselected",
        "pytest_collection_finish",
        "pytest_itemcollected",
        "pytest_pycollect_makeitem",
        "pytest_pycollect_makemodule",
        "pytest_terminal_summary",
        "pytest_sessionfinish",
        "pytest_runtest_setup",
        "pytest_runtest_teardown",
    }
)
"""Hooks with everyday honest uses; they matter when their body removes tests or edits results."""
_FuncDef = ast.FunctionDef | ast.AsyncFunctionDef
_TAMPER_METHODS = frozenset({"remove", "clear", "pop", "discard", "popitem"})


@dataclass(frozen=True)
class Collect:
    """pytest's python_files / python_classes / python_functions."""

    files: tuple[str, ...] = ("test_*.py", "*_test.py")
    classes: tuple[str, ...] = ("Test",)
    functions: tuple[str, ...] = ("test",)

    def digest(self) -> str:
        raw = "\0".join(("\1".join(self.files), "\1".join(self.classes), "\1".join(self.functions)))
        return hashlib.sha1(
            raw.encode("utf-8", "surrogateescape"), usedforsecurity=False
        ).hexdigest()[:12]


def name_matches(name: str, patterns: tuple[str, ...]) -> bool:
    """pytest's rule: a pattern with glob characters is a glob, anything else a prefix."""
    for pattern in patterns:
        if any(c in pattern for c in "*?["):
            if fnmatch.fnmatchcase(name, pattern):
                return True
        elif name.startswith(pattern):
            return True
    return False


def is_test_module(path: str, collect: Collect) -> bool:
    name = path.rsplit("/", 1)[-1]
    for pattern in collect.files:
        target = path if "/" in pattern else name
        if fnmatch.fnmatchcase(target, pattern) or fnmatch.fnmatchcase(target, "*/" + pattern):
            return True
    return False


def dotted(node: ast.AST) -> str:
    """`a.b.c` for a Name/Attribute chain, the last name for anything else, "" if none."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    elif isinstance(node, ast.Call):
        return dotted(node.func)
    return ".".join(reversed(parts))


def _text(node: ast.AST, limit: int = 160) -> str:
    try:
        text = ast.unparse(node)
    except (ValueError, RecursionError, AttributeError):
        return type(node).__name__
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _num(node: ast.AST | None) -> float | None:
    """A numeric literal or a constant expression of literals (`1e-3`, `10**-6`, `5 * 1e-3`)."""
    if node is None:
        return None
    if isinstance(node, ast.Constant):
        value = node.value
        if isinstance(value, bool) or not isinstance(value, int | float):
            return None
        return float(value)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        inner = _num(node.operand)
        return None if inner is None else (-inner if isinstance(node.op, ast.USub) else inner)
    if isinstance(node, ast.BinOp):
        left, right = _num(node.left), _num(node.right)
        if left is None or right is None:
            return None
        try:
            if isinstance(node.op, ast.Pow):
                return float(left**right) if abs(right) < 400 else None
            if isinstance(node.op, ast.Mult):
                return left * right
            if isinstance(node.op, ast.Div):
                return left / right
        except (OverflowError, ZeroDivisionError, TypeError):
            return None
    return None


def _arg(call: ast.Call, index: int | None, keys: frozenset[str]) -> tuple[bool, ast.AST | None]:
    for kw in call.keywords:
        if kw.arg in keys:
            return True, kw.value
    if index is not None and index < len(call.args):
        return True, call.args[index]
    return False, None


def tolerance(call: ast.Call) -> list[Any] | None:
    """[kind, rel, abs] with numbers, defaults filled; None for a value that is not a literal."""
    name = dotted(call.func)
    last = name.rsplit(".", 1)[-1]
    if last in _PLACES:
        index, default, scale = _PLACES[last]
        found_delta, delta = _arg(call, None, frozenset({"delta"}))
        if found_delta:
            return [last, None, _num(delta)]
        found, digits_node = _arg(call, index, _PLACE_KEYS)
        digits = _num(digits_node) if found else float(default)
        if digits is None or abs(digits) > 300:
            return [last, None, None]
        return [last, None, scale * 10.0**-digits]
    key = "math.isclose" if name == "math.isclose" else last
    spec = _TOLERANCES.get(key)
    if spec is None:
        return None
    rel_i, abs_i, rel_default, abs_default = spec
    found_rel, rel_node = _arg(call, rel_i, _REL_KEYS)
    found_abs, abs_node = _arg(call, abs_i, _ABS_KEYS)
    rel = _num(rel_node) if found_rel else rel_default
    tol = _num(abs_node) if found_abs else abs_default
    return [key, rel, tol]


def _assert_strength(test: ast.AST) -> int:
    if isinstance(test, ast.BoolOp):
        values = [_assert_strength(v) for v in test.values]
        return max(values) if isinstance(test.op, ast.And) else min(values)
    if isinstance(test, ast.Compare):
        weak = all(isinstance(op, ast.IsNot | ast.NotEq) for op in test.ops)
        return WEAK if weak else STRONG
    if isinstance(test, ast.Call):
        last = dotted(test.func).rsplit(".", 1)[-1]
        return STRONG if last in _STRONG_CALLS_IN_ASSERT else WEAK
    if isinstance(test, ast.Constant) and not test.value:
        return STRONG  # `assert False`: an unconditional failure
    return WEAK


def _skip_marks(expr: ast.AST) -> list[str]:
    """Skip/xfail markers anywhere in a decorator or `pytestmark` value (pytest.param marks too)."""
    found: list[str] = []
    for node in ast.walk(expr):
        if isinstance(node, ast.Attribute):
            name = dotted(node)
            parts = name.split(".")
            if (len(parts) >= 2 and parts[-2] == "mark" and parts[-1] in _SKIP_MARKS) or (
                parts[-1] in _SKIP_DECORATORS and parts[0] == "unittest"
            ):
                found.append(name)
        elif isinstance(node, ast.Name) and node.id in _SKIP_DECORATORS:
            found.append(node.id)
    return found


_ASSERT_NAMES = frozenset({"self.fail", "pytest.fail", "fail"})


def _call_strength(name: str, last: str) -> int | None:
    """The strength of a call that is itself an assertion, None for any other call."""
    if last.startswith("assert"):
        return WEAK if last in _WEAK_METHODS else STRONG
    if name in _ASSERT_NAMES or last in _RAISES or last == "approx":
        return STRONG
    return None


EXACT = "exact"
"""The kind of an assertion that pins one value (`==`, `is`, `assertEqual`, a default `approx`)."""
_COMPARE_KINDS: tuple[tuple[type, str], ...] = (
    (ast.In, "membership"),
    (ast.NotIn, "membership"),
    (ast.Lt, "inequality"),
    (ast.LtE, "inequality"),
    (ast.Gt, "inequality"),
    (ast.GtE, "inequality"),
    (ast.NotEq, "inequality"),
    (ast.IsNot, "is not"),
)


_OWN_TOLERANCE: dict[str, int] = {
    "approx": 1,
    "isclose": 2,
    "allclose": 2,
    "assert_allclose": 2,
    "assertAlmostEqual": 2,
    "assertAlmostEquals": 2,
    "failUnlessAlmostEqual": 2,
    "assert_almost_equal": 2,
    "assert_array_almost_equal": 2,
}
"""Calls that compare within a tolerance, by how many positional arguments come before it."""
_TOLERANCE_KEYS = _REL_KEYS | _ABS_KEYS | _PLACE_KEYS


def _loose_approx(node: ast.AST) -> bool:
    """An `approx`, `isclose` or almost-equal given its own tolerance: equality within a margin
    someone chose. With only the values (`math.isclose(x, 5.0)`) the default is as good as exact."""
    for sub in ast.walk(node):
        if not isinstance(sub, ast.Call):
            continue
        values = _OWN_TOLERANCE.get(dotted(sub.func).rsplit(".", 1)[-1])
        if values is not None and (
            len(sub.args) > values or any(k.arg in _TOLERANCE_KEYS for k in sub.keywords)
        ):
            return True
    return False


def _compare_kind(test: ast.Compare, tolerant: bool) -> str:
    for op in test.ops:
        for kind_type, kind in _COMPARE_KINDS:
            if isinstance(op, kind_type):
                if kind == "is not" and _is_none(test.comparators[-1]):
                    return "is not None"
                return kind
    return "approx" if tolerant and _loose_approx(test) else EXACT


def _is_none(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def assert_kind(test: ast.AST, tolerant: bool = True) -> str | None:
    """What an `assert` statement's test checks: EXACT, or the looser kind (membership,
    inequality, isinstance, is not None, approx, truthiness); None for `assert False`.
    `tolerant` False says the text names no approx/isclose, which saves walking the tree."""
    if isinstance(test, ast.BoolOp):
        kinds = [assert_kind(v, tolerant) for v in test.values]
        if isinstance(test.op, ast.And):
            return EXACT if EXACT in kinds else next((k for k in kinds if k), None)
        # `x == 5 or x == 6` admits several values: membership spelled out
        return next((k for k in kinds if k not in (EXACT, None)), "membership")
    if isinstance(test, ast.Compare):
        return _compare_kind(test, tolerant)
    if isinstance(test, ast.Call):
        last = dotted(test.func).rsplit(".", 1)[-1]
        if last in ("isinstance", "issubclass"):
            return "isinstance"
        if last in ("array_equal", "equal", "fullmatch"):
            return EXACT
        if tolerant and _loose_approx(test):
            return "approx"
        return EXACT if last in _OWN_TOLERANCE else "truthiness"  # isclose at its default
    if isinstance(test, ast.Constant) and not test.value:
        return None
    return "truthiness"


def _raised_names(call: ast.Call) -> str:
    """The exception classes a `raises`/`assertRaises` call expects, comma-separated."""
    first = call.args[0] if call.args else None
    for kw in call.keywords:
        if kw.arg in ("expected_exception", "expected_warning", "exception"):
            first = kw.value
    if first is None:
        return ""
    items = first.elts if isinstance(first, ast.Tuple) else [first]
    return ",".join(dotted(item).rsplit(".", 1)[-1] for item in items)


def call_kind(call: ast.Call, last: str, tolerant: bool = True) -> tuple[str, str] | None:
    """(kind, expected exception names) of a call that is an assertion; None for other calls and
    for assertion calls that are neither exact nor a known looser kind."""
    if last in _RAISES or _LOOSE_METHODS.get(last) == "raises":
        return "raises", _raised_names(call)
    if last in _EXACT_METHODS:
        loose = tolerant and _loose_approx(call)
        return ("approx", "") if loose else (EXACT, "")
    if last in _LOOSE_METHODS:
        return _LOOSE_METHODS[last], ""
    return None


_SCALAR_FIELDS = frozenset(
    {
        "ctx",
        "id",
        "attr",
        "name",
        "arg",
        "kind",
        "level",
        "module",
        "type_comment",
        "conversion",
        "is_async",
        "names",
        "n",
        "s",
    }
)
_CHILD_FIELDS: dict[type, tuple[str, ...]] = {}


def _children(node: ast.AST) -> list[ast.AST]:
    """Child nodes, faster than `ast.iter_child_nodes`: fields that never hold a node are skipped."""
    kind = type(node)
    fields = _CHILD_FIELDS.get(kind)
    if fields is None:
        skip = _SCALAR_FIELDS | ({"value"} if kind is ast.Constant else set())
        fields = _CHILD_FIELDS[kind] = tuple(f for f in kind._fields if f not in skip)
    out: list[ast.AST] = []
    for name in fields:
        value = getattr(node, name, None)
        if isinstance(value, list):
            out.extend(v for v in value if isinstance(v, ast.AST))
        elif isinstance(value, ast.AST):
            out.append(value)
    return out


def _segment(node: ast.AST, lines: list[str], limit: int = 160) -> str:
    """A node's source text with runs of whitespace folded: cheaper than `ast.unparse`, which
    would dominate the summary of a test module with thousands of assertions."""
    first, last = getattr(node, "lineno", 0), getattr(node, "end_lineno", None) or 0
    start, end = getattr(node, "col_offset", 0), getattr(node, "end_col_offset", None)
    if not 0 < first <= last <= len(lines) or end is None:
        return _text(node, limit)
    chunk = lines[first - 1 : last]
    if all(line.isascii() for line in chunk):
        if first == last:
            text = chunk[0][start:end]
        else:
            text = chunk[0][start:] + "".join(chunk[1:-1]) + chunk[-1][:end]
    else:  # column offsets count UTF-8 bytes
        raw = [line.encode("utf-8", "surrogateescape") for line in chunk]
        data = (
            raw[0][start:end]
            if first == last
            else raw[0][start:] + b"".join(raw[1:-1]) + raw[-1][:end]
        )
        text = data.decode("utf-8", "replace")
    return _clip(" ".join(text.split()), limit)


def _clip(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


_TOLERANT = re.compile(r"approx|isclose|allclose|AlmostEqual|almost_equal")


def _function_facts(node: _FuncDef, lines: list[str]) -> dict[str, Any]:
    """Assertions (their strengths), tolerances, skips and helper calls in one function body.

    One walk that knows whether it is inside an assertion already, so an `approx` inside an
    `assert` or an `assertEqual` is not counted a second time (its tolerance still is)."""
    asserts: list[int] = []
    tols: list[list[Any]] = []
    skips: list[str] = []
    calls: list[str] = []
    exact: list[str] = []
    loose: list[list[str]] = []
    stack: list[tuple[ast.AST, bool]] = [(stmt, False) for stmt in reversed(node.body)]
    while stack:
        sub, inside = stack.pop()
        if isinstance(sub, ast.Assert):
            if not inside:
                asserts.append(_assert_strength(sub.test))
                text = "assert " + _segment(sub.test, lines, 10_000)
                kind = assert_kind(sub.test, _TOLERANT.search(text) is not None)
                _record(exact, loose, kind, _clip(text), "")
            inside = True
            test = sub.test
            if (
                isinstance(test, ast.Compare)
                and len(test.ops) == 1
                and isinstance(test.ops[0], ast.Lt | ast.LtE)
                and isinstance(test.left, ast.Call)
                and dotted(test.left.func) == "abs"
            ):
                tols.append(["abs-compare", None, _num(test.comparators[0])])
        elif isinstance(sub, ast.Call):
            name = dotted(sub.func)
            last = name.rsplit(".", 1)[-1]
            tol = tolerance(sub)
            if tol is not None:
                tols.append(tol)
            strength = _call_strength(name, last)
            if strength is not None:
                if not inside:
                    asserts.append(strength)
                    text = _segment(sub, lines, 10_000)
                    found = call_kind(sub, last, _TOLERANT.search(text) is not None)
                    if found is not None:
                        _record(exact, loose, found[0], _clip(text), found[1])
                inside = True
            elif name in _SKIP_CALLS or last == "skipTest":
                skips.append(_text(sub))
            elif isinstance(sub.func, ast.Name):
                calls.append(sub.func.id)
            elif (
                isinstance(sub.func, ast.Attribute)
                and isinstance(sub.func.value, ast.Name)
                and sub.func.value.id in ("self", "cls")
            ):
                calls.append("self." + sub.func.attr)
        elif isinstance(sub, ast.Raise) and _raises_skip(sub):
            skips.append(_text(sub))
        stack.extend((child, inside) for child in reversed(_children(sub)))
    return {
        "asserts": asserts,
        "tols": tols,
        "skips": skips,
        "calls": calls,
        "exact": exact,
        "loose": loose,
        "broad_raises": _broad_raises(node),
        "swallows": _swallows(node),
    }


def _record(
    exact: list[str], loose: list[list[str]], kind: str | None, text: str, names: str
) -> None:
    """File one assertion's text under exact or, with its kind and expected errors, under loose."""
    if kind == EXACT:
        exact.append(text)
    elif kind is not None:
        loose.append([kind, text, names])


_BROAD = frozenset({"Exception", "BaseException", "builtins.Exception", "builtins.BaseException"})
_RAISES_CALLS = frozenset({"raises", "assertRaises", "assertRaisesRegex", "assertRaisesRegexp"})


def _is_broad(node: ast.expr | None) -> bool:
    if node is None:
        return True
    if isinstance(node, ast.Tuple):
        return any(_is_broad(e) for e in node.elts)
    return dotted(node) in _BROAD


def _broad_raises(node: _FuncDef) -> int:
    """`pytest.raises(Exception)` and friends: they pass for any error, including the wrong one."""
    count = 0
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call) and dotted(sub.func).rsplit(".", 1)[-1] in _RAISES_CALLS:
            first = sub.args[0] if sub.args else None
            if first is not None and _is_broad(first):
                count += 1
    return count


def _swallows(node: _FuncDef) -> int:
    """try blocks holding assertions whose broad `except` does not re-raise: failures vanish."""
    count = 0
    for sub in ast.walk(node):
        if not isinstance(sub, ast.Try):
            continue
        asserts_inside = any(
            isinstance(n, ast.Assert)
            or (
                isinstance(n, ast.Call)
                and _call_strength(dotted(n.func), dotted(n.func).rsplit(".", 1)[-1]) is not None
            )
            for stmt in sub.body
            for n in ast.walk(stmt)
        )
        if not asserts_inside:
            continue
        for handler in sub.handlers:
            catches_failures = (
                handler.type is None
                or _is_broad(handler.type)
                or dotted(handler.type) == "AssertionError"
            )
            reraises = any(
                isinstance(n, ast.Raise) for stmt in handler.body for n in ast.walk(stmt)
            )
            if catches_failures and not reraises:
                count += 1
                break
    return count


def _raises_skip(node: ast.Raise) -> bool:
    return node.exc is not None and dotted(node.exc).endswith(("SkipTest", "skip.Exception"))


_SPACE = re.compile(r"\s+")


def _body_text(node: _FuncDef, lines: list[str]) -> str:
    first = node.body[0].lineno if node.body else node.lineno
    return "".join(lines[first - 1 : node.end_lineno or first])


def _body_hash(text: str) -> str:
    """Identity of a function body that survives renaming the function and reformatting it."""
    raw = _SPACE.sub("", text)
    digest = hashlib.sha1(raw.encode("utf-8", "surrogateescape"), usedforsecurity=False)
    return digest.hexdigest()[:16]


def _disabled(body: list[ast.stmt]) -> bool:
    """`__test__ = False` tells pytest not to collect a class or module."""
    for stmt in body:
        if isinstance(stmt, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__test__" for t in stmt.targets
        ):
            return isinstance(stmt.value, ast.Constant) and not stmt.value.value
    return False


class _Module:
    def __init__(
        self, tree: ast.Module, collect: Collect, lines: list[str], shared: dict[str, Any]
    ) -> None:
        self.collect = collect
        self.lines = lines
        self.shared = shared
        self.tests: list[dict[str, Any]] = []
        self.helpers: dict[str, dict[str, Any]] = {}
        self.uncollected: list[list[str]] = []
        self.classes: dict[str, ast.ClassDef] = {}
        self.testcase: set[str] = set()
        self.tree = tree

    def run(self) -> None:
        disabled = _disabled(self.tree.body)
        for stmt in _top_level(self.tree.body):
            if isinstance(stmt, _FuncDef):
                collected = not disabled and name_matches(stmt.name, self.collect.functions)
                self._function(stmt, stmt.name, collected, [])
            elif isinstance(stmt, ast.ClassDef):
                self._class(stmt, "", not disabled, [])

    def _is_testcase(self, node: ast.ClassDef) -> bool:
        for base in node.bases:
            name = dotted(base)
            if name.endswith("TestCase") or name.rsplit(".", 1)[-1] in self.testcase:
                return True
        return False

    def _methods(self, node: ast.ClassDef, seen: set[str]) -> dict[str, _FuncDef]:
        """Own methods plus those inherited from classes of the same module (mixins, bases)."""
        methods: dict[str, _FuncDef] = {}
        for base in node.bases:
            parent = self.classes.get(dotted(base))
            if parent is not None and parent.name not in seen:
                methods.update(self._methods(parent, seen | {parent.name}))
        for stmt in node.body:
            if isinstance(stmt, _FuncDef):
                methods[stmt.name] = stmt
        return methods

    def _class(
        self, node: ast.ClassDef, prefix: str, allowed: bool, marks: list[list[str]]
    ) -> None:
        qual = prefix + node.name
        self.classes[node.name] = node
        testcase = self._is_testcase(node)
        if testcase:
            self.testcase.add(node.name)
        own = [[qual, m] for m in self._decorator_skips(node)]
        for stmt in node.body:  # class-level `pytestmark = pytest.mark.skip`
            if isinstance(stmt, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "pytestmark" for t in stmt.targets
            ):
                own.extend([qual, m] for m in _skip_marks(stmt.value))
        marks = marks + own
        has_init = any(
            isinstance(s, _FuncDef) and s.name in ("__init__", "__new__") for s in node.body
        )
        collected = allowed and not _disabled(node.body)
        if testcase:
            funcs: tuple[str, ...] = ("test",)
        else:
            collected = collected and name_matches(node.name, self.collect.classes) and not has_init
            funcs = self.collect.functions
        for name, method in self._methods(node, {node.name}).items():
            self._function(method, f"{qual}.{name}", collected and name_matches(name, funcs), marks)
        for stmt in node.body:
            if isinstance(stmt, ast.ClassDef):
                self._class(stmt, qual + ".", collected and not testcase, marks)

    def _decorator_skips(self, node: _FuncDef | ast.ClassDef) -> list[str]:
        if not node.decorator_list:
            return []
        first, last = node.decorator_list[0].lineno, node.lineno
        text = "".join(self.lines[first - 1 : last])
        if not any(word in text for word in ("skip", "xfail", "expectedFailure")):
            return []  # most decorators are parametrize tables: not worth walking
        return [m for d in node.decorator_list for m in _skip_marks(d)]

    def _function(self, node: _FuncDef, qual: str, collected: bool, marks: list[list[str]]) -> None:
        body = _body_text(node, self.lines)
        facts = self.shared.get(body)
        if facts is None:
            facts = self.shared[body] = _function_facts(node, self.lines)
        if not collected:
            self.uncollected.append([qual, _body_hash(body)])
            if facts["asserts"] or facts["calls"] or facts["tols"]:
                keys = ("asserts", "tols", "calls", "exact", "loose")
                self.helpers[qual] = {k: facts[k] for k in keys}
            return
        skips = [list(m) for m in marks]
        skips.extend([qual, m] for m in self._decorator_skips(node))
        skips.extend([qual, s] for s in facts["skips"])
        self.tests.append(
            {
                "q": qual,
                "line": node.lineno,
                "body": _body_hash(body),
                "asserts": facts["asserts"],
                "tols": facts["tols"],
                "calls": facts["calls"],
                "exact": facts["exact"],
                "loose": facts["loose"],
                "skips": skips,
                "broad_raises": facts["broad_raises"],
                "swallows": facts["swallows"],
                "params": self._parametrize_tables(node),
            }
        )

    def _parametrize_tables(self, node: _FuncDef) -> list[str]:
        """Source text of each `parametrize` decorator: the expected values of a table-driven
        test live there, not in its body."""
        return [
            _segment(d, self.lines, 200_000)
            for d in node.decorator_list
            if isinstance(d, ast.Call) and dotted(d.func).endswith("parametrize")
        ]


def _top_level(body: list[ast.stmt]) -> list[ast.stmt]:
    """Module-level statements, looking into `if`/`try`/`with` blocks that run at import."""
    out: list[ast.stmt] = []
    for stmt in body:
        out.append(stmt)
        if isinstance(stmt, ast.If):
            out.extend(_top_level(stmt.body) + _top_level(stmt.orelse))
        elif isinstance(stmt, ast.Try):
            out.extend(_top_level(stmt.body) + _top_level(stmt.orelse) + _top_level(stmt.finalbody))
            for handler in stmt.handlers:
                out.extend(_top_level(handler.body))
        elif isinstance(stmt, ast.With):
            out.extend(_top_level(stmt.body))
    return out


def _module_skips(tree: ast.Module) -> list[list[Any]]:
    """Module-wide skips and conftest `collect_ignore` entries: [text, line]."""
    out: list[list[Any]] = []
    for stmt in _top_level(tree.body):
        if isinstance(stmt, ast.Assign | ast.AugAssign | ast.AnnAssign):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            names = {t.id for t in targets if isinstance(t, ast.Name)}
            if stmt.value is None:
                continue
            if "pytestmark" in names:
                out.extend([f"pytestmark: {m}", stmt.lineno] for m in _skip_marks(stmt.value))
            for name in names & {"collect_ignore", "collect_ignore_glob"}:
                out.extend(_ignored(name, stmt.value, stmt.lineno))
        elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call):
            call = stmt.value
            name = dotted(call.func)
            if name in ("pytest.skip", "skip"):
                out.append([f"module: {_text(call)}", stmt.lineno])
            elif name.startswith(("collect_ignore.", "collect_ignore_glob.")):
                base = name.split(".", 1)[0]
                for arg in call.args:
                    out.extend(_ignored(base, arg, stmt.lineno))
    return out


def _ignored(name: str, value: ast.AST, line: int) -> list[list[Any]]:
    items = value.elts if isinstance(value, ast.List | ast.Tuple | ast.Set) else [value]
    return [[f"{name}: {_text(item)}", line] for item in items]


def _tampers(node: _FuncDef | ast.Lambda, hook: str | None = None) -> bool:
    """Whether a hook body removes collected items, skips tests or rewrites results."""
    name_of = hook or getattr(node, "name", "")
    ignore_collect = name_of == "pytest_ignore_collect"
    if isinstance(node, ast.Lambda):  # its body is its return value
        value = node.body
        if ignore_collect and not (
            isinstance(value, ast.Constant) and value.value in (None, False)
        ):
            return True
    for sub in ast.walk(node):
        if isinstance(sub, ast.Call):
            name = dotted(sub.func)
            last = name.rsplit(".", 1)[-1]
            if isinstance(sub.func, ast.Attribute) and last in _TAMPER_METHODS:
                return True
            if last in ("pytest_deselected", "force_result", "force_exception"):
                return True
            if name in _SKIP_CALLS or (
                last == "add_marker" and any(_skip_marks(a) for a in sub.args)
            ):
                return True
        elif isinstance(sub, ast.Delete) and any(isinstance(t, ast.Subscript) for t in sub.targets):
            return True
        elif isinstance(sub, ast.Assign | ast.AugAssign):
            targets = sub.targets if isinstance(sub, ast.Assign) else [sub.target]
            for target in targets:
                if isinstance(target, ast.Subscript) and isinstance(target.slice, ast.Slice):
                    return True
                if isinstance(target, ast.Attribute) and target.attr in (
                    "outcome",
                    "exitstatus",
                    "longrepr",
                    "wasxfail",
                ):
                    return True
        elif isinstance(sub, ast.Return) and ignore_collect and sub.value is not None:
            value = sub.value
            if not (isinstance(value, ast.Constant) and value.value in (None, False)):
                return True
    return False


def _hooks(tree: ast.Module) -> list[list[Any]]:
    out: list[list[Any]] = []
    defs: list[_FuncDef] = []
    for stmt in _top_level(tree.body):
        if isinstance(stmt, _FuncDef):
            defs.append(stmt)
        elif isinstance(stmt, ast.ClassDef):  # plugin objects registered with pluginmanager
            defs.extend(s for s in stmt.body if isinstance(s, _FuncDef))
    for node in defs:
        if node.name in OUTCOME_HOOKS or node.name in GUARDED_HOOKS:
            out.append([node.name, node.lineno, _tampers(node)])
    return out + _bound_hooks(tree, defs)


def _bound_hooks(tree: ast.Module, defs: list[_FuncDef]) -> list[list[Any]]:
    """Hooks bound by assignment, `setattr`, namespace writes, plugin-object keywords or import:
    as live as a `def`. A bound function the module defines is judged by its body; one that cannot
    be seen never counts as tampering (an outcome hook needs no body to matter)."""
    hooks = OUTCOME_HOOKS | GUARDED_HOOKS
    by_name = {d.name: d for d in defs}
    for stmt in ast.walk(tree):
        if isinstance(stmt, _FuncDef):
            by_name.setdefault(stmt.name, stmt)
    out: list[list[Any]] = []
    defined = {d.name: d for d in defs}
    for name, line, value in hr.registrations(tree, hooks):
        func = hr.bound_function(value, by_name)
        if func is not None and defined.get(name) is func:
            continue  # `pytest_x = hookimpl(...)(pytest_x)` rebinds a hook already reported
        out.append([name, line, func is not None and _tampers(func, name)])
    for stmt in _top_level(tree.body):
        if isinstance(stmt, ast.ImportFrom):
            for alias in stmt.names:
                if (alias.asname or alias.name) in hooks:
                    out.append([alias.asname or alias.name, stmt.lineno, False])
    return out


def _exits(tree: ast.Module) -> list[list[Any]]:
    """Calls that end the test process: [enclosing qualified name, code, line]."""
    out: list[list[Any]] = []

    def visit(node: ast.AST, scope: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, _FuncDef | ast.ClassDef):
                visit(child, f"{scope}.{child.name}" if scope else child.name)
                continue
            exits = isinstance(child, ast.Call) and dotted(child.func) in _EXITS
            raises = (
                isinstance(child, ast.Raise) and child.exc and dotted(child.exc) == "SystemExit"
            )
            if exits or raises:
                out.append([scope or "<module>", _text(child), getattr(child, "lineno", 1)])
            visit(child, scope)

    visit(tree, "")
    return out


def summarize(
    source: str, collect: Collect, shared: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The JSON summary of one module; {"error": ...} when it does not parse.

    `shared` maps a function body's text to its facts, so the base and head versions of a file
    analyse each unchanged function once."""
    try:
        tree = parse_python(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        line = getattr(exc, "lineno", None) or 1
        return {"error": {"line": line, "message": str(getattr(exc, "msg", exc))[:200]}}
    try:
        module = _Module(
            tree, collect, source.splitlines(keepends=True), {} if shared is None else shared
        )
        module.run()
        return {
            "error": None,
            "tests": module.tests,
            "helpers": module.helpers,
            "uncollected": module.uncollected,
            "module_skips": _module_skips(tree),
            "hooks": _hooks(tree),
            "exits": _exits(tree) if _MAY_EXIT.search(source) else [],
            "imports": ev.imports(tree),
        }
    except RecursionError:  # parses, but too deeply nested to walk: conclude nothing from it
        return {"error": None, "unanalysable": True}
