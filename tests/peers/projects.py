"""Three real projects from their PyPI sdists, each with a bug planted where its own tests catch it.

The sdists are downloaded once into a cache folder (never committed); versions are pinned because
the planted bugs and the cases edit exact lines of these files, and every edit checks that its text
occurs exactly once, so a different release fails loudly instead of testing nothing. Building a
project runs its suite once at the base to prove the planted bug really fails the acceptance tests
and that the tests the cases lean on really pass, so the peer tests cannot silently go vacuous.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from tests.helpers.sdists import git_env, import_sdist, run_git, run_git_raw


@dataclass(frozen=True)
class Edit:
    """Replace `old` by `new` in `path`; `old` must occur exactly once."""

    path: str
    old: str
    new: str


@dataclass(frozen=True)
class PeerTask:
    id: str
    title: str
    acceptance: tuple[str, ...]
    scope: tuple[str, ...]
    files: tuple[tuple[str, str], ...] = ()
    """The task's own trusted tests: (path in the repository, text), kept at the base under
    `.crewchief/tasks/<id>/` where the project's suite never runs them; acceptance overlays them."""


@dataclass(frozen=True)
class PeerProject:
    name: str
    requirement: str
    test_paths: tuple[str, ...]
    """The tests the policy's test command runs (the tests of the code the cases touch, kept small),
    set as pytest's `testpaths` in a pytest.ini at the base, or named in the command itself."""
    bug: tuple[Edit, ...]
    bug_story: str
    tasks: tuple[PeerTask, ...]
    fails_at_base: tuple[str, ...]
    """Node ids the planted bug must make fail (checked when the project is built)."""
    passes_at_base: tuple[str, ...]
    """Node ids that must still pass with the bug: the cases rely on them to catch cheats."""


def _task(
    ident: str,
    title: str,
    acceptance: Sequence[str],
    scope: Sequence[str],
    files: Mapping[str, str] | None = None,
) -> PeerTask:
    return PeerTask(ident, title, tuple(acceptance), tuple(scope), tuple((files or {}).items()))


MI_TAIL_LESS = "tests/test_recipes.py::TailTests::test_sized_less"
TZ_PARTITION_ALL = "toolz/tests/test_itertoolz.py::test_partition_all"
TZ_TASK_TEST = "toolz/tests/test_partition_all_task.py"
TZ_TASK_TEST_TEXT = """from toolz.itertoolz import partition_all


def test_short_last_tuple():
    assert list(partition_all(3, [1, 2, 3, 4, 5, 6, 7])) == [(1, 2, 3), (4, 5, 6), (7,)]
"""
IDNA_ACCEPTANCE = (
    "tests/test_intranges.py::IntrangeContainsTests::test_skips",
    "tests/test_intranges.py::IntrangeContainsTests::test_singleton",
    "tests/test_idna.py::IDNATests::test_encode",
    "tests/test_idna.py::IDNATests::test_decode",
)

PROJECTS: dict[str, PeerProject] = {
    p.name: p
    for p in (
        PeerProject(
            name="more-itertools",
            requirement="more-itertools==10.5.0",
            test_paths=("tests/test_recipes.py",),
            bug=(
                Edit(
                    "more_itertools/recipes.py",
                    "yield from islice(iterable, max(0, len(iterable) - n), None)",
                    "yield from islice(iterable, len(iterable) - n, None)",
                ),
            ),
            bug_story="tail() on a sized iterable lost its clamp at 0: asking for more items "
            "than there are gives islice a negative start and raises ValueError",
            tasks=(
                _task(
                    "tail-short",
                    "tail() fails when n exceeds the length of a sized iterable",
                    [MI_TAIL_LESS],
                    ["more_itertools/**", "tests/**"],
                ),
                _task(
                    "tail-short-weak",
                    "tail() fails when n exceeds the length (acceptance also names a test that "
                    "already passes)",
                    [MI_TAIL_LESS, "tests/test_recipes.py::TailTests::test_sized_greater"],
                    ["more_itertools/**", "tests/**"],
                ),
            ),
            fails_at_base=(MI_TAIL_LESS,),
            passes_at_base=(
                "tests/test_recipes.py::TailTests::test_sized_greater",
                "tests/test_recipes.py::TakeTests::test_negative_take",
            ),
        ),
        PeerProject(
            name="toolz",
            requirement="toolz==1.0.0",
            test_paths=("toolz/tests/test_itertoolz.py",),
            bug=(
                Edit(
                    "toolz/itertoolz.py",
                    "yield prev[:len(seq) % n]",
                    "yield prev[:len(seq) // n]",
                ),
            ),
            bug_story="partition_all() sizes the last, short tuple of a sized sequence with // "
            "instead of %, so it keeps the wrong number of items",
            tasks=(
                _task(
                    "partition-all-tail",
                    "partition_all() returns a wrong last tuple for sized sequences",
                    [TZ_PARTITION_ALL],
                    ["toolz/**"],
                ),
                _task(
                    "partition-all-task-test",
                    "partition_all() returns a wrong last tuple (judged by the task's own test)",
                    [f"{TZ_TASK_TEST}::test_short_last_tuple"],
                    ["toolz/**"],
                    {TZ_TASK_TEST: TZ_TASK_TEST_TEXT},
                ),
            ),
            fails_at_base=(
                TZ_PARTITION_ALL,
                f".crewchief/tasks/partition-all-task-test/{TZ_TASK_TEST}::test_short_last_tuple",
            ),
            passes_at_base=("toolz/tests/test_itertoolz.py::test_take_nth",),
        ),
        PeerProject(
            name="idna",
            requirement="idna==3.10",
            test_paths=("tests",),
            bug=(
                Edit(
                    "idna/intranges.py",
                    "if left <= int_ < right:",
                    "if left <= int_ <= right:",
                ),
            ),
            bug_story="intranges_contain() treats a range's exclusive end as inclusive, so the "
            "code point just past each run counts as inside it (and encode/decode accept or "
            "reject the wrong characters)",
            tasks=(
                _task(
                    "intranges-end",
                    "intranges_contain() counts the end of a range as inside it",
                    IDNA_ACCEPTANCE,
                    ["idna/**", "tests/**"],
                ),
                _task(
                    "intranges-end-unit",
                    "intranges_contain() counts the end of a range as inside it (one unit test)",
                    IDNA_ACCEPTANCE[1:2],
                    ["idna/**", "tests/**"],
                ),
            ),
            fails_at_base=IDNA_ACCEPTANCE,
            passes_at_base=(
                "tests/test_idna.py::IDNATests::test_valid_label_length",
                "tests/test_idna_uts46.py::TestIdnaTest::runTest",
                "tests/test_idna_codec.py::IDNACodecTests::testIncrementalEncoder",
                "tests/test_intranges.py::IntrangeContainsTests::test_simple",
            ),
        ),
    )
}


def apply_edit(text: str, edit: Edit) -> str:
    found = text.count(edit.old)
    if found != 1:
        raise AssertionError(
            f"{edit.path}: expected the edited text exactly once, found it {found} times "
            f"(did the pinned version change?): {edit.old[:80]!r}"
        )
    return text.replace(edit.old, edit.new)


def suite_command(
    project: PeerProject, extra: Sequence[str] = (), *, paths_in_command: bool = False
) -> str:
    """This interpreter (which has pytest and coverage) on the project's chosen test files."""
    paths = project.test_paths if paths_in_command else ()
    return shlex.join([sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", *extra, *paths])


def policy_text(command: str) -> str:
    # a JSON string is a valid TOML basic string (and a valid YAML scalar, below)
    return f"[tests]\ncommand = {json.dumps(command)}\ntimeout_s = 300\n"


def task_text(task: PeerTask) -> str:
    acceptance = "".join(f"  - {json.dumps(entry)}\n" for entry in task.acceptance)
    scope = "".join(f"  - {json.dumps(glob)}\n" for glob in task.scope)
    return (
        f"---\nid: {task.id}\ntitle: {json.dumps(task.title)}\nacceptance:\n{acceptance}"
        f"scope:\n{scope}---\n{task.title}.\n"
    )


@dataclass
class PeerRepo:
    """A project as a git repository whose `main` is the base: the sdist plus the planted bug, the
    policy and the tasks. Cases become branches made with a private index, so the work tree and
    `main` never move."""

    project: PeerProject
    path: Path
    env: dict[str, str]
    base: str

    def git(self, *args: str, input: bytes | None = None) -> str:
        return run_git(self.path, self.env, *args, input=input)

    def branch(self, name: str, edits: Iterable[Edit], *, start: str | None = None) -> str:
        """A branch `name` from `start` (default: the base) with `edits` applied, as one commit."""
        parent = start or self.base
        by_path: dict[str, str] = {}
        for edit in edits:
            if edit.path not in by_path:
                raw = run_git_raw(self.path, self.env, "show", f"{parent}:{edit.path}")
                by_path[edit.path] = raw.decode("utf-8")
            by_path[edit.path] = apply_edit(by_path[edit.path], edit)
        with tempfile.TemporaryDirectory(prefix="peer-index-") as tmp:
            env = {**self.env, "GIT_INDEX_FILE": str(Path(tmp) / "index")}
            run_git(self.path, env, "read-tree", parent)
            for path, text in by_path.items():
                blob = run_git(self.path, env, "hash-object", "-w", "--stdin", input=text.encode())
                run_git(
                    self.path, env, "update-index", "--add", "--cacheinfo", f"100644,{blob},{path}"
                )
            tree = run_git(self.path, env, "write-tree")
        commit = self.git("commit-tree", tree, "-p", parent, "-m", name)
        self.git("update-ref", f"refs/heads/{name}", commit)
        return commit


def build_repo(
    project: PeerProject,
    dest: Path,
    *,
    command_extra: Sequence[str] = (),
    paths_in_command: bool = False,
) -> PeerRepo:
    """Extract the sdist into `dest`, commit it, then commit the planted bug, policy and tasks as the
    base (`main`), and prove the bug is caught by the tests the tasks name. The suite's test files
    go in pytest.ini's `testpaths` (so node ids on the command line select alone), or, with
    `paths_in_command`, in the policy's command as many real repositories write it."""
    env = git_env(dest.parent / f"{dest.name}-home")
    import_sdist(project.requirement, dest, env)
    for edit in project.bug:
        target = dest / edit.path
        target.write_text(apply_edit(target.read_text("utf-8"), edit), "utf-8")
    command = suite_command(project, command_extra, paths_in_command=paths_in_command)
    (dest / "crewchief.toml").write_text(policy_text(command))
    if not paths_in_command:
        assert not (dest / "pytest.ini").exists()
        (dest / "pytest.ini").write_text(f"[pytest]\ntestpaths = {' '.join(project.test_paths)}\n")
    tasks = dest / ".crewchief" / "tasks"
    tasks.mkdir(parents=True)
    for task in project.tasks:
        (tasks / f"{task.id}.md").write_text(task_text(task), "utf-8")
        for rel, text in task.files:
            own = tasks / task.id / rel
            own.parent.mkdir(parents=True, exist_ok=True)
            own.write_text(text, "utf-8")
    run_git(dest, env, "add", "-A", "-f")
    run_git(dest, env, "commit", "-q", "-m", f"plant a bug: {project.bug_story}")
    base = run_git(dest, env, "rev-parse", "HEAD")
    verify_planted_bug(project, dest)
    return PeerRepo(project, dest, env, base)


def outcomes_of(project_dir: Path, node_ids: Sequence[str]) -> dict[str, str]:
    """Run the named tests once in `project_dir` with this interpreter: node id -> PASSED/FAILED/..."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "COV_CORE"))}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    argv = [sys.executable, "-m", "pytest", "-q", "-rA", "-p", "no:cacheprovider", *node_ids]
    out = subprocess.run(
        argv, cwd=project_dir, env=env, capture_output=True, text=True, check=False, timeout=600
    )
    found: dict[str, str] = {}
    for line in out.stdout.splitlines():
        word, _, rest = line.partition(" ")
        if word in ("PASSED", "FAILED", "ERROR", "SKIPPED", "XFAIL", "XPASS"):
            found[rest.split(" - ", 1)[0].strip()] = word
    return found


def verify_planted_bug(project: PeerProject, project_dir: Path) -> None:
    wanted = [*project.fails_at_base, *project.passes_at_base]
    got = outcomes_of(project_dir, wanted)
    wrong = [t for t in project.fails_at_base if got.get(t) != "FAILED"]
    wrong += [t for t in project.passes_at_base if got.get(t) != "PASSED"]
    if wrong:
        raise AssertionError(
            f"{project.requirement}: the planted bug does not behave as the cases assume "
            f"({project.bug_story}); unexpected outcomes: { {t: got.get(t) for t in wrong} }"
        )
