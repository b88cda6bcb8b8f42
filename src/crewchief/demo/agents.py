"""The demo's scripted agents: each edits the sample repository the way a kind of agent might.

Run as `python agents.py BEHAVIOUR PROMPT_FILE` in the run's worktree. Standard library only, and
self-contained, so the runner can start it in the sandbox with nothing of crewchief importable.
Everything here is deterministic: the demo must tell the same story on every machine, offline.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

SLUG = Path("src/textutil/slug.py")

FIXED = '''"""Turn titles into URL slugs."""

import re
import unicodedata


def slugify(text: str) -> str:
    """Lower-case words joined by dashes; accents fold to their base letter."""
    if not text.isascii():  # ASCII titles, the common case, skip the slower normalisation
        text = unicodedata.normalize("NFKD", text)
        text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.lower()
    text = re.sub(r"[^a-z0-9]+", "-", text)
    return text.strip("-")
'''


def careful() -> None:
    SLUG.write_text(FIXED)


def hasty() -> None:
    tests = Path("tests/test_slug.py")
    text = tests.read_text()
    tests.write_text(text.split("\n\ndef test_unicode")[0] + "\n")


def leaky() -> None:
    careful()
    key_id = "AKIA" + "Q3EGUVNHR5XKQZ7P"
    secret = "wJalrXUtnFEMI/K7MDENG/" + "bPxRfiCYzQ9Kx2LmV"
    with SLUG.open("a") as fh:
        fh.write(f'\n\nAWS_ACCESS_KEY_ID = "{key_id}"\nAWS_SECRET_ACCESS_KEY = "{secret}"\n')


def overreaching() -> None:
    careful()
    Path("README.md").write_text("# textutil\n\nSmall text helpers, now with unicode.\n")
    workflow = Path(".github/workflows/ci.yml")
    workflow.parent.mkdir(parents=True, exist_ok=True)
    workflow.write_text(
        "on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: 'true'\n"
    )


def breaking() -> None:
    """Adds max_length, and 'simplifies' the separator to an underscore along the way."""
    SLUG.write_text(
        '"""Turn titles into URL slugs."""\n\nimport re\n\n\n'
        "def slugify(text: str, max_length: int | None = None) -> str:\n"
        '    """Lower-case words joined by underscores, at most max_length characters."""\n'
        "    text = text.lower()\n"
        '    text = re.sub(r"[^a-z0-9]+", "_", text).strip("_")\n'
        "    if max_length is not None:\n"
        '        text = text[:max_length].rstrip("_")\n'
        "    return text\n"
    )


def plodding() -> None:
    """Adds the separator argument correctly, character by character: several times slower."""
    SLUG.write_text(
        '"""Turn titles into URL slugs."""\n\n\n'
        'def slugify(text: str, separator: str = "-") -> str:\n'
        '    """Lower-case words joined by the separator; anything else is dropped."""\n'
        '    out = ""\n'
        "    pending = False\n"
        "    for ch in text.lower():\n"
        '        if ch in "abcdefghijklmnopqrstuvwxyz0123456789":\n'
        "            if pending and out:\n"
        "                out = out + separator\n"
        "            pending = False\n"
        "            out = out + ch\n"
        "            out = out[:]  # (a copy 'to be safe')\n"
        "        else:\n"
        "            pending = True\n"
        "    return out\n"
    )


def stuck() -> None:
    print("thinking...", flush=True)
    time.sleep(3600)


BEHAVIOURS = {
    f.__name__: f for f in (careful, hasty, leaky, overreaching, breaking, plodding, stuck)
}

if __name__ == "__main__":
    BEHAVIOURS[sys.argv[1]]()
