"""Every git call crewchief makes goes through here.

git is run with inherited `GIT_*` variables removed (a hook or a parent git must not redirect us to
another repository or index), never through a shell, and with paths handled as bytes end to end: file
names are decoded with `surrogateescape`, so non-UTF-8 names survive the round trip.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from crewchief import proc
from crewchief.errors import GitInputError, GitInternalError

_BIG = 1 << 40  # output cap for calls that return object data we asked for


def git_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env["GIT_TERMINAL_PROMPT"] = "0"
    env.setdefault("LC_ALL", "C")
    if extra:
        env.update(extra)
    return env


def run(
    repo: Path,
    *args: str,
    stdin: bytes | None = None,
    env: Mapping[str, str] | None = None,
    check: bool = True,
    timeout: float | None = 600,
    output_cap: int = _BIG,
) -> proc.Outcome:
    """Run `git -C repo args...`; when `check` and git fails, raise `GitInternalError` with git's own
    words (callers that can name a user mistake, such as an unknown ref, raise `GitInputError`)."""
    request = proc.Request(
        ("git", "-C", str(repo), *args),
        env=git_env(env),
        stdin=stdin,
        timeout=timeout,
        output_cap=output_cap,
    )
    outcome = proc.run(request)
    if check and not outcome.ok:
        message = outcome.stderr.decode("utf-8", "replace").strip().splitlines()
        first = message[0] if message else f"exit {outcome.returncode}"
        raise GitInternalError(f"git {args[0]} failed: {first.removeprefix('fatal: ')}")
    return outcome


def decode_path(raw: bytes) -> str:
    return raw.decode("utf-8", "surrogateescape")


def toplevel(path: Path) -> Path:
    """The root of the work tree containing `path`, or a `GitInputError` saying it is not one."""
    if not path.exists():
        raise GitInputError(f"{path}: no such directory")
    outcome = run(path, "rev-parse", "--show-toplevel", check=False)
    if not outcome.ok:
        raise GitInputError(
            f"{path} is not inside a git repository (run 'git init' or pass --repo)"
        )
    return Path(outcome.text().strip())


def resolve_commit(repo: Path, ref: str) -> str:
    """Full commit id of `ref`, or a `GitInputError` naming the ref."""
    if ref.startswith("-"):
        raise GitInputError(f"unknown ref '{ref}': refs cannot start with '-'")
    outcome = run(
        repo,
        "rev-parse",
        "--verify",
        "--quiet",
        "--end-of-options",
        f"{ref}^{{commit}}",
        check=False,
    )
    if not outcome.ok:
        hint = ""
        if is_shallow(repo):
            hint = " (this is a shallow clone: fetch it, e.g. 'git fetch --unshallow')"
        raise GitInputError(f"unknown ref '{ref}': no commit by that name{hint}")
    return outcome.text().strip()


def is_shallow(repo: Path) -> bool:
    outcome = run(repo, "rev-parse", "--is-shallow-repository", check=False)
    return outcome.text().strip() == "true"


def merge_base(repo: Path, a: str, b: str) -> str | None:
    outcome = run(repo, "merge-base", a, b, check=False)
    return outcome.text().strip() or None if outcome.ok else None


def head_tree_of_worktree(repo: Path) -> str:
    """A tree object of the work tree as it is now (tracked and untracked, minus ignored files).

    Built in a throwaway index so the user's index and stash are untouched; the blobs land in the
    object store like `git stash` would put them, which lets the gate treat the work tree like a commit.
    """
    with tempfile.TemporaryDirectory(prefix="crewchief-index-") as tmp:
        index = os.path.join(tmp, "index")
        git_dir = run(repo, "rev-parse", "--absolute-git-dir").text().strip()
        real_index = os.path.join(git_dir, "index")
        if os.path.exists(real_index):
            # copy2 keeps the index file's mtime, which git's racy-clean check compares entries
            # against; a fresh mtime would make it trust stale stat data and miss edits.
            shutil.copy2(real_index, index)
        env = {"GIT_INDEX_FILE": index}
        run(repo, "add", "--all", "--", ".", env=env)
        return run(repo, "write-tree", env=env).text().strip()


def has_commits(repo: Path) -> bool:
    return run(repo, "rev-parse", "--verify", "--quiet", "HEAD^{commit}", check=False).ok


def index_tree(repo: Path) -> str:
    """A tree object of the index: what `git commit` would record now (a pre-commit hook's view;
    pre-commit stashes unstaged edits, and this ignores them anyway). The user's index is read,
    never changed."""
    outcome = run(repo, "write-tree", check=False)
    if not outcome.ok:
        raise GitInputError(
            "the index has unmerged paths: resolve the conflicts and 'git add' them, then gate "
            "the staged change"
        )
    return outcome.text().strip()


@dataclass(frozen=True)
class RawEntry:
    """One line of `git diff --raw -z`: modes, blob ids, status and path(s)."""

    old_mode: str
    new_mode: str
    old_blob: str
    new_blob: str
    status: str  # A, M, D, R, C, T
    score: int | None
    old_path: str
    new_path: str


NULL_ID = "0" * 40


def diff_raw(repo: Path, base: str, head: str, *, renames: bool = True) -> list[RawEntry]:
    args = [
        "diff",
        "--raw",
        "-z",
        "--no-abbrev",
        "--no-ext-diff",
        "--no-textconv",
        "--ignore-submodules=none",
    ]
    args.append("-M" if renames else "--no-renames")
    outcome = run(repo, *args, base, head, "--")
    return parse_raw(outcome.stdout)


def parse_raw(data: bytes) -> list[RawEntry]:
    parts = data.split(b"\0")
    entries: list[RawEntry] = []
    i = 0
    while i < len(parts) and parts[i]:
        meta = parts[i].decode("ascii")
        old_mode, new_mode, old_blob, new_blob, status = meta.lstrip(":").split(" ")
        letter, score = status[0], (int(status[1:]) if len(status) > 1 else None)
        if letter in "RC":
            old_path, new_path = decode_path(parts[i + 1]), decode_path(parts[i + 2])
            i += 3
        else:
            old_path = new_path = decode_path(parts[i + 1])
            i += 2
        entries.append(
            RawEntry(old_mode, new_mode, old_blob, new_blob, letter, score, old_path, new_path)
        )
    return entries


def object_sizes(repo: Path, ids: Iterable[str]) -> dict[str, tuple[str, int]]:
    """Type and size of each object id (one `cat-file --batch-check` process)."""
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return {}
    stdin = "".join(f"{oid}\n" for oid in wanted).encode()
    out = run(repo, "cat-file", "--batch-check", stdin=stdin).text().splitlines()
    result: dict[str, tuple[str, int]] = {}
    for oid, line in zip(wanted, out, strict=True):
        fields = line.split(" ")
        if len(fields) == 3:
            result[oid] = (fields[1], int(fields[2]))
    return result


def read_objects(repo: Path, ids: Iterable[str]) -> dict[str, bytes]:
    """Contents of many objects through one `git cat-file --batch` process."""
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return {}
    stdin = "".join(f"{oid}\n" for oid in wanted).encode()
    data = run(repo, "cat-file", "--batch", stdin=stdin).stdout
    result: dict[str, bytes] = {}
    pos = 0
    for oid in wanted:
        end = data.index(b"\n", pos)
        line = data[pos:end].decode("utf-8", "replace")
        pos = end + 1
        if line.endswith((" missing", " ambiguous")):
            continue
        header = line.rsplit(" ", 2)
        if len(header) != 3 or not header[2].isdigit():
            continue
        size = int(header[2])
        result[oid] = data[pos : pos + size]
        pos += size + 1
    return result


def grep_files(
    repo: Path,
    rev: str,
    needles: Iterable[str],
    pathspecs: Iterable[str] = (),
    *,
    words: bool = False,
) -> list[str]:
    """Paths of the text files of `rev` (within `pathspecs`) that contain any of these fixed
    strings (`git grep -I -F -l`, binaries skipped; `words`: only as whole words): git scans the
    tree in C, faster than reading it into Python.

    The strings go to git on its standard input (`-f -`), never on its command line: a change of
    tens of thousands of files gives as many needles, and argv would overflow (E2BIG). A needle
    holding a newline cannot be one line of that input; it is searched by its longest line, which
    can only find more files, never fewer. Paths come back NUL-separated (`-z`), unquoted."""
    wanted = [n for n in dict.fromkeys(_grep_line(n) for n in needles) if n]
    if not wanted:
        return []
    flags = ["-I", "-F", "-l", "-z", *(["-w"] if words else []), "-f", "-"]
    stdin = "".join(f"{n}\n" for n in wanted).encode("utf-8", "surrogateescape")
    out = run(repo, "grep", *flags, rev, "--", *pathspecs, stdin=stdin, check=False)
    if out.returncode == 1:
        return []  # git grep's "nothing matched"
    if not out.ok:
        message = out.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GitInternalError(f"git grep failed: {message[0] if message else out.returncode}")
    prefix = f"{rev}:".encode()
    return [decode_path(item.removeprefix(prefix)) for item in out.stdout.split(b"\0") if item]


def _grep_line(needle: str) -> str:
    """A needle as one line of `git grep -f`: its longest line (see `grep_files`)."""
    return max(needle.split("\n"), key=len) if "\n" in needle else needle


def ls_tree(repo: Path, rev: str) -> list[tuple[str, str, str]]:
    """(mode, blob id, path) of every file in `rev`."""
    out = run(repo, "ls-tree", "-r", "-z", "--full-tree", rev).stdout
    result = []
    for item in out.split(b"\0"):
        if not item:
            continue
        meta, _, path = item.partition(b"\t")
        mode, _kind, oid = meta.decode("ascii").split(" ")
        result.append((mode, oid, decode_path(path)))
    return result
