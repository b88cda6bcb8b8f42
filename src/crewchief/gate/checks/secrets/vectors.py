"""Values that look secret but are judged by how they are used: test vectors and shared env files.

A test that checks an HMAC implementation against RFC 4231 holds the published key and digest, in a
variable that may well be called `expected_token`; blocking it teaches people to silence the check.
In a test file, a random-looking value that the test compares with the code's output (on an
`assert` or comparison line, directly or through the name it is assigned to) is a test vector: it
is still reported, at low severity, so a real key pasted into an assertion is not invisible.
Provider-format tokens (`ghp_...`) are never test vectors: real ones get committed in tests too.

A `.env.test` or `.env.ci` whose values are ports, flags and hostnames is configuration meant to be
shared; an env file is a secret by its content, not its name.
"""

from __future__ import annotations

import re

from crewchief.gate.checks.secrets import rules as sr

_COMPARISON = re.compile(
    r"\bassert\w*\b|==|!=|\bcompare_digest\b|\bassert(?:Equal|Equals|NotEqual)\b|\.verify\("
)
_DOTENV_LINE = re.compile(
    r"^\s*(?:export\s+)?(?P<name>[A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(?P<value>[^#\n]*?)\s*(?:#.*)?$"
)

DOTENV_VALUE = re.compile(r"^\s*(?:export\s+)?[A-Za-z_][A-Za-z0-9_.-]*\s*=\s*\S")
_PRIVATE_DOTENV = re.compile(r"(?i)^\.env$|local|prod|staging|secret|private|live")
"""Env files that are private by convention (`.env`, `.env.local`, `.env.production`): any value
in them blocks. Others (`.env.test`, `.env.ci`, `.env.development`) are judged by their values."""


def private_dotenv(name: str) -> bool:
    return bool(_PRIVATE_DOTENV.search(name))


def compared(lines: tuple[str, ...], lineno: int, name: str) -> bool:
    """The value on `lineno` (assigned to `name`) is compared with something in this file."""
    line = lines[lineno - 1] if 0 < lineno <= len(lines) else ""
    if _COMPARISON.search(line):
        return True
    if not name or not re.fullmatch(r"[A-Za-z_]\w*", name):
        return False
    used = re.compile(rf"\b{re.escape(name)}\b")
    return any(
        number != lineno and used.search(text) and _COMPARISON.search(text)
        for number, text in enumerate(lines, 1)
    )


def dotenv_secret(lines: tuple[str, ...]) -> bool:
    """Some `NAME=value` line holds a value that looks like a credential: any non-placeholder
    value under a secret-looking name, a random blob, a provider token or a URL with a password."""
    for line in lines:
        match = _DOTENV_LINE.match(line[:600])
        if match is None:
            continue
        value = match.group("value").strip().strip("\"'")
        kind = sr.secret_name_kind(match.group("name"))
        strength = sr.value_strength(value, password_like=kind == "password") if value else None
        if strength is not None and kind is not None:
            return True
        if strength == "strong" and not any(c in value for c in "/:."):
            return True  # a random blob under a plain name; a URL or path is not one
        if sr.token_hits(line[:600]) or sr.url_hits(line[:600]):
            return True
    return False
