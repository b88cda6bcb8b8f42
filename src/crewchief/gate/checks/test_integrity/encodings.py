"""Python files that Python reads differently from the diff a reviewer reads.

The analyses of this check parse what Python runs (`pysource`), so a hook hidden in a utf-7
"comment" is found; but any code hidden that way, in a test or not, escaped review. A file whose
valid UTF-8 text decodes to other text under its coding cookie blocks; one in a legacy encoding
(not valid UTF-8, shown garbled) only asks for review. A file that read so at base is not new.
"""

from __future__ import annotations

from crewchief.gate.analysis import pysource
from crewchief.gate.change import FileChange, Side
from crewchief.gate.checks.test_integrity.rules import RULES
from crewchief.gate.findings import Finding, Severity, fingerprint


def _differs(side: Side | None) -> bool:
    return (
        side is not None
        and side.path.endswith((".py", ".pyi"))
        and side.data is not None
        and not side.is_symlink
        and not side.is_binary
        and pysource.reads_differently(side.data)
    )


def findings(files: tuple[FileChange, ...]) -> list[Finding]:
    out: list[Finding] = []
    for f in files:
        new = f.new
        if new is None or new.data is None or not _differs(new) or _differs(f.old):
            continue
        hidden = pysource.hides_code(new.data)
        rule = RULES["source-decoded-differently"]
        codec = pysource.encoding(new.data)
        what = (
            "the text a reviewer reads as UTF-8 is not the code Python runs"
            if hidden
            else "a reviewer sees it garbled as UTF-8"
        )
        out.append(
            rule.finding(
                f"{new.path} declares the {codec} encoding: {what}",
                path=new.path,
                line=1,
                fingerprint=fingerprint(rule.id, new.path),
                severity=None if hidden else Severity.MEDIUM,
                blocking=None if hidden else False,
            )
        )
    return out
