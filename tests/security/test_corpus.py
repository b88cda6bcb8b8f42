"""The labelled taint corpus is well formed: a broken case would silently skew the benchmark."""

from __future__ import annotations

import ast
from collections import Counter

import pytest

from tests.security.corpus import SAFE, VULN, Case, load, parse

CASES = load()


def test_every_case_parses_and_is_labelled() -> None:
    for case in CASES:
        ast.parse(case.source, filename=case.id)
        assert case.cwe.startswith("CWE-"), case.id
        assert case.label in (VULN, SAFE), case.id


def test_ids_and_paths_are_unique() -> None:
    assert len({c.id for c in CASES}) == len(CASES)
    assert len({c.path for c in CASES}) == len(CASES)


@pytest.mark.parametrize("cwe", sorted({c.cwe for c in CASES}))
def test_each_class_has_25_cases_and_both_labels_in_dev_and_held_out(cwe: str) -> None:
    cases = [c for c in CASES if c.cwe == cwe]
    labels = Counter(c.label for c in cases)
    assert len(cases) >= 25
    assert min(labels[VULN], labels[SAFE]) >= len(cases) // 3
    assert {c.label for c in cases if c.held_out} == {VULN, SAFE}
    assert {c.label for c in cases if not c.held_out} == {VULN, SAFE}


def test_the_classes_of_the_issue_are_all_there() -> None:
    wanted = {78, 89, 94, 22, 502, 611, 79, 601, 90, 643, 501, 614, 328, 330}
    assert {f"CWE-{n}" for n in wanted} <= {c.cwe for c in CASES}


def test_the_held_out_cases_are_fixed_by_number() -> None:
    text = "\n# --- 1 vuln\nx = 1\n# --- 8 safe\ny = 2\n"
    assert parse("CWE-1", text) == [
        Case("cwe1-01", "CWE-1", VULN, "x = 1\n", held_out=False),
        Case("cwe1-08", "CWE-1", SAFE, "y = 2\n", held_out=True),
    ]
