"""Hidden acceptance: tests of a task that the agent working on it never sees.

A visible acceptance test tells the agent the exact input it is judged on, and an agent that
special-cases that input passes it without fixing anything. Hidden tests close that door. They come
from two places, both mirroring the repository layout (`tests/test_x.py` is run as
`tests/test_x.py`):

- **outside the repository** (recommended): `[tests] hidden_dir = "~/crewchief-hidden"` in the
  policy; the task's hidden tests are `<hidden_dir>/<task id>/`. The gate reads them on the host;
  the run hides the folder from the agent's sandbox, and a run refuses to start an unsandboxed agent
  that could read them (unless the policy turned the sandbox off on purpose).
- **inside the repository**: `.crewchief/tasks/<id>/hidden/`. The run deletes the folder from the
  agent's worktree and the prompt never names it, but the worktree shares the repository's object
  store, so an agent that asks git (`git show <base>:<path>`, `git log -p`) can read them. They
  keep honest agents honest; they are not a secret. The run says so in its notes.

Every test file in either folder runs, listed in the task or not (the task file is shown to the
agent, so listing them there would name them). What a failing hidden test tells the agent is only
that a hidden acceptance test failed: no name, path, literal or output.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from crewchief import git
from crewchief.errors import UserError
from crewchief.spec.task import TASK_DIR

HIDDEN = "hidden"
NAME = "a hidden acceptance test"
"""How every finding about a hidden test names it: the same words whatever the test."""
IN_REPO_NOTE = (
    "hidden acceptance tests are in the repository ({path}): they were removed from the agent's "
    "worktree, but an agent can still read them through git; keep them outside the repository "
    "with [tests] hidden_dir"
)


class HiddenTestsError(UserError):
    """The hidden tests' folder is unusable (a symlink, inside the repository, a bad name)."""


@dataclass(frozen=True)
class HiddenTests:
    """A task's hidden tests: file contents by the repository path they are laid over."""

    files: dict[str, bytes] = field(default_factory=dict)
    host_dir: Path | None = None
    """The folder outside the repository they came from, if any."""
    host_root: Path | None = None
    """The policy's hidden folder, when it exists: every task's hidden tests, so the whole of it
    is kept from every agent (an agent on one task must not read another's)."""
    in_repo: tuple[str, ...] = ()
    """Repository paths of the ones under `.crewchief/tasks/<id>/hidden/` (readable through git)."""

    def entries(self) -> list[str]:
        """The test files among them, as pytest node ids (a whole file each)."""
        return sorted(p for p in self.files if is_test_file(p))

    def covers(self, entry: str) -> bool:
        """Whether an acceptance entry names one of these tests (so it must never be shown)."""
        return any(word.split("::", 1)[0].split("[", 1)[0] in self.files for word in entry.split())


def is_test_file(path: str) -> bool:
    name = PurePosixPath(path).name
    return name.endswith(".py") and (name.startswith("test_") or name.endswith("_test.py"))


def repo_prefix(task_id: str) -> str:
    return f"{TASK_DIR}/{task_id}/{HIDDEN}/"


def host_root(hidden_dir: str | None, repo: Path) -> Path | None:
    """The policy's `hidden_dir` on the host (`~` expanded), checked; None when unset or absent."""
    if not hidden_dir:
        return None
    root = Path(os.path.expanduser(hidden_dir))
    if not root.is_absolute():
        raise HiddenTestsError(
            f"[tests] hidden_dir = {hidden_dir!r}: use an absolute path or one under ~ "
            "(a relative path would be inside the repository the agent can read)"
        )
    _not_a_link(root)
    if not root.is_dir():
        return None
    real, repo_real = root.resolve(), repo.resolve()
    if real == repo_real or repo_real in real.parents or real in repo_real.parents:
        raise HiddenTestsError(
            f"hidden tests folder {root} overlaps the repository {repo}: an agent working in "
            "the repository could read it; keep hidden tests in a folder outside it"
        )
    return root


def _not_a_link(path: Path) -> None:
    if path.is_symlink():
        raise HiddenTestsError(
            f"hidden tests folder {path} is a symlink; use the real folder "
            "(a link can be re-pointed to files the gate then trusts)"
        )


def host_folder(root: Path | None, task_id: str) -> Path | None:
    """`<hidden_dir>/<task id>` on the host, checked; None when the policy names no folder or the
    task has none there (not every task has hidden tests)."""
    if root is None:
        return None
    folder = root / task_id
    _not_a_link(folder)
    if not folder.exists():
        return None
    if not folder.is_dir():
        raise HiddenTestsError(f"hidden tests folder {folder} is not a folder")
    return folder


def read_folder(folder: Path) -> dict[str, bytes]:
    """Every regular file under `folder` by its path relative to it; symlinks, special files and
    names that are not UTF-8 are refused (the gate runs what a reviewer can name and read)."""
    found: dict[str, bytes] = {}
    for current, dirs, files in os.walk(folder, followlinks=False):
        for name in [*dirs, *files]:
            path = Path(current) / name
            rel = path.relative_to(folder)
            try:
                shown = str(rel).encode("utf-8").decode("utf-8")
            except UnicodeEncodeError:
                raise HiddenTestsError(
                    f"hidden test path {os.fsencode(path)!r} is not UTF-8; rename it"
                ) from None
            mode = path.lstat().st_mode
            if stat.S_ISLNK(mode):
                raise HiddenTestsError(f"hidden test path {path} is a symlink; copy the file in")
            if stat.S_ISREG(mode):
                found[PurePosixPath(*rel.parts).as_posix()] = path.read_bytes()
            elif not stat.S_ISDIR(mode):
                raise HiddenTestsError(f"hidden test path {shown} in {folder} is not a file")
    return found


def from_tree(entries: Iterable[tuple[str, str, str]], task_id: str) -> dict[str, str]:
    """The in-repository hidden files of `git ls-tree -r` rows (mode, oid, path): blob id by
    mirrored path. A hidden folder that is a symlink, holds one, or has a name that is not UTF-8 is
    refused."""
    prefix = repo_prefix(task_id)
    wanted: dict[str, str] = {}
    for mode, oid, path in entries:
        if path != prefix.rstrip("/") and not path.startswith(prefix):
            continue
        try:
            path.encode("utf-8")
        except UnicodeEncodeError:
            shown = path.encode("utf-8", "surrogateescape")
            raise HiddenTestsError(f"hidden test path {shown!r} is not UTF-8; rename it") from None
        if mode == "120000":
            raise HiddenTestsError(
                f"{path} is a symlink in the base commit; hidden tests must be real files"
            )
        if mode in ("100644", "100755"):
            wanted[path[len(prefix) :]] = oid
    return wanted


def load(repo: Path, base: str, task_id: str, hidden_dir: str | None) -> HiddenTests:
    """A task's hidden tests at `base` and in the policy's hidden folder (that one wins where both
    have a file: it is the one no agent could read)."""
    wanted = from_tree(git.ls_tree(repo, base), task_id)
    blobs = git.read_objects(repo, wanted.values())
    files = {rel: blobs[oid] for rel, oid in wanted.items() if oid in blobs}
    root = host_root(hidden_dir, repo)
    folder = host_folder(root, task_id)
    if folder is not None:
        files.update(read_folder(folder))
    in_repo = tuple(repo_prefix(task_id) + rel for rel in sorted(wanted))
    return HiddenTests(files, host_dir=folder, host_root=root, in_repo=in_repo)


def finding_label(index: int) -> str:
    """The stable, contentless key a hidden entry's findings are fingerprinted by."""
    return f"{HIDDEN}#{index}"


def load_checkout(root: Path, task_id: str, hidden_dir: str | None) -> HiddenTests:
    """A task's hidden tests as the checkout has them now (for `task lint`, before any commit)."""
    folder = root / repo_prefix(task_id).rstrip("/")
    _not_a_link(folder)
    files = read_folder(folder) if folder.is_dir() else {}
    in_repo = tuple(repo_prefix(task_id) + rel for rel in sorted(files))
    host = host_root(hidden_dir, root)
    outside = host_folder(host, task_id)
    if outside is not None:
        files.update(read_folder(outside))
    return HiddenTests(files, host_dir=outside, host_root=host, in_repo=in_repo)
