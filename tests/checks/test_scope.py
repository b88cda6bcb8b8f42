from __future__ import annotations

from crewchief.gate.change import Change
from crewchief.gate.check import CheckContext
from crewchief.gate.checks.scope import CHECK
from crewchief.spec.policy import Policy
from crewchief.spec.task import Task


def run(
    change: Change, policy: dict | None = None, task: Task | None = None
) -> set[tuple[str, str | None, bool]]:
    ctx = CheckContext(change, Policy.model_validate(policy or {}), task)
    return {(f.rule, f.path, f.blocking) for f in CHECK.run(ctx)}


def test_everything_allowed_by_default() -> None:
    assert run(Change.from_files({"a.py": "x"}, {"a.py": "y", "b/c.py": "z"})) == set()


def test_protected_paths_block_even_when_allowed() -> None:
    for path in (
        "crewchief.toml",
        ".crewchief/tasks/t.md",
        ".github/workflows/ci.yml",
        "CODEOWNERS",
        "AGENTS.md",
        ".ci/run",
        ".pre-commit-config.yaml",
        ".claude/settings.json",
    ):
        got = run(Change.from_files({}, {path: "x"}), {"scope": {"allow": ["**"]}})
        assert got == {("protected-path", path, True)}, path


def test_unprotect_lets_a_repo_allow_ci_edits() -> None:
    change = Change.from_files({}, {".github/workflows/ci.yml": "x"})
    assert run(change, {"scope": {"unprotect": [".github/**"]}}) == set()


def test_allow_deny_and_task_scope() -> None:
    change = Change.from_files(
        {}, {"src/a.py": "1", "src/b.py": "1", "docs/x.md": "1", "db/migrations/1.sql": "1"}
    )
    policy = {"scope": {"allow": ["src/**", "db/**"], "deny": ["db/migrations/**"]}}
    task = Task(id="t", title="t", scope=["src/a.py"])
    assert run(change, policy, task) == {
        ("outside-task-scope", "src/b.py", True),
        ("outside-policy-scope", "docs/x.md", True),
        ("denied-path", "db/migrations/1.sql", True),
    }


def test_deleting_or_renaming_out_of_a_protected_path_counts() -> None:
    change = Change.from_files({"CODEOWNERS": "* @me"}, {})
    assert run(change) == {("protected-path", "CODEOWNERS", True)}


def test_limits_on_files_and_lines() -> None:
    change = Change.from_files({}, {f"f{i}.py": "x\n" * 10 for i in range(4)})
    got = run(change, {"scope": {"max_files": 3, "max_lines": 39}})
    assert got == {("too-many-files", None, True), ("too-many-lines", None, True)}
    assert run(change, {"scope": {"max_files": 4, "max_lines": 40}}) == set()


def test_file_kinds() -> None:
    change = Change.from_files(
        {"tool.sh": "echo"},
        {
            "tool.sh": "echo",
            "img.png": b"\x89PNG\x00\x00",
            "big.txt": "a" * 3000,
            "link_in": "docs/readme.md",
            "link_out": "../../etc/passwd",
            "abs_link": "/etc/shadow",
        },
        modes={
            "tool.sh": "100755",
            "link_in": "120000",
            "link_out": "120000",
            "abs_link": "120000",
        },
    )
    got = run(change, {"scope": {"max_file_kb": 2}})
    assert got == {
        ("executable-bit", "tool.sh", False),
        ("binary-file", "img.png", False),
        ("large-file", "big.txt", True),
        ("symlink", "link_in", False),
        ("symlink-outside-repo", "link_out", True),
        ("symlink-outside-repo", "abs_link", True),
    }
    assert run(Change.from_files({}, {"img.png": b"\x00"}), {"scope": {"binary": "block"}}) == {
        ("binary-file", "img.png", True)
    }
    assert run(Change.from_files({}, {"img.png": b"\x00"}), {"scope": {"binary": "allow"}}) == set()


def test_submodule_and_hostile_names() -> None:
    change = Change.from_files(
        {},
        {"vendor/lib": "x", "a\x1b[2Jb.py": "x", "caf\udce9.py": "x"},
        modes={"vendor/lib": "160000"},
    )
    got = run(change)
    assert ("submodule", "vendor/lib", True) in got
    assert ("control-char-name", "a\x1b[2Jb.py", True) in got
    assert ("non-utf8-name", "caf\udce9.py", False) in got


def test_nested_agent_instructions_and_docs_codeowners_are_protected() -> None:
    for path in (
        "docs/CODEOWNERS",
        "pkg/AGENTS.md",
        "sub/dir/CLAUDE.md",
        "sub/.claude/settings.json",
        "a/.cursor/rules.md",
    ):
        assert run(Change.from_files({}, {path: "x"})) == {("protected-path", path, True)}, path
    assert run(Change.from_files({}, {"src/codeowners.py": "x"})) == set()


def test_policy_in_pyproject_cannot_be_changed() -> None:
    base = '[project]\nname = "x"\n\n[tool.crewchief.scope]\nmax_files = 3\n'
    loosened = base.replace("max_files = 3", "max_files = 300")
    assert run(Change.from_files({"pyproject.toml": base}, {"pyproject.toml": loosened})) == {
        ("policy-changed", "pyproject.toml", True)
    }
    bumped = base.replace('name = "x"', 'name = "x"\nversion = "2"')
    assert run(Change.from_files({"pyproject.toml": base}, {"pyproject.toml": bumped})) == set()
    added = '[project]\nname = "x"\n'
    assert run(Change.from_files({"pyproject.toml": added}, {"pyproject.toml": base})) == {
        ("policy-changed", "pyproject.toml", True)
    }


def test_code_python_may_run_instead_of_the_reviewed_source_blocks() -> None:
    """Bytecode, startup hooks and .py symlinks to data all run without being read as source."""
    base: dict[str, str | bytes] = {"pkg/core.py": "x = 1\n", "pkg/old.pyc": b"\x00old"}
    head: dict[str, str | bytes] = {
        "pkg/core.py": "x = 1\n",
        "pkg/__pycache__/core.cpython-312.pyc": b"\x00\x01",
        "pkg/old.pyc": b"\x00new",
        "pkg/fast.pyc": b"\x00\x02",
        "evil.pth": "import os\n",
        "src/sitecustomize.py": "print('hi')\n",
        "usercustomize.py": "",
        "pkg/data.py": "payload.txt",
        "pkg/alias.py": "core.py",
    }
    modes = {"pkg/data.py": "120000", "pkg/alias.py": "120000"}
    found = run(Change.from_files(base, head, modes=modes))
    expected = {
        "pkg/__pycache__/core.cpython-312.pyc",
        "pkg/old.pyc",
        "pkg/fast.pyc",
        "evil.pth",
        "src/sitecustomize.py",
        "usercustomize.py",
        "pkg/data.py",
    }
    assert found == {("unreviewed-code", p, True) for p in expected} | {
        ("symlink", "pkg/alias.py", False)
    }


def test_unprotect_allows_a_repositorys_own_bytecode_or_hook() -> None:
    change = Change.from_files({}, {"vendor/blob.pyc": b"\x00", "conf/sitecustomize.py": ""})
    policy = {"scope": {"unprotect": ["vendor/**", "conf/sitecustomize.py"]}}
    assert run(change, policy) == {("binary-file", "vendor/blob.pyc", False)}
