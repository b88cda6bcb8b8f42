"""`crewchief guard`: the run's scope hook, installed into an engineer's own Claude Code settings.

A run gets its PreToolUse hook through `--settings` (`hooks.write_claude_settings`), but a Claude
Code session the engineer starts by hand reads only the checkout's `.claude/settings.json` (shared,
committed) and `.claude/settings.local.json` (personal). `install` merges the same hook into one of
those, so that session is held to the policy too, and `uninstall` takes out exactly what it added.

- The rules the hook reads live in the checkout's git dir (`statepaths.guard_dir`), not in the work
  tree: git does not track them and the hook refuses edits there.
- The settings file is someone's own: every other key and hook entry is kept in order, a malformed
  file is reported and left untouched, and writes are atomic.
- What was added is recorded beside the rules (the exact entry, which containers and files install
  created, the file's text before). Uninstall removes that entry, then the `PreToolUse` list, the
  `hooks` object, the file and the `.claude` folder only if install created them and they are now
  empty; when nothing else changed, the file gets its original bytes back.
- Installing again replaces the entry (one entry, fresh rules), also when moving to the other file.
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import sys
import tempfile
from dataclasses import asdict, dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from crewchief import git, statepaths
from crewchief.agents.hooks import EDIT_TOOLS, ScopeRules
from crewchief.errors import UserError

RULES = "rules.json"
RECORD = "installed.json"


class SettingsKind(StrEnum):
    local = "local"
    project = "project"


SETTINGS_FILES = {
    SettingsKind.local: Path(".claude") / "settings.local.json",
    SettingsKind.project: Path(".claude") / "settings.json",
}
"""Claude Code's project settings: personal (git-ignored by Claude Code) and shared."""


@dataclass(frozen=True)
class Installed:
    """What one install added to a settings file, so uninstall can take out exactly that."""

    settings: str
    """The settings file, absolute."""
    entry: dict[str, Any]
    """The `PreToolUse` entry added (matcher and hook command)."""
    original: str | None
    """The file's text before install, None when there was no file."""
    created_dir: bool
    created_hooks: bool
    created_list: bool
    exclude: str | None = None
    """The line added to git's `info/exclude` so the personal settings file is not committed by
    surprise (None: git ignored it already, or the settings are the shared file)."""

    @property
    def path(self) -> Path:
        return Path(self.settings)

    @property
    def command(self) -> str:
        return str(self.entry["hooks"][0]["command"])


def hook_entry(rules_path: Path, python: str | None = None) -> dict[str, Any]:
    """The `PreToolUse` entry: this Python (absolute, so the hook runs the crewchief that installed
    it whatever environment the session has) with `-I`, which keeps the work tree off `sys.path`."""
    argv = [python or sys.executable, "-I", "-m", "crewchief.agents.hooks", str(rules_path)]
    return {
        "matcher": "|".join(EDIT_TOOLS),
        "hooks": [{"type": "command", "command": shlex.join(argv)}],
    }


def read_settings(path: Path) -> tuple[str | None, dict[str, Any]]:
    """The file's text (None when absent) and its object; anything Claude Code would not read as
    settings with hooks is an error naming the file, raised before anything is written."""
    if not path.exists():
        return None, {}
    try:
        text = path.read_bytes().decode("utf-8")
        data = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        where = (
            f"line {exc.lineno} column {exc.colno}: {exc.msg}"
            if isinstance(exc, json.JSONDecodeError)
            else "not UTF-8"
        )
        raise UserError(
            f"{path} is not valid JSON ({where}); fix it and run the command again"
        ) from exc
    except OSError as exc:
        raise UserError(f"cannot read {path}: {exc.strerror}") from exc
    if not isinstance(data, dict):
        raise UserError(f"{path} is not a JSON object; fix it and run the command again")
    hooks = data.get("hooks", {})
    if not isinstance(hooks, dict) or not isinstance(hooks.get("PreToolUse", []), list):
        raise UserError(
            f"{path}: 'hooks' must be an object and 'hooks.PreToolUse' a list; fix it and run the "
            "command again"
        )
    return text, data


def _dump(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _write_atomic(path: Path, text: str) -> None:
    """Replace `path` whole (a crash leaves the old file or the new, never half), keeping its mode."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o7777)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _ours(entry: object, record: Installed) -> bool:
    """The entry install added, known by its hook command (the rules path in it is this
    checkout's), so it is found even when someone edited its matcher since."""
    if not isinstance(entry, dict) or not isinstance(entry.get("hooks"), list):
        return False
    return any(isinstance(h, dict) and h.get("command") == record.command for h in entry["hooks"])


def stripped(record: Installed) -> str | None:
    """The settings file's text without what `record` added; None when the file should not exist
    (install created it and nothing else is left, or it is gone)."""
    text, data = read_settings(record.path)
    if text is None:
        return None
    hooks = data.get("hooks")
    if isinstance(hooks, dict) and "PreToolUse" in hooks:
        hooks["PreToolUse"] = [e for e in hooks["PreToolUse"] if not _ours(e, record)]
        if not hooks["PreToolUse"] and record.created_list:
            del hooks["PreToolUse"]
        if not hooks and record.created_hooks:
            del data["hooks"]
    if not data and record.original is None:
        return None
    if record.original is not None and _same(record.original, data):
        return record.original  # byte for byte, whitespace and all
    return _dump(data)


def _same(text: str, data: dict[str, Any]) -> bool:
    """Equal JSON with the same key order."""
    try:
        return json.dumps(json.loads(text)) == json.dumps(data)
    except json.JSONDecodeError:
        return False


def _put(path: Path, text: str | None, remove_dir: bool) -> None:
    if text is not None:
        _write_atomic(path, text)
        return
    path.unlink(missing_ok=True)
    if remove_dir:
        with contextlib.suppress(OSError):  # not empty: someone else's files are there now
            path.parent.rmdir()


def _exclude_file(checkout: Path) -> Path:
    raw = git.run(checkout, "rev-parse", "--git-path", "info/exclude").text().strip()
    return checkout / raw  # relative paths are relative to the checkout


def _ignore(checkout: Path, target: Path) -> str | None:
    """Have git ignore the personal settings file, as Claude Code does when it creates one, so a
    `git add -A` does not commit personal guardrails; the line added, None when already ignored."""
    rel = target.relative_to(checkout).as_posix()
    if git.run(checkout, "check-ignore", "-q", "--", rel, check=False).ok:
        return None
    line = "/" + rel
    path = _exclude_file(checkout)
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    _write_atomic(path, text + ("" if not text or text.endswith("\n") else "\n") + line + "\n")
    return line


def _unignore(checkout: Path, line: str | None) -> None:
    """Take out the one line `_ignore` added, leaving the rest of the file as it is."""
    path = _exclude_file(checkout)
    if line is None or not path.exists():
        return
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    for index, text in enumerate(lines):
        if text.rstrip("\r\n") == line:
            del lines[index]
            _write_atomic(path, "".join(lines))
            return


def load_record(checkout: Path) -> Installed | None:
    path = statepaths.guard_dir(checkout) / RECORD
    if not path.is_file():
        return None
    try:
        return Installed(**json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, TypeError) as exc:
        raise UserError(
            f"{path} is damaged ({exc}); delete it and remove the hook by hand"
        ) from exc


def install(
    checkout: Path, rules: ScopeRules, kind: SettingsKind, python: str | None = None
) -> tuple[Installed, Installed | None]:
    """Write the rules and merge the hook into the checkout's settings; returns the new record and
    the one it replaced. Every file is read and checked before the first is written."""
    folder = statepaths.guard_dir(checkout)
    target = checkout / SETTINGS_FILES[kind]
    previous = load_record(checkout)
    moving = previous is not None and previous.path != target
    if previous is not None and not moving:
        base = stripped(previous)
        created_dir = previous.created_dir
    else:
        base = read_settings(target)[0]
        # both files share `.claude`: when the install being moved created it, this one owns it
        inherited = previous is not None and previous.created_dir
        created_dir = inherited or not target.parent.exists()
    old_text = stripped(previous) if previous is not None and moving else None
    keep_exclude = previous is not None and not moving
    data: dict[str, Any] = json.loads(base) if base is not None else {}
    created_hooks = "hooks" not in data
    hooks = data.setdefault("hooks", {})
    created_list = "PreToolUse" not in hooks
    entry = hook_entry(folder / RULES, python)
    hooks.setdefault("PreToolUse", []).append(entry)

    folder.mkdir(parents=True, exist_ok=True)
    _write_atomic(folder / RULES, json.dumps(asdict(rules), indent=2) + "\n")
    _write_atomic(target, _dump(data))
    if previous is not None and moving:
        _put(previous.path, old_text, previous.created_dir)
        _unignore(checkout, previous.exclude)
    if keep_exclude and previous is not None:
        exclude = previous.exclude
    else:
        exclude = _ignore(checkout, target) if kind == SettingsKind.local else None
    record = Installed(str(target), entry, base, created_dir, created_hooks, created_list, exclude)
    _write_atomic(folder / RECORD, json.dumps(asdict(record), indent=2) + "\n")
    return record, previous


def uninstall(checkout: Path) -> Installed | None:
    """Take out what install added (see the module docstring); None when nothing is installed."""
    record = load_record(checkout)
    if record is None:
        return None
    _put(record.path, stripped(record), record.created_dir)
    _unignore(checkout, record.exclude)
    folder = statepaths.guard_dir(checkout)
    for name in (RULES, RECORD):
        (folder / name).unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        folder.rmdir()
    return record
