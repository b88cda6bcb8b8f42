"""Trojan Source: bidi controls, invisible characters and confusable identifiers on added lines."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from crewchief.gate.change import Change
from crewchief.gate.checks.security import unicode_safety
from crewchief.gate.findings import Finding, Severity

RLO = "\u202e"
LRI = "\u2066"
PDI = "\u2069"
ZWSP = "\u200b"
ZWJ = "\u200d"
CYRILLIC_A = "\u0430"


def scan(base: Mapping[str, str | bytes], head: Mapping[str, str | bytes]) -> list[Finding]:
    return unicode_safety.findings(Change.from_files(base, head))


def test_bidi_override_in_a_comment_blocks_as_critical() -> None:
    line = f'access = "user" # {RLO}{LRI}// check if admin{PDI}{LRI}\n'
    (finding,) = scan({}, {"auth.py": "x = 1\n" + line})
    assert finding.rule == "bidi-control"
    assert finding.severity is Severity.CRITICAL
    assert finding.blocking
    assert finding.cwe == "CWE-451"
    assert finding.line == 2
    assert "U+202E RIGHT-TO-LEFT OVERRIDE" in finding.message
    assert "U+2066" in finding.message
    for text in (finding.message, finding.snippet or ""):
        assert RLO not in text and LRI not in text and PDI not in text
    assert "<U+202E>" in (finding.snippet or "")


@pytest.mark.parametrize("cp", [0x202A, 0x202B, 0x202C, 0x202D, 0x2066, 0x2067, 0x2068, 0x2069])
def test_every_bidi_override_embedding_and_isolate_is_caught(cp: int) -> None:
    found = scan({}, {"a.js": f"let s = 'a{chr(cp)}b';\n"})
    assert [f.rule for f in found] == ["bidi-control"]
    found = scan({}, {"a.py": f"s = 'a{chr(cp)}b'\n"})
    assert [f.rule for f in found] == ["bidi-control"]


ARABIC_PO = 'msgid "%d files"\nmsgstr "\u200f%d \u0645\u0644\u0641\u0627\u062a"\n'


@pytest.mark.parametrize("cp", [0x200E, 0x200F, 0x61C])
def test_bidi_marks_in_data_files_and_python_text_are_not_trojan_source(cp: int) -> None:
    mark = chr(cp)
    assert scan({}, {"locale/ar/LC_MESSAGES/app.po": ARABIC_PO.replace("\u200f", mark)}) == []
    assert scan({}, {"a.js": f"let s = 'a{mark}b';\n"}) == []
    python = f'LABEL = "{mark}\u0645\u0644\u0641"  # {mark}\u0645\u0644\u0641\n'
    multi = f'HELP = """\n{mark}\u0645\u0644\u0641\n"""\n'
    assert scan({}, {"i18n.py": python, "help.py": multi}) == []


@pytest.mark.parametrize("cp", [0x200E, 0x200F, 0x61C])
def test_bidi_marks_in_python_code_outside_strings_still_block(cp: int) -> None:
    found = scan({}, {"a.py": f"x = 1{chr(cp)} + 2\n"})
    assert [(f.rule, f.blocking) for f in found] == [("bidi-control", True)]


def test_bidi_in_prose_still_blocks() -> None:
    found = scan({}, {"README.md": f"Hello {RLO}world\n"})
    assert [(f.rule, f.blocking) for f in found] == [("bidi-control", True)]


@pytest.mark.parametrize(
    "char", [ZWSP, "\u2060", "\u00ad", "\ufeff", "\U000e0041", "\u3164", "\u200c"]
)
def test_invisible_character_in_code_blocks_as_high(char: str) -> None:
    (finding,) = scan({}, {"app.py": f'ADMIN = "admin{char}"\n'})
    assert (finding.rule, finding.severity, finding.blocking) == (
        "invisible-character",
        Severity.HIGH,
        True,
    )
    assert f"U+{ord(char):04X}" in finding.message
    assert char not in finding.message


def test_invisible_character_in_prose_is_review_only() -> None:
    (finding,) = scan({}, {"docs/guide.rst": f"Run the{ZWSP} tool\n"})
    assert (finding.severity, finding.blocking) == (Severity.MEDIUM, False)


def test_byte_order_mark_at_file_start_is_fine() -> None:
    assert scan({}, {"a.py": "\ufeffx = 1\n"}) == []


def test_variation_selector_inside_identifier_is_flagged_but_emoji_presentation_is_not() -> None:
    assert scan({}, {"a.py": 'print("\u2764\ufe0f")\n'}) == []
    found = scan({}, {"a.py": "value\ufe00 = 1\n"})
    assert [f.rule for f in found] == ["invisible-character"]


def test_legitimate_joiners_in_emoji_and_scripts_are_fine() -> None:
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
    persian = "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"
    scotland = "\U0001f3f4\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f"
    head = {"i18n.py": f'A = "{family}"\nB = "{persian}"\nC = "{scotland}"\n'}
    assert scan({}, head) == []


def test_confusable_identifier_blocks_with_cwe_1007() -> None:
    code = f"from perms import is_admin\n\n\ndef is_{CYRILLIC_A}dmin(user):\n    return True\n"
    (finding,) = scan({}, {"auth.py": code})
    assert finding.line == 4
    assert finding.rule == "confusable-identifier"
    assert (finding.severity, finding.blocking, finding.cwe) == (Severity.HIGH, True, "CWE-1007")
    assert "U+0430 CYRILLIC SMALL LETTER A" in finding.message
    assert CYRILLIC_A not in finding.message and CYRILLIC_A not in (finding.snippet or "")


def test_fullwidth_letters_that_python_folds_to_ascii_are_confusable() -> None:
    found = scan({}, {"a.py": "\uff45val('1')\n"})
    assert [f.rule for f in found] == ["confusable-identifier"]


def test_non_latin_names_and_strings_are_not_confusable() -> None:
    code = f'\u0438\u043c\u044f = "\u043f\u0440\u0438\u0432\u0435\u0442 world"\nname = "{CYRILLIC_A}dmin"\n'
    assert scan({}, {"ru.py": code}) == []


@pytest.mark.parametrize(
    "code",
    [
        "\u0394t = t1 - t0\n",  # Greek capital delta: a physicist's name
        "caf\u00e9 = 1\n",
        "\u03b1 = 0.5\nalpha_max = 1\n",  # Greek alpha alone collides with nothing
        f"is_{CYRILLIC_A}dmin = True\n",  # odd, but no `is_admin` to be mistaken for
    ],
)
def test_non_ascii_identifier_alone_is_not_confusable(code: str) -> None:
    assert scan({}, {"physics.py": code}) == []


def test_identifier_that_looks_like_a_builtin_is_confusable() -> None:
    found = scan({}, {"a.py": "\u0440rint = lambda *a: None\n"})  # Cyrillic er + "rint"
    assert [f.rule for f in found] == ["confusable-identifier"]


def test_confusables_only_checked_in_python() -> None:
    assert scan({}, {"a.js": f"const {CYRILLIC_A}dmin = 1;\n"}) == []


def test_old_characters_are_not_reported() -> None:
    old = f"x = 1\ns = 'a{RLO}b'\n"
    assert scan({"a.py": old}, {"a.py": old + "y = 2\n"}) == []


def test_moved_line_is_not_new() -> None:
    line = f"s = 'a{RLO}b'\n"
    base = {"a.py": "x = 1\n" + line, "b.py": "y = 2\n"}
    head = {"a.py": "x = 1\n", "b.py": "y = 2\n" + line}
    assert scan(base, head) == []


def test_line_moved_out_of_a_deleted_file_is_not_new() -> None:
    line = f"s = 'a{RLO}b'\n"
    assert scan({"old.js": line}, {"new.js": "// moved\n" + line}) == []


def test_tag_run_after_a_flag_is_linear_and_still_flagged() -> None:
    hostile = "x = '\U0001f3f4" + "\U000e0061" * 200_000 + "'\n"
    found = scan({}, {"a.py": hostile})
    assert [f.rule for f in found] == ["invisible-character"]


def test_a_copied_line_is_new() -> None:
    line = f"s = 'a{RLO}b'\n"
    found = scan({"a.py": line}, {"a.py": line + line})
    assert len(found) == 1


def test_non_utf8_file_is_still_scanned() -> None:
    data = b"x = '\xff'\n" + f"y = '{RLO}'\n".encode()
    found = scan({}, {"a.js": data})
    assert [(f.rule, f.line) for f in found] == [("bidi-control", 2)]


def test_non_utf8_file_old_content_is_not_reported() -> None:
    old = b"x = '\xff'\n" + f"y = '{RLO}'\n".encode()
    assert scan({"a.js": old}, {"a.js": old + b"z = 1\n"}) == []


def test_binary_files_and_huge_lines_do_not_crash() -> None:
    huge = "x = '" + "\u00e9" * 10_000_000 + f"{RLO}'\n"
    head: dict[str, str | bytes] = {"blob.py": b"\0\x01\x02" + RLO.encode(), "big.py": huge}
    found = scan({}, head)
    assert [(f.path, f.rule) for f in found] == [("big.py", "bidi-control")]
    assert len(found[0].snippet or "") < 400


def test_unterminated_python_still_checks_names_before_the_error() -> None:
    code = f"admin_ok = 0\n{CYRILLIC_A}dmin_ok = 1\ns = '''never closed\n"
    found = scan({}, {"a.py": code})
    assert [f.rule for f in found] == ["confusable-identifier"]
