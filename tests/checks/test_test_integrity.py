from __future__ import annotations

from collections.abc import Mapping
from textwrap import dedent

import pytest

from crewchief.gate.change import Change
from crewchief.gate.check import CheckContext
from crewchief.gate.checks.test_integrity.check import CHECK
from crewchief.gate.engine import GateRequest, run_gate
from crewchief.gate.findings import Finding, Severity
from crewchief.spec.policy import Policy


def run(
    base: Mapping[str, str | bytes], head: Mapping[str, str | bytes], policy: Policy | None = None
) -> list[Finding]:
    return list(CHECK.run(CheckContext(Change.from_files(base, head), policy or Policy())))


def rules(findings: list[Finding]) -> list[str]:
    return sorted(f.rule for f in findings)


def blocking(findings: list[Finding]) -> list[str]:
    return sorted(f.rule for f in findings if f.blocking)


def src(text: str) -> str:
    return dedent(text).lstrip()


BASE = src(
    """
    import pytest

    from app import add, div

    def test_add():
        assert add(1, 2) == 3
        assert add(0, 0) == 0

    def test_div():
        with pytest.raises(ZeroDivisionError):
            div(1, 0)

    class TestMore:
        def test_neg(self):
            assert add(-1, -1) == -2
    """
)


# --- deleted and uncollected tests ------------------------------------------------------------


def test_deleted_function_blocks() -> None:
    head = BASE.replace("def test_div():\n    with pytest.raises(ZeroDivisionError):\n", "")
    head = head.replace("        div(1, 0)\n", "")
    findings = run({"tests/test_app.py": BASE}, {"tests/test_app.py": head})
    assert blocking(findings) == ["test-deleted"]
    (finding,) = findings
    assert "test_div" in finding.message
    assert finding.path == "tests/test_app.py"
    assert finding.line == 9  # the line in the base file
    assert finding.severity is Severity.HIGH


def test_deleted_class_reports_each_method() -> None:
    head = BASE.split("class TestMore")[0]
    findings = run({"tests/test_app.py": BASE}, {"tests/test_app.py": head})
    assert [f.message.split()[1] for f in findings] == ["TestMore.test_neg"]
    assert blocking(findings) == ["test-deleted"]


def test_deleted_file_reports_every_test() -> None:
    findings = run({"tests/test_app.py": BASE}, {})
    assert blocking(findings) == ["test-deleted"] * 3


def test_function_renamed_out_of_collection() -> None:
    head = BASE.replace("def test_div", "def check_div")
    findings = run({"tests/test_app.py": BASE}, {"tests/test_app.py": head})
    assert blocking(findings) == ["test-not-collected"]


def test_file_renamed_to_uncollected_name() -> None:
    findings = run({"tests/test_app.py": BASE}, {"tests/app_checks.py": BASE})
    assert blocking(findings) == ["test-not-collected"] * 3


def test_class_given_init_is_not_collected() -> None:
    head = BASE.replace(
        "class TestMore:\n", "class TestMore:\n    def __init__(self):\n        pass\n\n"
    )
    findings = run({"tests/test_app.py": BASE}, {"tests/test_app.py": head})
    assert blocking(findings) == ["test-not-collected"]


def test_dunder_test_false_disables_a_class() -> None:
    head = BASE.replace("class TestMore:\n", "class TestMore:\n    __test__ = False\n")
    findings = run({"tests/test_app.py": BASE}, {"tests/test_app.py": head})
    assert blocking(findings) == ["test-not-collected"]


def test_custom_python_functions_from_base_config() -> None:
    config = '[tool.pytest.ini_options]\npython_functions = ["check_*"]\n'
    base = {"pyproject.toml": config, "tests/test_x.py": "def check_one():\n    assert 1 == 1\n"}
    head = {"pyproject.toml": config, "tests/test_x.py": "def helper():\n    pass\n"}
    assert blocking(run(base, head)) == ["test-deleted"]


def test_unittest_methods_are_tests_whatever_the_class_name() -> None:
    base = src(
        """
        import unittest

        class Checks(unittest.TestCase):
            def test_a(self):
                self.assertEqual(1, 1)
        """
    )
    head = "import unittest\n\nclass Checks(unittest.TestCase):\n    pass\n"
    assert blocking(run({"tests/test_u.py": base}, {"tests/test_u.py": head})) == ["test-deleted"]


# --- assertions -------------------------------------------------------------------------------


def test_fewer_assertions_block() -> None:
    head = BASE.replace("    assert add(0, 0) == 0\n", "")
    findings = run({"tests/test_app.py": BASE}, {"tests/test_app.py": head})
    assert blocking(findings) == ["assertions-removed"]
    assert "1 assertion(s), down from 2" in findings[0].message


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("assert result == 3", "assert result"),
        ("assert result == 3", "assert result is not None"),
        ("assert result is None", "assert result != 4"),
        ("self.assertEqual(result, 3)", "self.assertTrue(result)"),
        ("self.assertEqual(result, 3)", "self.assertIsNotNone(result)"),
        ("mock.assert_called_once_with(3)", "mock.assert_called()"),
    ],
)
def test_weakened_assertion_blocks(before: str, after: str) -> None:
    template = "class TestW:\n    def test_w(self):\n        result = 3\n        {}\n"
    findings = run(
        {"tests/test_w.py": template.format(before)}, {"tests/test_w.py": template.format(after)}
    )
    assert blocking(findings) == ["assertion-weakened"]


@pytest.mark.parametrize(
    ("before", "after", "kind"),
    [
        (
            "assert parse(x) == 3",
            "with pytest.raises(ValueError):\n            parse(x)\n"
            "        with pytest.raises(TypeError):\n            parse(None)",
            "an expected exception",
        ),
        ("assert parse(x) == 3", "assert isinstance(parse(x), int)", "a type check"),
        ("assert parse(x) == [3]", "assert 3 in parse(x)", "a membership test"),
        ("assert parse(x) == 3", "assert parse(x) >= 3", "an inequality"),
        ("assert parse(x) == 3", "assert parse(x) < 4", "an inequality"),
        ("self.assertEqual(parse(x), 3)", "self.assertIsInstance(parse(x), int)", "a type check"),
        ("self.assertEqual(parse(x), 3)", "self.assertIn(parse(x), (3, 4))", "a membership test"),
        (
            "assert parse(x) == 3.0",
            "assert parse(x) == pytest.approx(3.0, abs=0.5)",
            "an approximate comparison",
        ),
    ],
)
def test_exact_assertion_loosened_blocks_even_when_the_count_grows(
    before: str, after: str, kind: str
) -> None:
    template = "class TestP:\n    def test_p(self):\n        x = '3'\n        {}\n"
    findings = run(
        {"tests/test_p.py": template.format(before)}, {"tests/test_p.py": template.format(after)}
    )
    assert blocking(findings) == ["assertion-loosened"]
    [finding] = findings
    assert kind in finding.message
    assert f"was `{before}`" in finding.message
    assert "now `" in finding.message and finding.line == 2


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("assert parse(x) == 3", "assert parse(x) == 4"),  # a new exact value
        ("assert parse(x) == 3", "assert parse(x) == 3\n        assert 3 in [parse(x)]"),
        ("assert parse(x) >= 3", "assert parse(x) > 2"),  # loose before already
        ("self.assertEqual(parse(x), 3)", "assert parse(x) == 3"),  # same check, other spelling
        ("assert parse(x) == 3", "assert parse(x) == pytest.approx(3)"),  # default tolerance
        ("assert parse(x) == 3", "check(parse(x))"),  # moved into a helper that stays exact
    ],
)
def test_exact_assertion_kept_or_replaced_by_exact_is_fine(before: str, after: str) -> None:
    helper = "def check(v):\n    assert v == 3\n\n"
    template = helper + "class TestP:\n    def test_p(self):\n        x = '3'\n        {}\n"
    findings = run(
        {"tests/test_p.py": template.format(before)}, {"tests/test_p.py": template.format(after)}
    )
    assert findings == []


def test_weakened_to_truthiness_says_what_it_was_and_is() -> None:
    template = "def test_p():\n    x = '3'\n    {}\n"
    before, after = "assert parse(x) == 3", "assert parse(x) is not None"
    findings = run(
        {"tests/test_p.py": template.format(before)}, {"tests/test_p.py": template.format(after)}
    )
    assert rules(findings) == ["assertion-weakened"]
    assert f"(was `{before}`, now `{after}`)" in findings[0].message


def test_switch_to_raises_is_fine_when_the_code_now_raises_it() -> None:
    base_test = "from app import parse\n\ndef test_p():\n    assert parse('') == 0\n"
    head_test = (
        "import pytest\nfrom app import parse\n\ndef test_p():\n"
        "    with pytest.raises(ValueError):\n        parse('')\n"
    )
    base_app = "def parse(s):\n    return int(s or 0)\n"
    head_app = (
        "def parse(s):\n    if not s:\n        raise ValueError('empty')\n    return int(s)\n"
    )
    base = {"app.py": base_app, "tests/test_p.py": base_test}
    assert run(base, {"app.py": head_app, "tests/test_p.py": head_test}) == []
    # the same test change without the code raising anything new is a weakening
    [finding] = run(base, {**base, "tests/test_p.py": head_test})
    assert finding.rule == "assertion-loosened" and finding.blocking
    # and expecting a different error than the one the code now raises is one too
    other = head_test.replace("ValueError", "KeyError")
    assert rules(run(base, {"app.py": head_app, "tests/test_p.py": other})) == [
        "assertion-loosened"
    ]


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("assert x == pytest.approx(1.0)", "assert x == pytest.approx(1.0, rel=0.1)"),
        ("assert x == approx(1.0, abs=1e-9)", "assert x == approx(1.0, abs=10**-3)"),
        ("self.assertAlmostEqual(x, 1.0)", "self.assertAlmostEqual(x, 1.0, places=2)"),
        ("self.assertAlmostEqual(x, 1.0, 5)", "self.assertAlmostEqual(x, 1.0, 3)"),
        ("self.assertAlmostEqual(x, 1, delta=0.01)", "self.assertAlmostEqual(x, 1, delta=0.5)"),
        ("assert math.isclose(x, 1.0)", "assert math.isclose(x, 1.0, rel_tol=1e-3)"),
        ("assert abs(x - 1) < 1e-6", "assert abs(x - 1) < 0.1"),
    ],
)
def test_loosened_tolerance_blocks(before: str, after: str) -> None:
    template = "class TestT:\n    def test_t(self):\n        x = 1.0\n        {}\n"
    findings = run(
        {"tests/test_t.py": template.format(before)}, {"tests/test_t.py": template.format(after)}
    )
    assert blocking(findings) == ["tolerance-loosened"]


def test_tightened_tolerance_is_fine() -> None:
    template = "def test_t():\n    assert 1.0 == pytest.approx(1.0, rel={})\n"
    assert (
        run(
            {"tests/test_t.py": template.format("0.1")},
            {"tests/test_t.py": template.format("1e-3")},
        )
        == []
    )


# --- skips ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "edit",
    [
        lambda s: s.replace("def test_div", "@pytest.mark.skip(reason='flaky')\ndef test_div"),
        lambda s: s.replace("def test_div", "@pytest.mark.xfail\ndef test_div"),
        lambda s: s.replace("def test_div", "@pytest.mark.skipif(True, reason='x')\ndef test_div"),
        lambda s: s.replace("def test_div():\n", "def test_div():\n    pytest.skip('later')\n"),
        lambda s: s.replace("def test_div():\n", "def test_div():\n    pytest.xfail('later')\n"),
        lambda s: s.replace(
            "    def test_neg(self):\n", "    def test_neg(self):\n        self.skipTest('no')\n"
        ),
        lambda s: s.replace("class TestMore", "@unittest.skip('no')\nclass TestMore"),
        lambda s: s.replace("    def test_neg", "    @unittest.expectedFailure\n    def test_neg"),
        lambda s: s.replace(
            "def test_div():\n", "def test_div():\n    raise unittest.SkipTest('x')\n"
        ),
    ],
)
def test_added_skip_blocks(edit: object) -> None:
    head = edit(BASE)  # type: ignore[operator]
    findings = run({"tests/test_app.py": BASE}, {"tests/test_app.py": head})
    assert blocking(findings) == ["test-skipped"]


def test_skip_mark_on_parametrize_case_blocks() -> None:
    base = src(
        """
        import pytest

        @pytest.mark.parametrize("n", [1, 2])
        def test_n(n):
            assert n > 0
        """
    )
    head = base.replace("[1, 2]", "[1, pytest.param(2, marks=pytest.mark.xfail)]")
    assert blocking(run({"tests/test_p.py": base}, {"tests/test_p.py": head})) == ["test-skipped"]


def test_module_level_skip_blocks() -> None:
    head = BASE.replace("import pytest\n", "import pytest\n\npytestmark = pytest.mark.skip\n")
    findings = run({"tests/test_app.py": BASE}, {"tests/test_app.py": head})
    assert blocking(findings) == ["module-skipped"]
    head = BASE.replace(
        "import pytest\n", "import pytest\npytest.skip('x', allow_module_level=True)\n"
    )
    assert blocking(run({"tests/test_app.py": BASE}, {"tests/test_app.py": head})) == [
        "module-skipped"
    ]


def test_conftest_collect_ignore_blocks() -> None:
    findings = run(
        {"tests/test_app.py": BASE},
        {"tests/test_app.py": BASE, "tests/conftest.py": 'collect_ignore = ["test_app.py"]\n'},
    )
    assert blocking(findings) == ["module-skipped"]


def test_new_skipped_test_needs_review_only() -> None:
    head = (
        BASE + "\n@pytest.mark.skip(reason='needs network')\ndef test_fetch():\n    assert 1 == 1\n"
    )
    findings = run({"tests/test_app.py": BASE}, {"tests/test_app.py": head})
    assert rules(findings) == ["new-test-skipped"]
    assert blocking(findings) == []
    assert findings[0].severity is Severity.MEDIUM


# --- config -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "addopts",
    [
        "-q -k 'not slow_thing'",
        "-q -m 'not integration'",
        "-q --deselect tests/test_app.py::test_div",
        "-q --ignore=tests/test_app.py",
        "-q --ignore-glob='*_slow.py'",
        "-q -p no:warnings",
        "-q --collect-only",
        "-q tests/test_other.py",
    ],
)
def test_addopts_that_deselect_block(addopts: str) -> None:
    base = {"pytest.ini": "[pytest]\naddopts = -q\n"}
    head = {"pytest.ini": f"[pytest]\naddopts = {addopts}\n"}
    findings = run(base, head)
    assert blocking(findings) == ["pytest-config-deselects"]
    assert findings[0].path == "pytest.ini"
    assert findings[0].line == 2


def test_harmless_addopts_change_is_fine() -> None:
    base = {"pyproject.toml": '[tool.pytest.ini_options]\naddopts = "-q"\n'}
    head = {"pyproject.toml": '[tool.pytest.ini_options]\naddopts = "-q -ra -p no:cacheprovider"\n'}
    assert run(base, head) == []


def test_testpaths_narrowed_blocks() -> None:
    base = {"setup.cfg": "[tool:pytest]\ntestpaths = tests integration\n"}
    head = {"setup.cfg": "[tool:pytest]\ntestpaths = tests\n"}
    assert blocking(run(base, head)) == ["pytest-testpaths-narrowed"]
    wider = {"setup.cfg": "[tool:pytest]\ntestpaths = tests integration e2e\n"}
    assert run(base, wider) == []


def test_testpaths_introduced_needs_review() -> None:
    findings = run(
        {"tox.ini": "[tox]\nenvlist = py\n"},
        {"tox.ini": "[tox]\nenvlist = py\n[pytest]\ntestpaths = unit\n"},
    )
    assert rules(findings) == ["pytest-testpaths-narrowed"]
    assert blocking(findings) == []


@pytest.mark.parametrize(
    ("key", "value"),
    [("python_files", "check_*.py"), ("python_functions", "it_*"), ("norecursedirs", "tests")],
)
def test_collection_narrowed_blocks(key: str, value: str) -> None:
    base = {"pytest.ini": "[pytest]\naddopts = -q\n"}
    head = {"pytest.ini": f"[pytest]\naddopts = -q\n{key} = {value}\n"}
    assert blocking(run(base, head)) == ["pytest-collection-narrowed"]


def test_python_files_widened_is_fine() -> None:
    base = {"pytest.ini": "[pytest]\npython_files = test_*.py\n"}
    head = {"pytest.ini": "[pytest]\npython_files = test_*.py check_*.py\n"}
    assert run(base, head) == []


@pytest.mark.parametrize(
    ("path", "before", "after"),
    [
        (
            "pyproject.toml",
            "[tool.coverage.report]\nfail_under = 90\n",
            "[tool.coverage.report]\nfail_under = 80\n",
        ),
        (".coveragerc", "[report]\nfail_under = 90\n", "[report]\nfail_under = 50.5\n"),
        (
            "setup.cfg",
            "[coverage:report]\nfail_under = 90\n",
            "[coverage:report]\nshow_missing = true\n",
        ),
        ("tox.ini", "[coverage:report]\nfail_under = 90\n", "[coverage:report]\nfail_under = 0\n"),
        (
            "pytest.ini",
            "[pytest]\naddopts = --cov=app --cov-fail-under=95\n",
            "[pytest]\naddopts = --cov=app --cov-fail-under 60\n",
        ),
    ],
)
def test_coverage_threshold_lowered_blocks(path: str, before: str, after: str) -> None:
    findings = run({path: before}, {path: after})
    assert blocking(findings) == ["coverage-threshold-lowered"]
    assert findings[0].path == path


def test_coverage_threshold_raised_is_fine() -> None:
    before, after = "[report]\nfail_under = 80\n", "[report]\nfail_under = 90\n"
    assert run({".coveragerc": before}, {".coveragerc": after}) == []


def test_xfail_strict_disabled_blocks() -> None:
    base = {"pytest.ini": "[pytest]\nxfail_strict = true\n"}
    head = {"pytest.ini": "[pytest]\nxfail_strict = false\n"}
    assert blocking(run(base, head)) == ["xfail-strict-disabled"]


@pytest.mark.parametrize(
    ("before", "after", "named"),
    [
        ("filterwarnings =\n    error\n", "", "filterwarnings"),
        ("", "empty_parameter_set_mark = xfail\n", "empty_parameter_set_mark"),
        ("addopts = -q\n", "addopts = -q --import-mode=importlib\n", "--import-mode=importlib"),
        ("addopts = -q --runslow\n", "addopts = -q\n", "--runslow"),
        ("pythonpath = src\n", "pythonpath = src vendor\n", "pythonpath"),
    ],
)
def test_a_setting_off_the_allow_list_asks_for_review(before: str, after: str, named: str) -> None:
    """Nothing here is on the deny-list, and each can change what the suite proves."""
    findings = run({"pytest.ini": f"[pytest]\n{before}"}, {"pytest.ini": f"[pytest]\n{after}"})
    assert rules(findings) == ["test-config-changed"], findings
    assert blocking(findings) == []
    assert f"`{named}`" in findings[0].message


def test_output_and_marker_settings_are_on_the_allow_list() -> None:
    base = {"pytest.ini": "[pytest]\naddopts = -q\n"}
    head = {
        "pytest.ini": "[pytest]\naddopts = -q -ra --tb short --strict-markers\nlog_cli = true\n"
        "markers =\n    slow: slow tests\nconsole_output_style = count\n"
    }
    assert run(base, head) == []


def test_config_moved_between_files_is_fine() -> None:
    base = {"setup.cfg": "[tool:pytest]\naddopts = -q\ntestpaths = tests\n"}
    head = {
        "setup.cfg": "[metadata]\nname = x\n",
        "pyproject.toml": '[tool.pytest.ini_options]\naddopts = "-q"\ntestpaths = ["tests"]\n',
    }
    assert run(base, head) == []


def test_broken_config_is_reported_not_fatal() -> None:
    findings = run(
        {"pyproject.toml": "[project]\nname = 'x'\n"}, {"pyproject.toml": "[project\nname = \n"}
    )
    assert rules(findings) == ["test-config-unreadable"]
    assert blocking(findings) == []


# --- pragmas, hooks, exits, syntax ------------------------------------------------------------


def test_added_pragma_no_cover_needs_review() -> None:
    base = {"src/app.py": "def f():\n    return 1  # pragma: no cover\n"}
    head = {
        "src/app.py": "def f():\n    return 1  # pragma: no cover\n\ndef g():  # pragma: no cover\n    return 2\n"
    }
    findings = run(base, head)
    assert rules(findings) == ["pragma-no-cover-added"]
    assert findings[0].line == 4
    assert not findings[0].blocking
    assert findings[0].severity is Severity.MEDIUM


def test_pragma_inside_a_string_is_not_a_comment() -> None:
    head = {"src/app.py": 'TEXT = "# pragma: no cover"\n'}
    assert run({"src/app.py": "TEXT = ''\n"}, head) == []


@pytest.mark.parametrize(
    ("hook", "rule"),
    [
        ("def pytest_runtest_makereport(item, call):\n    pass\n", "test-outcome-hook"),
        (
            "import pytest\n\n@pytest.hookimpl(hookwrapper=True)\n"
            "def pytest_pyfunc_call(pyfuncitem):\n    yield\n",
            "test-outcome-hook",
        ),
        (
            "def pytest_collection_modifyitems(config, items):\n"
            "    items[:] = [i for i in items if 'slow' not in i.name]\n",
            "test-collection-hook",
        ),
        (
            "def pytest_collection_modifyitems(config, items):\n"
            "    for i in list(items):\n        items.remove(i)\n",
            "test-collection-hook",
        ),
        (
            "def pytest_collection_modifyitems(config, items):\n"
            "    config.hook.pytest_deselected(items=items)\n",
            "test-collection-hook",
        ),
        (
            "def pytest_collection_modifyitems(config, items):\n"
            "    for i in items:\n        i.add_marker(pytest.mark.skip)\n",
            "test-collection-hook",
        ),
        (
            "def pytest_ignore_collect(collection_path, config):\n    return True\n",
            "test-collection-hook",
        ),
        (
            "def pytest_sessionfinish(session, exitstatus):\n    session.exitstatus = 0\n",
            "test-collection-hook",
        ),
    ],
)
def test_outcome_and_tampering_hooks_block(hook: str, rule: str) -> None:
    findings = run(
        {"tests/test_app.py": BASE}, {"tests/test_app.py": BASE, "tests/conftest.py": hook}
    )
    assert blocking(findings) == [rule]
    assert findings[0].severity is Severity.HIGH


def test_outcome_hook_in_a_plugin_module_blocks() -> None:
    plugin = "def pytest_report_teststatus(report, config):\n    return 'passed', '.', 'PASSED'\n"
    findings = run({"src/app.py": "X = 1\n"}, {"src/app.py": "X = 1\n", "src/plug.py": plugin})
    assert blocking(findings) == ["test-outcome-hook"]


def test_importorskip_is_not_a_skip() -> None:
    head = BASE.replace("import pytest\n", "import pytest\n\nnp = pytest.importorskip('numpy')\n")
    assert run({"tests/test_app.py": BASE}, {"tests/test_app.py": head}) == []


def test_reordering_collection_hook_needs_review_only() -> None:
    hook = (
        "def pytest_collection_modifyitems(config, items):\n    items.sort(key=lambda i: i.name)\n"
    )
    findings = run({}, {"tests/conftest.py": hook})
    assert rules(findings) == ["test-collection-hook"]
    assert blocking(findings) == []


def test_existing_hook_edited_is_not_new() -> None:
    before = "def pytest_runtest_makereport(item, call):\n    pass\n"
    after = "def pytest_runtest_makereport(item, call):\n    item.extra = 1\n"
    assert run({"conftest.py": before}, {"conftest.py": after}) == []


@pytest.mark.parametrize(
    "line", ["sys.exit(0)", "os._exit(0)", "raise SystemExit(0)", "os.kill(os.getpid(), 9)"]
)
def test_exit_in_test_code_blocks(line: str) -> None:
    head = BASE.replace("def test_div():\n", f"def test_div():\n    {line}\n")
    findings = run({"tests/test_app.py": BASE}, {"tests/test_app.py": head})
    assert blocking(findings) == ["test-exit-call"]


def test_exit_in_conftest_at_import_blocks() -> None:
    findings = run({}, {"tests/conftest.py": "import os\nos._exit(0)\n"})
    assert blocking(findings) == ["test-exit-call"]


def test_syntax_error_at_head_blocks_once() -> None:
    findings = run({"tests/test_app.py": BASE}, {"tests/test_app.py": BASE + "\ndef broken(:\n"})
    assert blocking(findings) == ["test-file-syntax-error"]


def test_syntax_error_only_at_base_is_not_compared() -> None:
    broken = BASE + "\ndef broken(:\n"
    assert (
        run(
            {"tests/test_app.py": broken},
            {"tests/test_app.py": "def test_x():\n    assert 1 == 1\n"},
        )
        == []
    )
    assert blocking(run({"tests/test_app.py": broken}, {"tests/test_app.py": broken + "\n"})) == []


def test_hostile_content_never_crashes() -> None:
    deep = "x = " + "(" * 5000 + ")" * 5000 + "\n"
    base: dict[str, str | bytes] = {
        "tests/test_bin.py": b"\x00\x01",
        "tests/test_deep.py": "def test_a():\n    assert 1 == 1\n",
    }
    head: dict[str, str | bytes] = {
        "tests/test_bin.py": b"\x00\x02\xff",
        "tests/test_deep.py": deep,
        "tests/test_latin.py": b"def test_\xe9():\n    assert 1\n",
        "tests/\udcff_test.py": "def test_x():\n    assert 1 == 1\n",
    }
    findings = run(base, head)
    assert "test-file-syntax-error" in blocking(findings)


# --- clean changes: no false positives --------------------------------------------------------


def test_adding_tests_and_assertions_is_clean() -> None:
    head = BASE.replace(
        "    assert add(0, 0) == 0\n", "    assert add(0, 0) == 0\n    assert add(2, 2) == 4\n"
    )
    head += "\ndef test_new():\n    assert add(5, 5) == 10\n"
    assert run({"tests/test_app.py": BASE}, {"tests/test_app.py": head}) == []


def test_new_test_file_is_clean() -> None:
    assert run({}, {"tests/test_new.py": BASE}) == []


def test_moving_a_class_to_another_file_is_clean() -> None:
    before, cls = BASE.split("class TestMore")
    head = {
        "tests/test_app.py": before,
        "tests/unit/test_more.py": "from app import add\n\nclass TestMore" + cls,
    }
    assert run({"tests/test_app.py": BASE}, head) == []


def test_renaming_a_test_file_is_clean() -> None:
    assert run({"tests/test_app.py": BASE}, {"tests/test_arith.py": BASE}) == []


def test_renaming_a_helper_and_reformatting_is_clean() -> None:
    base = src(
        """
        def _make(n):
            return list(range(n))

        def test_len():
            assert len(_make(3)) == 3
        """
    )
    head = src(
        """
        def build_items(n: int) -> list[int]:
            return list(range(n))


        def test_len():
            assert (
                len(build_items(3))
                == 3
            )
        """
    )
    assert run({"tests/test_h.py": base}, {"tests/test_h.py": head}) == []


def test_moving_assertions_into_a_helper_is_clean() -> None:
    base = "def test_a():\n    v = 3\n    assert v == 3\n    assert v > 0\n"
    head = "def check(v):\n    assert v == 3\n    assert v > 0\n\ndef test_a():\n    check(3)\n"
    assert run({"tests/test_a.py": base}, {"tests/test_a.py": head}) == []


def test_renaming_a_test_keeping_its_body_is_clean() -> None:
    head = BASE.replace("def test_div", "def test_division_by_zero")
    assert run({"tests/test_app.py": BASE}, {"tests/test_app.py": head}) == []


def test_adding_parametrize_cases_is_clean() -> None:
    base = (
        "import pytest\n\n@pytest.mark.parametrize('n', [1, 2])\ndef test_n(n):\n    assert n > 0\n"
    )
    head = base.replace("[1, 2]", "[1, 2, 3, pytest.param(4, id='four')]")
    assert run({"tests/test_p.py": base}, {"tests/test_p.py": head}) == []


def test_existing_skip_is_not_reported_again() -> None:
    base = BASE.replace("def test_div", "@pytest.mark.skip(reason='x')\ndef test_div")
    head = base.replace("assert add(0, 0) == 0", "assert add(0, 0) == 0\n    assert add(1, 1) == 2")
    assert run({"tests/test_app.py": base}, {"tests/test_app.py": head}) == []


def test_files_outside_test_paths_are_not_test_code() -> None:
    base = {"scripts/run.py": "import sys\n"}
    head = {"scripts/run.py": "import sys\nsys.exit(main())\n", "src/test_data.py": "X = 1\n"}
    assert run(base, head) == []


def test_fingerprints_do_not_depend_on_lines() -> None:
    head = BASE.replace("    assert add(0, 0) == 0\n", "")
    first = run({"tests/test_app.py": BASE}, {"tests/test_app.py": head})
    shifted = run({"tests/test_app.py": "\n\n" + BASE}, {"tests/test_app.py": "\n\n\n" + head})
    assert [f.fingerprint for f in first] == [f.fingerprint for f in shifted]
    assert first[0].line != shifted[0].line


def test_policy_test_paths_decide_what_is_guarded() -> None:
    policy = Policy.model_validate({"tests": {"paths": ["checks/**"]}})
    assert blocking(run({"checks/test_app.py": BASE}, {}, policy)) == ["test-deleted"] * 3
    assert run({"tests/test_app.py": BASE}, {}, policy) == []


# --- end to end -------------------------------------------------------------------------------


def test_gate_blocks_a_real_commit_that_games_the_tests(make_repo) -> None:
    repo = make_repo(
        {
            "app.py": "def add(a, b):\n    return a + b\n",
            "tests/test_app.py": BASE,
            "pytest.ini": "[pytest]\naddopts = -q\n",
        }
    )
    base = repo.git("rev-parse", "HEAD")
    repo.git("mv", "tests/test_app.py", "tests/test_arith.py")
    repo.commit(
        {
            "tests/test_arith.py": BASE.replace("assert add(1, 2) == 3", "assert add(1, 2)"),
            "pytest.ini": "[pytest]\naddopts = -q --deselect tests/test_arith.py::test_div\n",
        },
        "rename and weaken",
    )
    report = run_gate(
        GateRequest(
            repo=repo.path, base=base, head="HEAD", only=["test-integrity"], use_cache=False
        )
    )
    assert report.verdict.value == "block"
    (result,) = report.checks
    assert result.name == "test-integrity"
    assert sorted(f.rule for f in result.findings) == [
        "assertion-weakened",
        "pytest-config-deselects",
    ]
    weakened = next(f for f in result.findings if f.rule == "assertion-weakened")
    assert weakened.path == "tests/test_arith.py"


def test_gate_passes_a_real_commit_that_adds_tests(make_repo) -> None:
    repo = make_repo({"app.py": "def add(a, b):\n    return a + b\n", "tests/test_app.py": BASE})
    base = repo.git("rev-parse", "HEAD")
    repo.commit({"tests/test_app.py": BASE + "\ndef test_more():\n    assert add(2, 3) == 5\n"})
    report = run_gate(
        GateRequest(
            repo=repo.path, base=base, head="HEAD", only=["test-integrity"], use_cache=False
        )
    )
    (result,) = report.checks
    assert result.findings == ()
    assert result.status.value == "passed"


def test_broadened_raises_is_a_weakened_assertion() -> None:
    before = "import pytest\n\n\ndef test_bad():\n    with pytest.raises(ValueError):\n        int('x')\n"
    after = before.replace("ValueError", "Exception")
    findings = run({"tests/test_r.py": before}, {"tests/test_r.py": after})
    assert blocking(findings) == ["assertion-weakened"]
    assert "any Exception" in findings[0].message
    narrowed = run({"tests/test_r.py": after}, {"tests/test_r.py": before})
    assert narrowed == []


def test_assertions_swallowed_by_try_except_block() -> None:
    before = "def test_x():\n    value = 1\n    assert value == 1\n"
    after = "def test_x():\n    value = 1\n    try:\n        assert value == 1\n    except Exception:\n        pass\n"
    assert blocking(run({"tests/test_s.py": before}, {"tests/test_s.py": after})) == [
        "assertions-swallowed"
    ]
    reraised = after.replace("        pass\n", "        raise\n")
    assert run({"tests/test_s.py": before}, {"tests/test_s.py": reraised}) == []
    narrow = after.replace("except Exception", "except KeyError")
    assert run({"tests/test_s.py": before}, {"tests/test_s.py": narrow}) == []
