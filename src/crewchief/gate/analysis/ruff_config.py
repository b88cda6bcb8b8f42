"""Which ruff configuration the quality check lints with, and what to do when ruff rejects it.

Without a ruff configuration in the repository, ruff's own defaults are the wrong choice: hundreds
of rules (pyupgrade, import sorting) report the style of a codebase that never adopted them, which
is noise on every change. `DEFAULT_SELECT` is a conservative set that finds defects, not style.

A repository's configuration can name options the installed ruff does not know (written for a newer
or older ruff), and ruff then refuses to run at all. The retry writes a cleaned copy of the
configuration rather than running `--isolated` with the repository's `select`/`ignore`: isolation
would also drop everything else the repository set (per-file-ignores that allow asserts in tests or
re-exports in `__init__`, `dummy-variable-rgx`, rule options, excludes, line length, target
version), and each of those would come back as noise the repository had already silenced. The
cleaned copy keeps every option the installed ruff understands and drops only the rest. Unknown
keys are found against ruff's own list of options (`ruff config --output-format json`), not by
reading its error message, because ruff names only the first bad key and its wording changes
between versions; the message is read only for what a key list cannot tell (an unknown rule code
in `select`, a `required-version` this ruff does not meet, an `extend` file outside the scratch
tree). When nothing works the default set runs, and each path ends in a note, never a check error.
"""

from __future__ import annotations

import functools
import json
import math
import re
import sys
import tempfile
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crewchief import proc
from crewchief.gate.change import Change

DEFAULT_SELECT = ("F", "E9", "B", "PLE")
"""pyflakes (F), syntax errors (E9), bugbear (B) and pylint's error rules (PLE)."""
CONFIG_FILES = (".ruff.toml", "ruff.toml", "pyproject.toml")
"""ruff's own precedence when one directory holds several."""
_MAX_RETRIES = 6
_SELECTOR_LISTS = ("select", "extend-select", "ignore", "extend-ignore", "fixable", "unfixable")


@dataclass(frozen=True)
class RuffSetup:
    files: dict[str, bytes]
    """Configuration files to lay out next to the linted files (none: `--isolated`)."""
    select: tuple[str, ...]
    """Rules to select when `files` is empty."""
    detail: str
    """How the check linted, for the check's detail."""
    dropped: tuple[str, ...] = ()
    """What was removed from a configuration ruff rejected (empty: it was accepted as is)."""
    source: str | None = None
    """The configuration file the repository's settings came from."""
    rejection: str = ""
    """ruff's first complaint about the repository's configuration."""

    def to_json(self) -> dict[str, Any]:
        return {
            "files": {k: v.hex() for k, v in self.files.items()},
            "select": list(self.select),
            "detail": self.detail,
            "dropped": list(self.dropped),
            "source": self.source,
            "rejection": self.rejection,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RuffSetup:
        return cls(
            {k: bytes.fromhex(v) for k, v in data["files"].items()},
            tuple(data["select"]),
            data["detail"],
            tuple(data["dropped"]),
            data["source"],
            data["rejection"],
        )


def ruff_binary() -> str:
    candidate = Path(sys.executable).with_name("ruff")
    return str(candidate) if candidate.exists() else "ruff"


def ruff_identity() -> str:
    """Changes when the installed ruff does: what it rejects depends on its version."""
    binary = ruff_binary()
    try:
        stat = Path(binary).stat()
    except OSError:
        return binary
    return f"{binary}:{stat.st_size}:{stat.st_mtime_ns}"


def repo_config(change: Change) -> dict[str, bytes]:
    """The repository's ruff configuration files at the base (a pyproject.toml only with
    [tool.ruff])."""
    files: dict[str, bytes] = {}
    for name in (".ruff.toml", "ruff.toml"):
        if name in change.context:
            files[name] = change.context[name]
    pyproject = change.context.get("pyproject.toml")
    if pyproject is not None:
        try:
            if "ruff" in tomllib.loads(pyproject.decode("utf-8", "replace")).get("tool", {}):
                files["pyproject.toml"] = pyproject
        except tomllib.TOMLDecodeError:
            pass
    return files


def default_setup(select: tuple[str, ...], why: str) -> RuffSetup:
    """Lint with the policy's `ruff_select` or, without one, `DEFAULT_SELECT`; the detail leads with
    the rule set, since a text report shows only its first 70 characters."""
    if select:
        return RuffSetup({}, select, f"{why}: [quality] ruff_select {', '.join(select)}")
    return RuffSetup(
        {},
        DEFAULT_SELECT,
        f"{why}: default defect rules {', '.join(DEFAULT_SELECT)} (pyflakes, syntax errors, "
        "bugbear, pylint errors), not ruff's style defaults",
    )


def resolve(files: dict[str, bytes], policy_select: tuple[str, ...]) -> RuffSetup:
    """The setup to lint with: the repository's configuration if ruff accepts it, else a cleaned
    copy, else the default rule set (see the module docstring for why this order)."""
    if not files:
        return default_setup(policy_select, "no ruff configuration")
    source = next(name for name in CONFIG_FILES if name in files)
    rejection = probe(files)
    if rejection is None:
        return RuffSetup(files, (), f"linted under the repository's ruff configuration ({source})")
    try:
        document = tomllib.loads(files[source].decode("utf-8", "replace"))
    except tomllib.TOMLDecodeError:
        return _fallback(policy_select, source, rejection, ("the whole file (not valid TOML)",))
    table = document.get("tool", {}).get("ruff", {}) if source == "pyproject.toml" else document
    cleaned, dropped = clean_table(table, known_options())
    for _ in range(_MAX_RETRIES):
        candidate = {**files, source: _render_config(source, document, cleaned)}
        complaint = probe(candidate)
        if complaint is None:
            detail = (
                f"linted under the repository's ruff configuration ({source}) without the "
                f"options the installed ruff rejected: {', '.join(dropped)}"
            )
            return RuffSetup(candidate, (), detail, tuple(dropped), source, rejection)
        removed = drop_rejected(cleaned, complaint)
        if not removed:
            break
        dropped.extend(removed)
    return _fallback(policy_select, source, rejection, ("the whole configuration",))


def _fallback(
    select: tuple[str, ...], source: str, rejection: str, dropped: tuple[str, ...]
) -> RuffSetup:
    setup = default_setup(select, f"ruff rejected the repository's configuration ({source})")
    return RuffSetup({}, setup.select, setup.detail, dropped, source, rejection)


def probe(files: dict[str, bytes]) -> str | None:
    """None when ruff accepts the configuration, else its complaint (first lines of stderr)."""
    with tempfile.TemporaryDirectory(prefix="crewchief-ruff-probe-") as tmp:
        root = Path(tmp)
        for name, data in files.items():
            (root / name).write_bytes(data)
        (root / "probe.py").write_bytes(b"")
        argv = (ruff_binary(), "check", "--no-cache", "--exit-zero", "--quiet", "probe.py")
        outcome = proc.run(proc.Request(argv, cwd=root, timeout=60))
    if outcome.returncode == 0:
        return None
    text = outcome.stderr.decode("utf-8", "replace").replace(str(root), "")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return " ".join(lines[:8])[:600] or f"ruff exited {outcome.returncode}"


@functools.cache
def known_options(binary: str | None = None) -> frozenset[str]:
    """Every option the installed ruff knows, dotted (`lint.select`, `lint.isort.known-first-party`)."""
    argv = (binary or ruff_binary(), "config", "--output-format", "json")
    outcome = proc.run(proc.Request(argv, timeout=60))
    if outcome.returncode != 0:
        return frozenset()
    try:
        return frozenset(json.loads(outcome.stdout))
    except (json.JSONDecodeError, TypeError):
        return frozenset()


def clean_table(table: dict[str, Any], known: frozenset[str]) -> tuple[dict[str, Any], list[str]]:
    """A copy of `table` without the keys `known` lacks; returns it with the dropped dotted keys.

    Top-level lint options (`select` beside `line-length`) are ruff's deprecated but accepted form,
    so a top-level key also counts as known when `lint.<key>` is. An empty `known` (ruff could not
    list its options) keeps everything."""
    if not known:
        return dict(table), []
    sections = {k.rsplit(".", i)[0] for k in known for i in range(1, k.count(".") + 1)}
    dropped: list[str] = []

    def walk(node: dict[str, Any], prefix: str) -> dict[str, Any]:
        kept: dict[str, Any] = {}
        for key, value in node.items():
            path = f"{prefix}{key}"
            aliases = (path, f"lint.{path}") if not prefix else (path,)
            if any(a in known for a in aliases):
                kept[key] = value
            elif isinstance(value, dict) and any(a in sections for a in aliases):
                kept[key] = walk(value, f"{path}.")
            else:
                dropped.append(path)
        return kept

    return walk(table, ""), dropped


def drop_rejected(table: dict[str, Any], complaint: str) -> list[str]:
    """Remove what ruff's complaint names from `table` in place; returns what went (empty: the
    complaint names nothing this function knows how to remove)."""
    removed: list[str] = []
    selector = re.search(r"[Uu]nknown rule selector:? `([^`]+)`", complaint)
    if selector:
        code = selector.group(1)
        for section in (table, table.get("lint")):
            if not isinstance(section, dict):
                continue
            for key in _SELECTOR_LISTS:
                values = section.get(key)
                if isinstance(values, list) and code in values:
                    section[key] = [v for v in values if v != code]
                    removed.append(f"{key} {code}")
    field = re.search(r"unknown field `([^`]+)`", complaint)
    for path, node in _tables(table, ""):
        if field and field.group(1) in node:
            del node[field.group(1)]
            removed.append(f"{path}{field.group(1)}")
    if "required-version" in table and "Required version" in complaint:
        del table["required-version"]
        removed.append("required-version")
    extend = table.get("extend")
    if not removed and isinstance(extend, str) and extend.lstrip("./") in complaint:
        del table["extend"]  # the file it names is not in the scratch tree
        removed.append("extend")
    return removed


def _tables(node: dict[str, Any], prefix: str) -> Iterator[tuple[str, dict[str, Any]]]:
    yield prefix, node
    for key, value in list(node.items()):
        if isinstance(value, dict):
            yield from _tables(value, f"{prefix}{key}.")


def _render_config(source: str, document: dict[str, Any], table: dict[str, Any]) -> bytes:
    """The cleaned configuration under its original name; a pyproject.toml keeps
    `project.requires-python`, which ruff reads for the target version."""
    if source != "pyproject.toml":
        return dump_toml(table).encode()
    wrapped: dict[str, Any] = {"tool": {"ruff": table}}
    requires = document.get("project", {}).get("requires-python")
    if isinstance(requires, str):
        wrapped["project"] = {"requires-python": requires}
    return dump_toml(wrapped).encode()


def dump_toml(table: dict[str, Any], prefix: str = "") -> str:
    """TOML for the plain values a ruff configuration holds (tomllib reads but does not write)."""
    lines: list[str] = []
    nested: list[tuple[str, dict[str, Any]]] = []
    for key, value in table.items():
        name = f"{prefix}{json.dumps(str(key), ensure_ascii=False)}"
        if isinstance(value, dict):
            nested.append((name, value))
        else:
            lines.append(f"{json.dumps(str(key), ensure_ascii=False)} = {_toml_value(value)}")
    text = (f"[{prefix.rstrip('.')}]\n" if prefix and lines else "") + "".join(
        f"{line}\n" for line in lines
    )
    for name, value in nested:
        text += dump_toml(value, f"{name}.")
    return text


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        return repr(value) if math.isfinite(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        items = (
            f"{json.dumps(str(k), ensure_ascii=False)} = {_toml_value(v)}" for k, v in value.items()
        )
        return "{" + ", ".join(items) + "}"
    return json.dumps(str(value), ensure_ascii=False)
