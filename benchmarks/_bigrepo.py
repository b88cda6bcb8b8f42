"""A real, large repository and a realistic agent change in it, for benchmarks.

The gate's speed target is about repositories people actually have, so the benchmark commits a real
project's sdist (Django by default) into a throwaway git repo rather than generating filler code, and
makes a seeded, deterministic 20-file change that looks like what an agent hands back: an import here,
a refactored return there, a helper function per file, a couple of new test files.
"""

from __future__ import annotations

import ast
import os
import random
import shutil
import sys
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from crewchief import git, proc

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PROJECT = "Django"
DEFAULT_VERSION = "5.1.4"
BRANCH = "agent/bench-change"

# Fixed identity, and no user or system config: the repo is the same on every machine.
GIT_ENV = {
    "GIT_AUTHOR_NAME": "Bench Author",
    "GIT_AUTHOR_EMAIL": "bench@example.com",
    "GIT_COMMITTER_NAME": "Bench Committer",
    "GIT_COMMITTER_EMAIL": "bench@example.com",
    "GIT_AUTHOR_DATE": "2026-01-01T00:00:00+00:00",
    "GIT_COMMITTER_DATE": "2026-01-01T00:00:00+00:00",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
}


def sdist_cache() -> Path:
    override = os.environ.get("CREWCHIEF_SDIST_CACHE")
    return Path(override) if override else ROOT / ".cache" / "sdists"


def _find_sdist(folder: Path, project: str, version: str) -> Path | None:
    # pip names the file after the project's own spelling, which changed case across releases.
    want = f"{project}-{version}.tar.gz".lower()
    for path in folder.glob("*.tar.gz"):
        if path.name.lower() == want:
            return path
    return None


def fetch_sdist(project: str = DEFAULT_PROJECT, version: str = DEFAULT_VERSION) -> Path:
    """The sdist from the cache, downloaded once with the venv's own pip."""
    folder = sdist_cache()
    folder.mkdir(parents=True, exist_ok=True)
    found = _find_sdist(folder, project, version)
    if found:
        return found
    pip = Path(sys.executable).with_name("pip")
    argv = (
        str(pip),
        "download",
        "--no-deps",
        "--no-binary",
        ":all:",
        f"{project}=={version}",
        "-d",
        str(folder),
    )
    proc.run(proc.Request(argv, timeout=600)).check()
    found = _find_sdist(folder, project, version)
    if found is None:
        raise RuntimeError(f"pip downloaded no {project}-{version}.tar.gz into {folder}")
    return found


def _git(repo: Path, *args: str) -> str:
    return git.run(repo, *args, env=GIT_ENV).text()


def build_repo(sdist: Path, parent: Path) -> Path:
    """Extract the sdist under `parent` and commit every file as `main`."""
    with tarfile.open(sdist) as tar:
        tar.extractall(parent, filter="data")
    (top,) = [p for p in parent.iterdir() if p.is_dir()]
    repo = top.rename(parent / "repo")
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", f"import {sdist.name}")
    return repo


DJANGO_CONTRACTS = """\
# Import contracts a Django lead might write down, so the `architecture` check has work to do
# (base and head import graphs, import-linter on both); some hold at base, some are old debt.
[[architecture.contracts]]
name = "utils is a leaf: no ORM, no contrib"
type = "forbidden"
source_modules = ["django.utils"]
forbidden_modules = ["django.db", "django.contrib"]

[[architecture.contracts]]
name = "django layers"
type = "layers"
layers = ["django.contrib", "django.views | django.forms", "django.db", "django.utils"]
"""


def commit_contracts(repo: Path) -> None:
    """Commit import contracts on `main`, before the change branches off it."""
    (repo / "crewchief.toml").write_text(DJANGO_CONTRACTS, "utf-8")
    _git(repo, "add", "crewchief.toml")
    _git(repo, "commit", "-q", "-m", "import contracts")


@dataclass(frozen=True)
class LineCount:
    files: int
    lines: int


def count_python(repo: Path) -> LineCount:
    files = lines = 0
    for path in _python_files(repo):
        files += 1
        with open(path, "rb") as fh:
            lines += sum(1 for _ in fh)
    return LineCount(files, lines)


def _python_files(repo: Path) -> Iterator[Path]:
    for dirpath, dirnames, filenames in os.walk(repo):
        dirnames[:] = sorted(d for d in dirnames if d != ".git")
        for name in sorted(filenames):
            if name.endswith(".py"):
                yield Path(dirpath) / name


# --- the change ---------------------------------------------------------------------------------

_IMPORTS = ("functools", "itertools", "logging", "operator", "warnings", "contextlib", "textwrap")

_HELPER = '''

def {name}(items, *, limit=None):
    """Return the distinct, non-empty entries of `items`, keeping their first-seen order.

    Added so callers stop re-implementing the same de-duplication loop.
    """
    seen = set()
    result = []
    for item in items:
        key = str(item).strip()
        if not key or key in seen:
            continue
        seen.add(key)
        result.append(item)
        if limit is not None and len(result) >= limit:
            break
    {use}
    return result
'''

_USES = {
    "functools": "_ = functools.reduce(lambda a, _b: a + 1, result, 0)",
    "itertools": "_ = list(itertools.islice(result, 1))",
    "logging": 'logging.getLogger(__name__).debug("kept %d of the items", len(result))',
    "operator": "_ = operator.length_hint(result)",
    "warnings": "_ = warnings.catch_warnings()",
    "contextlib": "_ = contextlib.nullcontext(result)",
    "textwrap": '_ = textwrap.shorten(" ".join(map(str, result)), 80)',
}

# Two planted problems, so the run shows the security and secrets checks really looked at the code.
_PLANTED_SHELL = '''

def {name}_run(command):
    """Run a maintenance command the helper above prepares."""
    import subprocess

    return subprocess.run(command, shell=True, check=False).returncode
'''
_PLANTED_SECRET = """

{name}_DEPLOY_KEY = "{key}"
"""

_TEST_FILE = '''"""Tests for the helpers the change adds (bench change {n})."""

from django.test import SimpleTestCase

from {module} import {name}


class {cls}(SimpleTestCase):
    def test_keeps_first_seen_order(self):
        self.assertEqual({name}(["b", "a", "b", "c"]), ["b", "a", "c"])

    def test_drops_empty_entries(self):
        self.assertEqual({name}(["", " ", "x"]), ["x"])

    def test_limit(self):
        self.assertEqual({name}(["a", "b", "c"], limit=2), ["a", "b"])

    def test_empty(self):
        self.assertEqual({name}([]), [])

    def test_non_strings(self):
        self.assertEqual({name}([1, 1, 2]), [1, 2])
'''


@dataclass(frozen=True)
class ChangeSummary:
    branch: str
    files_modified: int
    files_added: int
    lines_added: int
    lines_removed: int
    planted: tuple[str, ...]


def _candidates(repo: Path) -> list[Path]:
    """Ordinary library modules: not tests, migrations, locale data or package markers."""
    found = []
    for path in _python_files(repo / "django"):
        rel = path.relative_to(repo).as_posix()
        if path.name == "__init__.py" or "/migrations/" in rel or "/locale/" in rel:
            continue
        n = path.read_bytes().count(b"\n")
        if 120 <= n <= 1500:
            found.append(path)
    return found


def _last_top_import(tree: ast.Module) -> int:
    """Line after which a new import goes: the end of the module's leading import block."""
    end = 0
    for node in tree.body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            end = node.end_lineno or node.lineno
        elif end:
            break
    return end


def _imported(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.Import):
            names.update(a.asname or a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            names.update(a.asname or a.name for a in node.names)
    return names


def _edit(text: str, rng: random.Random, name: str, extra: str) -> str:
    """Add an import, turn one or two `return expr` into `result = expr; return result`, append
    a helper. Edits go bottom-up so earlier line numbers stay valid."""
    tree = ast.parse(text)
    lines = text.splitlines(keepends=True)
    free = [m for m in _IMPORTS if m not in _imported(tree)] or ["functools"]
    module = rng.choice(free)
    returns = [
        n
        for n in ast.walk(tree)
        if isinstance(n, ast.Return)
        and n.value is not None
        and n.lineno == n.end_lineno
        and lines[n.lineno - 1].lstrip().startswith("return ")
        and ";" not in lines[n.lineno - 1]
    ]
    for node in sorted(rng.sample(returns, min(2, len(returns))), key=lambda n: -n.lineno):
        line = lines[node.lineno - 1]
        indent = line[: len(line) - len(line.lstrip())]
        expr = line.strip()[len("return ") :]
        lines[node.lineno - 1 : node.lineno] = [
            f"{indent}outcome = {expr}\n",
            f"{indent}return outcome\n",
        ]
    at = _last_top_import(tree)
    lines.insert(at, f"import {module}\n")
    body = "".join(lines)
    if not body.endswith("\n"):
        body += "\n"
    body += _HELPER.format(name=name, use=_USES[module]) + extra
    return body


def make_change(
    repo: Path, *, seed: int = 20, files: int = 20, branch: str = BRANCH
) -> ChangeSummary:
    """Commit a deterministic agent-style change on `branch` (forked from main); leave main out."""
    rng = random.Random(seed)
    _git(repo, "checkout", "-q", "-b", branch, "main")
    pool = _candidates(repo)
    new_tests = 2
    chosen = sorted(rng.sample(pool, files - new_tests))
    planted: list[str] = []
    helpers: list[tuple[str, str]] = []
    for i, path in enumerate(chosen):
        rel = path.relative_to(repo).as_posix()
        name = f"unique_entries_{i}"
        extra = ""
        if i == 3:
            extra = _PLANTED_SHELL.replace("{name}", name)
            planted.append(f"security: subprocess shell=True in {rel}")
        if i == 7:
            key = "AKIA" + "".join(
                rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(16)
            )
            extra = _PLANTED_SECRET.replace("{name}", name.upper()).replace("{key}", key)
            planted.append(f"secrets: AWS-style access key id in {rel}")
        text = path.read_text("utf-8")
        new = _edit(text, rng, name, extra)
        ast.parse(new)  # a benchmark change that does not parse would measure the wrong thing
        path.write_text(new, "utf-8")
        helpers.append((rel.removesuffix(".py").replace("/", "."), name))
    for n in range(new_tests):
        module, name = helpers[n]
        target = repo / "tests" / "utils_tests" / f"test_bench_helpers_{n}.py"
        target.write_text(
            _TEST_FILE.format(n=n, module=module, name=name, cls=f"BenchHelpers{n}Tests"), "utf-8"
        )
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "Add de-duplication helpers and tests")
    _git(repo, "checkout", "-q", "main")
    stat = _git(repo, "diff", "--numstat", "main", branch).splitlines()
    added = sum(int(line.split("\t")[0]) for line in stat)
    removed = sum(int(line.split("\t")[1]) for line in stat)
    return ChangeSummary(branch, len(chosen), new_tests, added, removed, tuple(planted))


def remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
