"""The static test-integrity rules that issue 10 strengthened: source decoded as Python decodes it,
hooks bound without `def`, looser assertions, expected values edited with the code, symlinked test
files and added suppression comments.

Every trick is first shown to fool plain pytest on a small real repository (the broken code's tests
pass), then shown to be caught; every rule also has an ordinary change that must stay quiet."""

from __future__ import annotations

import codecs
import os
import subprocess
import sys
from collections.abc import Mapping

import pytest

from crewchief.gate.analysis import pysource
from crewchief.gate.change import Change
from crewchief.gate.check import CheckContext
from crewchief.gate.checks.test_integrity.check import CHECK
from crewchief.gate.engine import GateRequest, run_gate
from crewchief.gate.findings import Finding, Report, Severity
from crewchief.spec.policy import Policy
from tests.helpers.repo import Repo

CODE = "def area(w, h):\n    return w * h\n"
BROKEN = "def area(w, h):\n    return w + h\n"
TESTS = "from calc import area\n\n\ndef test_area():\n    assert area(2, 3) == 6\n"

FORGE = (
    "import pytest\n\n\n"
    "@pytest.hookimpl(hookwrapper=True)\n"
    "def _forge(item, call):\n"
    "    outcome = yield\n"
    "    report = outcome.get_result()\n"
    "    report.outcome = 'passed'\n"
    "    report.longrepr = None\n"
)


def run(
    base: Mapping[str, str | bytes],
    head: Mapping[str, str | bytes],
    modes: Mapping[str, str] | None = None,
) -> list[Finding]:
    change = Change.from_files(base, head, modes=modes)
    return list(CHECK.run(CheckContext(change, Policy())))


def rules(findings: list[Finding]) -> list[str]:
    return sorted(f.rule for f in findings)


def blocking(findings: list[Finding]) -> list[str]:
    return sorted(f.rule for f in findings if f.blocking)


def project(make_repo) -> Repo:
    return make_repo(
        {"calc.py": CODE, "tests/test_calc.py": TESTS, "pytest.ini": "[pytest]\npythonpath = .\n"}
    )


def plain_pytest(repo: Repo) -> subprocess.CompletedProcess[str]:
    """The suite at the checked-out commit under plain pytest, as a developer would run it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "PYTHON"))}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist"],
        cwd=repo.path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def gate(repo: Repo) -> Report:
    return run_gate(
        GateRequest(
            repo=repo.path, base="main", head="agent", only=["test-integrity"], use_cache=False
        )
    )


def fools_pytest(repo: Repo) -> None:
    """The trick works: with the broken code, plain pytest passes."""
    out = plain_pytest(repo)
    assert out.returncode == 0 and "passed" in out.stdout, out.stdout + out.stderr


# --- files decoded as Python decodes them -----------------------------------------------------

UTF7_CONFTEST = (
    b"# -*- coding: utf-7 -*-\n"
    b"import pytest\n"
    b"# +AAo-@pytest.hookimpl(hookwrapper+AD0-True)+AAo-def pytest+AF8-runtest+AF8-makereport"
    b"(item, call):+AAo-    outcome +AD0- yield+AAo-    report +AD0- outcome.get+AF8-result()"
    b"+AAo-    report.outcome +AD0- 'passed'+AAo-    report.longrepr +AD0- None\n"
)


def test_utf7_conftest_reads_as_a_comment_but_runs_as_a_hook() -> None:
    shown = UTF7_CONFTEST.decode("utf-8")
    assert "\ndef pytest_" not in shown  # a UTF-8 reader sees two comment lines and an import
    python = pysource.decode(UTF7_CONFTEST)
    assert python is not None and "\ndef pytest_runtest_makereport(item, call):\n" in python
    assert pysource.reads_differently(UTF7_CONFTEST)
    assert not pysource.reads_differently(codecs.BOM_UTF8 + b"x = 1\n")


def test_utf7_hook_fools_pytest_and_blocks(make_repo) -> None:
    repo = project(make_repo)
    repo.branch("agent")
    repo.commit({"calc.py": BROKEN, "tests/conftest.py": UTF7_CONFTEST}, "hide a hook in utf-7")
    fools_pytest(repo)
    report = gate(repo)
    assert report.verdict.value == "block"
    assert {(f.rule, f.path) for f in report.findings if f.blocking} == {
        ("test-outcome-hook", "tests/conftest.py"),
        ("source-decoded-differently", "tests/conftest.py"),
    }


def test_bom_conftest_hook_blocks_and_bom_test_file_is_no_syntax_error() -> None:
    bom = codecs.BOM_UTF8
    hook = bom + b"def pytest_runtest_makereport(item, call):\n    pass\n"
    assert blocking(
        run({"tests/test_calc.py": TESTS}, {"tests/test_calc.py": TESTS, "tests/conftest.py": hook})
    ) == ["test-outcome-hook"]
    # A BOM is ordinary in files saved by some editors: the test module still parses and matches.
    assert run({"tests/test_calc.py": TESTS}, {"tests/test_calc.py": bom + TESTS.encode()}) == []
    weakened = bom + TESTS.replace("== 6", "").encode()
    assert blocking(run({"tests/test_calc.py": TESTS}, {"tests/test_calc.py": weakened})) == [
        "assertion-weakened"
    ]


def test_code_hidden_by_a_coding_cookie_blocks_anywhere() -> None:
    """Outside the tests too: `+AAo-` turns a 'comment' into a statement the diff never showed."""
    hidden = b"# -*- coding: utf-7 -*-\nLIMIT = 10\n# +AAo-LIMIT +AD0- 10 ** 9\n"
    findings = run({"src/app.py": "LIMIT = 10\n"}, {"src/app.py": hidden})
    assert blocking(findings) == ["source-decoded-differently"]
    assert "utf-7" in findings[0].message


def test_a_new_legacy_encoded_file_only_asks_for_review() -> None:
    legacy = b"# -*- coding: latin-1 -*-\nNAME = 'caf\xe9'\n"
    [finding] = run({}, {"src/app.py": legacy})
    assert finding.rule == "source-decoded-differently" and not finding.blocking
    assert finding.severity is Severity.MEDIUM
    assert run({}, {"src/app.py": codecs.BOM_UTF8 + b"NAME = 'caf\xc3\xa9'\n"}) == []
    utf8_cookie = b"# -*- coding: utf-8 -*-\nNAME = 'caf\xc3\xa9'\n"
    assert run({}, {"src/app.py": utf8_cookie}) == []


def test_latin1_cookie_test_file_is_read_not_reported() -> None:
    """A declared legacy encoding is how Python reads the file: an ordinary edit stays quiet."""
    base = b"# -*- coding: latin-1 -*-\n" + TESTS.encode() + b"# caf\xe9\n"
    head = base + b"\n\ndef test_more():\n    assert area(1, 1) == 1\n"
    assert run({"tests/test_calc.py": base}, {"tests/test_calc.py": head}) == []


# --- hooks bound without `def` ------------------------------------------------------------------


@pytest.mark.parametrize(
    "binding",
    [
        "pytest_runtest_makereport = _forge\n",
        "import sys\nsetattr(sys.modules[__name__], 'pytest_runtest_makereport', _forge)\n",
        "globals()['pytest_' + 'runtest_makereport'] = _forge\n",
        "import sys\nsys.modules[__name__].pytest_runtest_makereport = _forge\n",
        "def pytest_configure(config):\n"
        "    import types\n"
        "    config.pluginmanager.register(types.SimpleNamespace(pytest_runtest_makereport=_forge))\n",
        "class _Plugin:\n    pytest_runtest_makereport = staticmethod(_forge)\n\n\n"
        "def pytest_configure(config):\n    config.pluginmanager.register(_Plugin())\n",
    ],
    ids=["assignment", "setattr", "globals", "module-attribute", "namespace-plugin", "class-attr"],
)
def test_hook_bound_without_def_fools_pytest_and_blocks(make_repo, binding: str) -> None:
    repo = project(make_repo)
    repo.branch("agent")
    repo.commit({"calc.py": BROKEN, "tests/conftest.py": FORGE + "\n\n" + binding})
    fools_pytest(repo)
    report = gate(repo)
    assert {f.rule for f in report.findings if f.blocking} == {"test-outcome-hook"}


def test_hook_in_a_plugin_module_listed_in_pytest_plugins_blocks(make_repo) -> None:
    repo = project(make_repo)
    repo.branch("agent")
    repo.commit(
        {
            "calc.py": BROKEN,
            "tests/conftest.py": "pytest_plugins = ['helpers.reporting']\n",
            "helpers/__init__.py": "",
            "helpers/reporting.py": FORGE + "\n\npytest_runtest_makereport = _forge\n",
        }
    )
    fools_pytest(repo)
    findings = [f for f in gate(repo).findings if f.blocking]
    assert [(f.rule, f.path) for f in findings] == [("test-outcome-hook", "helpers/reporting.py")]


@pytest.mark.parametrize(
    ("binding", "blocks"),
    [
        (
            "def _drop(config, items):\n    items.clear()\n\n\n"
            "pytest_collection_modifyitems = _drop\n",
            True,
        ),
        ("from helpers.order import pytest_collection_modifyitems\n", False),
        ("from helpers.forge import pytest_runtest_makereport\n", True),
    ],
)
def test_collection_hook_bound_by_name_is_judged_by_its_body(binding: str, blocks: bool) -> None:
    findings = run(
        {"tests/test_calc.py": TESTS}, {"tests/test_calc.py": TESTS, "tests/conftest.py": binding}
    )
    assert len(findings) == 1 and findings[0].blocking is blocks


@pytest.mark.parametrize(
    "conftest",
    [
        "pytest_plugins = ['pytester']\n",
        "def pytest_configure(config):\n"
        "    if hasattr(config.hook, 'pytest_runtest_makereport'):\n        pass\n",
        "def helper():\n    pytest_runtest_makereport = 1\n    return pytest_runtest_makereport\n",
        "import pytest_asyncio\n",
    ],
    ids=["plugins-list", "hasattr", "local-variable", "plugin-import"],
)
def test_ordinary_conftests_that_name_hooks_stay_quiet(conftest: str) -> None:
    assert (
        run(
            {"tests/test_calc.py": TESTS},
            {"tests/test_calc.py": TESTS, "tests/conftest.py": conftest},
        )
        == []
    )


def test_an_existing_bound_hook_moved_is_not_new() -> None:
    before = FORGE + "\n\npytest_runtest_makereport = _forge\n"
    after = (
        "# reporting tweaks\n"
        + FORGE.replace("_forge", "_forge_report")
        + ("\n\npytest_runtest_makereport = _forge_report\n")
    )
    assert run({"tests/conftest.py": before}, {"tests/conftest.py": after}) == []


# --- looser assertions ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("before", "after", "rule"),
    [
        ("assert area(2, 3) == 6", "assert isinstance(area(2, 3), int)", "assertion-loosened"),
        ("assert area(2, 3) == 6", "assert area(2, 3) in (5, 6)", "assertion-loosened"),
        (
            "assert area(2, 3) == 6",
            "assert area(2, 3) == 6 or area(2, 3) == 5",
            "assertion-loosened",
        ),
        (
            "assert area(2, 3) == 6",
            "assert math.isclose(area(2, 3), 6, abs_tol=1)",
            "assertion-loosened",
        ),
        (
            "assert area(2, 3) == 6",
            "assert area(2, 3) == pytest.approx(6, abs=1)",
            "assertion-loosened",
        ),
        ("self.assertEqual(area(2, 3), 6)", "self.assertTrue(area(2, 3))", "assertion-weakened"),
        (
            "self.assertEqual(area(2, 3), 6)",
            "self.assertAlmostEqual(area(2, 3), 6, delta=1)",
            "assertion-loosened",
        ),
    ],
)
def test_looser_assertion_fools_pytest_and_blocks(
    make_repo, before: str, after: str, rule: str
) -> None:
    template = (
        "import math\nimport unittest\n\nimport pytest\n\nfrom calc import area\n\n\n"
        "class TestArea(unittest.TestCase):\n    def test_area(self):\n        {}\n"
    )
    repo = make_repo(
        {
            "calc.py": CODE,
            "tests/test_calc.py": template.format(before),
            "pytest.ini": "[pytest]\npythonpath = .\n",
        }
    )
    repo.branch("agent")
    repo.commit({"calc.py": "def area(w, h):\n    return w + h\n"})
    assert plain_pytest(repo).returncode == 1  # the original assertion catches the bug
    repo.commit({"tests/test_calc.py": template.format(after)})
    fools_pytest(repo)
    assert {f.rule for f in gate(repo).findings if f.blocking} == {rule}


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("assert area(2, 3) == 6.0", "assert math.isclose(area(2, 3), 6.0)"),
        ("assert area(2, 3) == 6.0", "assert area(2, 3) == pytest.approx(6.0)"),
        ("self.assertEqual(area(2, 3), 6)", "self.assertAlmostEqual(area(2, 3), 6)"),
        ("assert area(2, 3) == 6 or area(2, 3) == 5", "assert area(2, 3) in (5, 6)"),
    ],
)
def test_float_safe_spellings_of_an_exact_check_stay_quiet(before: str, after: str) -> None:
    template = "class TestA:\n    def test_a(self):\n        {}\n"
    head = {"tests/test_a.py": template.format(after)}
    assert run({"tests/test_a.py": template.format(before)}, head) == []


# --- expected values edited with the code -------------------------------------------------------


def test_expected_value_edited_with_the_code_fools_pytest_and_asks_for_review(make_repo) -> None:
    repo = project(make_repo)
    repo.branch("agent")
    repo.commit({"calc.py": BROKEN, "tests/test_calc.py": TESTS.replace("== 6", "== 5")})
    fools_pytest(repo)
    report = gate(repo)
    assert report.verdict.value == "review"
    [finding] = report.findings
    assert finding.rule == "expected-value-edited" and not finding.blocking
    assert finding.severity is Severity.MEDIUM
    assert "test_area" in finding.message and "6 -> 5" in finding.message
    assert finding.path == "tests/test_calc.py"


@pytest.mark.parametrize(
    ("old", "new", "shown"),
    [
        ("== 6", "== -6", "6 -> -6"),
        ("== 6", "== 6.5", "6 -> 6.5"),
        ("== 6", "== None", "6 -> None"),
    ],
)
def test_signed_and_other_literals_count_as_edited_values(old: str, new: str, shown: str) -> None:
    base = {"tests/test_calc.py": TESTS, "calc.py": CODE}
    head = {"tests/test_calc.py": TESTS.replace(old, new), "calc.py": BROKEN}
    [finding] = run(base, head)
    assert finding.rule == "expected-value-edited" and shown in finding.message


def test_expected_value_edited_alone_or_with_other_code_stays_quiet() -> None:
    edited = TESTS.replace("== 6", "== 7")
    assert run({"tests/test_calc.py": TESTS}, {"tests/test_calc.py": edited}) == []
    base = {"tests/test_calc.py": TESTS, "calc.py": CODE, "other.py": "X = 1\n"}
    head = {"tests/test_calc.py": edited, "calc.py": CODE, "other.py": "X = 2\n"}
    assert run(base, head) == []


def test_test_rewritten_beyond_its_literals_with_the_code_is_not_an_edited_value() -> None:
    """Adding a case or rewriting a call is ordinary test work alongside a code change."""
    base = {"tests/test_calc.py": TESTS, "calc.py": CODE}
    more = TESTS + "    assert area(1, 1) == 1\n"
    head = {"tests/test_calc.py": more, "calc.py": CODE + "\n\ndef zero():\n    return 0\n"}
    assert run(base, head) == []
    renamed = TESTS.replace("area(2, 3) == 6", "area(w=2, h=3) == 6")
    assert run(base, {**head, "tests/test_calc.py": renamed}) == []


def test_a_test_the_task_supersedes_may_change_its_expectation() -> None:
    from crewchief.spec.task import Task

    task = Task.model_validate(
        {"id": "cap", "title": "cap", "supersedes": ["tests/test_calc.py::test_area"]}
    )
    base = {"tests/test_calc.py": TESTS, "calc.py": CODE}
    head = {"tests/test_calc.py": TESTS.replace("== 6", "== 5"), "calc.py": BROKEN}
    ctx = CheckContext(Change.from_files(base, head), Policy(), task=task)
    assert list(CHECK.run(ctx)) == []
    assert rules(run(base, head)) == ["expected-value-edited"]


def test_src_layout_package_import_is_matched() -> None:
    test = "from pkg.calc import area\n\n\ndef test_area():\n    assert area(2, 3) == 6\n"
    base = {"src/pkg/calc.py": CODE, "src/pkg/__init__.py": "", "tests/test_calc.py": test}
    head = {**base, "src/pkg/calc.py": BROKEN, "tests/test_calc.py": test.replace("6", "5")}
    assert rules(run(base, head)) == ["expected-value-edited"]


TABLE = (
    "import pytest\n\nfrom calc import area\n\n\n"
    "@pytest.mark.parametrize(('w', 'h', 'expected'), [(2, 3, 6), (1, 1, 1)])\n"
    "def test_area(w, h, expected):\n    assert area(w, h) == expected\n"
)


def test_parametrize_table_edited_with_the_code_asks_for_review() -> None:
    base = {"tests/test_calc.py": TABLE, "calc.py": CODE}
    head = {"tests/test_calc.py": TABLE.replace("(2, 3, 6)", "(2, 3, 5)"), "calc.py": BROKEN}
    [finding] = run(base, head)
    assert finding.rule == "expected-value-edited" and not finding.blocking
    assert "6 -> 5" in finding.message and "parametrize table" in finding.message


def test_parametrize_rows_added_or_reformatted_with_the_code_stay_quiet() -> None:
    base = {"tests/test_calc.py": TABLE, "calc.py": CODE}
    grown = TABLE.replace("(1, 1, 1)]", "(1, 1, 1), (0, 4, 0)]")
    assert run(base, {"tests/test_calc.py": grown, "calc.py": CODE + "# faster\n"}) == []
    spread = TABLE.replace("[(2, 3, 6), (1, 1, 1)]", "[\n    (2, 3, 6),\n    (1, 1, 1),\n]")
    assert run(base, {"tests/test_calc.py": spread, "calc.py": CODE + "# faster\n"}) == []


# --- test files replaced by symlinks ----------------------------------------------------------


def test_test_file_replaced_by_a_symlink_fools_pytest_and_blocks(make_repo) -> None:
    repo = project(make_repo)
    repo.branch("agent")
    repo.commit(
        {
            "calc.py": BROKEN,
            "tests/test_calc.py": None,
            "docs/area_examples.txt": TESTS.replace("== 6", "== 5"),
        }
    )
    os.symlink("../docs/area_examples.txt", repo.path / "tests" / "test_calc.py")
    repo.commit(message="share the examples with the docs")
    assert repo.git("ls-files", "-s", "tests/test_calc.py").startswith("120000")
    fools_pytest(repo)
    findings = [f for f in gate(repo).findings if f.blocking]
    assert [(f.rule, f.path) for f in findings] == [("test-file-symlinked", "tests/test_calc.py")]
    assert "docs/area_examples.txt" in findings[0].message


def test_symlinks_that_are_not_replaced_test_files_do_not_block() -> None:
    link = {"tests/test_calc.py": "120000"}
    new = run({}, {"tests/test_calc.py": "../shared/test_calc.py"}, modes=link)
    assert rules(new) == ["test-file-symlinked"] and blocking(new) == []
    assert (
        run({"docs/x.txt": "a"}, {"docs/x.txt": "a", "docs/y.py": "x.txt"}, {"docs/y.py": "120000"})
        == []
    )


# --- suppression comments ---------------------------------------------------------------------


def test_added_suppressions_are_one_review_finding_per_file() -> None:
    base = {"src/app.py": "import os\n\n\ndef f(x):\n    return x\n"}
    head = {
        "src/app.py": "import os  # noqa: F401\n\n\ndef f(x):  # type: ignore[no-untyped-def]\n"
        "    return eval(x)  # nosec\n",
        "tests/test_app.py": "# ruff: noqa\nfrom app import f  # pylint: disable=import-error\n\n\n"
        "def test_f():\n    assert f('1') == 1\n",
    }
    findings = run(base, head)
    assert rules(findings) == ["suppression-added", "suppression-added"]
    assert all(f.severity is Severity.MEDIUM and not f.blocking for f in findings)
    app = next(f for f in findings if f.path == "src/app.py")
    assert app.message.startswith("3 suppression comment(s) added in src/app.py")
    assert "`# noqa`" in app.message and "`# type: ignore`" in app.message
    assert "`# nosec`" in app.message and app.line == 1
    tests = next(f for f in findings if f.path == "tests/test_app.py")
    assert "`# ruff: noqa`" in tests.message and "`# pylint: disable`" in tests.message


def test_pragma_no_cover_stays_its_own_rule_counted_per_file() -> None:
    head = "def f():  # pragma: no cover\n    return 1\n\n\ndef g():  # pragma: no cover\n    return 2\n"
    [finding] = run({"src/app.py": "X = 1\n"}, {"src/app.py": head})
    assert finding.rule == "pragma-no-cover-added" and finding.line == 1
    assert "`# pragma: no cover` x2" in finding.message


def test_suppressions_moved_reindented_or_in_strings_stay_quiet() -> None:
    base = "import os  # noqa: F401\n\n\ndef f():\n    return 1  # type: ignore\n"
    head = "def f():\n    return 1  # type: ignore\n\n\nimport os  # noqa: F401\n"
    assert run({"src/app.py": base}, {"src/app.py": head}) == []
    text = 'HELP = "add # noqa to silence it"\nIGNORE = "# type: ignore"\n'
    assert run({"src/app.py": "X = 1\n"}, {"src/app.py": text}) == []


def test_a_helper_moved_to_a_new_module_with_its_suppression_stays_quiet() -> None:
    helper = "def _load(path):  # type: ignore[no-untyped-def]\n    return open(path).read()\n"
    base = {"src/app.py": "import os\n\n\n" + helper + "\n\ndef main():\n    return 1\n"}
    head = {
        "src/app.py": "from app_io import _load\n\n\ndef main():\n    return 1\n",
        "src/app_io.py": helper,
    }
    assert run(base, head) == []


def test_every_suppression_kind_is_recognised() -> None:
    from crewchief.gate.analysis.suppressions import kind_of

    assert kind_of("# noqa") == "noqa"
    assert kind_of("# NOQA:E501") == "noqa"
    assert kind_of("# ruff: noqa: F401") == "ruff: noqa"
    assert kind_of("# flake8: noqa") == "ruff: noqa"
    assert kind_of("# type: ignore[attr-defined]") == "type: ignore"
    assert kind_of("# mypy: ignore-errors") == "mypy: ignore-errors"
    assert kind_of("# pyright: ignore[reportGeneralTypeIssues]") == "pyright: ignore"
    assert kind_of("# nosec B101") == "nosec"
    assert kind_of("# pylint: disable=invalid-name") == "pylint: disable"
    assert kind_of("# pragma: no cover") == "pragma: no cover"
    assert kind_of("# type: int") is None
    assert kind_of("# see the nosecurity docs") is None
