"""Package installs written as commands: a finding in scripts, CI and code, a block from code that
runs at test, build or import time; installs of what the repository declares stay quiet."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from crewchief.gate.change import Change
from crewchief.gate.check import CheckContext
from crewchief.gate.checks.dependencies import installs
from crewchief.gate.checks.dependencies.check import CHECK
from crewchief.gate.findings import Finding
from crewchief.spec.policy import Policy

BASE = {"pyproject.toml": '[project]\nname = "demo"\ndependencies = ["requests", "pytest"]\n'}


def run(head: Mapping[str, str], base: Mapping[str, str] = BASE) -> list[Finding]:
    return CHECK.run(CheckContext(Change.from_files(base, {**base, **head}), Policy()))


def rules(findings: list[Finding]) -> list[tuple[str, int | None]]:
    return sorted((f.rule, f.line) for f in findings)


@pytest.mark.parametrize(
    ("path", "text"),
    [
        ("scripts/setup_env.sh", "#!/bin/sh\nset -e\npip install quantumflux\n"),
        ("Makefile", "test:\n\tpython -m pip install quantumflux && pytest\n"),
        ("Dockerfile", "FROM python:3.12\nRUN uv pip install --system quantumflux==1.0\n"),
        (".github/workflows/ci.yml", "steps:\n  - run: pip3 install -U quantumflux\n"),
        ("tox.ini", "[testenv]\ncommands_pre = poetry add quantumflux\n"),
        ("web/build.sh", "cd web\nnpm install left-padder\n"),
        ("tools/x.sh", "echo\npip install git+https://github.com/someone/requests\n"),
    ],
)
def test_install_of_an_undeclared_package_is_a_finding(path: str, text: str) -> None:
    found = run({path: text})
    assert [f.rule for f in found] == ["install-command"]
    assert found[0].line == len(text.splitlines()) and not found[0].blocking
    assert found[0].cwe == "CWE-829"


@pytest.mark.parametrize(
    "line",
    [
        "pip install -r requirements.txt",
        "pip install -e .[dev]",
        "python -m pip install --upgrade pip setuptools wheel",
        "pip install requests pytest",
        "pip install $PACKAGES",
        "npm ci",
        "npm install",
        "uv sync --frozen",
        "poetry install --with dev",
        "pip install -c constraints.txt .",
    ],
)
def test_installs_of_what_is_declared_stay_quiet(line: str) -> None:
    assert run({"scripts/ci.sh": f"#!/bin/sh\n{line}\n"}) == []


def test_documentation_is_not_read() -> None:
    assert run({"README.md": "Install with\n\n    pip install quantumflux\n"}) == []


def test_python_code_running_pip_is_a_finding_with_its_line() -> None:
    code = (
        "import subprocess\nimport sys\n\n\ndef bootstrap():\n"
        '    subprocess.check_call([sys.executable, "-m", "pip", "install", "quantumflux"])\n'
    )
    assert rules(run({"tools/bootstrap.py": code})) == [("install-command", 6)]


@pytest.mark.parametrize(
    "code",
    [
        'import subprocess, sys\nsubprocess.run([sys.executable, "-m", "pip", "install", "pytest-xyz"])\n',
        'import os\nos.system("pip install requests-toolbelt2")\n',
        'import pip\npip.main(["install", "anything"])\n',
        # installing a declared package from conftest is still an install on every run
        'import subprocess\nsubprocess.call(["pip", "install", "requests"])\n',
    ],
)
def test_install_from_conftest_blocks(code: str) -> None:
    found = run({"tests/conftest.py": code})
    [finding] = [f for f in found if f.rule != "undeclared-import"]  # `import pip`
    assert finding.rule == "runtime-install" and finding.blocking


def test_conftest_that_only_mentions_pip_is_quiet() -> None:
    code = '"""Tests need `pip install -e .` first."""\nimport pytest\n\nPIP = "pip"\n'
    assert run({"tests/conftest.py": code}) == []


def test_strings_that_only_mention_installs_are_quiet() -> None:
    code = (
        "import pytest\n\n\n"
        '@pytest.mark.parametrize("cmd", ["pip install quantumflux", "npm install left-pad"])\n'
        "def test_parse(cmd):\n"
        "    assert parse(cmd)\n"
        'print("run pip install quantumflux first")\n'
    )
    assert run({"tests/test_parse.py": code}) == []


def test_an_existing_install_line_is_not_reported_again() -> None:
    base = {**BASE, "scripts/ci.sh": "pip install quantumflux\n"}
    assert run({"scripts/ci.sh": "pip install quantumflux\necho done\n"}, base) == []


def test_targets() -> None:
    assert installs.targets("-i https://x.test/simple foo 'bar>=1' -r req.txt") == ("foo", "bar>=1")
    assert installs.targets("--upgrade pip") == ()
