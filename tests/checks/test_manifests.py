"""Manifest and lock file parsing: every format, and hostile input that must not raise."""

from __future__ import annotations

import pytest

from crewchief.gate.checks.dependencies import manifests as mf


def names(manifest: mf.Manifest) -> dict[str, str | None]:
    assert manifest.error is None, manifest.error
    return {d.name: d.spec for d in manifest.deps}


def test_pyproject_pep621_groups_poetry_and_build_system() -> None:
    text = """
[build-system]
requires = ["setuptools>=68", "wheel"]

[project]
name = "demo"
dependencies = ["Requests[socks]>=2.31; python_version>'3.8'", "click"]

[project.optional-dependencies]
dev = ["pytest==8.0.0"]

[dependency-groups]
lint = ["ruff", {include-group = "dev"}]

[tool.poetry.dependencies]
python = "^3.11"
Django = "^4.2"
mylib = {git = "https://example.invalid/mylib.git"}
numpy = {version = "~1.26", optional = true}
multi = [{version = "<2", python = "<3.9"}, {version = ">=2", python = ">=3.9"}]

[tool.poetry.dev-dependencies]
black = "*"

[tool.poetry.group.docs.dependencies]
Sphinx_RTD_Theme = "1.3.0"
"""
    found = names(mf.parse_manifest("pyproject.toml", text))
    assert found == {
        "setuptools": ">=68",
        "wheel": "",
        "requests": ">=2.31",
        "click": "",
        "pytest": "==8.0.0",
        "ruff": "",
        "django": "^4.2",
        "mylib": None,
        "numpy": "~1.26",
        "multi": "<2 || >=2",
        "black": "*",
        "sphinx-rtd-theme": "1.3.0",
    }
    deps = {d.name: d for d in mf.parse_manifest("pyproject.toml", text).deps}
    assert deps["django"].style == "semver"
    assert deps["requests"].style == "pep440"
    assert deps["sphinx-rtd-theme"].raw == "Sphinx_RTD_Theme"


def test_pyproject_invalid_toml_and_invalid_entries() -> None:
    broken = mf.parse_manifest("pyproject.toml", '[project\ndependencies = ["x"]\n')
    assert broken.error is not None and "TOML" in broken.error
    assert broken.deps == ()
    odd = mf.parse_manifest("pyproject.toml", '[project]\ndependencies = ["ok", "bad>>1", 3]\n')
    assert names(odd) == {"ok": ""}
    assert [text for _, text in odd.invalid] == ["bad>>1", "3"]
    shapes = mf.parse_manifest(
        "pyproject.toml", 'project = 1\ntool = "x"\ndependency-groups = []\n'
    )
    assert shapes.error is None and shapes.deps == ()


def test_requirements_every_line_kind() -> None:
    text = "\n".join(
        [
            "# a comment",
            "-r base.txt",
            "--requirement other.txt",
            "-c constraints.txt",
            "--index-url https://example.invalid/simple",
            "--extra-index-url=https://example.invalid/extra",
            "requests==2.31.0  # pinned for a reason",
            "Flask_Login>=0.6 ; python_version >= '3.8'",
            "numpy==1.26.4 \\",
            "    --hash=sha256:aaaa \\",
            "    --hash=sha256:bbbb",
            "-e git+https://example.invalid/org/tool.git@v1#egg=my_tool",
            "-e .",
            "./local/pkg",
            "https://example.invalid/files/Some.Pkg-1.0-py3-none-any.whl",
            "pkg @ https://example.invalid/pkg.tar.gz",
            "--pre",
            "bad>>1",
        ]
    )
    manifest = mf.parse_manifest("requirements/dev.txt", text)
    by_name = {d.name: d for d in manifest.deps}
    assert {n: d.spec for n, d in by_name.items()} == {
        "requests": "==2.31.0",
        "flask-login": ">=0.6",
        "numpy": "==1.26.4",
        "my-tool": None,
        "some-pkg": None,
        "pkg": None,
    }
    assert by_name["requests"].line == 7
    assert by_name["numpy"].line == 9
    assert by_name["my-tool"].line == 12
    assert [line for line, _ in manifest.sources] == [5, 6]
    assert manifest.invalid == ((18, "bad>>1"),)


def test_setup_cfg_sections() -> None:
    text = """
[metadata]
name = demo

[options]
install_requires =
    requests>=2
    importlib-metadata; python_version<"3.10"  # backport
tests_require = pytest
setup_requires = file: requirements-setup.txt

[options.extras_require]
yaml =
    PyYAML==6.0
"""
    assert names(mf.parse_manifest("setup.cfg", text)) == {
        "requests": ">=2",
        "importlib-metadata": "",
        "pytest": "",
        "pyyaml": "==6.0",
    }
    broken = mf.parse_manifest("setup.cfg", "install_requires = x\n[options\n")
    assert broken.error is not None


def test_setup_py_literals_and_module_variables_never_executed(tmp_path: object) -> None:
    text = """
import os
from setuptools import setup
os.system("touch /tmp/crewchief-must-not-run")
BASE = ["requests>=2", "click"]
EXTRA: list = ["rich"]
TESTS = "pytest\\ncoverage"
setup(
    name="demo",
    install_requires=BASE + EXTRA + ["httpx==0.27.0"],
    extras_require={"yaml": ["pyyaml"], "all": BASE},
    tests_require=TESTS,
    setup_requires=compute(),
)
"""
    manifest = mf.parse_manifest("setup.py", text)
    assert set(names(manifest)) == {
        "requests",
        "click",
        "rich",
        "httpx",
        "pyyaml",
        "pytest",
        "coverage",
    }
    httpx = next(d for d in manifest.deps if d.name == "httpx")
    assert httpx.line == 10 and httpx.spec == "==0.27.0"
    assert mf.parse_manifest("setup.py", "setup(install_requires=[\n").error is not None
    assert mf.parse_manifest("setup.py", "x = 1\0\n").error is not None


SETUP_BUILT = """\
from setuptools import setup
NUMPY_MIN = "1.20"
v = get_version()
scipy = "scipy >= {}".format(v)
setup(
    install_requires=[
        "numpy >= {}".format(NUMPY_MIN),
        "pandas>={}".format(v),
        f"matplotlib>={v}",
        "click" + ">=" + v,
        "attrs>=%s" % v,
        scipy,
        "six>={x}".format(x="1.0"),
        "django-{}".format(v),
        "{}>=1".format(v),
        "backports.{}".format(v),
    ],
    extras_require={"dev": ["pytest>=" + v]},
)
"""


def test_setup_py_strings_built_with_format_fstring_plus_and_percent() -> None:
    """The name part of a built string is read; the version too when every part is a constant;
    a name the unknown part may continue is not guessed."""
    manifest = mf.parse_manifest("setup.py", SETUP_BUILT)
    assert manifest.invalid == () and manifest.error is None
    got = {d.name: (d.spec, d.computed, d.line) for d in manifest.deps}
    assert got == {
        "numpy": (">=1.20", False, 7),
        "pandas": (None, True, 8),
        "matplotlib": (None, True, 9),
        "click": (None, True, 10),
        "attrs": (None, True, 11),
        "scipy": (None, True, 4),
        "six": (">=1.0", False, 13),
        "pytest": (None, True, 18),
    }
    assert next(d for d in manifest.deps if d.name == "pandas").text == "pandas>={}"


def test_package_json_sections_and_sources() -> None:
    text = """{
  "name": "app",
  "dependencies": {"express": "^4.18.2", "Left-Pad": "1.3.0", "mine": "file:../mine"},
  "devDependencies": {"jest": "latest", "gh": "user/repo#main"},
  "peerDependencies": {"react": ">=17 <19"},
  "optionalDependencies": {"fsevents": "*"},
  "scripts": {"not": "a dependency"}
}"""
    assert names(mf.parse_manifest("web/package.json", text)) == {
        "express": "^4.18.2",
        "left-pad": "1.3.0",
        "mine": None,
        "jest": "latest",
        "gh": None,
        "react": ">=17 <19",
        "fsevents": "*",
    }
    assert mf.parse_manifest("package.json", "[1, 2]").error == "not a JSON object"
    assert mf.parse_manifest("package.json", '{"dependencies": {').error is not None


def test_pipfile() -> None:
    text = '[[source]]\nurl = "x"\n[packages]\nrequests = "*"\nflask = {version = "==2.0"}\n'
    text += '[dev-packages]\npytest = ">=8"\n[requires]\npython_version = "3.11"\n'
    assert names(mf.parse_manifest("Pipfile", text)) == {
        "requests": "",
        "flask": "==2.0",
        "pytest": ">=8",
    }


@pytest.mark.parametrize(
    ("path", "text", "expected"),
    [
        (
            "poetry.lock",
            '[[package]]\nname = "Requests"\n\n[[package]]\nname = "idna"\n',
            {"requests", "idna"},
        ),
        ("uv.lock", 'version = 1\n[[package]]\nname = "zope.interface"\n', {"zope-interface"}),
        (
            "Pipfile.lock",
            '{"_meta": {}, "default": {"requests": {}}, "develop": {"pytest": {}}}',
            {"requests", "pytest"},
        ),
        (
            "package-lock.json",
            '{"lockfileVersion": 3, "packages": {"": {}, "node_modules/express": {},'
            ' "node_modules/@types/node": {}, "node_modules/express/node_modules/debug": {},'
            ' "packages/app": {}}}',
            {"express", "@types/node"},
        ),
        ("package-lock.json", '{"lockfileVersion": 1, "dependencies": {"lodash": {}}}', {"lodash"}),
        (
            "yarn.lock",
            '# yarn lockfile v1\n\n"@babel/core@^7.0.0", "@babel/core@^7.1.0":\n  version "7.1.0"\n\n'
            'lodash@^4.17.0:\n  version "4.17.21"\n\n__metadata:\n  version: 6\n',
            {"@babel/core", "lodash"},
        ),
    ],
)
def test_lock_files(path: str, text: str, expected: set[str]) -> None:
    lock = mf.parse_lock(path, text)
    assert lock.error is None
    assert lock.names == frozenset(expected)


def test_lock_file_errors_and_lines() -> None:
    assert mf.parse_lock("poetry.lock", "[[package]\n").error is not None
    assert mf.parse_lock("package-lock.json", "{").error is not None
    lines = ("[[package]]", 'name = "idna"', "", "[[package]]", 'name = "requests"')
    assert mf.lock_line(lines, ["requests"]) == 5
    assert mf.lock_line(lines, ["absent"]) is None


@pytest.mark.parametrize(
    ("spec", "style", "rank", "floor"),
    [
        ("==1.2.3", "pep440", mf.EXACT, "1.2.3"),
        ("==1.2.*", "pep440", mf.NARROW, "1.2"),
        ("~=1.2.3", "pep440", mf.NARROW, "1.2.3"),
        ("~=1.2", "pep440", mf.BOUNDED, "1.2"),
        ("<2,>=1", "pep440", mf.BOUNDED, "1"),
        (">=1.2", "pep440", mf.FLOOR, "1.2"),
        ("", "pep440", mf.ANY, None),
        ("!=1.0", "pep440", mf.ANY, None),
        ("1.2.3", "semver", mf.EXACT, "1.2.3"),
        ("v1.2.3", "semver", mf.EXACT, "1.2.3"),
        ("~1.2.3", "semver", mf.NARROW, "1.2.3"),
        ("^1.2.3", "semver", mf.BOUNDED, "1.2.3"),
        ("1.x", "semver", mf.BOUNDED, "1"),
        (">=1.0.0 <2", "semver", mf.BOUNDED, "1.0.0"),
        ("1.2 - 2.0", "semver", mf.BOUNDED, "1.2"),
        ("^1 || >=3", "semver", mf.FLOOR, "1"),
        ("*", "semver", mf.ANY, None),
        ("latest", "semver", mf.ANY, None),
        ("next", "semver", mf.ANY, None),
    ],
)
def test_constraint_shape(spec: str, style: mf.Style, rank: int, floor: str | None) -> None:
    assert mf.constraint_shape(spec, style) == (rank, floor)


def test_constraint_shape_unreadable() -> None:
    assert mf.constraint_shape("1.2.3", "pep440") is None
    assert mf.constraint_shape("what is this", "pep440") is None


def test_which_paths_are_manifests() -> None:
    assert mf.is_manifest("requirements.txt")
    assert mf.is_manifest("requirements-dev.in")
    assert mf.is_manifest("requirements/test.txt")
    assert mf.is_manifest("svc/pyproject.toml")
    assert not mf.is_manifest("node_modules/x/package.json")
    assert not mf.is_manifest("tests/fixtures/proj/setup.py")
    assert not mf.is_manifest("docs/requirements.md")
    assert mf.lock_ecosystem("web/yarn.lock") == "npm"
    assert mf.lock_ecosystem("uv.lock") == "pypi"
    assert mf.lock_ecosystem("Cargo.lock") is None


def test_hostile_inputs_never_raise() -> None:
    deep = "x = " + "[" * 5000 + "]" * 5000 + "\nsetup(install_requires=x)\n"
    assert mf.parse_manifest("setup.py", deep).deps == ()
    huge = "a" * 100_000 + "\n" + "requests\n"
    manifest = mf.parse_manifest("requirements.txt", huge)
    assert [d.name for d in manifest.deps] == ["requests"]
    assert mf.parse_manifest("package.json", '{"dependencies": {"a": 1, "b": null}}').deps
    assert mf.parse_manifest("pyproject.toml", "[tool.poetry]\ndependencies = 5\n").deps == ()
    assert mf.parse_lock("poetry.lock", "package = 3\n").names == frozenset()
