"""Everything an installer reads is a manifest: requirements under any name, index and source tables
of uv, poetry, pdm and hatch, pip.conf, uv.toml and PEP 723 script blocks; and the repository's own
packages are first-party even when a famous package shares their name."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from crewchief.gate.change import Change
from crewchief.gate.check import CheckContext
from crewchief.gate.checks.dependencies import manifests as mf
from crewchief.gate.checks.dependencies.check import CHECK
from crewchief.gate.findings import Finding
from crewchief.spec.policy import Policy


def run(base: Mapping[str, str], head: Mapping[str, str]) -> list[Finding]:
    return CHECK.run(CheckContext(Change.from_files(base, head), Policy()))


def rules(findings: list[Finding]) -> list[str]:
    return sorted(f.rule for f in findings)


@pytest.mark.parametrize(
    "path",
    [
        "test-requirements.txt",
        "dev_requirements.txt",
        "requirements/dev.txt",
        "requirements/dev.in",
        "constraints.txt",
        "ci/constraints-py312.txt",
        "dev.in",
        "pip.conf",
        "uv.toml",
    ],
)
def test_what_installers_read_is_a_manifest(path: str) -> None:
    assert mf.is_manifest(path)


@pytest.mark.parametrize("path", ["MANIFEST.in", "Makefile.in", "notes.txt", "docs/setup.py.in"])
def test_templates_and_notes_are_not_manifests(path: str) -> None:
    assert not mf.is_manifest(path)


def test_extra_index_in_test_requirements_blocks() -> None:
    base = {"test-requirements.txt": "pytest\n"}
    head = {"test-requirements.txt": "--extra-index-url https://pkgs.evil.test/simple\npytest\n"}
    [finding] = run(base, head)
    assert finding.rule == "package-source-added" and finding.blocking
    assert finding.line == 1 and finding.cwe == "CWE-829"


def test_unchanged_index_in_requirements_stays_quiet() -> None:
    text = "-i https://pypi.internal.test/simple\npytest\n"
    assert run({"test-requirements.txt": text}, {"test-requirements.txt": text + "# note\n"}) == []


UV_INDEX = """\
[project]
name = "demo"
dependencies = ["requests"]

[[tool.uv.index]]
name = "mirror"
url = "https://mirror.evil.test/simple"
default = true
"""


def test_uv_default_index_blocks_with_line() -> None:
    base = {"pyproject.toml": '[project]\nname = "demo"\ndependencies = ["requests"]\n'}
    [finding] = run(base, {"pyproject.toml": UV_INDEX})
    assert finding.rule == "package-source-added" and finding.blocking
    assert finding.line == 7 and "default = True" in finding.message


def test_uv_source_pointing_at_a_git_fork_blocks() -> None:
    base = {"pyproject.toml": '[project]\nname = "demo"\ndependencies = ["requests"]\n'}
    head = {
        "pyproject.toml": base["pyproject.toml"]
        + '\n[tool.uv.sources]\nrequests = { git = "https://github.com/someone/requests" }\n'
    }
    [finding] = run(base, head)
    assert finding.rule == "package-source-added" and finding.line == 6


def test_uv_workspace_source_is_quiet() -> None:
    base = {"pyproject.toml": '[project]\nname = "demo"\ndependencies = ["lib"]\n'}
    head = {
        "pyproject.toml": base["pyproject.toml"]
        + "\n[tool.uv.sources]\nlib = { workspace = true }\n"
    }
    assert [f for f in run(base, head) if f.rule == "package-source-added"] == []


@pytest.mark.parametrize(
    "table",
    [
        '[[tool.poetry.source]]\nname = "x"\nurl = "https://x.test/simple"\npriority = "primary"\n',
        '[[tool.pdm.source]]\nname = "x"\nurl = "https://x.test/simple"\n',
        '[tool.hatch.envs.default.env-vars]\nPIP_EXTRA_INDEX_URL = "https://x.test/simple"\n',
        '[tool.uv]\nextra-index-url = ["https://x.test/simple"]\n',
    ],
)
def test_poetry_pdm_hatch_uv_sources(table: str) -> None:
    base = {"pyproject.toml": '[project]\nname = "demo"\n'}
    found = run(base, {"pyproject.toml": base["pyproject.toml"] + "\n" + table})
    assert rules(found) == ["package-source-added"]


def test_pip_conf_and_uv_toml() -> None:
    pip_conf = "[global]\nextra-index-url = https://x.test/simple\n"
    assert rules(run({}, {"pip.conf": pip_conf})) == ["package-source-added"]
    assert rules(run({}, {"pip.conf": "[global]\ntimeout = 60\n"})) == []
    uv = '[[index]]\nname = "x"\nurl = "https://x.test/simple"\ndefault = true\n'
    assert rules(run({}, {"uv.toml": uv})) == ["package-source-added"]
    assert rules(run({}, {"uv.toml": "cache-dir = '/tmp/uv'\n"})) == []


SCRIPT = """\
# /// script
# requires-python = ">=3.11"
# dependencies = [
#   "requests<3",
#   "quantumflux-sdk",
# ]
# [tool.uv]
# extra-index-url = ["https://x.test/simple"]
# ///
import requests
"""


def test_pep723_script_block_is_a_manifest() -> None:
    base = {"pyproject.toml": '[project]\nname = "demo"\ndependencies = ["requests"]\n'}
    found = run(base, {**base, "tools/fetch.py": SCRIPT})
    by_rule = {f.rule: f for f in found}
    assert set(by_rule) == {"new-dependency", "package-source-added"}
    assert by_rule["new-dependency"].line == 5
    assert by_rule["package-source-added"].line == 8


def test_a_comment_mentioning_script_metadata_is_not_a_block() -> None:
    text = "# see PEP 723: # /// script blocks\nimport requests\n"
    base = {"pyproject.toml": '[project]\nname = "demo"\ndependencies = ["requests"]\n'}
    assert run(base, {**base, "tools/fetch.py": text}) == []


@pytest.mark.parametrize(
    "packaging",
    [
        {
            "setup.py": 'from setuptools import setup\nsetup(name=about["t"], packages=["requests"])\n'
        },
        {"setup.cfg": "[metadata]\nname = requests\n"},
        {"pyproject.toml": '[tool.setuptools]\npackages = ["requests"]\n'},
        {"pyproject.toml": '[tool.hatch.build.targets.wheel]\npackages = ["src/requests"]\n'},
        {"pyproject.toml": '[tool.poetry]\nname = "x"\npackages = [{include = "requests"}]\n'},
        {"pyproject.toml": '[project]\nname = "requests"\n'},
    ],
)
def test_own_package_named_like_a_popular_one_is_first_party(packaging: dict[str, str]) -> None:
    test = "import requests\n\n\ndef test_get():\n    assert requests.get\n"
    found = run(packaging, {**packaging, "tests/test_get.py": test})
    assert rules(found) == []


def test_someone_elses_popular_package_is_still_undeclared() -> None:
    packaging = {"pyproject.toml": '[project]\nname = "demo"\n'}
    found = run(packaging, {**packaging, "tests/test_get.py": "import requests\n"})
    assert rules(found) == ["undeclared-import"]


def test_through_git_test_requirements_index_and_conftest_install(make_repo: object) -> None:
    from crewchief.gate.engine import GateRequest, run_gate

    repo = make_repo(  # type: ignore[operator]
        {
            "pyproject.toml": '[project]\nname = "demo"\ndependencies = ["requests"]\n',
            "test-requirements.txt": "pytest\n",
            "tests/conftest.py": "import pytest\n",
        }
    )
    base = repo.git("rev-parse", "HEAD")
    head = repo.commit(
        {
            "test-requirements.txt": "--extra-index-url https://x.test/simple\npytest\n",
            "tests/conftest.py": (
                'import subprocess\nimport pytest\n\nsubprocess.run(["pip", "install", "plug"])\n'
            ),
        },
        "agent change",
    )
    report = run_gate(
        GateRequest(repo=repo.path, base=base, head=head, only=["dependencies"], use_cache=False)
    )
    found = sorted((f.rule, f.path, f.line, f.blocking) for f in report.findings)
    assert found == [
        ("package-source-added", "test-requirements.txt", 1, True),
        ("runtime-install", "tests/conftest.py", 4, True),
    ]
