from __future__ import annotations

from crewchief.gate.cache import Cache
from crewchief.gate.change import Change
from crewchief.gate.check import CheckContext
from crewchief.gate.checks.quality import CHECK
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
