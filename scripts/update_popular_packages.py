"""Regenerate the well-known package lists the `dependencies` check compares new names against.

The lists are data the project maintains: a name one or two edits away from a well-known package is
flagged as a likely typosquat or hallucination, so the list must be broad (most of what people
install) and must not drift silently. This script rebuilds them from a tab-separated dump of a
registry's packages whose first line names the columns:

    python scripts/update_popular_packages.py pypi PYPI_TSV [--out src/crewchief/data/popular-pypi.txt]
    python scripts/update_popular_packages.py npm NPM_TSV [--top 5000] [--out ...]

pypi: every package with a download rank (column `rank_among_15000_most_downloaded`).
npm: the `--top` packages with the most downloads (column `downloads_a_month`).
Names are written canonical (PEP 503 for pypi, lower case for npm), one per line, sorted.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "src" / "crewchief" / "data"
_SEP = re.compile(r"[-_.]+")
_PYPI_NAME = re.compile(r"^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$", re.IGNORECASE)


def canonical(ecosystem: str, name: str) -> str:
    return _SEP.sub("-", name).lower() if ecosystem == "pypi" else name.lower()


def _rows(path: Path) -> Iterator[dict[str, str]]:
    csv.field_size_limit(sys.maxsize)
    with open(path, encoding="utf-8", errors="replace", newline="") as fh:
        yield from csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)


def _int(value: str | None) -> int | None:
    try:
        return int(value or "")
    except ValueError:
        return None


def pypi_names(rows: Iterable[dict[str, str]]) -> set[str]:
    names = set()
    for row in rows:
        name = row.get("name") or ""
        if _int(row.get("rank_among_15000_most_downloaded")) is not None and _PYPI_NAME.match(name):
            names.add(canonical("pypi", name))
    return names


def npm_names(rows: Iterable[dict[str, str]], top: int) -> set[str]:
    ranked = []
    for row in rows:
        downloads = _int(row.get("downloads_a_month"))
        name = (row.get("name") or "").strip()
        if downloads is not None and name and not any(c.isspace() for c in name):
            ranked.append((-downloads, name))
    ranked.sort()
    return {canonical("npm", name) for _, name in ranked[:top]}


HEADER = """\
# Well-known {ecosystem} package names ({count}), canonical, one per line, sorted.
# {what}
# The dependencies check flags new names one or two edits away from these.
# Regenerate: python scripts/update_popular_packages.py {ecosystem} TSV_DUMP
"""


def write(path: Path, ecosystem: str, names: set[str], what: str) -> None:
    header = HEADER.format(ecosystem=ecosystem, count=len(names), what=what)
    path.write_text(header + "".join(f"{n}\n" for n in sorted(names)), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("ecosystem", choices=("pypi", "npm"))
    parser.add_argument("tsv", type=Path, help="tab-separated dump of the registry's packages")
    parser.add_argument("--top", type=int, default=5000, help="npm: how many to keep")
    parser.add_argument(
        "--out", type=Path, help="default: src/crewchief/data/popular-ECOSYSTEM.txt"
    )
    args = parser.parse_args(argv)
    out = args.out or DATA / f"popular-{args.ecosystem}.txt"
    if args.ecosystem == "pypi":
        names = pypi_names(_rows(args.tsv))
        what = "Source: every package with a download rank in the registry dump."
    else:
        names = npm_names(_rows(args.tsv), args.top)
        what = f"Source: the {args.top} most downloaded packages in the registry dump."
    if not names:
        print(f"{args.tsv}: no ranked packages found; is it the right file?", file=sys.stderr)
        return 1
    write(out, args.ecosystem, names, what)
    print(f"wrote {len(names)} names to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
