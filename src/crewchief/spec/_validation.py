"""Turns a pydantic ValidationError into the one line a person can act on."""

from __future__ import annotations

from pydantic import ValidationError


def one_line(source: str, error: ValidationError, prefix: str = "") -> str:
    errors = error.errors()
    first = errors[0]
    loc = ".".join(str(part) for part in first["loc"]) or "(top level)"
    key = f"{prefix}{loc}" if loc != "(top level)" else (prefix.rstrip(".") or loc)
    kind = first["type"]
    if kind == "extra_forbidden":
        message = "unknown key (check the spelling; see 'crewchief init' for the known keys)"
    elif kind == "missing":
        message = "required key is missing"
    else:
        value = first.get("input")
        shown = repr(value)
        if len(shown) > 60:
            shown = shown[:57] + "..."
        message = f"{first['msg']} (got {shown})"
    more = (
        f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})"
        if len(errors) > 1
        else ""
    )
    return f"{source}: {key}: {message}{more}"


def check_globs(values: list[str]) -> list[str]:
    """Reject globs whose character classes are not valid (`[z-a]`), before any matching."""
    import re

    from crewchief.spec.globs import compile_glob

    for glob in values:
        try:
            compile_glob(glob)
        except re.error as exc:
            raise ValueError(f"invalid glob {glob!r}: {exc}") from None
    return values
