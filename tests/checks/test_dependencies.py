"""The dependencies check: new packages, lookalikes, loosened pins, lock entries, broken manifests."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest

from crewchief.gate.change import Change
from crewchief.gate.check import CheckContext
from crewchief.gate.checks.dependencies import check as deps
from crewchief.gate.checks.dependencies.check import CHECK, DependenciesCheck
from crewchief.gate.engine import GateRequest, run_gate
from crewchief.gate.findings import Finding, Severity, Verdict, fingerprint
from crewchief.spec.policy import DependenciesPolicy, Policy

PYPROJECT = """\
[project]
name = "demo"
dependencies = [
{deps}
]
"""


def pyproject(*requirements: str) -> str:
    return PYPROJECT.format(deps="\n".join(f'    "{r}",' for r in requirements))


def package_json(**dependencies: str) -> str:
    body = ",\n".join(f'    "{k.replace("_", "-")}": "{v}"' for k, v in dependencies.items())
    return '{\n  "name": "app",\n  "dependencies": {\n' + body + "\n  }\n}\n"


def run(
    base: Mapping[str, str],
    head: Mapping[str, str],
    policy: Policy | None = None,
    check: DependenciesCheck = CHECK,
) -> list[Finding]:
    return check.run(CheckContext(Change.from_files(base, head), policy or Policy()))


def rules(findings: list[Finding]) -> list[tuple[str, str]]:
    return sorted((f.rule, f.snippet or "") for f in findings)


def test_nothing_to_say_without_manifests() -> None:
    assert run({"a.py": "x = 1\n"}, {"a.py": "x = 2\n"}) == []


def test_new_dependency_is_flagged_with_its_line() -> None:
    base = {"pyproject.toml": pyproject("requests>=2")}
    head = {"pyproject.toml": pyproject("requests>=2", "quantumflux-sdk>=1.0")}
    [finding] = run(base, head)
    assert finding.rule == "new-dependency"
    assert finding.severity is Severity.MEDIUM and not finding.blocking
    assert finding.path == "pyproject.toml" and finding.line == 5
    assert "quantumflux-sdk" in finding.message and "pyproject.toml" in finding.message
    assert finding.fingerprint == fingerprint("new-dependency", "quantumflux-sdk", "pyproject.toml")


def test_dependency_declared_elsewhere_at_base_is_not_new() -> None:
    base = {
        "pyproject.toml": pyproject("requests>=2"),
        "requirements-dev.txt": "pytest==8.0.0\nPyYAML==6.0.1\n",
    }
    head = {
        "pyproject.toml": pyproject("requests>=2", "pytest>=8", "pyyaml"),
        "requirements-dev.txt": "pytest==8.0.0\nPyYAML==6.0.1\n",
    }
    assert run(base, head) == []


def test_version_bump_and_move_between_manifests_are_not_new() -> None:
    base = {"requirements.txt": "requests==2.30.0\nclick==8.0.0\n"}
    head = {"requirements.txt": "requests==2.31.0\n", "requirements-dev.txt": "click==8.0.0\n"}
    assert run(base, head) == []


def test_allow_list_and_base_lock_count_as_known() -> None:
    policy = Policy(dependencies=DependenciesPolicy(allow=["QuantumFlux_SDK"]))
    base = {"pyproject.toml": pyproject("requests"), "uv.lock": '[[package]]\nname = "idna"\n'}
    head = {**base, "pyproject.toml": pyproject("requests", "quantumflux-sdk", "idna")}
    assert rules(run(base, head)) == [("new-dependency", "quantumflux-sdk")]
    assert run(base, head, policy) == []


@pytest.mark.parametrize(
    ("name", "target"),
    [
        ("reqeusts", "requests"),
        ("requets", "requests"),
        ("numpyy", "numpy"),
        ("python-dateutils", "python-dateutil"),
        ("djnago", "django"),
        ("requests2", "requests"),
        ("pandsa", "pandas"),
        ("python-requests", "requests"),
        ("yaml", "pyyaml"),
        ("dateutil", "python-dateutil"),
    ],
)
def test_pypi_typosquats_block(name: str, target: str) -> None:
    [finding] = run({"requirements.txt": "flask\n"}, {"requirements.txt": f"flask\n{name}>=1\n"})
    assert (finding.rule, finding.severity, finding.blocking) == ("typosquat", Severity.HIGH, True)
    assert finding.line == 2
    assert f"'{target}'" in finding.message


@pytest.mark.parametrize(("name", "target"), [("expresss", "express"), ("lodahs", "lodash")])
def test_npm_typosquats_block(name: str, target: str) -> None:
    base = {"package.json": package_json(react="^18.2.0")}
    head = {"package.json": package_json(react="^18.2.0", **{name: "^1.0.0"})}
    [finding] = run(base, head)
    assert (finding.rule, finding.blocking, finding.line) == ("typosquat", True, 5)
    assert f"'{target}'" in finding.message


def test_popular_names_are_new_not_typosquats() -> None:
    # beautifulsoup (the old BeautifulSoup 3) is itself in the popular list, one edit from
    # beautifulsoup4: popularity wins, it is only new.
    assert "beautifulsoup" in deps.popular("pypi").names
    base = {"requirements.txt": "click\n"}
    head = {"requirements.txt": "click\nbeautifulsoup\ndjango\nnumpy\nflask-sqlalchemy\nattrs\n"}
    found = rules(run(base, head))
    assert found == [
        ("new-dependency", n)
        for n in sorted(["beautifulsoup", "django", "numpy", "flask-sqlalchemy", "attrs"])
    ]
    npm = run(
        {"package.json": package_json()}, {"package.json": package_json(express="4", lodash="4")}
    )
    assert rules(npm) == [("new-dependency", "express"), ("new-dependency", "lodash")]


def test_import_name_of_a_popular_other_project_is_a_confusion_not_a_block() -> None:
    [finding] = run({"requirements.txt": ""}, {"requirements.txt": "jwt\n"})
    assert (finding.rule, finding.blocking) == ("import-name-confusion", False)
    assert "pyjwt" in finding.message


def test_unknown_names_far_from_anything_are_only_new() -> None:
    head = "acme-internal-telemetry-client\nzqxv-quantum-bridge\n"
    found = run({"requirements.txt": "click\n"}, {"requirements.txt": "click\n" + head})
    assert {f.rule for f in found} == {"new-dependency"}
    assert not any(f.blocking for f in found)


def test_lookalike_of_an_existing_dependency() -> None:
    base = {"requirements.txt": "acme-telemetry-client==1.0\n"}
    head = {"requirements.txt": "acme-telemetry-client==1.0\nacme-telemetry-cleint==1.0\n"}
    [finding] = run(base, head)
    assert finding.rule == "typosquat" and "acme-telemetry-client" in finding.message


def test_typosquat_distance_zero_turns_edit_matching_off() -> None:
    policy = Policy(dependencies=DependenciesPolicy(typosquat_distance=0))
    found = run({"requirements.txt": ""}, {"requirements.txt": "reqeusts\n"}, policy)
    assert rules(found) == [("new-dependency", "reqeusts")]


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        ("requests==2.31.0", "requests>=2.31", ["loosened-pin"]),
        ("requests==2.31.0", "requests", ["loosened-pin"]),
        ("requests~=2.31.0", "requests>=2.31.0", ["loosened-pin"]),
        ("requests>=2,<3", "requests>=2", ["loosened-pin"]),
        ("requests==2.31.0", "requests==2.30.0", ["downgrade"]),
        ("requests==2.31.0", "requests==2.32.0", []),
        ("requests>=2.31", "requests>=2.20", ["loosened-pin"]),
        ("requests>=2", "requests==2.31.0", []),
        ("requests>=2.31", "requests>=2.32.3", []),  # a floor raised for a security fix
        ("requests>=2.31,<3", "requests>=2.32.3,<3", []),
        ("requests<3", "requests<4", []),  # a cap moved up
        ("requests==2.*", "requests==2.31.0", []),
        ("requests>=2.31", "requests>=2.31,<3", ["upper-bound-added"]),
        ("requests>=2.31", "requests~=2.31", ["upper-bound-added"]),
        ("requests<4", "requests<3", ["upper-bound-added"]),
        ("Jinja2>=2.3", "Jinja2<3.0", ["loosened-pin", "upper-bound-added"]),
        ("requests==2.31.0", "requests==2.*", ["downgrade", "loosened-pin"]),
        ("requests>=2.31", "requests>=2.20,<3", ["downgrade", "upper-bound-added"]),
    ],
)
def test_loosened_pins_and_downgrades_pypi(before: str, after: str, expected: list[str]) -> None:
    found = run({"requirements.txt": before + "\n"}, {"requirements.txt": after + "\n"})
    assert sorted(f.rule for f in found) == expected
    assert all(not f.blocking and f.line == 1 for f in found)
    assert all("from '" in f.message and "' to '" in f.message for f in found)


def test_loosened_pin_names_both_specifiers_and_what_moved() -> None:
    [loose, capped] = sorted(
        run({"requirements.txt": "Jinja2>=2.3\n"}, {"requirements.txt": "Jinja2<3.0\n"}),
        key=lambda f: f.rule,
    )
    assert "'Jinja2' went from '>=2.3' to '<3.0' (lower bound 2.3 dropped)" in loose.message
    assert "(upper bound 3.0 added)" in capped.message
    assert capped.severity is Severity.MEDIUM and not capped.blocking


@pytest.mark.parametrize(
    ("path", "before", "after"),
    [
        ("requirements/tests.txt", "pytest==8.1.1\n", "pytest>=7\n"),
        ("pyproject.toml", pyproject("click>=8.1.3"), pyproject("click>=7")),
        (
            "setup.cfg",
            "[options]\ninstall_requires =\n    click==8.1.3\n",
            "[options]\ninstall_requires =\n    click>=8\n",
        ),
        (
            "setup.py",
            "from setuptools import setup\nsetup(install_requires=['click>=8.1'])\n",
            "from setuptools import setup\nsetup(install_requires=['click>=7'])\n",
        ),
        ("Pipfile", '[packages]\nclick = "==8.1.3"\n', '[packages]\nclick = "*"\n'),
        (
            "pyproject.toml",
            '[dependency-groups]\ndev = ["click>=8.1"]\n',
            '[dependency-groups]\ndev = ["click>=8.0"]\n',
        ),
    ],
)
def test_loosened_pins_in_every_pep440_manifest(path: str, before: str, after: str) -> None:
    assert [f.rule for f in run({path: before}, {path: after})] == ["loosened-pin"]


def test_requirement_listed_twice_is_compared_with_its_own_counterpart() -> None:
    before = pyproject("numpy>=1.22; python_version<'3.12'", "numpy>=1.26; python_version>='3.12'")
    after = pyproject("numpy>=1.22; python_version<'3.12'", "numpy>=1.26.4; python_version>='3.12'")
    assert run({"pyproject.toml": before}, {"pyproject.toml": after}) == []
    lowered = pyproject("numpy>=1.22; python_version<'3.12'", "numpy>=1.22; python_version>='3.12'")
    assert [f.rule for f in run({"pyproject.toml": before}, {"pyproject.toml": lowered})] == [
        "loosened-pin"
    ]


def test_url_and_vcs_dependencies_block_local_paths_do_not() -> None:
    base = {
        "requirements.txt": "requests==2.31.0\n",
        "package.json": package_json(mine="file:../m"),
    }
    head = {
        "requirements.txt": "requests @ https://example.invalid/r.whl\n"
        "-e git+https://example.invalid/org/tool.git#egg=tool\n-e ./vendored/lib\n",
        "package.json": package_json(mine="file:../m", widget="someone/widget#main"),
    }
    found = sorted((f.rule, f.snippet, f.line, f.blocking) for f in run(base, head))
    assert found == [
        ("url-dependency", "requests", 1, True),
        ("url-dependency", "tool", 2, True),
        ("url-dependency", "widget", 5, True),
    ]
    poetry = '[tool.poetry.dependencies]\nlib = {git = "https://example.invalid/lib.git"}\n'
    [finding] = run({"pyproject.toml": ""}, {"pyproject.toml": poetry})
    assert (finding.rule, finding.line) == ("url-dependency", 2)
    assert run({"pyproject.toml": poetry}, {"pyproject.toml": poetry + "\n"}) == []


def test_downgrade_severity() -> None:
    [pinned] = run({"requirements.txt": "a-pkg==2.0\n"}, {"requirements.txt": "a-pkg==1.9\n"})
    assert pinned.severity is Severity.MEDIUM
    [ranged] = run({"requirements.txt": "a-pkg~=2.1.0\n"}, {"requirements.txt": "a-pkg~=2.0.0\n"})
    assert ranged.severity is Severity.LOW


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        ("4.18.2", "^4.18.2", ["loosened-pin"]),
        ("^4.18.2", "*", ["loosened-pin"]),
        ("~4.18.2", "latest", ["loosened-pin"]),
        ("^4.18.2", "^4.19.0", []),
        ("^4.18.2", "^3.0.0", ["downgrade"]),
    ],
)
def test_loosened_pins_npm(before: str, after: str, expected: list[str]) -> None:
    base = {"package.json": package_json(express=before)}
    head = {"package.json": package_json(express=after)}
    found = run(base, head)
    assert sorted(f.rule for f in found) == expected
    assert all(f.line == 4 for f in found)


def test_poetry_caret_to_star_is_loosened() -> None:
    base = {"pyproject.toml": '[tool.poetry.dependencies]\npython = "^3.11"\nDjango = "4.2.1"\n'}
    head = {"pyproject.toml": '[tool.poetry.dependencies]\npython = "^3.11"\nDjango = "*"\n'}
    [finding] = run(base, head)
    assert (finding.rule, finding.line) == ("loosened-pin", 3)


POETRY_LOCK = '[[package]]\nname = "idna"\nversion = "3.6"\n\n[[package]]\nname = "requests"\nversion = "2.31.0"\n'


def test_removed_lock_entry_of_a_declared_package() -> None:
    base = {"pyproject.toml": pyproject("requests"), "poetry.lock": POETRY_LOCK}
    head = {**base, "poetry.lock": '[[package]]\nname = "idna"\nversion = "3.6"\n'}
    [finding] = run(base, head)
    assert (finding.rule, finding.severity, finding.blocking) == (
        "lock-entry-removed",
        Severity.MEDIUM,
        False,
    )
    assert finding.path == "poetry.lock" and finding.line == 6


def test_lock_entries_of_undeclared_packages_may_go() -> None:
    base = {"pyproject.toml": pyproject("requests"), "poetry.lock": POETRY_LOCK}
    dropped_idna = {**base, "poetry.lock": '[[package]]\nname = "requests"\nversion = "2.31.0"\n'}
    assert run(base, dropped_idna) == []
    dropped_both = {"pyproject.toml": pyproject("httpx"), "poetry.lock": ""}
    assert rules(run(base, dropped_both)) == [("new-dependency", "httpx")]  # requests is gone


def test_package_lock_entry_removed_and_lock_file_deleted() -> None:
    lock = '{"lockfileVersion": 3, "packages": {"": {}, "node_modules/express": {}}}'
    base = {"package.json": package_json(express="^4.18.2"), "package-lock.json": lock}
    emptied = {**base, "package-lock.json": '{"lockfileVersion": 3, "packages": {"": {}}}'}
    assert rules(run(base, emptied)) == [("lock-entry-removed", "express")]
    deleted = {"package.json": base["package.json"]}
    [finding] = run(base, deleted)
    assert (finding.rule, finding.severity, finding.path) == (
        "lock-file-removed",
        Severity.MEDIUM,
        "package-lock.json",
    )


def test_malformed_manifest_at_head_is_a_finding_not_a_crash() -> None:
    base = {"pyproject.toml": pyproject("requests"), "package.json": package_json(express="4")}
    head = {"pyproject.toml": "[project\n", "package.json": '{"dependencies": '}
    found = run(base, head)
    assert sorted((f.rule, f.path, f.blocking) for f in found) == [
        ("manifest-invalid", "package.json", True),
        ("manifest-invalid", "pyproject.toml", True),
    ]


def test_malformed_at_base_too_is_not_introduced() -> None:
    assert run({"setup.cfg": "[options\n"}, {"setup.cfg": "[options\nx\n"}) == []


def test_undecodable_and_hostile_manifests() -> None:
    change = Change.from_files(
        {"requirements.txt": "click\n"},
        {
            "requirements.txt": b"click\n\xff\xfe-bad\n",
            "setup.py": "setup(install_requires=[" * 200,
        },
    )
    found = CHECK.run(CheckContext(change, Policy()))
    assert {(f.rule, f.path) for f in found} == {
        ("manifest-invalid", "requirements.txt"),
        ("manifest-invalid", "setup.py"),
    }


def test_invalid_requirement_and_new_package_source() -> None:
    base = {"requirements.txt": "click\n-i https://example.invalid/old\n"}
    head = {
        "requirements.txt": "click\n-i https://example.invalid/old\nbad>>1\n"
        "--extra-index-url https://example.invalid/simple\n"
    }
    assert sorted((f.rule, f.line, f.blocking) for f in run(base, head)) == [
        ("invalid-requirement", 3, False),
        ("package-source-added", 4, True),
    ]


LIBRARY = """\
from __future__ import annotations

import os.path
from typing import TYPE_CHECKING

import requests
import yaml
from demo import helpers
from . import sibling

try:
    import ujson as json
except ImportError:
    import json

if TYPE_CHECKING:
    import numpy
"""


def test_undeclared_import_of_a_known_package() -> None:
    base = {"pyproject.toml": pyproject("click"), "src/demo/core.py": "import click\n"}
    head = {**base, "src/demo/core.py": "import click\n" + LIBRARY}
    found = sorted((f.rule, f.snippet, f.line, f.blocking) for f in run(base, head))
    assert found == [
        ("undeclared-import", "requests", 7, False),
        ("undeclared-import", "yaml", 8, False),
    ]
    assert "pyyaml" in next(f.message for f in run(base, head) if f.snippet == "yaml")
    declared = {**head, "pyproject.toml": pyproject("click", "requests", "PyYAML")}
    assert run({**base, "pyproject.toml": declared["pyproject.toml"]}, declared) == []


def test_setup_py_requirements_built_at_run_time_count_as_declared() -> None:
    """`'numpy >= {}'.format(v)` declares numpy: importing it is not an undeclared import, and the
    requirement is neither invalid nor new when it was there at base in another spelling."""
    setup = (
        "from setuptools import setup\nv = get_version()\n"
        "setup(install_requires=['numpy >= {}'.format(v), f'scipy>={v}', 'pandas>=%s' % v])\n"
    )
    lib = "import numpy\nimport scipy\nimport pandas\n"
    base = {"setup.py": setup, "pkg/core.py": "x = 1\n"}
    assert run(base, {**base, "pkg/core.py": lib}) == []
    literal = {"setup.py": setup.replace("'numpy >= {}'.format(v)", "'numpy>=1.20'")}
    assert run({**base, **literal}, {**base, "pkg/core.py": lib}) == []
    # a new package declared that way is a new dependency, read by its name (not a URL source)
    added = setup.replace("f'scipy>={v}'", "f'scipy>={v}', 'quantumflux >= {}'.format(v)")
    [finding] = run(base, {**base, "setup.py": added})
    assert (finding.rule, finding.snippet) == ("new-dependency", "quantumflux")
    assert "URL" not in finding.message


@pytest.mark.parametrize(
    "manifest",
    [
        ("pyproject.toml", '[project]\nname = "Humanize"\ndependencies = []\n'),
        ("setup.cfg", "[metadata]\nname = humanize\n"),
        ("setup.py", "from setuptools import setup\nsetup(name='humanize')\n"),
    ],
)
def test_importing_the_repositorys_own_package_is_not_undeclared(manifest: tuple[str, str]) -> None:
    """A new test that imports the package the repository builds (from a src layout the change
    does not show) imports no dependency."""
    base = {manifest[0]: manifest[1], "tests/test_a.py": "x = 1\n"}
    found = run(base, {**base, "tests/test_a.py": "import humanize\nimport requests\n"})
    assert [(f.rule, f.snippet) for f in found] == [("undeclared-import", "requests")]


def test_imports_already_there_or_without_manifest_are_not_flagged() -> None:
    moved = {"pyproject.toml": pyproject("click"), "a.py": "import requests\n", "b.py": ""}
    assert run(moved, {**moved, "a.py": "", "b.py": "import requests\n"}) == []
    assert run({"tool.py": ""}, {"tool.py": "import requests\n"}) == []


def test_each_manifest_format_reports_new_dependencies() -> None:
    cfg = "[options]\ninstall_requires =\n    click\n"
    setup_py = 'from setuptools import setup\nsetup(install_requires=["click"])\n'
    pipfile = '[packages]\nclick = "*"\n'
    base = {
        "setup.cfg": cfg,
        "setup.py": setup_py,
        "Pipfile": pipfile,
        "requirements/test.txt": "click\n",
    }
    head = {
        "setup.cfg": cfg + "    acme-cfg-only\n",
        "setup.py": setup_py.replace('"click"', '"click", "acme-setup-only"'),
        "Pipfile": pipfile + 'acme-pipfile-only = "==1.0"\n',
        "requirements/test.txt": "click\nacme-requirements-only\n",
    }
    found = {(f.path, f.snippet, f.line) for f in run(base, head)}
    assert found == {
        ("setup.cfg", "acme-cfg-only", 4),
        ("setup.py", "acme-setup-only", 2),
        ("Pipfile", "acme-pipfile-only", 3),
        ("requirements/test.txt", "acme-requirements-only", 2),
    }


def test_online_check_is_off_by_default_and_used_when_on() -> None:
    calls: list[tuple[str, str]] = []

    def fetch(ecosystem: str, name: str) -> bool | None:
        calls.append((ecosystem, name))
        return name != "zqxv-hallucinated-lib"

    check = DependenciesCheck(fetch=fetch)
    base = {"requirements.txt": ""}
    head = {"requirements.txt": "zqxv-hallucinated-lib\nacme-real-lib\n"}
    assert rules(run(base, head, check=check)) == [
        ("new-dependency", "acme-real-lib"),
        ("new-dependency", "zqxv-hallucinated-lib"),
    ]
    assert calls == []
    policy = Policy(dependencies=DependenciesPolicy(online_check=True))
    found = run(base, head, policy, check)
    assert rules(found) == [
        ("new-dependency", "acme-real-lib"),
        ("unknown-package", "zqxv-hallucinated-lib"),
    ]
    assert sorted(calls) == [("pypi", "acme-real-lib"), ("pypi", "zqxv-hallucinated-lib")]
    assert [f.blocking for f in found if f.rule == "unknown-package"] == [True]


def test_distance() -> None:
    assert deps.distance("requests", "requests", 2) == 0
    assert deps.distance("reqeusts", "requests", 2) == 1
    assert deps.distance("requets", "requests", 2) == 1
    assert deps.distance("rqeusts", "requests", 2) == 2
    assert deps.distance("abc", "xyz", 2) == 3
    assert deps.distance("numpy", "pandas", 1) == 2
    assert deps.distance("", "ab", 2) == 2
    assert deps.distance("ab", "ba", 1) == 1


def test_lookups_compare_few_names(monkeypatch: pytest.MonkeyPatch) -> None:
    """A lookup must not compute an edit distance to every well-known name (thousands, for each
    new dependency): the length buckets and letter masks leave a handful. Counted, not timed."""
    table = deps.popular("pypi")
    compared: list[str] = []
    real = deps.distance

    def counting(a: str, b: str, limit: int) -> int:
        compared.append(b)
        return real(a, b, limit)

    monkeypatch.setattr(deps, "distance", counting)
    found = {
        name: deps.lookalike(name, "pypi", ["click"], 2)
        for name in ("reqeusts", "acme-internal-telemetry-client", "python-dateutils", "zqxvq-lib")
    }
    assert found == {
        "reqeusts": "requests",
        "acme-internal-telemetry-client": None,
        "python-dateutils": "python-dateutil",
        "zqxvq-lib": None,
    }
    assert "requests" in compared and "python-dateutil" in compared
    # four lookups, fewer comparisons than a twentieth of one full scan
    assert len(compared) < len(table.names) // 20, len(compared)


def test_data_files_are_sorted_canonical_lists() -> None:
    for ecosystem, low in (("pypi", 5000), ("npm", 3000)):
        names = deps.popular(ecosystem).names
        assert len(names) > low
        assert all(n == n.strip().lower() and " " not in n for n in names)
    assert {"requests", "numpy", "django", "python-dateutil"} <= deps.popular("pypi").names
    assert {"express", "lodash", "react", "@types/node"} <= deps.popular("npm").names


def test_end_to_end_through_git(make_repo: object, tmp_path: Path) -> None:
    repo = make_repo(  # type: ignore[operator]
        {
            "pyproject.toml": pyproject("requests==2.31.0"),
            "requirements-dev.txt": "pytest==8.0.0\n",
            "src/app.py": "import requests\n",
        }
    )
    base = repo.git("rev-parse", "HEAD")
    head = repo.commit(
        {"pyproject.toml": pyproject("requests>=2", "reqeusts", "pytest", "acme-widgets")},
        "agent change",
    )
    report = run_gate(
        GateRequest(repo=repo.path, base=base, head=head, only=["dependencies"], use_cache=False)
    )
    found = sorted((f.rule, f.line, f.blocking) for f in report.findings)
    assert found == [
        ("loosened-pin", 4, False),
        ("new-dependency", 7, False),
        ("typosquat", 5, True),
    ]
    assert report.verdict is Verdict.BLOCK
