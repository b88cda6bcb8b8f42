"""`crewchief gate` end to end on real repositories: exit codes, formats, and every bad input the
issue lists (not a repo, unknown refs, empty diff, merge commits, shallow clones, renames,
deletions, binary, huge and non-UTF-8 files and names, malformed policy)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from crewchief.gate.analysis import pysource
from tests.helpers.cli import run_cli
from tests.helpers.repo import Repo

CLEAN_POLICY = '[scope]\nallow = ["src/**", "tests/**"]\n'


def branch_with(
    repo: Repo, files: dict[str | bytes, str | bytes | None], name: str = "agent"
) -> None:
    repo.branch(name, "main")
    repo.commit(files, f"{name} change")


def gate_json(capsys: pytest.CaptureFixture[str], repo: Repo, *extra: str) -> tuple[int, dict]:
    result = run_cli(
        capsys,
        "gate",
        "--repo",
        str(repo.path),
        "--base",
        "main",
        "--format",
        "json",
        "--no-cache",
        *extra,
    )
    assert result.code in (0, 1), result.err
    return result.code, json.loads(result.out)


def test_clean_change_passes_with_documented_json(capsys, make_repo) -> None:
    repo = make_repo({"crewchief.toml": CLEAN_POLICY, "src/app.py": "def f():\n    return 1\n"})
    branch_with(repo, {"src/app.py": 'def f():\n    """One."""\n    return 1\n'})
    code, report = gate_json(capsys, repo, "--head", "agent")
    assert code == 0
    assert report["schema"] == "crewchief.gate/v1"
    assert report["verdict"] == "pass"
    assert set(report) >= {
        "schema",
        "base",
        "head",
        "verdict",
        "risk",
        "checks",
        "findings",
        "stats",
    }
    assert report["stats"] == {"files_changed": 1, "lines_added": 1, "lines_removed": 0}
    names = [c["name"] for c in report["checks"]]
    assert names[:2] == ["scope", "test-integrity"]
    for check in report["checks"]:
        assert set(check) >= {"name", "status", "duration_s", "findings"}
    assert report["policy"] == "crewchief.toml"


def test_the_gate_keeps_no_parsed_trees_once_it_ends(capsys, make_repo) -> None:
    """The checks share one parse per module (pysource.parse); a long-lived process gating many
    changes must not keep every tree it ever built."""
    repo = make_repo({"crewchief.toml": CLEAN_POLICY, "src/app.py": "def f():\n    return 1\n"})
    branch_with(repo, {"src/app.py": "def f():\n    return 2\n"})
    pysource.parse("x = 1\n")
    gate_json(capsys, repo, "--head", "agent", "--static")
    assert pysource.parse.cache_info().currsize == 0


def test_blocking_change_exits_one_and_names_the_rule(capsys, make_repo) -> None:
    repo = make_repo({"crewchief.toml": CLEAN_POLICY, "src/app.py": "x = 1\n"})
    branch_with(repo, {"docs/notes.md": "agent notes\n"})
    code, report = gate_json(capsys, repo, "--head", "agent")
    assert code == 1
    assert report["verdict"] == "block"
    rules = {(f["check"], f["rule"]) for f in report["findings"] if f["blocking"]}
    assert ("scope", "outside-policy-scope") in rules


def test_policy_is_read_from_base_not_head(capsys, make_repo) -> None:
    repo = make_repo({"crewchief.toml": CLEAN_POLICY, "src/app.py": "x = 1\n"})
    # The change loosens the policy and then uses the loosened rule: it must still block.
    branch_with(repo, {"crewchief.toml": '[scope]\nallow = ["**"]\n', "docs/x.md": "hi\n"})
    code, report = gate_json(capsys, repo, "--head", "agent")
    assert code == 1
    rules = {f["rule"] for f in report["findings"]}
    assert {"protected-path", "outside-policy-scope"} <= rules


def test_text_format_is_default_and_readable(capsys, make_repo) -> None:
    repo = make_repo({"crewchief.toml": CLEAN_POLICY, "src/app.py": "x = 1\n"})
    branch_with(repo, {".github/workflows/ci.yml": "on: push\n"})
    result = run_cli(capsys, "gate", "--repo", str(repo.path), "--base", "main", "--head", "agent")
    assert result.code == 1
    assert "BLOCK" in result.out
    assert "scope/protected-path" in result.out
    assert ".github/workflows/ci.yml" in result.out


def test_output_file_and_sarif(capsys, make_repo, tmp_path: Path) -> None:
    repo = make_repo({"crewchief.toml": CLEAN_POLICY, "src/app.py": "x = 1\n"})
    branch_with(repo, {"CODEOWNERS": "* @me\n"})
    out = tmp_path / "out" / "report.sarif"
    result = run_cli(
        capsys,
        "gate",
        "--repo",
        str(repo.path),
        "--base",
        "main",
        "--head",
        "agent",
        "--format",
        "sarif",
        "--output",
        str(out),
    )
    assert result.code == 1
    assert "report written to" in result.err
    sarif = json.loads(out.read_text())
    assert sarif["version"] == "2.1.0"
    assert sarif["runs"][0]["results"][0]["ruleId"] == "scope/protected-path"


def test_worktree_mode_sees_uncommitted_and_untracked_files(capsys, make_repo) -> None:
    repo = make_repo({"crewchief.toml": CLEAN_POLICY, "src/app.py": "x = 1\n"})
    repo.write({"src/app.py": "x = 2\n", "scratch.txt": "untracked\n"})
    index_before = (repo.path / ".git" / "index").read_bytes()
    code, report = gate_json(capsys, repo, "--worktree")
    assert code == 1
    paths = {f["path"] for f in report["findings"]}
    assert "scratch.txt" in paths
    assert report["stats"]["files_changed"] == 2
    assert (repo.path / ".git" / "index").read_bytes() == index_before  # user's index untouched
    assert repo.git("status", "--porcelain") == "M src/app.py\n?? scratch.txt".strip()


def test_only_and_skip_accept_every_documented_check(capsys, make_repo) -> None:
    repo = make_repo({"src/app.py": "x = 1\n"})
    branch_with(repo, {"src/app.py": "x = 2\n"})
    code, report = gate_json(
        capsys, repo, "--head", "agent", "--only", "scope,tests,coverage,performance"
    )
    assert code == 0
    statuses = {c["name"]: c["status"] for c in report["checks"]}
    assert list(statuses) == ["scope", "tests", "coverage", "performance"]
    assert statuses["scope"] == "passed"
    code, report = gate_json(
        capsys,
        repo,
        "--head",
        "agent",
        "--skip",
        "scope,test-integrity,tests,acceptance,security,secrets,dependencies,"
        "quality,coverage,performance,hygiene,architecture,api",
    )
    assert report["checks"] == []


def test_unknown_check_name_is_a_usage_error(capsys, make_repo) -> None:
    repo = make_repo()
    result = run_cli(capsys, "gate", "--repo", str(repo.path), "--base", "main", "--only", "scop")
    assert result.code == 2
    assert "unknown check 'scop'" in result.err
    assert len(result.err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--base", "no-such-branch"), "unknown ref 'no-such-branch'"),
        (("--base", "main", "--head", "nope"), "unknown ref 'nope'"),
        (("--base", "--upload-pack=evil"), "unknown ref"),
        (("--base", "main", "--head", "main", "--worktree"), "exclusive"),
    ],
)
def test_bad_refs_are_one_line_errors(capsys, repo, args, message) -> None:
    result = run_cli(capsys, "gate", "--repo", str(repo.path), *args)
    assert result.code == 2
    assert message in result.err
    assert len(result.err.strip().splitlines()) == 1


def test_not_a_git_repository(capsys, tmp_path: Path) -> None:
    result = run_cli(capsys, "gate", "--repo", str(tmp_path), "--base", "main")
    assert result.code == 2
    assert "not inside a git repository" in result.err


def test_missing_base_without_default(capsys, make_repo) -> None:
    repo = make_repo()
    repo.git("branch", "-m", "main", "trunk")
    result = run_cli(capsys, "gate", "--repo", str(repo.path))
    assert result.code == 2
    assert "pass --base REF" in result.err


def test_empty_diff_passes(capsys, repo) -> None:
    code, report = gate_json(capsys, repo, "--head", "main")
    assert code == 0
    assert report["verdict"] == "pass"
    assert report["stats"]["files_changed"] == 0


def test_merge_commit_head_is_gated_against_fork_point(capsys, make_repo) -> None:
    repo = make_repo({"src/a.py": "a = 1\n", "src/b.py": "b = 1\n"})
    repo.branch("left", "main")
    repo.commit({"src/a.py": "a = 2\n"}, "left")
    repo.branch("right", "main")
    repo.commit({"src/b.py": "b = 2\n"}, "right")
    repo.checkout("left")
    repo.git("merge", "-q", "--no-edit", "right")
    code, report = gate_json(capsys, repo, "--head", "left")
    assert code == 0
    assert report["stats"]["files_changed"] == 2


def test_base_that_moved_on_compares_with_fork_point(capsys, make_repo) -> None:
    repo = make_repo({"src/a.py": "a = 1\n"})
    branch_with(repo, {"src/new.py": "n = 1\n"})
    repo.checkout("main")
    repo.commit({"src/a.py": "a = 3\n", "src/other.py": "o = 1\n"}, "main moves on")
    _code, report = gate_json(capsys, repo, "--head", "agent")
    assert report["stats"]["files_changed"] == 1
    assert any("fork point" in note for note in report["notes"])


def test_shallow_clone_without_shared_history(capsys, make_repo, tmp_path: Path) -> None:
    origin = make_repo({"src/a.py": "a = 1\n"})
    for i in range(3):
        origin.commit({"src/a.py": f"a = {i + 2}\n"}, f"main {i}")
    origin.branch("feature", "main~3")
    origin.commit({"src/f.py": "f = 1\n"}, "feature")
    clone = tmp_path / "shallow"
    subprocess.run(
        [
            "git",
            "clone",
            "-q",
            "--depth",
            "1",
            "--no-single-branch",
            f"file://{origin.path}",
            str(clone),
        ],
        check=True,
    )
    result = run_cli(
        capsys, "gate", "--repo", str(clone), "--base", "origin/main", "--head", "origin/feature"
    )
    assert result.code == 2
    assert "shallow clone" in result.err
    assert "fetch" in result.err


def test_renames_deletions_binary_huge_and_non_utf8(capsys, make_repo) -> None:
    body = "\n".join(f"def f{i}():\n    return {i}\n" for i in range(30))
    repo = make_repo({"src/old_name.py": body, "src/gone.py": "g = 1\n", "src/keep.py": "k = 1\n"})
    branch_with(
        repo,
        {
            "src/old_name.py": None,
            "src/new_name.py": body,
            "src/gone.py": None,
            "src/blob.bin": b"\x00\x01\x02" * 100,
            "src/huge.txt": "x" * (2 * 1024 * 1024),
            "src/latin1.py": "s = 'caf\xe9'\n".encode("latin-1"),
            b"src/caf\xe9.txt": b"name is not utf-8\n",
        },
    )
    code, report = gate_json(capsys, repo, "--head", "agent")
    assert code == 1  # the huge file is over the policy's default 1 MiB limit
    rules = {(f["rule"], f["path"]) for f in report["findings"]}
    assert ("large-file", "src/huge.txt") in rules
    assert ("binary-file", "src/blob.bin") in rules
    assert any(rule == "non-utf8-name" for rule, _ in rules)
    assert report["stats"]["files_changed"] == 6
    # The rename is one change, not an add and a delete of 60 lines.
    assert report["stats"]["lines_removed"] == 1
    json.dumps(report)  # the report stays valid JSON with a non-UTF-8 name in it


@pytest.mark.parametrize(
    ("policy", "message"),
    [
        ("[scope]\nmax_files = 'many'\n", "crewchief.toml: scope.max_files: "),
        ("[scope]\nalow = ['src/**']\n", "crewchief.toml: scope.alow: unknown key"),
        ("[scope\nallow = 1\n", "crewchief.toml: invalid TOML"),
        ("[gate]\nreview_at_risk = 500\n", "crewchief.toml: gate.review_at_risk: "),
    ],
)
def test_malformed_policy_is_one_line_naming_file_and_key(
    capsys, make_repo, policy, message
) -> None:
    repo = make_repo({"crewchief.toml": policy, "src/a.py": "a = 1\n"})
    branch_with(repo, {"src/a.py": "a = 2\n"})
    result = run_cli(capsys, "gate", "--repo", str(repo.path), "--base", "main", "--head", "agent")
    assert result.code == 2
    assert message in result.err
    assert len(result.err.strip().splitlines()) == 1


def test_policy_in_pyproject_tool_table(capsys, make_repo) -> None:
    pyproject = (
        '[project]\nname = "x"\n\n[tool.crewchief.scope]\nallow = ["src/**"]\nmax_files = "x"\n'
    )
    repo = make_repo({"pyproject.toml": pyproject, "src/a.py": "a = 1\n"})
    branch_with(repo, {"src/a.py": "a = 2\n"})
    result = run_cli(capsys, "gate", "--repo", str(repo.path), "--base", "main", "--head", "agent")
    assert result.code == 2
    assert "pyproject.toml: tool.crewchief.scope.max_files:" in result.err


def test_task_scope_from_base(capsys, make_repo) -> None:
    task = "---\nid: fix-a\ntitle: Fix a\nscope: [src/a.py]\n---\nMake a return 2.\n"
    repo = make_repo(
        {".crewchief/tasks/fix-a.md": task, "src/a.py": "a = 1\n", "src/b.py": "b = 1\n"}
    )
    branch_with(repo, {"src/a.py": "a = 2\n", "src/b.py": "b = 2\n"})
    code, report = gate_json(capsys, repo, "--head", "agent", "--task", "fix-a")
    assert code == 1
    assert report["task"] == "fix-a"
    blocked = {(f["rule"], f["path"]) for f in report["findings"] if f["blocking"]}
    assert blocked == {("outside-task-scope", "src/b.py")}


def test_unknown_and_malformed_task(capsys, make_repo) -> None:
    repo = make_repo({".crewchief/tasks/bad.md": "---\nid: bad\ntitle: [unclosed\n---\nbody\n"})
    result = run_cli(capsys, "gate", "--repo", str(repo.path), "--base", "main", "--task", "nope")
    assert result.code == 2
    assert "task 'nope' not found" in result.err
    result = run_cli(capsys, "gate", "--repo", str(repo.path), "--base", "main", "--task", "bad")
    assert result.code == 2
    assert ".crewchief/tasks/bad.md: invalid YAML front matter" in result.err


def test_corrupt_cache_is_replaced_not_fatal(tmp_path: Path, make_repo) -> None:
    repo = make_repo()
    cache = repo.path / ".git" / "crewchief"
    cache.mkdir(parents=True)
    (cache / "gate-cache.sqlite").write_bytes(b"this is not a sqlite database" * 100)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "crewchief",
            "gate",
            "--repo",
            str(repo.path),
            "--base",
            "main",
            "--only",
            "scope",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stderr


def test_internal_error_exits_three_and_logs_traceback(capsys, repo, tmp_path, monkeypatch) -> None:
    """A bug (simulated by making the gate raise) gives exit 3 and a traceback file it names."""
    import crewchief.cli.gate as gate_cli

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("simulated bug")

    monkeypatch.setattr(gate_cli, "run_gate", broken)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    result = run_cli(capsys, "gate", "--repo", str(repo.path), "--base", "main")
    assert result.code == 3
    assert "internal error: RuntimeError: simulated bug" in result.err
    logged = list((tmp_path / "state" / "crewchief" / "crashes").glob("*.log"))
    assert len(logged) == 1
    assert "Traceback" in logged[0].read_text()
    assert str(logged[0]) in result.err
