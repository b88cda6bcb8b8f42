"""The hygiene rules that read code paths rather than names: a return lost on one path only,
a library module that configures the process when imported, and JavaScript/TypeScript debug
leftovers. Each positive has the clean look-alike a real project has beside it."""

from __future__ import annotations

import ast
from collections.abc import Callable

import pytest

from crewchief.gate.check import CheckContext
from crewchief.gate.checks.hygiene import CHECK
from crewchief.gate.checks.hygiene.fallthrough import fall_through_lines
from crewchief.gate.reader import read_change
from crewchief.spec.policy import Policy
from tests.checks.test_hygiene import LIB, rules, run
from tests.helpers.repo import Repo

SIGN = (
    "def sign(x):\n"
    "    if x > 0:\n"
    "        return 1\n"
    "    elif x < 0:\n"
    "        return -1\n"
    "    else:\n"
    "        return 0\n"
)


def _lines(source: str) -> tuple[int, ...]:
    func = ast.parse(source).body[0]
    assert isinstance(func, ast.FunctionDef)
    return fall_through_lines(func)


# --- 1. a return removed on one path -------------------------------------------------------------


def test_a_branch_that_no_longer_returns_is_reported_with_both_lines() -> None:
    head = SIGN.replace("        return -1\n", "        log(x)\n")
    found = run({LIB: SIGN}, {LIB: head})
    assert [(f.rule, f.line) for f in found] == [("removed-return", 5)]
    assert "line 5: `return -1`" in found[0].message
    assert "runs off the end" in found[0].message


PROPERTY = (
    "import os\n\n\n"
    "class Scaffold:\n"
    "    @property\n"
    "    def folder(self):\n"
    "        if self._folder is not None:\n"
    "            return os.path.join(self.root, self._folder)\n"
    "        else:\n"
    "            return None\n\n"
    "    @folder.setter\n"
    "    def folder(self, value):\n"
    "        self._folder = value\n"
)


def test_a_property_getter_that_lost_a_return_beside_its_setter() -> None:
    """The setter shares the getter's name; the getter is still compared with its own base."""
    head = PROPERTY.replace(
        "            return os.path.join(self.root, self._folder)\n",
        "            path = os.path.join(self.root, self._folder)\n"
        "            if os.path.isdir(path):\n"
        "                return path\n",
    )
    found = run({LIB: PROPERTY}, {LIB: head})
    assert [(f.rule, f.line) for f in found] == [("removed-return", 9)]
    assert "`Scaffold.folder`" in found[0].message


def test_a_value_return_that_became_a_bare_return() -> None:
    head = SIGN.replace("        return -1\n", "        return\n")
    found = run({LIB: SIGN}, {LIB: head})
    assert [(f.rule, f.line) for f in found] == [("removed-return", 5)]
    assert "bare `return`" in found[0].message


def test_a_return_lost_after_a_try() -> None:
    base = (
        "def load(path):\n"
        "    try:\n"
        "        data = read(path)\n"
        "    except OSError:\n"
        "        return {}\n"
        "    else:\n"
        "        return parse(data)\n"
    )
    head = base.replace("        return parse(data)\n", "        parse(data)\n")
    assert [(f.rule, f.line) for f in run({LIB: base}, {LIB: head})] == [("removed-return", 7)]


def test_a_while_true_loop_that_now_breaks_out() -> None:
    base = (
        "def first(items, default):\n"
        "    if not items:\n"
        "        return default\n"
        "    while True:\n"
        "        item = items.pop()\n"
        "        if item:\n"
        "            return item\n"
    )
    head = base.replace("            return item\n", "            break\n")
    assert [(f.rule, f.line) for f in run({LIB: base}, {LIB: head})] == [("removed-return", 7)]


@pytest.mark.parametrize(
    "head",
    [
        SIGN.replace("        return -1\n", "        raise ValueError(x)\n"),
        SIGN.replace("        return -1\n", "        return -2\n"),
        SIGN.replace("    elif x < 0:\n        return -1\n", ""),
    ],
    ids=["return-became-raise", "value-changed", "branch-merged"],
)
def test_paths_that_still_return_or_raise_are_clean(head: str) -> None:
    assert rules({LIB: SIGN}, {LIB: head}) == []


def test_no_finding_when_base_could_already_fall_through() -> None:
    base = (
        "def find(items, key):\n"
        "    if key is None:\n"
        "        return -1\n"
        "    for item in items:\n"
        "        if item == key:\n"
        "            return item\n"
    )
    head = base.replace("            return item\n", "            log(item)\n")
    assert rules({LIB: base}, {LIB: head}) == []


def test_a_new_bare_return_where_base_already_had_one_is_clean() -> None:
    base = (
        "def f(x):\n"
        "    if x is None:\n"
        "        return\n"
        "    if x > 0:\n"
        "        return 1\n"
        "    return 0\n"
    )
    assert rules({LIB: base}, {LIB: base.replace("return 1", "return")}) == []


def test_generators_and_none_returning_functions_are_skipped() -> None:
    gen = (
        "def g(x):\n    yield x\n    if x:\n        return 2\n    else:\n        raise ValueError\n"
    )
    assert rules({LIB: gen}, {LIB: gen.replace("raise ValueError", "log(x)")}) == []
    none = "def n(x):\n    if x:\n        return None\n    else:\n        raise ValueError\n"
    assert rules({LIB: none}, {LIB: none.replace("raise ValueError", "log(x)")}) == []


@pytest.mark.parametrize(
    ("source", "falls"),
    [
        ("def f(x):\n    if x:\n        return 1\n    return 2\n", ()),
        ("def f(x):\n    if x:\n        return 1\n", (2,)),
        ("def f(x):\n    for i in x:\n        return i\n    else:\n        return 0\n", ()),
        ("def f(x):\n    for i in x:\n        break\n    else:\n        return 0\n", (3,)),
        ("def f(x):\n    while True:\n        pass\n", ()),
        ("def f(x):\n    with open(x) as h:\n        return h.read()\n", ()),
        ("def f(x):\n    with suppress(E):\n        return g()\n", (2,)),
        ("def f(x):\n    try:\n        return 1\n    finally:\n        log()\n", ()),
        ("def f(x):\n    try:\n        g()\n    finally:\n        return 1\n", ()),
        ("def f(x):\n    try:\n        return 1\n    except E:\n        log()\n", (5,)),
        ("def f(x):\n    match x:\n        case 1:\n            return 1\n", (2,)),
        ("def f(x):\n    match x:\n        case 1:\n            return 1\n        case _:\n"
         "            return 0\n", ()),
        ("def f(x):\n    def inner():\n        return 1\n    inner()\n", (4,)),
        ("def f(x):\n    if x:\n        return 1\n    os._exit(2)\n", ()),
        ("def f(x):\n    return 1\n    log(x)\n", ()),
        ("def f(x):\n    if x:\n        return 1\n    flask.abort(404)\n", ()),
        ("def f(x):\n    if x:\n        return 1\n    self._raise_for(x)\n", ()),
        ("def f(x):\n    if x:\n        return 1\n    assert False, x\n", ()),
    ],
)  # fmt: skip
def test_fall_through_analysis(source: str, falls: tuple[int, ...]) -> None:
    assert _lines(source) == falls


# --- 2. a library module that configures the process when imported -------------------------------

BASE_MOD = "import os\nimport sys\n\n\ndef total(items):\n    return sum(items)\n"


@pytest.mark.parametrize(
    "added",
    [
        "sys.path.insert(0, os.path.dirname(__file__))",
        "os.environ['DJANGO_SETTINGS_MODULE'] = 'proj.settings'",
        "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'proj.settings')",
        "os.chdir('/tmp')",
        "import logging\nlogging.basicConfig(level=logging.DEBUG)",
        "import django\ndjango.setup()",
        "from django.conf import settings\nsettings.configure(DEBUG=True)",
        "from sys import path as syspath\nsyspath.append('..')",
        "import os as _os\n_os.putenv('X', '1')",
        "sys.setrecursionlimit(10000)",
        "import warnings\nwarnings.simplefilter('ignore')",
        "import warnings\nwarnings.filterwarnings('ignore', category=DeprecationWarning)",
        "try:\n    import pkg\nexcept ImportError:\n    sys.path.append('..')",
    ],
)
def test_process_configuration_at_import_is_reported(added: str) -> None:
    head = BASE_MOD.replace("\n\ndef total", f"\n{added}\n\n\ndef total")
    found = run({LIB: BASE_MOD}, {LIB: head})
    assert [f.rule for f in found] == ["import-time-config"]
    assert found[0].line == 4 + added.count("\n")  # the configuring statement's own line


@pytest.mark.parametrize(
    ("path", "head"),
    [
        ("pkg/core.py", BASE_MOD + "\n\nif __name__ == '__main__':\n    sys.path.insert(0, '.')\n"),
        ("pkg/core.py", BASE_MOD + "\n\ndef boot():\n    sys.path.insert(0, '.')\n"),
        ("pkg/core.py", BASE_MOD + "\nvalue = os.environ.get('X')\npath = list(sys.path)\n"),
        ("pkg/core.py", BASE_MOD + "\nimport warnings\nwarnings.simplefilter('always', Warning)\n"),
        ("pkg/core.py",
         BASE_MOD + "\nimport warnings\nwarnings.filterwarnings('ignore', module='pkg.old')\n"),
        ("pkg/core.py",
         BASE_MOD + "\nimport warnings\nwarnings.filterwarnings('ignore', 'numpy.dtype size')\n"),
        ("conftest.py", BASE_MOD + "\nsys.path.insert(0, '.')\n"),
        ("pkg/conftest.py", BASE_MOD + "\nsys.path.insert(0, '.')\n"),
        ("tests/test_core.py", BASE_MOD + "\nos.environ['X'] = '1'\n"),
        ("manage.py", BASE_MOD + "\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'p.s')\n"),
        ("proj/wsgi.py", BASE_MOD + "\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'p.s')\n"),
        ("scripts/load.py", BASE_MOD + "\nsys.path.insert(0, '.')\n"),
    ],
)  # fmt: skip
def test_process_configuration_where_it_belongs_is_clean(path: str, head: str) -> None:
    assert rules({path: BASE_MOD}, {path: head}) == []


def test_a_module_that_configured_at_base_configures_on_purpose() -> None:
    path = "proj/settings.py"
    base = BASE_MOD + "\nsys.path.insert(0, os.path.dirname(__file__))\n"
    head = base + "os.environ.setdefault('TZ', 'UTC')\n"
    assert rules({path: base}, {path: head}) == []
    assert rules({path: BASE_MOD}, {path: head}) == [("import-time-config", path)] * 2


def test_only_added_configuration_lines_count() -> None:
    base = BASE_MOD + "\nif __name__ == '__main__':\n    sys.path.insert(0, '.')\n"
    head = base.replace("if __name__ == '__main__':", "if DEBUG:")
    assert rules({LIB: base}, {LIB: head}) == []


def test_a_configuration_already_at_base_is_not_reported_again() -> None:
    base = BASE_MOD + "\nsys.path.insert(0, '.')\n"
    head = base.replace("return sum(items)", "return sum(items) + 1")
    assert rules({LIB: base}, {LIB: head}) == []


# --- 3. JavaScript and TypeScript debug leftovers ------------------------------------------------

JS = "src/format.ts"
BASE_JS = "export function format(value: number): string {\n  return value.toFixed(2);\n}\n"


def _with_line(line: str, base: str = BASE_JS) -> str:
    return base.replace("  return value", f"{line}\n  return value")


@pytest.mark.parametrize(
    ("line", "rule"),
    [
        ("  console.log('value', value);", "debug-print"),
        ("  console.debug(value);", "debug-print"),
        ("  console .trace ();", "debug-print"),
        ("  if (value > 1) { console.dir(value) }", "debug-print"),
        ("  debugger;", "debugger"),
        ("  if (value < 0) debugger", "debugger"),
    ],
)
def test_js_debug_leftovers_are_reported(line: str, rule: str) -> None:
    found = run({JS: BASE_JS}, {JS: _with_line(line)})
    assert [(f.rule, f.line) for f in found] == [(rule, 2)]
    assert found[0].blocking is (rule == "debugger")


@pytest.mark.parametrize("path", ["lib/a.js", "web/App.jsx", "src/x.mjs", "src/y.cjs", "index.js"])
def test_every_js_flavour_is_read(path: str) -> None:
    assert rules({path: BASE_JS}, {path: _with_line("  console.log(value);")}) == [
        ("debug-print", path)
    ]


def test_the_script_block_of_a_single_file_component() -> None:
    path = "src/components/Price.vue"
    base = "<template>\n  <p>Don't log {{ price }}</p>\n</template>\n<script>\nexport default {}\n</script>\n"
    head = base.replace("export default {}", "console.log('mounted')\nexport default {}")
    assert rules({path: base}, {path: head}) == [("debug-print", path)]
    markup = base.replace("<p>Don't", "<p>console.log(x) debugger;")
    assert rules({path: base}, {path: markup}) == []


@pytest.mark.parametrize(
    "line",
    [
        "  // console.log(value);",
        "  /* console.log(value); */",
        "  const label = 'console.log(value)';",
        "  const isDebugger = debuggerEnabled(value);",
        "  const options = { debugger: true };",
        "  console.error('bad value', value);",
        "  myconsole.log(value);",
    ],
)
def test_js_look_alikes_are_clean(line: str) -> None:
    assert rules({JS: BASE_JS}, {JS: _with_line(line)}) == []


def test_a_block_comment_over_several_lines_hides_its_calls() -> None:
    head = _with_line("  /*\n  console.log(value);\n  debugger;\n  */")
    assert rules({JS: BASE_JS}, {JS: head}) == []


def test_a_file_that_logged_at_base_logs_on_purpose_but_debugger_still_counts() -> None:
    base = _with_line("  console.warn('deprecated');")
    head = _with_line("  console.log(value);", base)
    assert rules({JS: base}, {JS: head}) == []
    found = run({JS: base}, {JS: _with_line("  debugger;", base)})
    assert [f.rule for f in found] == ["debugger"]


@pytest.mark.parametrize(
    "path",
    [
        "src/format.test.ts",
        "src/format.spec.js",
        "src/__tests__/format.ts",
        "test/format.js",
        "tests/format.js",
        "scripts/release.js",
        "bin/run.js",
        "examples/demo.js",
        "vite.config.ts",
        "config/webpack.config.js",
        ".eslintrc.js",
        "release.js",
        "node_modules/lib/index.js",
        "dist/bundle.js",
        "src/cli.ts",
        "src/Button.stories.tsx",
    ],
)
def test_js_files_that_print_on_purpose_are_clean(path: str) -> None:
    assert rules({path: BASE_JS}, {path: _with_line("  console.log(value);")}) == []


def test_all_three_on_a_real_commit(make_repo: Callable[..., Repo]) -> None:
    """The three rules read a change as the gate reads it out of git, one finding each."""
    repo = make_repo({LIB: SIGN, "pkg/boot.py": BASE_MOD, JS: BASE_JS})
    before = repo.git("rev-parse", "HEAD")
    after = repo.commit(
        {
            LIB: SIGN.replace("        return -1\n", "        log(x)\n"),
            "pkg/boot.py": BASE_MOD + "\nsys.path.insert(0, '..')\n",
            JS: _with_line("  console.log(value); debugger;"),
        }
    )
    change = read_change(repo.path, before, after)
    found = CHECK.run(CheckContext(change, Policy()))
    assert sorted((f.rule, f.path, f.line) for f in found) == [
        ("debug-print", JS, 2),
        ("debugger", JS, 2),
        ("import-time-config", "pkg/boot.py", 8),
        ("removed-return", LIB, 5),
    ]
