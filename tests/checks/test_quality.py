from __future__ import annotations

import tomllib

from crewchief.gate.cache import Cache
from crewchief.gate.change import Change
from crewchief.gate.check import CheckContext
from crewchief.gate.checks.quality import CHECK
from crewchief.gate.engine import GateRequest, run_gate
from crewchief.gate.findings import CheckStatus
from crewchief.spec.policy import Policy


def rules(change: Change, policy: dict | None = None, **kw) -> list[tuple[str, str, int | None]]:
    ctx = CheckContext(change, Policy.model_validate(policy or {}), **kw)
    return sorted((f.rule, f.path or "", f.line) for f in CHECK.run(ctx))


def branchy(n: int, name: str = "f") -> str:
    body = "".join(f"    if x == {i}:\n        return {i}\n" for i in range(n))
    return f"def {name}(x):\n{body}    return -1\n"


def test_new_ruff_violations_only() -> None:
    base = "def f(x=[]):\n    return x\n"  # B006 in base is old debt
    head = "def f(x=[]):\n    return x\n\n\ndef g(y={}):\n    return y\n"
    assert rules(Change.from_files({"m.py": base}, {"m.py": head})) == [("ruff-B006", "m.py", 5)]


def test_moved_old_debt_is_not_new() -> None:
    base = "def f(x=[]):\n    return x\n\n\ndef g():\n    return 1\n"
    head = "def g():\n    return 1\n\n\ndef f(x=[]):\n    return x\n"
    assert rules(Change.from_files({"m.py": base}, {"m.py": head})) == []


def test_syntax_error_blocks() -> None:
    ctx = CheckContext(Change.from_files({"m.py": "x = 1\n"}, {"m.py": "def f(:\n"}), Policy())
    found = CHECK.run(ctx)
    assert found and all(f.blocking for f in found)
    assert "does not parse" in found[0].message


def test_repo_ruff_config_from_base_is_used() -> None:
    config = '[tool.ruff.lint]\nselect = ["E711"]\n'
    change = Change.from_files(
        {"pyproject.toml": config, "m.py": "x = 1\n"},
        {"pyproject.toml": config, "m.py": "x = 1\nimport json\ny = x == None\n"},
    )
    assert rules(change) == [("ruff-E711", "m.py", 3)]


def test_complexity_growth_and_new_complex_function() -> None:
    change = Change.from_files(
        {"m.py": branchy(2)}, {"m.py": branchy(9) + "\n\n" + branchy(20, "g")}
    )
    got = [r for r in rules(change) if not r[0].startswith("ruff")]
    assert got == [("complex-function", "m.py", 23), ("complexity-growth", "m.py", 1)]
    assert [
        r
        for r in rules(change, {"quality": {"max_complexity_increase": 10, "max_complexity": 30}})
        if not r[0].startswith("ruff")
    ] == []


def test_methods_are_compared_by_qualified_name() -> None:
    base = "class A:\n" + "".join("    " + line + "\n" for line in branchy(1, "m").splitlines())
    head = "class A:\n" + "".join("    " + line + "\n" for line in branchy(12, "m").splitlines())
    got = rules(Change.from_files({"m.py": base}, {"m.py": head}))
    assert got == [("complexity-growth", "m.py", 2)]


def test_results_are_cached_per_blob(tmp_path) -> None:
    cache = Cache(tmp_path / "c.sqlite")
    change = Change.from_files({"m.py": "x = 1\n"}, {"m.py": "import json\n\nx = 1\n"})
    first = rules(change, cache=cache)
    # A cached run must not need ruff at all: hide it.
    from crewchief.gate.checks import quality

    original = quality._run_ruff
    quality._run_ruff = lambda *a, **k: (_ for _ in ()).throw(AssertionError("ruff ran again"))
    try:
        assert rules(change, cache=cache) == first == [("ruff-F401", "m.py", 1)]
    finally:
        quality._run_ruff = original
        cache.close()


def test_hostile_python_does_not_crash() -> None:
    """The check is run directly, not through the engine (which would turn an exception into a
    check error), so a crash fails this test; and one hostile file must not stop it on the others."""
    change = Change.from_files(
        {},
        {
            "a.py": "x = '" + "y" * 5_000_000 + "'\n",
            "b.py": b"\xff\xfe\x00bad",
            "c.py": "(" * 500 + ")" * 500 + "\n",
        },
    )
    assert ("ruff-B018", "c.py", 1) in rules(change)


STYLE_AND_DEFECTS = (
    "import sys\n"
    "import os\n"
    "\n"
    "\n"
    "def f(x=[]):\n"
    "    return '%s' % os.sep + 'a very long line that goes on and on and on past eighty-eight cols'\n"
)


def test_without_config_the_default_set_finds_defects_not_style() -> None:
    """No ruff config: pyflakes and bugbear report (F401, B006), import order, %-formatting and
    line length do not, and the detail names the set it chose."""
    ctx = CheckContext(
        Change.from_files({"m.py": "x = 1\n"}, {"m.py": STYLE_AND_DEFECTS}), Policy()
    )
    found = sorted(f.rule for f in CHECK.run(ctx))
    assert found == ["ruff-B006", "ruff-F401"]
    assert len(ctx.details) == 1 and "default defect rules" in ctx.details[0]
    assert "F, E9, B, PLE" in ctx.details[0]


def test_policy_select_and_repo_config_replace_the_default_set() -> None:
    change = Change.from_files({"m.py": "x = 1\n"}, {"m.py": STYLE_AND_DEFECTS})
    ctx = CheckContext(change, Policy.model_validate({"quality": {"ruff_select": ["I"]}}))
    assert [f.rule for f in CHECK.run(ctx)] == ["ruff-I001"]
    assert "[quality] ruff_select" in ctx.details[0]
    config = '[tool.ruff.lint]\nselect = ["E501"]\n'
    change = Change.from_files(
        {"pyproject.toml": config, "m.py": "x = 1\n"},
        {"pyproject.toml": config, "m.py": STYLE_AND_DEFECTS},
    )
    ctx = CheckContext(change, Policy())
    assert [f.rule for f in CHECK.run(ctx)] == ["ruff-E501"]
    assert ctx.details == ["linted under the repository's ruff configuration (pyproject.toml)"]


REJECTED_PYPROJECT = """\
[project]
name = "pkg"
requires-python = ">=3.9"

[tool.ruff]
line-length = 100
option-from-the-future = true
select = ["F", "E711", "XYZ987"]

[tool.ruff.lint.per-file-ignores]
"pkg/__init__.py" = ["F401"]
"""


def test_a_config_ruff_rejects_is_retried_without_the_rejected_options(make_repo) -> None:
    """A real repository whose [tool.ruff] has an option and a rule code the installed ruff does
    not know: the gate lints under the rest of it (the per-file-ignores still apply, E711 is still
    selected) and says what it dropped in an info note, never a check error."""
    repo = make_repo({"pyproject.toml": REJECTED_PYPROJECT, "pkg/__init__.py": "", "pkg/m.py": ""})
    base = repo.git("rev-parse", "HEAD")
    head = repo.commit(
        {
            "pkg/__init__.py": "import json\n",
            "pkg/m.py": "import json\n\nx = 1\ny = x == None\n",
        }
    )
    report = run_gate(
        GateRequest(repo=repo.path, base=base, head=head, only=["quality"], use_cache=False)
    )
    (quality,) = report.checks
    assert quality.status is CheckStatus.PASSED or quality.status is CheckStatus.WARNED
    found = sorted((f.rule, f.path, f.severity.value) for f in quality.findings)
    assert found == [
        ("lint-config-rejected", "pyproject.toml", "info"),
        ("ruff-E711", "pkg/m.py", "low"),
        ("ruff-F401", "pkg/m.py", "medium"),
    ]
    note = next(f for f in quality.findings if f.rule == "lint-config-rejected")
    assert "option-from-the-future" in note.message and "select XYZ987" in note.message
    assert "without the options the installed ruff rejected" in quality.detail


def test_the_cleaned_config_keeps_what_ruff_knows() -> None:
    from crewchief.gate.analysis import ruff_config

    known = ruff_config.known_options()
    table = {
        "select": ["F"],
        "made-up": 1,
        "lint": {"isort": {"known-first-party": ["a"], "nope": 2}, "per-file-ignores": {"t/*": []}},
    }
    cleaned, dropped = ruff_config.clean_table(table, known)
    assert dropped == ["made-up", "lint.isort.nope"]
    assert cleaned == {
        "select": ["F"],
        "lint": {"isort": {"known-first-party": ["a"]}, "per-file-ignores": {"t/*": []}},
    }
    assert tomllib.loads(ruff_config.dump_toml(cleaned)) == cleaned


UNUSED_BASE = (
    "def total(items):\n"
    "    result = 0\n"
    "    for item in items:\n"
    "        result += item\n"
    "    return result\n"
)
# The loop is replaced by a print: `result` is stored twice and read nowhere (ruff's F841 names
# the second store, hygiene's unused-after-delete the first).
UNUSED_HEAD = (
    "def total(items):\n"
    "    result = 0\n"
    "    print(items)\n"
    "    result = 1\n"
    "    return 0\n"
    "\n"
    "\n"
    "def fresh():\n"
    "    unused = 2\n"
    "    return 1\n"
)


def test_unused_variable_from_the_change_is_high_and_reported_once(make_repo) -> None:
    repo = make_repo({"pkg/calc.py": UNUSED_BASE})
    base = repo.git("rev-parse", "HEAD")
    head = repo.commit({"pkg/calc.py": UNUSED_HEAD})

    def gate(only: list[str]) -> list[tuple[str, int | None, str]]:
        request = GateRequest(repo=repo.path, base=base, head=head, only=only, use_cache=False)
        found = run_gate(request).findings
        unused = ("ruff-F841", "unused-after-delete")
        return sorted((f.rule, f.line, f.severity.value) for f in found if f.rule in unused)

    # Both checks: `result` once (hygiene, which names the deleted line), `unused` from quality.
    assert gate(["quality", "hygiene"]) == [
        ("ruff-F841", 9, "high"),
        ("unused-after-delete", 2, "high"),
    ]
    # Hygiene skipped: quality reports `result` itself, still high.
    assert gate(["quality"]) == [("ruff-F841", 4, "high"), ("ruff-F841", 9, "high")]


def test_a_config_no_retry_can_save_falls_back_to_the_default_set() -> None:
    """A value ruff cannot read (not an unknown option): the default set runs, with the note."""
    config = 'line-length = "long"\n'
    change = Change.from_files(
        {"ruff.toml": config, "m.py": "x = 1\n"},
        {"ruff.toml": config, "m.py": STYLE_AND_DEFECTS},
    )
    ctx = CheckContext(change, Policy())
    found = {f.rule: f for f in CHECK.run(ctx)}
    assert sorted(found) == ["lint-config-rejected", "ruff-B006", "ruff-F401"]
    assert "the whole configuration" in found["lint-config-rejected"].message
    assert ctx.details[0].startswith("ruff rejected the repository's configuration (ruff.toml)")
