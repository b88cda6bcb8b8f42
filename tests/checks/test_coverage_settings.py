"""Coverage settings a change edits (`coverage-exclusion-added`, `coverage-config-changed`): read
by coverage.py itself from pyproject.toml, setup.cfg or .coveragerc, judged by an allow-list. An
exclusion that hides the change's own added code blocks; one that does not asks for review; report
layout is nobody's business."""

from __future__ import annotations

import pytest

from crewchief.gate.change import Change
from crewchief.gate.check import CheckContext
from crewchief.gate.checks.test_integrity import coverage_settings
from crewchief.gate.checks.test_integrity.check import CHECK
from crewchief.spec.policy import Policy

PYPROJECT = '[project]\nname = "calc"\n\n[tool.coverage.report]\nfail_under = 100\n'
CODE = "def median(xs):\n    mid = len(xs) // 2\n    return sorted(xs)[mid]\n"
BRANCH = CODE.replace("    mid", "    if len(xs) > 1000:\n        return xs[0]\n    mid")


def judged(base: dict[str, str], head: dict[str, str]) -> list[tuple[str, str | None, bool]]:
    change = Change.from_files(base, head)
    found = coverage_settings.findings(change, ["tests/**"])
    return [(f.rule, f.path, f.blocking) for f in found]


@pytest.mark.parametrize(
    ("name", "before", "after"),
    [
        (
            "pyproject.toml",
            PYPROJECT,
            PYPROJECT + 'exclude_also = ["if len\\\\(xs\\\\) > 1000:"]\n',
        ),
        (
            "setup.cfg",
            "[coverage:report]\nfail_under = 100\n",
            "[coverage:report]\nfail_under = 100\nexclude_lines =\n    > 1000\n",
        ),
        (".coveragerc", "[report]\nshow_missing = true\n", "[report]\nexclude_also = xs\\[0\\]\n"),
    ],
)
def test_an_exclusion_that_hides_the_changes_own_lines_blocks(
    name: str, before: str, after: str
) -> None:
    got = judged({name: before, "src/calc.py": CODE}, {name: after, "src/calc.py": BRANCH})
    assert got == [("coverage-exclusion-added", "src/calc.py", True)]


def test_an_omit_glob_for_the_changed_file_blocks() -> None:
    after = PYPROJECT.replace(
        "[tool.coverage.report]",
        '[tool.coverage.run]\nomit = ["*/calc.py"]\n\n[tool.coverage.report]',
    )
    got = judged(
        {"pyproject.toml": PYPROJECT, "src/calc.py": CODE},
        {"pyproject.toml": after, "src/calc.py": BRANCH},
    )
    assert got == [("coverage-exclusion-added", "src/calc.py", True)]


def test_a_narrowed_source_that_drops_the_changed_file_blocks() -> None:
    before = PYPROJECT + '\n[tool.coverage.run]\nsource = ["src"]\n'
    after = PYPROJECT + '\n[tool.coverage.run]\nsource = ["src/other"]\n'
    got = judged(
        {"pyproject.toml": before, "src/calc.py": CODE},
        {"pyproject.toml": after, "src/calc.py": BRANCH},
    )
    assert got == [("coverage-exclusion-added", "src/calc.py", True)]


def test_an_exclusion_of_code_the_change_did_not_add_asks_for_review() -> None:
    after = PYPROJECT + 'exclude_also = ["if TYPE_CHECKING:"]\n'
    got = judged(
        {"pyproject.toml": PYPROJECT, "src/calc.py": CODE},
        {"pyproject.toml": after, "src/calc.py": BRANCH},
    )
    assert got == [("coverage-config-changed", "pyproject.toml", False)]


def test_moving_the_settings_to_another_file_is_compared_by_what_coverage_reads() -> None:
    """Same settings, now in .coveragerc (which coverage.py reads first): nothing changed."""
    got = judged(
        {"pyproject.toml": PYPROJECT, "src/calc.py": CODE},
        {
            "pyproject.toml": PYPROJECT,
            ".coveragerc": "[report]\nfail_under = 100\n",
            "src/calc.py": BRANCH,
        },
    )
    assert got == []


@pytest.mark.parametrize(
    "after",
    [
        PYPROJECT + "show_missing = true\nprecision = 2\n",
        PYPROJECT + '\n[tool.coverage.html]\ndirectory = "cov"\n',
        PYPROJECT.replace("calc", "calculator"),  # not a coverage setting at all
    ],
)
def test_report_layout_and_unrelated_edits_are_quiet(after: str) -> None:
    got = judged(
        {"pyproject.toml": PYPROJECT, "src/calc.py": CODE},
        {"pyproject.toml": after, "src/calc.py": BRANCH},
    )
    assert got == []


def test_an_unreadable_file_is_left_to_config_unparsable() -> None:
    got = judged({"pyproject.toml": PYPROJECT}, {"pyproject.toml": PYPROJECT + "[tool.coverage\n"})
    assert got == []


def test_added_exclusions_in_test_files_do_not_count() -> None:
    """An exclusion matching only a line added to a test is not hiding production code."""
    after = PYPROJECT + 'exclude_also = ["never_run"]\n'
    got = judged(
        {"pyproject.toml": PYPROJECT, "tests/test_calc.py": "x = 1\n"},
        {"pyproject.toml": after, "tests/test_calc.py": "x = 1\ndef never_run():\n    pass\n"},
    )
    assert got == [("coverage-config-changed", "pyproject.toml", False)]


def test_the_check_reports_it_without_a_task() -> None:
    after = PYPROJECT + 'exclude_also = ["> 1000"]\n'
    change = Change.from_files(
        {"pyproject.toml": PYPROJECT, "src/calc.py": CODE},
        {"pyproject.toml": after, "src/calc.py": BRANCH},
    )
    found = CHECK.run(CheckContext(change, Policy.model_validate({}), None))
    assert [(f.rule, f.line, f.blocking) for f in found] == [("coverage-exclusion-added", 2, True)]
