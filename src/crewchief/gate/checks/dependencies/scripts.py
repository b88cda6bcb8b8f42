"""PEP 723 inline script metadata: a `.py` file that declares its own dependencies.

`uv run script.py` and `pipx run` install what a `# /// script` block lists before running the
file, so the block is a manifest like any other even though no tool reading manifests by file name
sees it; its `[tool.uv]` table may also point the installer at another index.
"""

from __future__ import annotations

import re
import tomllib

_BLOCK = re.compile(r"(?m)^# /// (?P<type>[a-zA-Z0-9-]+)$\s(?P<content>(^#(| .*)$\s)+)^# ///$")
MARKER = "# /// script"


def has_script_block(text: str) -> bool:
    """Cheap test first: the marker must start a line."""
    return MARKER in text and any(m.group("type") == "script" for m in _BLOCK.finditer(text))


def script_block(text: str) -> tuple[int, str] | None:
    """(line of the opening marker, TOML body) of the first `script` block, as PEP 723 reads it."""
    for match in _BLOCK.finditer(text):
        if match.group("type") != "script":
            continue
        body = "".join(
            line[2:] if line.startswith("# ") else line[1:]
            for line in match.group("content").splitlines(keepends=True)
        )
        return text.count("\n", 0, match.start()) + 1, body
    return None


def parse_block(body: str) -> dict[str, object] | str:
    """The block's TOML, or why it does not parse (the runner then refuses the script)."""
    try:
        return tomllib.loads(body)
    except tomllib.TOMLDecodeError as exc:
        return f"invalid script metadata: {exc}"
