"""The labelled taint corpus: small vulnerable and safe programs, one module per weakness class.

Each module under `cases/` holds one string, `CASES`, in which every case starts with a header line
`# --- <number> <vuln|safe>` and runs to the next header. The class module names its CWE. A case's
id is `cwe<N>-<number>`; the cases numbered 3, 8, 11, 16, 19, 24 (number mod 8 is 0 or 3, fixed
before anything was measured; cases alternate vulnerable and safe, so this holds out both labels)
are held out: the taint engine is never tuned on them, and the benchmark reports their score apart
(benchmarks/security_accuracy.py).

Safe cases are written to look dangerous (constant branches, sanitizers, overwritten values, unused
tainted variables, parameterised queries), because a finding a reviewer cannot trust is noise.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
import textwrap
from dataclasses import dataclass

from tests.security import cases as _cases_pkg

VULN = "vuln"
SAFE = "safe"
_HEADER = re.compile(r"^# --- (\d+) (vuln|safe)[ \t]*$", re.MULTILINE)


@dataclass(frozen=True)
class Case:
    """One labelled program: its weakness class, whether it is vulnerable, and its source."""

    id: str
    cwe: str
    label: str
    source: str
    held_out: bool

    @property
    def vulnerable(self) -> bool:
        return self.label == VULN

    @property
    def path(self) -> str:
        """A file name for the case, as the benchmark lays the corpus out in one change."""
        return f"cases/{self.id.replace('-', '_')}.py"


def parse(cwe: str, text: str) -> list[Case]:
    """The cases of one class module's `CASES` string, in order."""
    headers = list(_HEADER.finditer(text))
    found: list[Case] = []
    for i, match in enumerate(headers):
        end = headers[i + 1].start() if i + 1 < len(headers) else len(text)
        number = int(match.group(1))
        body = textwrap.dedent(text[match.end() : end]).strip("\n") + "\n"
        case_id = f"{cwe.lower().replace('-', '')}-{number:02d}"
        found.append(Case(case_id, cwe, match.group(2), body, held_out=number % 8 in (0, 3)))
    return found


def load() -> list[Case]:
    """Every case of every class module, ordered by module name then case number."""
    found: list[Case] = []
    for info in sorted(pkgutil.iter_modules(_cases_pkg.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{_cases_pkg.__name__}.{info.name}")
        found.extend(parse(module.CWE, module.CASES))
    return found
