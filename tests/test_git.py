"""The git chokepoint (`crewchief.git`), on real temporary repositories with a fixed identity.

What the module promises: inherited `GIT_*` variables never redirect a call to another repository or
index; git runs without a shell; file names travel as bytes and come back decoded with
`surrogateescape`, so non-UTF-8 and control-character names survive; problems a user can fix
(unknown ref, not a repository, shallow history) are `GitInputError` (exit 2) and a failure
crewchief did not expect is `GitInternalError` (exit 3).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from crewchief import git
from crewchief.errors import ExitCode, GitInputError, GitInternalError
from tests.helpers.repo import Repo

MakeRepo = Callable[..., Repo]

# Names a hostile or careless change can carry: Latin-1 bytes that are not UTF-8, a newline, a tab,
# an escape character, a quote and a leading dash (git quotes or rejects most of these without -z).
ODD_NAMES = (
    b"caf\xe9.txt",
    b"dir\xff/inner\xfe.py",
    b"new\nline.txt",
    b"tab\there.txt",
    b"esc\x1b[31mred.txt",
    b'quote"d.txt',
    b"-dash.txt",
)


def blob_id(data: bytes) -> str:
    """The id git gives a blob, computed here so the test does not trust git's answer about itself."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def as_raw(name: str) -> bytes:
    """The bytes of a decoded path, as the file system has them."""
    return os.fsencode(name)


# --- the environment: inherited GIT_* variables are stripped -----------------------------------


def test_git_env_drops_every_inherited_git_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIT_DIR", "/elsewhere/.git")
    monkeypatch.setenv("GIT_INDEX_FILE", "/elsewhere/index")
    monkeypatch.setenv("GIT_WORK_TREE", "/elsewhere")
    monkeypatch.setenv("GIT_OBJECT_DIRECTORY", "/elsewhere/objects")
    monkeypatch.setenv("NOT_GIT_BUT_KEPT", "yes")
    env = git.git_env()
    assert not {"GIT_DIR", "GIT_INDEX_FILE", "GIT_WORK_TREE", "GIT_OBJECT_DIRECTORY"} & set(env)
    assert env["NOT_GIT_BUT_KEPT"] == "yes"
    assert env["GIT_TERMINAL_PROMPT"] == "0", "git must never wait for a password on a terminal"


def test_git_env_keeps_an_explicit_extra_and_a_callers_locale(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LC_ALL", "C.UTF-8")
    env = git.git_env({"GIT_INDEX_FILE": "/tmp/mine"})
    assert env["GIT_INDEX_FILE"] == "/tmp/mine"
    assert env["LC_ALL"] == "C.UTF-8"
    monkeypatch.delenv("LC_ALL")
    assert git.git_env()["LC_ALL"] == "C", "git's messages are parsed, so they must be untranslated"


def test_inherited_git_dir_and_work_tree_do_not_redirect_a_call(
    make_repo: MakeRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A hook runs with GIT_DIR set for the repository it belongs to; crewchief asked about another."""
    ours = make_repo({"ours.txt": "ours\n"}, name="ours")
    other = make_repo({"other.txt": "other\n"}, name="other")
    monkeypatch.setenv("GIT_DIR", str(other.path / ".git"))
    monkeypatch.setenv("GIT_WORK_TREE", str(other.path))
    assert git.resolve_commit(ours.path, "HEAD") == ours.git("rev-parse", "HEAD")
    assert git.toplevel(ours.path) == ours.path.resolve()
    assert [path for _, _, path in git.ls_tree(ours.path, "HEAD")] == ["ours.txt"]


def test_inherited_index_file_is_neither_read_nor_written(
    repo: Repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stray = tmp_path / "stray-index"
    monkeypatch.setenv("GIT_INDEX_FILE", str(stray))
    repo.write({"untracked.txt": "new\n"})
    tree = git.head_tree_of_worktree(repo.path)
    assert "untracked.txt" in repo.git("ls-tree", "--name-only", tree)
    assert "README.md" in repo.git("ls-tree", "--name-only", tree)
    assert not stray.exists(), "git wrote the index a parent process pointed at"


def test_inherited_object_directory_does_not_hide_the_repositorys_objects(
    repo: Repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "objects"
    empty.mkdir()
    monkeypatch.setenv("GIT_OBJECT_DIRECTORY", str(empty))
    head = repo.git("rev-parse", "HEAD")
    assert git.object_sizes(repo.path, [head])[head][0] == "commit"


# --- no shell ------------------------------------------------------------------------------------


def test_arguments_reach_git_verbatim_without_a_shell(repo: Repo, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    for ref in (f"$(touch {marker})", f"HEAD; touch {marker}", f"`touch {marker}`"):
        with pytest.raises(GitInputError, match="unknown ref"):
            git.resolve_commit(repo.path, ref)
    assert not marker.exists()


# --- errors: what a user can fix (exit 2) and what crewchief did not expect (exit 3) -------------


def test_unknown_ref_is_an_input_error_naming_the_ref(repo: Repo) -> None:
    with pytest.raises(GitInputError, match="unknown ref 'no-such-branch'") as info:
        git.resolve_commit(repo.path, "no-such-branch")
    assert info.value.exit_code is ExitCode.USAGE
    assert int(info.value.exit_code) == 2
    assert "shallow" not in str(info.value), "a full clone must not be blamed on shallow history"


def test_ref_that_looks_like_an_option_is_refused(repo: Repo) -> None:
    with pytest.raises(GitInputError, match="cannot start with '-'") as info:
        git.resolve_commit(repo.path, "--output=/tmp/x")
    assert info.value.exit_code == ExitCode.USAGE


def test_a_tree_is_not_a_commit(repo: Repo) -> None:
    tree = repo.git("rev-parse", "HEAD^{tree}")
    with pytest.raises(GitInputError, match="unknown ref"):
        git.resolve_commit(repo.path, tree)


def test_refs_resolve_to_full_commit_ids(repo: Repo) -> None:
    first = repo.git("rev-parse", "HEAD")
    second = repo.commit({"a.txt": "a\n"}, "second")
    repo.git("tag", "-a", "-m", "annotated", "v1", first)
    repo.git("tag", "light", second)
    assert git.resolve_commit(repo.path, "main") == second
    assert git.resolve_commit(repo.path, "HEAD~1") == first
    assert git.resolve_commit(repo.path, first[:10]) == first
    assert git.resolve_commit(repo.path, "light") == second
    tag_object = repo.git("rev-parse", "v1")
    assert tag_object != first, "an annotated tag is its own object"
    assert git.resolve_commit(repo.path, "v1") == first, "an annotated tag is peeled to its commit"


def test_unexpected_git_failure_is_an_internal_error(repo: Repo) -> None:
    with pytest.raises(GitInternalError) as info:
        git.run(repo.path, "cat-file", "-p", "0" * 39 + "1")
    assert info.value.exit_code is ExitCode.INTERNAL
    assert int(info.value.exit_code) == 3
    message = str(info.value)
    assert message.startswith("git cat-file failed: ")
    assert "fatal:" not in message, "git's own words, without its 'fatal:' prefix"


def test_internal_error_from_a_diff_of_missing_objects(repo: Repo) -> None:
    """The gate resolved both sides first, so a diff that still fails is crewchief's problem."""
    with pytest.raises(GitInternalError, match="git diff failed"):
        git.diff_raw(repo.path, "HEAD", "f" * 40)


def test_unchecked_run_returns_the_failure_instead_of_raising(repo: Repo) -> None:
    outcome = git.run(repo.path, "rev-parse", "--verify", "--quiet", "nope", check=False)
    assert not outcome.ok
    assert outcome.returncode == 1


def test_toplevel_of_a_subfolder_and_of_things_that_are_not_repositories(
    make_repo: MakeRepo, tmp_path: Path
) -> None:
    repo = make_repo({"pkg/deep/mod.py": "x = 1\n"})
    assert git.toplevel(repo.path / "pkg" / "deep") == repo.path.resolve()
    plain = tmp_path / "plain"
    plain.mkdir()
    with pytest.raises(GitInputError, match="not inside a git repository") as info:
        git.toplevel(plain)
    assert info.value.exit_code == ExitCode.USAGE
    with pytest.raises(GitInputError, match="no such directory"):
        git.toplevel(tmp_path / "missing")


# --- shallow clones ------------------------------------------------------------------------------


def shallow_clone(origin: Repo, dest: Path, depth: int = 1) -> Path:
    origin.git("clone", "-q", "--depth", str(depth), f"file://{origin.path}", str(dest))
    return dest


def test_shallow_clone_is_detected_and_named_in_the_unknown_ref_error(
    make_repo: MakeRepo, tmp_path: Path
) -> None:
    origin = make_repo({"a.txt": "0\n"})
    first = origin.git("rev-parse", "HEAD")
    for i in range(1, 4):
        origin.commit({"a.txt": f"{i}\n"}, f"commit {i}")
    clone = shallow_clone(origin, tmp_path / "shallow")
    assert git.is_shallow(clone)
    assert not git.is_shallow(origin.path)
    assert git.resolve_commit(clone, "HEAD") == origin.git("rev-parse", "HEAD")
    with pytest.raises(GitInputError, match="shallow clone") as info:
        git.resolve_commit(clone, first)
    assert "git fetch --unshallow" in str(info.value)
    assert info.value.exit_code == ExitCode.USAGE


def test_merge_base_is_none_without_shared_history(make_repo: MakeRepo) -> None:
    repo = make_repo({"a.txt": "a\n"})
    fork = repo.git("rev-parse", "HEAD")
    repo.branch("topic")
    topic = repo.commit({"b.txt": "b\n"}, "topic")
    assert git.merge_base(repo.path, "main", topic) == fork
    repo.git("checkout", "-q", "--orphan", "island")
    island = repo.commit({"c.txt": "c\n"}, "unrelated root")
    assert git.merge_base(repo.path, fork, island) is None


# --- file names round-trip as bytes --------------------------------------------------------------


def test_odd_file_names_round_trip_through_ls_tree(make_repo: MakeRepo) -> None:
    files: dict[str | bytes, str | bytes | None] = dict.fromkeys(ODD_NAMES, b"data\n")
    repo = make_repo(files)
    entries = git.ls_tree(repo.path, "HEAD")
    raw_names = {as_raw(path) for _, _, path in entries}
    assert raw_names == set(ODD_NAMES)
    for _mode, oid, path in entries:
        assert oid == blob_id(b"data\n")
        assert (repo.path / path).read_bytes() == b"data\n", f"{path!r} does not name the file"
    assert "caf\udce9.txt" in {path for _, _, path in entries}, "undecodable bytes are escaped"


def test_odd_file_names_round_trip_through_diff_raw(make_repo: MakeRepo) -> None:
    base_repo = make_repo({"keep.txt": "k\n"})
    base = base_repo.git("rev-parse", "HEAD")
    head = base_repo.commit({name: name + b"\n" for name in ODD_NAMES}, "odd names")
    entries = git.diff_raw(base_repo.path, base, head)
    assert {as_raw(e.new_path) for e in entries} == set(ODD_NAMES)
    for entry in entries:
        raw = as_raw(entry.new_path)
        assert entry.status == "A"
        assert entry.old_blob == git.NULL_ID
        assert entry.new_blob == blob_id(raw + b"\n")
        assert entry.new_mode == "100644"


def test_renames_and_copies_carry_both_names_and_a_score(make_repo: MakeRepo) -> None:
    body = "".join(f"line {i}\n" for i in range(40))
    repo = make_repo({"old\xe9.py": body, "gone.txt": "g\n", "mode.sh": "echo\n"})
    base = repo.git("rev-parse", "HEAD")
    repo.git("mv", "old\xe9.py", "new\nname.py")
    repo.write({"gone.txt": None})
    (repo.path / "mode.sh").chmod(0o755)
    head = repo.commit(None, "rename, delete, chmod")
    by_status = {e.status: e for e in git.diff_raw(repo.path, base, head)}
    assert set(by_status) == {"R", "D", "M"}
    rename = by_status["R"]
    assert (rename.old_path, rename.new_path) == ("old\xe9.py", "new\nname.py")
    assert rename.score == 100
    assert rename.old_blob == rename.new_blob == blob_id(body.encode())
    assert by_status["D"].new_blob == git.NULL_ID
    assert by_status["D"].new_mode == "000000"
    assert (by_status["M"].old_mode, by_status["M"].new_mode) == ("100644", "100755")
    assert by_status["M"].score is None


def test_renames_can_be_turned_off(make_repo: MakeRepo) -> None:
    repo = make_repo({"a.py": "".join(f"x{i} = {i}\n" for i in range(30))})
    base = repo.git("rev-parse", "HEAD")
    repo.git("mv", "a.py", "b.py")
    head = repo.commit(None, "rename")
    entries = git.diff_raw(repo.path, base, head, renames=False)
    assert sorted((e.status, e.new_path) for e in entries) == [("A", "b.py"), ("D", "a.py")]


def test_a_symlink_and_a_type_change_are_reported_with_their_modes(make_repo: MakeRepo) -> None:
    repo = make_repo({"target.txt": "t\n", "flip": "file\n"})
    base = repo.git("rev-parse", "HEAD")
    (repo.path / "flip").unlink()
    (repo.path / "flip").symlink_to("target.txt")
    head = repo.commit(None, "file becomes a symlink")
    (entry,) = git.diff_raw(repo.path, base, head, renames=False)
    assert (entry.status, entry.old_mode, entry.new_mode) == ("T", "100644", "120000")
    assert entry.new_blob == blob_id(b"target.txt")


# --- objects -------------------------------------------------------------------------------------


def test_read_objects_returns_exact_bytes_and_skips_missing_ids(make_repo: MakeRepo) -> None:
    payloads = [b"", b"\n\n", b"no newline", bytes(range(256)) * 4, b"x 12\nmissing\n"]
    repo = make_repo({f"f{i}": data for i, data in enumerate(payloads)})
    ids = [blob_id(data) for data in payloads]
    missing = "1" * 40
    got = git.read_objects(repo.path, [*ids, missing, ids[0]])
    assert got == {blob_id(data): data for data in payloads}
    assert git.read_objects(repo.path, []) == {}


def test_object_sizes_gives_type_and_size_and_omits_missing(repo: Repo) -> None:
    head = repo.git("rev-parse", "HEAD")
    tree = repo.git("rev-parse", "HEAD^{tree}")
    readme = blob_id(b"# sample\n")
    sizes = git.object_sizes(repo.path, [readme, tree, head, "2" * 40])
    assert sizes[readme] == ("blob", len(b"# sample\n"))
    assert sizes[tree][0] == "tree"
    assert sizes[head][0] == "commit"
    assert "2" * 40 not in sizes
    assert git.object_sizes(repo.path, []) == {}


# --- the work tree as a tree object --------------------------------------------------------------


def test_worktree_tree_has_edits_and_untracked_files_but_not_ignored_ones(
    make_repo: MakeRepo,
) -> None:
    repo = make_repo({".gitignore": "*.log\n", "app.py": "x = 1\n", "old.py": "o\n"})
    repo.write({"app.py": "x = 2\n", "new.py": "n\n", "debug.log": "noise\n", "old.py": None})
    tree = git.head_tree_of_worktree(repo.path)
    listing = {path: oid for _, oid, path in git.ls_tree(repo.path, tree)}
    assert set(listing) == {".gitignore", "app.py", "new.py"}
    assert listing["app.py"] == blob_id(b"x = 2\n")


def test_worktree_tree_leaves_the_users_index_and_stash_alone(repo: Repo) -> None:
    repo.write({"staged.py": "s = 1\n"})
    repo.git("add", "staged.py")
    repo.write({"unstaged.py": "u = 1\n"})
    index_file = repo.path / ".git" / "index"
    before = index_file.read_bytes()
    git.head_tree_of_worktree(repo.path)
    assert index_file.read_bytes() == before
    assert repo.git("diff", "--cached", "--name-only") == "staged.py"
    assert repo.git("stash", "list") == ""


def test_worktree_tree_sees_an_edit_made_right_after_staging(repo: Repo) -> None:
    """The index copy carries stat data the edit made stale; the tree must hold the new content.

    (Same size, within the same second. This does not reproduce git's racy-clean case on every file
    system, so it guards the outcome, not the `copy2` that keeps the index mtime.)"""
    repo.write({"racy.py": "v = 1\n"})
    repo.git("add", "racy.py")
    repo.write({"racy.py": "v = 2\n"})
    tree = git.head_tree_of_worktree(repo.path)
    listing = {path: oid for _, oid, path in git.ls_tree(repo.path, tree)}
    assert listing["racy.py"] == blob_id(b"v = 2\n")


def test_worktree_tree_of_a_repository_without_an_index(make_repo: MakeRepo) -> None:
    repo = make_repo()
    (repo.path / ".git" / "index").unlink()
    repo.write({"fresh.py": "f = 1\n"})
    tree = git.head_tree_of_worktree(repo.path)
    assert {path for _, _, path in git.ls_tree(repo.path, tree)} == {"README.md", "fresh.py"}


def test_worktree_tree_with_odd_names(make_repo: MakeRepo) -> None:
    repo = make_repo()
    repo.write(dict.fromkeys(ODD_NAMES, b"odd\n"))
    tree = git.head_tree_of_worktree(repo.path)
    raw = {as_raw(path) for _, _, path in git.ls_tree(repo.path, tree)}
    assert raw == {b"README.md", *ODD_NAMES}


# --- parse_raw on its own ------------------------------------------------------------------------


def test_parse_raw_of_empty_output_is_empty() -> None:
    assert git.parse_raw(b"") == []


def test_parse_raw_copy_entry_keeps_both_paths() -> None:
    old, new = "a" * 40, "b" * 40
    data = f":100644 100644 {old} {new} C075\0src/a.py\0".encode() + b"src/b\xe9.py\0"
    (entry,) = git.parse_raw(data)
    assert (entry.status, entry.score) == ("C", 75)
    assert (entry.old_path, entry.new_path) == ("src/a.py", "src/b\udce9.py")
    assert as_raw(entry.new_path) == b"src/b\xe9.py"


def test_grep_files_reads_any_number_of_needles_and_returns_raw_names(make_repo: MakeRepo) -> None:
    """The needles go to git on stdin (tens of thousands of them overflow argv: E2BIG), and the
    paths come back NUL-separated, not quoted (`tests/test_ünï.py`, a Latin-1 name)."""
    repo = make_repo(
        {
            "tests/test_ünï.py": "import needle_module\n",
            b"caf\xe9.py": "needle_module = 1\n",
            "other.py": "needle_modules = 2\n",
        }
    )
    many = [f"{'x' * 240}-{i:05}" for i in range(30_000)]
    found = git.grep_files(repo.path, "main", [*many, "needle_module"], ["*.py"], words=True)
    assert sorted(found) == sorted(
        ["tests/test_ünï.py", b"caf\xe9.py".decode("utf-8", "surrogateescape")]
    )
    # A needle with a newline is searched by its longest line: more files, never fewer.
    assert git.grep_files(repo.path, "main", ["x\nneedle_modules"], ["*.py"]) == ["other.py"]
    assert git.grep_files(repo.path, "main", ["", "\n"], ["*.py"]) == []
