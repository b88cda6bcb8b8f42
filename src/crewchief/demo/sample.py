"""The demo's sample repository: a tiny `textutil` package, its policy, a backlog of tasks, and a
scripted agent per behaviour the demo shows (good, out of scope, test-deleting, leaky, breaking,
slow, stuck). Built offline, from this module alone."""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from crewchief import git
from crewchief.demo.pyenv import demo_env, say

IDENTITY = {
    "GIT_AUTHOR_NAME": "crewchief demo",
    "GIT_AUTHOR_EMAIL": "demo@crewchief.invalid",
    "GIT_COMMITTER_NAME": "crewchief demo",
    "GIT_COMMITTER_EMAIL": "demo@crewchief.invalid",
}

SLUG = '''"""Turn titles into URL slugs."""

import re


def slugify(text: str) -> str:
    """Lower-case words joined by dashes; anything else is dropped."""
    text = text.lower()
    text = re.sub(r"[^a-z0-9]+", "-", text)
    return text.strip("-")
'''

TESTS = """from textutil.slug import slugify


def test_ascii():
    assert slugify("Hello, World!") == "hello-world"


def test_dashes_collapse():
    assert slugify("a  --  b") == "a-b"


def test_unicode():
    assert slugify("Crème brûlée") == "creme-brulee"
"""

BENCH = '''"""Prints the seconds slugify takes on a batch of titles, one sample per line."""

import sys
import time

sys.path.insert(0, "src")

from textutil.slug import slugify  # noqa: E402

# Many short samples: the gate compares each run's fastest one, and on a busy machine a short
# sample is far likelier than a long one to run undisturbed from start to end.
TITLES = [f"Release notes {i}: what's new in version {i}.{i % 7} (part {i % 3})" for i in range(50)]
for _ in range(1000):
    start = time.perf_counter()
    for title in TITLES:
        slugify(title)
    print(time.perf_counter() - start)
'''


def _task(
    task_id: str,
    title: str,
    agent: str,
    scope: list[str],
    acceptance: list[str],
    objective: str,
    *,
    minutes: float = 5,
    priority: int = 2,
) -> str:
    return (
        f"---\nid: {task_id}\ntitle: {title}\nagent: {agent}\nscope: {json.dumps(scope)}\n"
        f"acceptance: {json.dumps(acceptance)}\nbudget: {{minutes: {minutes}, usd: 1.0}}\n"
        f"priority: {priority}\n---\n{objective}\n"
    )


TASKS = {
    "fix-slugify-unicode": _task(
        "fix-slugify-unicode",
        "slugify keeps accented letters",
        "careful",
        ["src/textutil/slug.py", "tests/test_slug.py"],
        ["tests/test_slug.py::test_unicode"],
        '`slugify("Crème brûlée")` returns `"crme-brle"`; it must return `"creme-brulee"`: accented '
        "letters keep their base letter. ASCII input must keep giving the same slugs.",
        priority=1,
    ),
    "slugify-max-length": _task(
        "slugify-max-length",
        "slugify truncates to max_length",
        "breaking",
        ["src/textutil/slug.py"],
        ["tests/test_max_length.py::test_truncates"],
        "`slugify(text, max_length=9)` returns at most 9 characters and never ends with a dash: "
        '`slugify("Hello big world", max_length=9)` returns `"hello-big"`. Without max_length '
        "nothing changes.",
    ),
    "slugify-separator": _task(
        "slugify-separator",
        "slugify takes a separator",
        "plodding",
        ["src/textutil/slug.py"],
        ["tests/test_separator.py::test_underscore"],
        '`slugify("Hello World", separator="_")` returns `"hello_world"`; the default separator '
        "stays `-`, and slugify must stay as fast as it is.",
    ),
    "document-textutil": _task(
        "document-textutil",
        "document the package",
        "stuck",
        ["README.md", "src/textutil/**"],
        ['python -c "import textutil, sys; sys.exit(0 if textutil.__doc__ else 1)"'],
        "`textutil.__doc__` must say in one paragraph what the package offers, for `help(textutil)`.",
        minutes=0.1,
        priority=3,
    ),
}

TRUSTED_TESTS = {
    ".crewchief/tasks/slugify-max-length/tests/test_max_length.py": (
        "from textutil.slug import slugify\n\n\ndef test_truncates():\n"
        '    assert slugify("Hello big world", max_length=9) == "hello-big"\n'
        '    assert slugify("Hello big world") == "hello-big-world"\n'
    ),
    ".crewchief/tasks/slugify-separator/tests/test_separator.py": (
        "from textutil.slug import slugify\n\n\ndef test_underscore():\n"
        '    assert slugify("Hello World", separator="_") == "hello_world"\n'
        '    assert slugify("Hello World") == "hello-world"\n'
    ),
}

# Who does what: agent name -> the behaviour its script plays, and the story the demo tells.
AGENTS: dict[str, str] = {
    "careful": "fixes slugify with unicodedata and keeps every test",
    "hasty": "cannot make test_unicode pass, so deletes it",
    "leaky": "fixes the bug, then pastes a cloud key into the module",
    "overreaching": "fixes the bug, then edits the README and the CI workflow",
    "breaking": "adds max_length but switches the separator to '_', breaking a test",
    "plodding": "adds the separator argument, character by character: much slower",
    "stuck": "never finishes",
}


@dataclass(frozen=True)
class Backlog:
    task: str
    agents: tuple[str, ...]


BACKLOG = (
    Backlog("fix-slugify-unicode", ("careful", "hasty", "leaky", "overreaching")),
    Backlog("slugify-max-length", ("breaking",)),
    Backlog("slugify-separator", ("plodding",)),
    Backlog("document-textutil", ("stuck",)),
)


def policy(python: str, agents_script: Path, tests_python: str) -> str:
    """The sample's policy. Its tests run in the sample project's own environment (`[tests]
    python`), as a real project's would; the scripted agents and the benchmark need only the
    standard library, so they run with crewchief's interpreter."""
    lines = [
        "# The demo repository's policy: what every agent change is judged by.",
        "[scope]",
        'allow = ["src/**", "tests/**"]',
        "max_files = 10",
        "max_lines = 300",
        "",
        "[tests]",
        'command = "python -m pytest -q"',
        f"python = {json.dumps(tests_python)}",
        "timeout_s = 120",
        "",
        "[benchmark]",
        f"command = {json.dumps(f'{python} bench.py')}",
        "threshold_pct = 25",
        "rounds = 5",
        "timeout_s = 60",
        "",
        "[runs]",
        "network = false   # the scripted agents need no model API",
        "",
    ]
    for name in AGENTS:
        lines += [
            f"[agents.{name}]",
            'type = "command"',
            f"command = {json.dumps([python, str(agents_script), name, '{prompt_file}'])}",
            "",
        ]
    return "\n".join(lines)


def _write(root: Path, files: Mapping[str, str]) -> None:
    for name, content in files.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content, encoding="utf-8")


def build_sample(root: Path, tests_python: str | None = None) -> Path:
    """Create the sample repository at `root` (a new folder) with everything committed on main;
    `tests_python` is the interpreter of the sample project's environment (by default the demo's
    cached one, see `demo.pyenv`)."""
    if tests_python is None:
        tests_python = str(demo_env(say))
    root.mkdir(parents=True, exist_ok=False)
    scripts = root.parent / "agents"
    scripts.mkdir(exist_ok=True)
    agents_script = scripts / "scripted_agents.py"
    shutil.copyfile(Path(__file__).with_name("agents.py"), agents_script)
    git.run(root, "init", "-q", "-b", "main")
    files = {
        "README.md": "# textutil\n\nSmall text helpers.\n",
        "pyproject.toml": '[project]\nname = "textutil"\nversion = "0.1.0"\ndependencies = []\n\n'
        '[tool.pytest.ini_options]\npythonpath = ["src"]\n',
        "crewchief.toml": policy(sys.executable, agents_script, tests_python),
        ".gitignore": "__pycache__/\n",
        "src/textutil/__init__.py": "",
        "src/textutil/slug.py": SLUG,
        "tests/test_slug.py": TESTS,
        "bench.py": BENCH,
        **{f".crewchief/tasks/{task_id}.md": text for task_id, text in TASKS.items()},
        **TRUSTED_TESTS,
    }
    _write(root, files)
    git.run(root, "add", "-A")
    git.run(
        root,
        "-c",
        "commit.gpgsign=false",
        "commit",
        "-q",
        "-m",
        "textutil: a slugify that drops accents, and tonight's backlog",
        env=IDENTITY,
    )
    return root
