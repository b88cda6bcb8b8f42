"""Real projects as users run them: the project's own virtualenv runs its tests, never crewchief's.

The project venv here has pytest (installed from wheels downloaded once per session) and a module,
`projdep`, that crewchief's own environment lacks: a suite run with crewchief's interpreter by
accident would fail to import it. The gate runs from crewchief's venv with no VIRTUAL_ENV set.
"""

from __future__ import annotations

import subprocess
import sys
import venv
import zipfile
from base64 import urlsafe_b64encode
from collections.abc import Iterator
from hashlib import sha256
from pathlib import Path

import pytest

from crewchief.errors import UserError
from crewchief.gate.checks.coverage import NOT_INSTALLED
from crewchief.gate.engine import GateRequest, run_gate
from crewchief.gate.findings import CheckResult, Report
from crewchief.workspace.pyenv import find_python
from tests.helpers.repo import Repo

CODE = "import projdep\n\n\ndef add(a, b):\n    return projdep.plus(a, b)\n"
PROJDEP = "def plus(a, b):\n    return a + b\n"
TESTS = (
    "import os\n\nfrom calc import add\n\n\ndef test_add():\n    assert add(2, 3) == 5\n\n\n"
    "def test_env():\n    assert os.environ.get('FROM_POLICY') == 'yes'\n"
)
TASK = (
    "---\nid: fix-add\ntitle: add adds\nacceptance:\n  - tests/test_calc.py::test_add\n---\n"
    "add(2, 3) is 5.\n"
)


def _projdep_wheel(folder: Path) -> Path:
    """A real wheel of `projdep`, a package only the project's environment has."""
    files = {
        "projdep.py": PROJDEP.encode(),
        "projdep-1.0.dist-info/METADATA": b"Metadata-Version: 2.1\nName: projdep\nVersion: 1.0\n",
        "projdep-1.0.dist-info/WHEEL": (
            b"Wheel-Version: 1.0\nGenerator: tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        ),
    }
    record = [
        f"{name},sha256={urlsafe_b64encode(sha256(data).digest()).rstrip(b'=').decode()},{len(data)}"
        for name, data in files.items()
    ]
    files["projdep-1.0.dist-info/RECORD"] = "\n".join(
        [*record, "projdep-1.0.dist-info/RECORD,,", ""]
    ).encode()
    target = folder / "projdep-1.0-py3-none-any.whl"
    with zipfile.ZipFile(target, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return target


@pytest.fixture(scope="session")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """pytest and its dependencies as wheel files (pip's cache makes this quick after once), and
    `projdep`."""
    folder = tmp_path_factory.mktemp("wheels")
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "-q", "-d", str(folder), "pytest"], check=True
    )
    _projdep_wheel(folder)
    return sorted(folder.glob("*.whl"))


def _venv(root: Path, wheels: list[Path]) -> Path:
    venv.EnvBuilder(with_pip=bool(wheels)).create(root)
    python = root / "bin" / "python"
    if wheels:
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", "--no-index", *map(str, wheels)],
            check=True,
        )
    else:
        site = next((root / "lib").glob("python3*/site-packages"))
        (site / "projdep.py").write_text(PROJDEP)
    return root


@pytest.fixture(scope="session")
def project_venv(tmp_path_factory: pytest.TempPathFactory, wheels: list[Path]) -> Path:
    """The project's own environment: pytest and `projdep`, no coverage."""
    return _venv(tmp_path_factory.mktemp("project") / "venv", wheels)


@pytest.fixture(scope="session")
def bare_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project environment someone forgot to install pytest into."""
    return _venv(tmp_path_factory.mktemp("bare") / "venv", [])


@pytest.fixture(autouse=True)
def _no_active_venv(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("VIRTUAL_ENV", raising=False)
    yield


def project(make_repo, tests: str, *, extra: dict[str, str] | None = None) -> Repo:
    return make_repo(
        {
            "crewchief.toml": f"[tests]\n{tests}\ntimeout_s = 120\n",
            "calc.py": CODE,
            "tests/test_calc.py": TESTS,
            "pytest.ini": "[pytest]\npythonpath = .\n",
            ".gitignore": ".venv\n",
            ".crewchief/tasks/fix-add.md": TASK,
            **(extra or {}),
        }
    )


def gate(repo: Repo, *only: str, head: str = "agent", task: str | None = None) -> Report:
    request = GateRequest(
        repo=repo.path, base="main", head=head, task=task, only=list(only), use_cache=False
    )
    return run_gate(request)


def check(report: Report, name: str) -> CheckResult:
    return next(c for c in report.checks if c.name == name)


def rules(report: Report) -> set[tuple[str, str, bool]]:
    return {(f.check, f.rule, f.blocking) for f in report.findings if f.rule != "test-environment"}


def test_the_checkouts_venv_runs_the_tests_and_coverage_says_it_is_missing(
    make_repo, project_venv: Path
) -> None:
    repo = project(make_repo, 'command = "python -m pytest -q"\nenv = { FROM_POLICY = "yes" }')
    (repo.path / ".venv").symlink_to(project_venv)
    repo.branch("agent")
    repo.commit({"calc.py": CODE + "\n\ndef sub(a, b):\n    return a - b\n"})
    report = gate(repo, "tests", "coverage")
    assert check(report, "tests").status == "passed", report.findings
    assert report.verdict == "pass"
    where = next(f for f in report.findings if f.rule == "test-environment").message
    assert str(repo.path / ".venv" / "bin" / "python") in where and ".venv/" in where
    coverage = check(report, "coverage")
    assert coverage.status == "skipped" and NOT_INSTALLED in coverage.detail

    repo.branch("broken", "main")
    repo.commit({"calc.py": CODE.replace("projdep.plus(a, b)", "a - b")})
    assert rules(gate(repo, "tests", head="broken")) == {("tests", "test-regressed", True)}


@pytest.mark.parametrize(
    "command", ["env FROM_WRAPPER=1 python -m pytest -q", "make test"], ids=["env", "make"]
)
def test_wrapped_pytest_still_gives_per_test_outcomes(
    make_repo, project_venv: Path, command: str
) -> None:
    makefile = "test:\n\tFROM_WRAPPER=1 python -m pytest -q\n"
    wrapped = TESTS + "\n\ndef test_wrapper():\n    assert os.environ['FROM_WRAPPER'] == '1'\n"
    repo = project(
        make_repo,
        f'command = "{command}"\npython = "{project_venv}"\nenv = {{ FROM_POLICY = "yes" }}',
        extra={"Makefile": makefile, "tests/test_calc.py": wrapped},
    )
    repo.branch("agent")
    repo.commit({"calc.py": CODE.replace("projdep.plus(a, b)", "a - b")})
    report = gate(repo, "tests")
    regressed = [f for f in report.findings if f.rule == "test-regressed"]
    assert [f.message.split()[0] for f in regressed] == ["tests/test_calc.py::test_add"]
    assert rules(report) == {("tests", "test-regressed", True)}


def test_a_suite_that_cannot_start_at_base_is_review_not_block(make_repo, bare_venv: Path) -> None:
    repo = project(make_repo, f'command = "python -m pytest -q"\npython = "{bare_venv}"')
    repo.branch("agent")
    repo.commit({"calc.py": CODE + "\n# a good change\n"})
    report = gate(repo, "tests", "acceptance", task="fix-add")
    assert report.verdict == "review", report.findings
    assert rules(report) == {
        ("tests", "test-config-broken", False),
        ("acceptance", "test-config-broken", False),
    }
    for finding in report.findings:
        if finding.rule == "test-config-broken":
            assert "module 'pytest' is not installed" in finding.message
            assert str(bare_venv / "bin" / "python") in finding.message


def test_a_head_only_failure_still_blocks(make_repo, project_venv: Path) -> None:
    repo = project(
        make_repo,
        f'command = "python -m pytest -q"\npython = "{project_venv}"\n'
        'env = { FROM_POLICY = "yes" }',
    )
    repo.branch("agent")
    repo.commit({"calc.py": "import not_installed_anywhere\n" + CODE})
    report = gate(repo, "tests")
    assert report.verdict == "block"
    assert rules(report) == {("tests", "tests-error", True)}


def test_setup_environment_is_built_once_per_side_and_dependency_set(
    make_repo, project_venv: Path, wheels: list[Path]
) -> None:
    install = " ".join(["python -m pip install -q --no-index", *map(str, wheels)])
    repo = project(
        make_repo,
        f'command = "python -m pytest -q"\npython = "{project_venv}"\n'
        f'setup = ["{install}", "python -c \\"import pytest\\""]\n'
        'env = { FROM_POLICY = "yes" }',
        extra={"requirements.txt": "pytest\n"},
    )
    repo.branch("agent")
    repo.commit({"calc.py": CODE + "\n# one\n"})
    evidence = repo.path / ".git" / "crewchief" / "evidence"

    def setups() -> int:
        return len(list(evidence.glob("*/*-setup-*.log")))

    first = gate(repo, "tests", "acceptance", task="fix-add")
    # The base already adds right, so the acceptance entry is weak; nothing else is wrong.
    assert rules(first) == {("acceptance", "weak-acceptance", False)}, first.findings
    assert setups() == 2  # base and head, shared by the tests and acceptance worktrees
    repo.branch("agent2", "main")
    repo.commit({"calc.py": CODE + "\n# two\n"})
    second = gate(repo, "tests", "acceptance", head="agent2", task="fix-add")
    assert rules(second) == {("acceptance", "weak-acceptance", False)}
    assert setups() == 2  # nothing changed in the dependency files: no setup at all
    repo.branch("deps", "main")
    repo.commit({"requirements.txt": "pytest\n# pinned later\n"})
    assert gate(repo, "tests", head="deps").verdict == "pass"
    assert setups() == 3  # head's dependency files changed: head's environment is new


def test_find_python_looks_where_a_developer_would(tmp_path: Path, bare_venv: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    on_path = {"PATH": str(Path(sys.executable).parent)}
    found = find_python(repo, None, on_path)
    assert found.how == "'python' on PATH" and found.python.parent == Path(sys.executable).parent
    (repo / "venv").symlink_to(bare_venv)
    found = find_python(repo, None, on_path)
    assert (found.python, found.venv) == (repo / "venv" / "bin" / "python", repo / "venv")
    active = {**on_path, "VIRTUAL_ENV": str(bare_venv)}
    assert find_python(repo, None, active).how.startswith("the active virtualenv")
    configured = find_python(repo, "venv/bin/python", active)
    assert configured.python == repo / "venv" / "bin" / "python"
    assert configured.activation("/usr/bin")["PATH"].startswith(str(repo / "venv" / "bin"))
    with pytest.raises(UserError, match="no-such-python"):
        find_python(repo, "no-such-python", on_path)


NEW_API_TASK = (
    "---\nid: add-sub\ntitle: sub subtracts\nacceptance:\n"
    "  - tests/test_sub.py::test_sub\n---\nAdd calc.sub.\n"
)
NEW_API_TEST = "from calc import sub\n\n\ndef test_sub():\n    assert sub(5, 3) == 2\n"


def venv_project(make_repo, project_venv: Path, extra: dict[str, str]) -> Repo:
    """The calc project whose tests run in the project's own venv, plus `extra` files."""
    return project(
        make_repo,
        f'command = "python -m pytest -q"\npython = "{project_venv}"\n'
        'env = { FROM_POLICY = "yes" }',
        extra=extra,
    )


def _new_api_project(make_repo, project_venv: Path, acceptance_test: str) -> Repo:
    """A task whose acceptance test, shipped in the task folder, imports what the fix must add."""
    return venv_project(
        make_repo,
        project_venv,
        {
            ".crewchief/tasks/add-sub.md": NEW_API_TASK,
            ".crewchief/tasks/add-sub/tests/test_sub.py": acceptance_test,
        },
    )


def test_acceptance_that_cannot_import_what_the_fix_adds_blocks_a_no_op(
    make_repo, project_venv: Path
) -> None:
    repo = _new_api_project(make_repo, project_venv, NEW_API_TEST)
    repo.branch("noop")
    repo.commit({"calc.py": CODE + "\n# looked at it\n"})
    report = gate(repo, "tests", "acceptance", head="noop", task="add-sub")
    assert report.verdict == "block", report.findings
    assert rules(report) == {("acceptance", "acceptance-failed", True)}
    failed = next(f for f in report.findings if f.rule == "acceptance-failed")
    assert "could not be collected" in failed.message
    repo.branch("fix", "main")
    repo.commit({"calc.py": CODE + "\n\ndef sub(a, b):\n    return a - b\n"})
    assert gate(repo, "tests", "acceptance", head="fix", task="add-sub").verdict == "pass"


def test_acceptance_needing_a_module_the_environment_lacks_is_a_configuration_review(
    make_repo, project_venv: Path
) -> None:
    needs_dep = "import not_installed_anywhere  # noqa: F401\n" + NEW_API_TEST
    repo = _new_api_project(make_repo, project_venv, needs_dep)
    repo.branch("fix")
    repo.commit({"calc.py": CODE + "\n\ndef sub(a, b):\n    return a - b\n"})
    report = gate(repo, "tests", "acceptance", head="fix", task="add-sub")
    assert report.verdict == "review", report.findings
    assert rules(report) == {("acceptance", "test-config-broken", False)}
    config = next(f for f in report.findings if f.rule == "test-config-broken")
    assert "module 'not_installed_anywhere' is not installed" in config.message


def test_a_base_test_whose_module_no_longer_imports_is_broken_pass_to_pass(
    make_repo, project_venv: Path
) -> None:
    repo = _new_api_project(make_repo, project_venv, NEW_API_TEST)
    repo.branch("rename")
    renamed = CODE.replace("def add(", "def plus(") + "\n\ndef sub(a, b):\n    return a - b\n"
    repo.commit({"calc.py": renamed})
    report = gate(repo, "acceptance", head="rename", task="add-sub")
    broken = sorted(
        f.message.split()[0] for f in report.findings if f.rule == "pass-to-pass-broken"
    )
    assert broken == ["tests/test_calc.py::test_add", "tests/test_calc.py::test_env"]
    assert report.verdict == "block"


def test_a_test_the_task_rewrites_is_judged_in_the_tasks_version(
    make_repo, project_venv: Path
) -> None:
    """The task ships a new version of tests/test_calc.py that changes what add returns; the old
    version failing at head is the spec changing, not a regression."""
    task = TASK.replace("add(2, 3) is 5.", "add rounds up to the next even number.")
    new_spec = TESTS.replace("assert add(2, 3) == 5", "assert add(2, 3) == 6")
    repo = venv_project(
        make_repo,
        project_venv,
        {
            ".crewchief/tasks/fix-add.md": task,
            ".crewchief/tasks/fix-add/tests/test_calc.py": new_spec,
        },
    )
    repo.branch("agent")
    repo.commit(
        {
            "calc.py": CODE.replace(
                "return projdep.plus(a, b)",
                "total = projdep.plus(a, b)\n    return total + total % 2",
            )
        }
    )
    report = gate(repo, "tests", "acceptance", task="fix-add")
    assert rules(report) == {("tests", "replaced-by-task", False)}, report.findings
    assert report.verdict == "pass"
    note = next(f for f in report.findings if f.rule == "replaced-by-task")
    assert "tests/test_calc.py" in note.message and "test_add" in note.message


def test_acceptance_existing_is_the_base_suite_kept_passing(make_repo, project_venv: Path) -> None:
    tidy = "---\nid: tidy\ntitle: tidy calc\nacceptance: existing\n---\nName things better.\n"
    repo = venv_project(
        make_repo,
        project_venv,
        {".crewchief/tasks/tidy.md": tidy},
    )
    repo.branch("refactor")
    repo.commit({"calc.py": CODE.replace("def add(a, b):", "def add(a, b):  # the sum")})
    report = gate(repo, "acceptance", head="refactor", task="tidy")
    assert report.verdict == "pass" and rules(report) == set(), report.findings
    assert check(report, "acceptance").status == "passed"
    repo.branch("broken", "main")
    repo.commit({"calc.py": CODE.replace("projdep.plus(a, b)", "a * b")})
    report = gate(repo, "acceptance", head="broken", task="tidy")
    assert rules(report) == {("acceptance", "pass-to-pass-broken", True)}, report.findings
