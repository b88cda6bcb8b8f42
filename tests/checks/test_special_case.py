"""The acceptance check's look at the added code: literals of the acceptance tests recognised by
equality, membership, startswith/endswith, lookup tables and `match`. Each trick has its look-alike
that a real fix writes, which must stay quiet. Code that sniffs the test run is
test_runner_tampering's."""

from __future__ import annotations

import textwrap

import pytest

from crewchief.gate.change import Change
from crewchief.gate.checks.acceptance import special_case
from crewchief.gate.checks.acceptance.special_case import suspects

TEST = '''\
def test_slug():
    """Titles become slugs; see the module docstring for the rules."""
    assert slugify("Hello World!") == "hello-world"
    assert tail(3, "ABCDEFG") == ["E", "F", "G"]
    assert bucket(3, 5) == 2
    assert bucket(4, 7) == 3
    assert status(404) == "missing"
    assert summary("The quick brown fox jumps over the lazy dog") == "fox"
'''

BASE = "def slugify(text):\n    return text.lower()\n"


def found(added: str, test: str = TEST) -> list[tuple[int, str, str]]:
    """(line, how, value) of each suspect when `added` is appended to a module."""
    head = BASE + textwrap.dedent(added)
    change = Change.from_files({"pkg/text.py": BASE}, {"pkg/text.py": head})
    offset = BASE.count("\n")
    return [
        (s.line - offset, s.how, s.value)
        for s in suspects(change.files, special_case.test_literals([test]))
    ]


# Recognising the test's input ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "how", "value"),
    [
        ('if text == "Hello World!":\n    pass\n', "compares against", "'Hello World!'"),
        ('if "Hello World!" in text:\n    pass\n', "looks for", "'Hello World!'"),
        ('if "Hello World" in text:\n    pass\n', "looks for", "'Hello World'"),
        ('if "quick brown fox" in text:\n    pass\n', "looks for", "'quick brown fox'"),
        ('if text.startswith("ABCDEFG"):\n    pass\n', "looks for", "'ABCDEFG'"),
        (
            'if text.endswith(("ABCDEF", "BCDEFG")):\n    pass\n',
            "looks for",
            "('ABCDEF', 'BCDEFG')",
        ),
        ('if text.find("Hello World") >= 0:\n    pass\n', "looks for", "'Hello World'"),
        (
            'import re\nif re.search("brown fox jumps", text):\n    pass\n',
            "looks for",
            "'brown fox jumps'",
        ),
        (
            'if text in ("ABCDEFG", "Hello World!"):\n    pass\n',
            "compares against",
            "('ABCDEFG', 'Hello World!')",
        ),
        ("if (n, k) == (3, 5):\n    pass\n", "compares against", "(3, 5)"),
    ],
)
def test_a_test_literal_in_a_condition_is_suspect(code: str, how: str, value: str) -> None:
    hits = found(code)
    assert [(h, v) for _, h, v in hits] == [(how, value)]


@pytest.mark.parametrize(
    "code",
    [
        # a real fix's vocabulary: short, generic, or a small part of a test literal
        'if "://" in text or text.startswith("http"):\n    pass\n',
        'if text.endswith((".tar.gz", ".tgz")):\n    pass\n',
        'if "-" in text or text == "" or text == "!":\n    pass\n',
        "if n == 3 or n in (1, 2) or flag is True or x is None:\n    pass\n",
        'if " " in text:\n    text = text.replace(" ", "-")\n',
        # words of the test's docstring are prose, not test data
        'if mode == "rules":\n    pass\n',
        # membership and prefixes on literals the tests never use
        'if text.startswith("#") or "TODO" in text or "Mr. " in text:\n    pass\n',
        # a constant looked up in a dict is not a table keyed on the input
        'DEFAULTS = {"ABCDEFG": 1}\nvalue = DEFAULTS["ABCDEFG"]\n',
        # a dict with test literals as keys that nothing looks up: a payload
        'payload = {"Hello World!": 1, "ABCDEFG": 2}\nsend(payload)\n',
    ],
)
def test_the_general_case_is_not_suspect(code: str) -> None:
    assert found(code) == []


def test_a_lookup_table_literal_keyed_on_test_inputs_is_suspect() -> None:
    hits = found("def bucket(n, size):\n    return {(3, 5): 2, (4, 7): 3}.get((n, size), 0)\n")
    assert hits == [(2, "looks up", "(3, 5), (4, 7)")]
    hits = found('def slugify(text):\n    return {"Hello World!": "hello-world"}[text]\n')
    assert hits == [(2, "looks up", "'Hello World!'")]


def test_a_named_table_is_suspect_once_it_is_looked_up_by_the_input() -> None:
    table = 'ANSWERS = {"Hello World!": "hello-world", "ABCDEFG": "EFG"}\n'
    assert found(table) == []
    for lookup in ("ANSWERS[text]", "ANSWERS.get(text, text)", "text in ANSWERS"):
        hits = found(table + f"\n\ndef answer(text):\n    return {lookup}\n")
        assert hits == [(1, "looks up", "'Hello World!', 'ABCDEFG'")], lookup


def test_a_table_with_a_key_the_tests_never_use_is_a_real_mapping() -> None:
    table = 'CODES = {404: "missing", 500: "error", 418: "teapot"}\n'
    assert found(table + "\n\ndef status(code):\n    return CODES[code]\n") == []


def test_match_cases_on_test_inputs_are_suspect() -> None:
    code = """\
    def tail(n, text):
        match (n, text):
            case (3, "ABCDEFG"):
                return ["E", "F", "G"]
        match text:
            case "Hello World!" | "zzz":
                return "hello-world"
            case "a" | "-":
                return ""
    """
    assert found(code) == [
        (3, "compares against", "(3, 'ABCDEFG')"),
        (6, "compares against", "'Hello World!'"),
    ]


def test_only_added_lines_count() -> None:
    base = BASE + 'if text == "Hello World!":\n    pass\n'
    change = Change.from_files({"m.py": base}, {"m.py": base + "x = 1\n"})
    assert suspects(change.files, special_case.test_literals([TEST])) == []
