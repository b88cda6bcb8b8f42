"""`task lint` on hidden acceptance: it asks bug fixes for hidden tests, says that tests in the
repository are readable through git, that a listed hidden test is not hidden, and that a broken
hidden folder is an error."""

from __future__ import annotations

import json
from pathlib import Path

from tests.test_tasks_cli import FILES, GOOD, lint

BUG = GOOD.replace("title: add returns the sum", "title: Fix the add regression")
HIDDEN = "from calc import add\n\n\ndef test_negative():\n    assert add(-2, -3) == -5\n"


def rules(data: dict) -> set[str]:
    return {p["rule"] for p in data["problems"]}


def test_a_bug_fix_without_hidden_tests_is_told_to_add_some(capsys, make_repo) -> None:
    repo = make_repo({**FILES, ".crewchief/tasks/fix-add.md": BUG})
    code, data = lint(capsys, repo)
    assert code == 0 and rules(data) == {"bug-fix-without-hidden-tests"}
    # The same task without the words of a bug fix is not asked (GOOD lints clean).
    repo = make_repo(FILES)
    assert rules(lint(capsys, repo)[1]) == set()


def test_hidden_tests_outside_the_repository_satisfy_it(capsys, make_repo, tmp_path) -> None:
    root = tmp_path / "hidden"
    (root / "fix-add" / "tests").mkdir(parents=True)
    (root / "fix-add" / "tests" / "test_add_hidden.py").write_text(HIDDEN)
    policy = f"[tests]\nhidden_dir = {json.dumps(str(root))}\n"
    repo = make_repo({**FILES, ".crewchief/tasks/fix-add.md": BUG, "crewchief.toml": policy})
    code, data = lint(capsys, repo)
    assert (code, rules(data)) == (0, set())


def test_hidden_tests_in_the_repository_are_flagged_as_readable(capsys, make_repo) -> None:
    listed = BUG.replace(
        "  - tests/test_calc.py::test_add\n",
        "  - tests/test_calc.py::test_add\n  - tests/test_add_hidden.py::test_negative\n",
    )
    repo = make_repo(
        {
            **FILES,
            ".crewchief/tasks/fix-add.md": listed,
            ".crewchief/tasks/fix-add/hidden/tests/test_add_hidden.py": HIDDEN,
        }
    )
    code, data = lint(capsys, repo)
    assert code == 0 and rules(data) == {"hidden-in-repository", "hidden-test-listed"}
    listed_problem = next(p for p in data["problems"] if p["rule"] == "hidden-test-listed")
    assert "tests/test_add_hidden.py::test_negative" in listed_problem["message"]


def test_a_symlinked_hidden_folder_is_a_lint_error(capsys, make_repo, tmp_path: Path) -> None:
    real = tmp_path / "real"
    (real / "fix-add").mkdir(parents=True)
    link = tmp_path / "link"
    link.symlink_to(real)
    policy = f"[tests]\nhidden_dir = {json.dumps(str(link))}\n"
    repo = make_repo({**FILES, "crewchief.toml": policy})
    code, data = lint(capsys, repo)
    assert code == 1 and rules(data) == {"hidden-folder"}
    assert "is a symlink" in data["problems"][0]["message"]
