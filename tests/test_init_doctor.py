"""`crewchief init` and `crewchief doctor` on real projects: a flat-layout one (toolz) and a
src-layout one (humanize), imported from their PyPI sdists, plus small repositories for the test
command sources and the doctor's one-line diagnoses.

The doctor runs real interpreters: this suite's own virtualenv stands in for a developer's active
one (VIRTUAL_ENV), and PATH is narrowed to a folder holding only git and, where a test wants it, a
`python`, so no interpreter of the machine's leaks in.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from crewchief.errors import UserError
from crewchief.project import doctor
from crewchief.project.layout import detect_layout
from crewchief.project.policyfile import python_key_supported, set_key
from crewchief.project.testcmd import detect_test_command
from crewchief.spec.policy import parse_policy
from crewchief.workspace import pyenv
from tests.helpers.cli import run_cli
from tests.helpers.repo import Repo, git
from tests.helpers.sdists import import_sdist

TOOLZ = "toolz==1.0.0"
HUMANIZE = "humanize==4.11.0"
SUITE_PYTHON = Path(sys.prefix)
"""The virtualenv running this suite: it has pytest, and neither toolz nor humanize installed."""


@pytest.fixture
def narrow_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """PATH holds only git (and what a test adds); no VIRTUAL_ENV is active."""
    folder = tmp_path / "bin"
    folder.mkdir()
    real_git = shutil.which("git")
    assert real_git is not None
    (folder / "git").symlink_to(real_git)
    monkeypatch.setenv("PATH", str(folder))
    monkeypatch.delenv("VIRTUAL_ENV", raising=False)
    return folder


def suite_python_on_path(folder: Path) -> None:
    """`python` on PATH that is this suite's virtualenv, as activating it would make it."""
    wrapper = folder / "python"
    wrapper.write_text(f'#!/bin/sh\nexec "{SUITE_PYTHON}/bin/python" "$@"\n')
    wrapper.chmod(0o755)


def sdist_repo(requirement: str, tmp_path: Path) -> Path:
    return import_sdist(
        requirement, tmp_path / requirement.split("==", maxsplit=1)[0], dict(os.environ)
    )


def policy_of(root: Path) -> dict:
    text = (root / "crewchief.toml").read_text()
    parse_policy(text.encode(), "crewchief.toml")
    return tomllib.loads(text)


@pytest.mark.slow
def test_init_on_flat_layout_lets_a_package_change_through_scope(
    capsys, tmp_path, narrow_path, monkeypatch
) -> None:
    root = sdist_repo(TOOLZ, tmp_path)
    monkeypatch.setenv("VIRTUAL_ENV", str(SUITE_PYTHON))
    result = run_cli(capsys, "init", "--repo", str(root))
    assert result.code == 0, result.err
    policy = policy_of(root)
    assert policy["scope"]["allow"] == ["tlz/**", "toolz/**"]
    assert policy["tests"]["command"] == "pytest -q"
    assert f"VIRTUAL_ENV={SUITE_PYTHON}" in result.out
    ran = next(line for line in result.out.splitlines() if "collected" in line)
    assert "passed" in ran and "(exit 0)" in ran and "failed" not in ran
    assert "ok: the tests run" in result.out
    # the first good change in a flat layout is in scope (it used to be blocked: src/** only)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "crewchief init")
    module = root / "toolz" / "functoolz.py"
    module.write_text(module.read_text() + "\n\ndef twice(f, x):\n    return f(f(x))\n")
    git(root, "commit", "-q", "-am", "add twice")
    gate = run_cli(
        capsys,
        "gate",
        "--repo",
        str(root),
        "--base",
        "HEAD~1",
        "--only",
        "scope",
        "--format",
        "json",
    )
    report = json.loads(gate.out)
    assert [f["rule"] for f in report["findings"]] == [] and report["verdict"] == "pass"


@pytest.mark.slow
def test_src_layout_scope_tox_command_and_the_import_error_doctor_names(
    capsys, tmp_path, narrow_path
) -> None:
    root = sdist_repo(HUMANIZE, tmp_path)
    # the repository's own .venv comes first, and it has no pytest: that is the first problem
    made = subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(root / ".venv")], check=False
    )
    assert made.returncode == 0
    result = run_cli(capsys, "init", "--repo", str(root))
    assert result.code == 0, result.err  # the policy is written even when the tests do not run
    policy = policy_of(root)
    assert policy["scope"]["allow"] == ["src/humanize/**", "tests/**"]
    assert "tox.ini [testenv]" in result.out
    assert f"no pytest in {root}/.venv/bin/python (the repository's .venv/)" in result.out
    doctor = run_cli(capsys, "doctor", "--repo", str(root))
    assert doctor.code == 2 and len(doctor.err.strip().splitlines()) == 1
    assert "no pytest in" in doctor.err and "-m pip install pytest" in doctor.err
    # with a python on PATH that has pytest, the next problem: the project is not installed there
    suite_python_on_path(narrow_path)
    doctor = run_cli(capsys, "doctor", "--repo", str(root))
    assert doctor.code == 2, doctor.out
    line = doctor.err.strip()
    assert "cannot import 'humanize'" in line and "'freezegun'" in line
    assert line.endswith(f"{narrow_path}/python -m pip install -e .)")


def test_doctor_writes_the_section_that_works_after_a_usage_error(
    capsys, make_repo, narrow_path, monkeypatch
) -> None:
    repo: Repo = make_repo(
        {
            "mypkg/__init__.py": "def double(x):\n    return 2 * x\n",
            "tests/test_double.py": "from mypkg import double\n\n\ndef test_double():\n"
            "    assert double(2) == 4\n",
            "tox.ini": "[testenv]\ncommands =\n    pytest --cov mypkg --color=yes {posargs:tests}\n",
        }
    )
    assert run_cli(capsys, "init", "--repo", str(repo.path), "--no-doctor").code == 0
    policy = repo.path / "crewchief.toml"
    assert policy_of(repo.path)["tests"]["command"] == "pytest -q tests"
    policy.write_text(set_key(policy.read_text(), "tests", "command", '"pytest -q --no-such-flag"'))
    monkeypatch.setenv("VIRTUAL_ENV", str(SUITE_PYTHON))
    printed = run_cli(capsys, "doctor", "--repo", str(repo.path))
    assert printed.code == 0, printed.err
    assert "running: pytest -q --no-such-flag\n  0 collected" in printed.out
    assert '[tests]\ncommand = "pytest -q tests"\n' in printed.out
    assert "--no-such-flag" in policy.read_text()  # printed only, until --write
    written = run_cli(capsys, "doctor", "--repo", str(repo.path), "--write")
    assert written.code == 0, written.err
    assert policy_of(repo.path)["tests"]["command"] == "pytest -q tests"
    assert "# run by the `tests` check" in policy.read_text()  # the starter's comments stay


def test_doctor_pins_the_repository_venv_and_says_when_no_tests_are_collected(
    capsys, make_repo, narrow_path
) -> None:
    repo: Repo = make_repo({"single.py": "VALUE = 1\n"})
    # a repository venv that sees this suite's packages (pytest among them) through a .pth file
    made = subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(repo.path / "venv")], check=False
    )
    assert made.returncode == 0
    site = subprocess.run(
        [
            sys.executable,
            "-c",
            "import pytest, os; print(os.path.dirname(os.path.dirname(pytest.__file__)))",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    venv_site = next((repo.path / "venv" / "lib").glob("python*/site-packages"))
    (venv_site / "suite.pth").write_text(site + "\n")
    assert run_cli(capsys, "init", "--repo", str(repo.path), "--no-doctor").code == 0
    assert policy_of(repo.path)["scope"]["allow"] == ["single.py"]
    doctor = run_cli(capsys, "doctor", "--repo", str(repo.path))
    assert doctor.code == 2
    assert "(the repository's venv/)" in doctor.out
    assert "'pytest -q' collected no tests" in doctor.err
    repo.write(
        {
            "test_single.py": "from single import VALUE\n\n\ndef test_value():\n    assert VALUE == 1\n"
        }
    )
    doctor = run_cli(capsys, "doctor", "--repo", str(repo.path), "--write")
    assert doctor.code == 0, doctor.err
    assert 'python = "venv/bin/python"' in doctor.out
    text = (repo.path / "crewchief.toml").read_text()
    if python_key_supported():
        assert tomllib.loads(text)["tests"]["python"] == "venv/bin/python"
    else:
        assert '# python = "venv/bin/python"' in text


@pytest.mark.parametrize(
    ("paths", "allow"),
    [
        (
            ["mypkg/__init__.py", "mypkg/core.py", "tests/test_core.py", "setup.py"],
            ["mypkg/**", "tests/**"],
        ),
        (
            ["src/pkg/__init__.py", "src/pkg/sub/mod.py", "test/test_pkg.py", "docs/conf.py"],
            ["src/pkg/**", "test/**"],
        ),
        (["src/nspkg/mod.py", "testing/conftest.py", "noxfile.py"], ["src/nspkg/**", "testing/**"]),
        (
            ["six.py", "test_six.py", "conftest.py", ".venv/lib/x.py", "examples/demo.py"],
            ["six.py", "conftest.py", "test_six.py"],
        ),
        (["README.md", "docs/index.md"], []),
    ],
)
def test_layouts(paths: list[str], allow: list[str]) -> None:
    assert detect_layout(paths).scope_allow() == allow


@pytest.mark.parametrize(
    ("files", "command", "source"),
    [
        (
            {
                "tox.ini": "[tox]\nenv_list = py3\n[testenv:py3]\ncommands =\n"
                "    py3: {envpython} -m pytest -x -n 4 \\\n      -m 'not slow' {toxinidir}/tests {posargs}\n"
            },
            "pytest -q -m 'not slow' tests",
            "tox.ini [testenv:py3]",
        ),
        (
            {
                "noxfile.py": "import nox\n\n@nox.session\ndef tests(session):\n"
                "    session.install('.')\n    session.run('pytest', '--cov', 'pkg', 'tests/unit', *session.posargs)\n"
            },
            "pytest -q tests/unit",
            "noxfile.py (line 6)",
        ),
        (
            {
                "pyproject.toml": "[tool.hatch.envs.test.scripts]\nrun = 'pytest {args:tests}'\n"
                "[tool.pytest.ini_options]\ntestpaths = ['tests']\n"
            },
            "pytest -q tests",
            "pyproject.toml hatch script test:run",
        ),
        (
            {
                "Makefile": "install:\n\tpip install pytest\n\ntest: install\n\t@$(PYTHON) -m pytest -v --tb=short tests/\n"
            },
            "pytest -q tests/",
            "Makefile target 'test'",
        ),
        (
            {"setup.cfg": "[tool:pytest]\ntestpaths = t\n"},
            "pytest -q",
            "pytest configuration in setup.cfg [tool:pytest]",
        ),
        ({"README.md": "x"}, "pytest -q", "no runner configuration found"),
    ],
)
def test_test_command_sources(make_repo, files: dict[str, str], command: str, source: str) -> None:
    repo: Repo = make_repo(files)
    found = detect_test_command(repo.path)
    assert (found.command, found.source) == (command, source)


def test_doctor_pins_a_later_interpreter_when_the_first_has_no_pytest(
    capsys, make_repo, narrow_path
) -> None:
    repo: Repo = make_repo(
        {"calc.py": "def add(a, b):\n    return a + b\n", "tests/test_calc.py": CALC_TEST}
    )
    made = subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(repo.path / ".venv")], check=False
    )
    assert made.returncode == 0
    suite_python_on_path(narrow_path)
    doctor = run_cli(capsys, "doctor", "--repo", str(repo.path))
    assert doctor.code == 0, doctor.err
    assert "(the repository's .venv/): Python" in doctor.out and "pytest missing" in doctor.out
    assert "comes first but cannot run pytest" in doctor.out
    assert f'python = "{narrow_path}/python"' in doctor.out


CALC_TEST = "from calc import add\n\n\ndef test_add():\n    assert add(2, 3) == 5\n"


def fake_venv(folder: Path) -> Path:
    """A virtualenv as the search sees one (`bin/python` beside `pyvenv.cfg`); never run."""
    (folder / "bin").mkdir(parents=True)
    (folder / "pyvenv.cfg").write_text("home = /usr/bin\n")
    python = folder / "bin" / "python"
    python.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    python.chmod(0o755)
    return python


@pytest.mark.parametrize(
    ("setting", "active", "in_repo", "expected_how"),
    [
        (None, False, "", "'python' on PATH"),
        (None, False, "venv", "the repository's venv/"),
        (None, True, "venv", "the active virtualenv"),
        ("'./venv'", True, "venv", "[tests] python = './venv'"),
        (
            "'tools/venv/bin/python'",
            False,
            "tools/venv",
            "[tests] python = 'tools/venv/bin/python'",
        ),
        ("'python'", True, "venv", "[tests] python = 'python'"),
    ],
)
def test_doctor_and_the_gate_find_the_same_interpreter_for_the_same_reason(
    tmp_path: Path,
    narrow_path: Path,
    setting: str | None,
    active: bool,
    in_repo: str,
    expected_how: str,
) -> None:
    """Doctor proposes a `[tests]` section for the interpreter it finds first; the gate must then
    run that very interpreter, and both must say why in the same words."""
    root = tmp_path / "repo"
    root.mkdir()
    suite_python_on_path(narrow_path)
    if in_repo:
        fake_venv(root / in_repo)
    elsewhere = fake_venv(tmp_path / "elsewhere")
    tests = "[tests]\ncommand = 'pytest -q'\n" + (f"python = {setting}\n" if setting else "")
    (root / "crewchief.toml").write_text(tests)
    environ = dict(os.environ)
    if active:
        environ["VIRTUAL_ENV"] = str(elsewhere.parent.parent)
    found, _ = doctor.find_python(root, environ)
    policy = parse_policy((root / "crewchief.toml").read_bytes(), "crewchief.toml")
    gate = pyenv.find_python(root, policy.tests.python, environ)
    assert (found[0].python, found[0].source) == (str(gate.python), gate.how)
    assert gate.how.startswith(expected_how)


def test_doctor_reports_a_pinned_python_that_names_nothing_as_the_gate_refuses_it(
    tmp_path: Path, narrow_path: Path
) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    (root / "crewchief.toml").write_text("[tests]\npython = 'no-such-python'\n")
    suite_python_on_path(narrow_path)  # a python that works is there, and must not be taken
    environ = dict(os.environ)
    found, probes = doctor.find_python(root, environ)
    with pytest.raises(UserError) as refused:
        pyenv.find_python(root, "no-such-python", environ)
    assert len(found) == 1 and [p.problem for p in probes] == [str(refused.value)]
