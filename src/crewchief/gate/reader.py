"""Reads a change out of a repository: one `git diff --raw -z`, one `cat-file --batch-check`, one
`cat-file --batch` for every base and head blob plus the repo's manifests and tool configs."""

from __future__ import annotations

from pathlib import Path

from crewchief import git
from crewchief.gate.change import MODE_SUBMODULE, Change, FileChange, Side, Status, is_context_file
from crewchief.gate.trees import GitBaseTree

DEFAULT_MAX_BLOB_BYTES = 8 * 1024 * 1024


def read_change(
    repo: Path, base: str, head: str, *, max_blob_bytes: int = DEFAULT_MAX_BLOB_BYTES
) -> Change:
    entries = git.diff_raw(repo, base, head)
    listing = git.ls_tree(repo, base)
    context_entries = [
        (oid, path)
        for mode, oid, path in listing
        if mode != MODE_SUBMODULE and is_context_file(path)
    ]
    ids: list[str] = []
    for entry in entries:
        for mode, oid in ((entry.old_mode, entry.old_blob), (entry.new_mode, entry.new_blob)):
            if oid != git.NULL_ID and mode != MODE_SUBMODULE:
                ids.append(oid)
    ids.extend(oid for oid, _ in context_entries)
    sizes = git.object_sizes(repo, ids)
    readable = [oid for oid in ids if oid in sizes and sizes[oid][1] <= max_blob_bytes]
    blobs = git.read_objects(repo, readable)

    def side(path: str, mode: str, oid: str) -> Side | None:
        if oid == git.NULL_ID and mode == "000000":
            return None
        size = sizes.get(oid, ("", 0))[1]
        return Side(path, mode, oid, size, blobs.get(oid))

    files = []
    for entry in entries:
        old = side(entry.old_path, entry.old_mode, entry.old_blob)
        new = side(entry.new_path, entry.new_mode, entry.new_blob)
        files.append(FileChange(Status(entry.status), old, new, entry.score))
    context = {path: blobs[oid] for oid, path in context_entries if oid in blobs}
    return Change(base, head, tuple(files), context, GitBaseTree.listed(repo, base, listing))


def read_files_at(repo: Path, rev: str, paths: list[str]) -> dict[str, bytes | None]:
    """The bytes of a few files at `rev` (None when absent), in one process."""
    specs = [f"{rev}:{p}" for p in paths]
    found = git.read_objects(repo, specs)
    return {p: found.get(s) for p, s in zip(paths, specs, strict=True)}
