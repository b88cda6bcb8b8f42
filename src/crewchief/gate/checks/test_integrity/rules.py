"""The rules of the `test-integrity` check, in one table the check and its helper modules share."""

from __future__ import annotations

from crewchief.gate.findings import Rule, RuleTable, Severity

NAME = "test-integrity"

RULES = RuleTable(
    NAME,
    Rule(
        NAME,
        "test-file-syntax-error",
        Severity.HIGH,
        "A test file that no longer parses, so none of its tests run.",
        "Fix the syntax error.",
        blocking=True,
    ),
    Rule(
        NAME,
        "test-deleted",
        Severity.HIGH,
        "An existing test was deleted.",
        "Restore the test; if it is really obsolete, remove it in a change of its own that says why.",
        blocking=True,
    ),
    Rule(
        NAME,
        "test-not-collected",
        Severity.HIGH,
        "An existing test still exists but pytest no longer collects it (renamed, moved, disabled).",
        "Give the test back a name and place pytest collects.",
        blocking=True,
    ),
    Rule(
        NAME,
        "test-skipped",
        Severity.HIGH,
        "An existing test is now skipped or expected to fail.",
        "Fix the code so the test passes instead of skipping it.",
        blocking=True,
    ),
    Rule(
        NAME,
        "new-test-skipped",
        Severity.MEDIUM,
        "A new test (or a new test module) that is skipped or expected to fail.",
        "Check the skip does not hide a failure; give its reason in the marker.",
    ),
    Rule(
        NAME,
        "module-skipped",
        Severity.HIGH,
        "Existing tests are skipped or ignored at module level (pytestmark, collect_ignore).",
        "Remove the module-level skip and fix what fails.",
        blocking=True,
    ),
    Rule(
        NAME,
        "assertions-removed",
        Severity.HIGH,
        "A test makes fewer assertions than before.",
        "Keep the assertions; add new ones rather than dropping old ones.",
        blocking=True,
    ),
    Rule(
        NAME,
        "assertion-weakened",
        Severity.HIGH,
        "A test replaced an exact assertion with a truthiness check, or now expects any Exception.",
        "Keep asserting the exact value or the specific exception.",
        blocking=True,
    ),
    Rule(
        NAME,
        "assertion-loosened",
        Severity.HIGH,
        "A test replaced an exact assertion (==, is, assertEqual) with a looser one: pytest.raises, "
        "isinstance, membership, an inequality, `is not None` or an approx with its own tolerance, "
        "even when the number of assertions grows.",
        "Keep asserting the exact value; expect an exception only where the code now raises it.",
        blocking=True,
    ),
    Rule(
        NAME,
        "assertions-swallowed",
        Severity.HIGH,
        "A test's assertions are wrapped in a try whose except swallows the failure.",
        "Let assertion errors propagate; use pytest.raises for expected errors.",
        blocking=True,
    ),
    Rule(
        NAME,
        "tolerance-loosened",
        Severity.HIGH,
        "A test loosened a numeric tolerance (approx, isclose, assert_allclose).",
        "Keep the tolerance, or explain in the change why the looser one is right.",
        blocking=True,
    ),
    Rule(
        NAME,
        "test-outcome-hook",
        Severity.HIGH,
        "A conftest or plugin defines a pytest hook that can change test outcomes or reports.",
        "Remove the hook; outcomes must come from the tests themselves.",
        blocking=True,
    ),
    Rule(
        NAME,
        "test-collection-hook",
        Severity.HIGH,
        "A pytest collection hook; blocking when its body removes, deselects or skips tests, else medium.",
        "Remove the hook or show it does not hide tests.",
        blocking=True,
    ),
    Rule(
        NAME,
        "test-exit-call",
        Severity.HIGH,
        "Test code calls sys.exit, os._exit, os.kill or similar, which can end the run before failures are reported.",
        "Raise an exception or call pytest.fail instead of ending the process.",
        blocking=True,
    ),
    Rule(
        NAME,
        "pragma-no-cover-added",
        Severity.MEDIUM,
        "`# pragma: no cover` comments added in a file, excluding lines from coverage "
        "(one finding per file, with the count and the first line).",
        "Test the code instead; keep the pragma for code that cannot run in tests.",
    ),
    Rule(
        NAME,
        "suppression-added",
        Severity.MEDIUM,
        "Comments that silence a checker added in a file (`# noqa`, `# ruff: noqa`, "
        "`# type: ignore`, `# nosec`, `# pylint: disable`; one finding per file, with the count "
        "and the first line).",
        "Fix what the tool reports; keep a suppression only with a reason a reviewer accepts.",
    ),
    Rule(
        NAME,
        "source-decoded-differently",
        Severity.HIGH,
        "A Python file whose coding cookie makes Python run other text than the UTF-8 a reviewer "
        "reads (utf-7 turns a comment into code); medium for a legacy encoding shown garbled.",
        "Save the file as UTF-8 and drop the coding cookie.",
        blocking=True,
    ),
    Rule(
        NAME,
        "test-runner-tampering",
        Severity.HIGH,
        "Added production code checks whether it runs under the test runner (`sys.modules`, "
        "`PYTEST_CURRENT_TEST`, `sys.argv`), imports pytest's internals or crewchief, or patches "
        "them: it can pass the tests without working outside them, or change what a run reports.",
        "Make the code behave the same under test as in production; leave the runner alone.",
        blocking=True,
    ),
    Rule(
        NAME,
        "test-file-symlinked",
        Severity.HIGH,
        "A test file or conftest is now a symbolic link: the reviewed diff shows a path, pytest "
        "runs whatever file it points at.",
        "Keep test files as regular files.",
        blocking=True,
    ),
    Rule(
        NAME,
        "expected-value-edited",
        Severity.MEDIUM,
        "A test's expected literal changed in the same change as the production code the test "
        "imports: the oracle moved with the code it judges.",
        "Check the new expected value against the task or the specification, not against the code.",
    ),
    Rule(
        NAME,
        "pytest-config-deselects",
        Severity.HIGH,
        "pytest addopts now deselect, ignore or hide tests (-k, -m, --deselect, --ignore).",
        "Remove the option from addopts.",
        blocking=True,
    ),
    Rule(
        NAME,
        "pytest-testpaths-narrowed",
        Severity.HIGH,
        "testpaths no longer include a folder (blocking) or newly limit collection (medium).",
        "Keep every folder with tests in testpaths.",
        blocking=True,
    ),
    Rule(
        NAME,
        "pytest-collection-narrowed",
        Severity.HIGH,
        "norecursedirs or python_files/classes/functions now collect fewer tests.",
        "Restore the collection settings.",
        blocking=True,
    ),
    Rule(
        NAME,
        "xfail-strict-disabled",
        Severity.HIGH,
        "xfail_strict was turned off, so unexpected passes no longer fail.",
        "Keep xfail_strict on; remove xfail markers from tests that pass.",
        blocking=True,
    ),
    Rule(
        NAME,
        "coverage-threshold-lowered",
        Severity.HIGH,
        "The coverage fail_under threshold was lowered or removed.",
        "Keep the threshold; add tests for the new code.",
        blocking=True,
    ),
    Rule(
        NAME,
        "coverage-exclusion-added",
        Severity.HIGH,
        "A new coverage exclusion (`exclude_also`, `exclude_lines`, `partial_branches`) matches a "
        "line the change added to production code, or a new `omit` (or a narrowed `include` or "
        "`source`) drops a production file it changed: the change hides its own code from "
        "coverage.",
        "Test the code instead of excluding it; keep exclusions for code that cannot run in tests, "
        "in a change of their own.",
        blocking=True,
    ),
    Rule(
        NAME,
        "coverage-config-changed",
        Severity.MEDIUM,
        "A coverage setting that decides which code counts (exclusions, omit, include, source, "
        "branch) changed; layout and output settings are allowed. The gate measures with the "
        "base's settings; this asks whether the project's own should change.",
        "Keep coverage settings as they were, or change them in a change of their own that says why.",
    ),
    Rule(
        NAME,
        "test-config-changed",
        Severity.MEDIUM,
        "A pytest setting or addopts flag changed that is not on the allow-list of settings that "
        "only touch output, logging, caching or markers.",
        "Confirm the project needs it; the base-oracle run judged the change with the base's "
        "settings.",
    ),
    Rule(
        NAME,
        "test-config-unreadable",
        Severity.MEDIUM,
        "A pytest or coverage configuration file no longer parses.",
        "Fix the file's syntax.",
    ),
)
