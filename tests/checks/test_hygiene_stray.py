"""Stray files and copies judged against the whole base repository, on real commits: a file an
unchanged test or README already names is not a by-product, a new module repeating an untouched one
is a copy, and a task can allow the new files it asks for by glob."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import replace

import pytest

from crewchief.gate.change import Change
from crewchief.gate.check import CheckContext
from crewchief.gate.checks.hygiene import CHECK
from crewchief.gate.checks.hygiene.rules import RULES
from crewchief.gate.findings import Finding
from crewchief.gate.reader import read_change
from crewchief.gate.trees import BaseTree
from crewchief.spec import SpecError, parse_task
from crewchief.spec.policy import Policy
from crewchief.spec.task import Task
from tests.helpers.repo import Repo

MakeRepo = Callable[..., Repo]

LIB = "pkg/core.py"
BASE_LIB = "def total(items):\n    return sum(item.price for item in items)\n"
UTILS = "".join(
    f"def helper_{n}(value):\n    return value * {n} + len(str(value))\n\n\n" for n in range(8)
)
"""An untouched module of 32 lines, the original an agent copies."""


def commit_change(
    make_repo: MakeRepo, base: Mapping[str, str | bytes], head: Mapping[str, str | bytes]
) -> Change:
    files: dict[str | bytes, str | bytes | None] = {LIB: BASE_LIB}
    files.update(base)
    repo = make_repo(files)
    before = repo.git("rev-parse", "HEAD")
    changed: dict[str | bytes, str | bytes | None] = {}
    changed.update(head)
    return read_change(repo.path, before, repo.commit(changed))


def gate(
    make_repo: MakeRepo,
    base: Mapping[str, str | bytes],
    head: Mapping[str, str | bytes],
    task: Task | None = None,
) -> list[Finding]:
    change = commit_change(make_repo, base, head)
    return list(CHECK.run(CheckContext(change, Policy(), task)))


def rules(findings: list[Finding]) -> list[tuple[str, str | None]]:
    return sorted((f.rule, f.path) for f in findings)


SAMPLE_TEST = (
    "from pathlib import Path\n\n"
    'DATA = Path(__file__).parent / "data" / "sample.db"\n\n\n'
    "def test_load():\n    assert DATA.exists()\n"
)


def test_a_data_file_an_unchanged_test_already_names_is_not_stray(make_repo: MakeRepo) -> None:
    base = {"tests/test_sample.py": SAMPLE_TEST}
    assert gate(make_repo, base, {"tests/data/sample.db": b"SQLite format 3\0"}) == []


def test_the_same_data_file_named_by_nothing_is_stray(make_repo: MakeRepo) -> None:
    base = {"tests/test_other.py": "def test_other():\n    assert True\n"}
    (finding,) = gate(make_repo, base, {"tests/data/sample.db": b"SQLite format 3\0"})
    assert (finding.rule, finding.path) == ("stray-file", "tests/data/sample.db")
    assert "nothing in the change or the repository refers to it" in finding.message


@pytest.mark.parametrize(
    ("referrer", "text"),
    [
        ("README.md", "Reproduce the crash with `python scripts/repro_bug.py`.\n"),
        ("Makefile", "repro:\n\tpython -m scripts.repro_bug\n"),
        (".github/workflows/ci.yml", "steps:\n  - run: python ./scripts/repro_bug.py\n"),
    ],
)
def test_a_script_the_base_readme_makefile_or_ci_names_is_not_stray(
    make_repo: MakeRepo, referrer: str, text: str
) -> None:
    head = {"scripts/repro_bug.py": "print('repro')\n"}
    assert gate(make_repo, {referrer: text}, head) == []
    assert rules(gate(make_repo, {referrer: "nothing here\n"}, head)) == [
        ("stray-file", "scripts/repro_bug.py")
    ]


@pytest.mark.parametrize(
    ("new", "base"),
    [
        # Django's docs name these, but as other paths: no new root-level file is named.
        (
            "output.txt",
            {"docs/Makefile": 'help:\n\techo "see $(BUILDDIR)/linkcheck/output.txt."\n'},
        ),
        ("debug.log", {"docs/logging.txt": '"filename": "/path/to/django/debug.log",\n'}),
        # An ignore list names files to leave out, not files in use.
        ("debug.log", {".dockerignore": "debug.log\n"}),
        # A bare name counts only from the new file's own top-level folder.
        ("tests/data/sample.db", {"docs/howto.txt": "Open sample.db in a viewer.\n"}),
        # A longer name that merely contains it.
        ("tests/data/sample.db", {"tests/test_x.py": "PATH = 'data/sample.dbx'\n"}),
        # Translations are not where a project names its scripts (and are not searched).
        ("scripts/repro_bug.py", {"locale/fr/django.po": 'msgid "run scripts/repro_bug.py"\n'}),
        # Build output is not the project's own text.
        ("scripts/repro_bug.py", {"build/lib/README.md": "python scripts/repro_bug.py\n"}),
    ],
)
def test_a_chance_mention_in_the_repository_does_not_excuse_a_stray_file(
    make_repo: MakeRepo, new: str, base: dict[str, str]
) -> None:
    assert rules(gate(make_repo, base, {new: "x\n"})) == [("stray-file", new)]


@pytest.mark.parametrize(
    ("original", "copy"),
    [
        ("pkg/utils.py", "pkg/utils_fixed.py"),
        ("pkg/utils.py", "pkg/old_utils.py"),
        ("pkg/utils.py", "other/utils2.py"),
        ("pkg/utils.py", "pkg/helpers.py"),
    ],
)
def test_a_new_module_repeating_an_untouched_one_is_a_copy(
    make_repo: MakeRepo, original: str, copy: str
) -> None:
    edited = UTILS.replace("return value * 3", "return value * 3 + 1")
    (finding,) = gate(make_repo, {original: UTILS}, {copy: edited})
    assert (finding.rule, finding.path) == ("backup-copy", copy)
    assert f"mostly repeats `{original}`" in finding.message


def test_a_new_module_of_the_same_size_with_its_own_code_is_not_a_copy(
    make_repo: MakeRepo,
) -> None:
    own = "".join(
        f"class Shape{n}:\n    sides = {n}\n\n    def area(self, size):\n        return size ** {n}\n\n"
        for n in range(6)
    )
    assert len(own.splitlines()) >= len(UTILS.splitlines()) - 2
    assert gate(make_repo, {"pkg/utils.py": UTILS}, {"pkg/utils_fixed.py": own}) == []


def test_a_task_allows_new_files_by_glob(make_repo: MakeRepo) -> None:
    head: dict[str, str | bytes] = {"notes/plan.md": "# plan\n", "notes/figure.png": b"\x89PNG\r\n"}
    task = Task(id="t", title="t", allow_files=["notes/*.md"])
    assert rules(gate(make_repo, {}, head, task)) == [("stray-file", "notes/figure.png")]
    assert rules(gate(make_repo, {}, head, Task(id="t", title="t"))) == [
        ("stray-file", "notes/figure.png"),
        ("stray-file", "notes/plan.md"),
    ]


def test_an_invalid_allow_files_glob_is_a_clear_error() -> None:
    text = b"---\nid: t\ntitle: t\nallow_files: ['notes/[z-a].md']\n---\nDo it.\n"
    with pytest.raises(SpecError) as info:
        parse_task(text, "t.md")
    assert str(info.value).startswith("t.md: allow_files: ")
    assert "invalid glob 'notes/[z-a].md'" in str(info.value)


class _Recording:
    """A base tree that remembers whether the repository was searched."""

    def __init__(self, tree: BaseTree) -> None:
        self.tree = tree
        self.searched: list[Collection[str]] = []

    def files(self) -> Mapping[str, str]:
        return self.tree.files()

    def read(self, blobs: Iterable[str]) -> Mapping[str, bytes]:
        return self.tree.read(blobs)

    def texts_containing(
        self, needles: Collection[str], max_bytes: int, skip_suffixes: Collection[str] = ()
    ) -> Mapping[str, bytes]:
        self.searched.append(needles)
        return self.tree.texts_containing(needles, max_bytes, skip_suffixes)


def test_the_repository_is_searched_only_for_a_file_about_to_be_reported(
    make_repo: MakeRepo,
) -> None:
    clean = commit_change(make_repo, {}, {"pkg/extra.py": "X = 1\n", "tests/test_x.py": "\n"})
    assert clean.tree is not None
    recording = _Recording(clean.tree)
    findings = CHECK.run(CheckContext(replace(clean, tree=recording), Policy()))
    assert (findings, recording.searched) == ([], [])

    stray = commit_change(make_repo, {}, {"output.txt": "1\n", "pkg/extra.py": "X = 1\n"})
    assert stray.tree is not None
    recording = _Recording(stray.tree)
    CHECK.run(CheckContext(replace(stray, tree=recording), Policy()))
    assert [set(needles) for needles in recording.searched] == [{"output.txt"}]


COPYING = "".join(
    f"def clone_{n}(value):\n    return [dict(item) for item in value][{n}:]\n\n\n"
    for n in range(6)
)
"""A real module about copying things, nothing like any other module of the project."""


@pytest.mark.parametrize("name", ["pkg/deep_copy.py", "pkg/shallow_copy.py", "pkg/copy2.py"])
def test_a_module_about_copying_is_not_a_backup(make_repo: MakeRepo, name: str) -> None:
    assert gate(make_repo, {"pkg/utils.py": UTILS}, {name: COPYING}) == []


@pytest.mark.parametrize(
    ("base", "copy"),
    [
        ({"pkg/utils.py": UTILS}, "pkg/utils_copy.py"),
        ({"pkg/utils.py": UTILS}, "pkg/utils-copy2.py"),
        ({}, "pkg/core_copy.py"),
        ({}, "pkg/core copy.py"),
        ({}, "pkg/core copy 2.py"),
        ({}, "pkg/core - Copy (2).py"),
    ],
)
def test_a_copy_named_after_an_existing_module_is_a_backup_whatever_it_holds(
    make_repo: MakeRepo, base: dict[str, str], copy: str
) -> None:
    (finding,) = gate(make_repo, base, {copy: COPYING})
    assert (finding.rule, finding.path) == ("backup-copy", copy)


def test_a_module_named_like_a_copy_of_another_new_module(make_repo: MakeRepo) -> None:
    head = {"pkg/report.py": COPYING, "pkg/report_copy.py": COPYING}
    assert rules(gate(make_repo, {}, head)) == [("backup-copy", "pkg/report_copy.py")]


def test_the_rule_texts_say_what_the_repository_search_does(make_repo: MakeRepo) -> None:
    """`crewchief rules` and the docs tell a reader where the check looks and how to allow a file:
    the same words the finding uses."""
    stray, backup = RULES["stray-file"], RULES["backup-copy"]
    (finding,) = gate(make_repo, {}, {"notes.txt": "x\n"})
    assert "the change or the repository" in finding.message
    assert "the change or the repository" in stray.summary
    assert "[hygiene] allow" in stray.remedy and "allow_files" in stray.remedy
    assert "another module, changed or not" in backup.summary
