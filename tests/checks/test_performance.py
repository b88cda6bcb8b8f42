"""The performance check on small real repositories, with real benchmark processes."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from crewchief.gate.change import Change
from crewchief.gate.check import CheckContext, CheckSkipped, GateSession
from crewchief.gate.checks.performance.check import CHECK, SAMPLES_FILE
from crewchief.gate.engine import GateRequest, run_gate
from crewchief.gate.findings import Finding
from crewchief.spec.policy import parse_policy
from crewchief.workspace.checkouts import Checkouts
from tests.conftest import Repo

PY = sys.executable

BENCH = """\
import time


def work(n):
    total = 0
    for i in range(n):
        total += i * i
    return total


N = {n}
work(N)
for _ in range(15):
    start = time.perf_counter()
    work(N)
    print(time.perf_counter() - start)
"""
FAST = BENCH.format(n=20_000)
SLOW = BENCH.format(n=40_000)


def policy_text(command: str = f"{PY} bench.py", rounds: int = 4, timeout: float = 30) -> str:
    return (
        f"[benchmark]\ncommand = {json.dumps(command)}\nrounds = {rounds}\ntimeout_s = {timeout}\n"
    )


def setup(
    make_repo,
    head_files: dict[str | bytes, str | bytes | None],
    base_files: dict[str, str] | None = None,
    **policy,
) -> tuple[Repo, str, str]:
    files = {"crewchief.toml": policy_text(**policy), "bench.py": FAST, **(base_files or {})}
    repo: Repo = make_repo(files)
    base = repo.git("rev-parse", "HEAD")
    head = repo.commit(head_files or {"README.md": "# touched\n"})
    return repo, base, head


@pytest.fixture
def run_check(tmp_path: Path) -> Iterator[object]:
    labs: list[Checkouts] = []

    def run(repo: Repo, base: str, head: str) -> tuple[list[Finding], GateSession]:
        policy = parse_policy((repo.path / "crewchief.toml").read_bytes(), "crewchief.toml")
        checkouts = Checkouts(repo.path, policy, tmp_path / f"evidence{len(labs)}")
        labs.append(checkouts)
        ws = GateSession(checkouts, base, head)
        ctx = CheckContext(Change.from_files({}, {}), policy, None, session=ws)
        return list(CHECK.run(ctx)), ws

    yield run
    for checkouts in labs:
        checkouts.close()


def rules(findings: list[Finding]) -> dict[str, Finding]:
    return {f.rule: f for f in findings}


def samples(ws: GateSession) -> dict:
    return json.loads((ws.evidence_dir / SAMPLES_FILE).read_text())


def test_same_code_on_both_sides_is_no_regression(make_repo, run_check) -> None:
    repo, base, head = setup(make_repo, {"README.md": "# only docs\n"})
    findings, ws = run_check(repo, base, head)
    found = rules(findings)
    assert set(found) <= {"benchmark-summary", "improvement", "regression-inconclusive"}, findings
    assert not any(f.blocking for f in findings)
    assert str(ws.evidence_dir / SAMPLES_FILE) in found["benchmark-summary"].message
    assert ws.evidence_for("performance") == (str(ws.evidence_dir / SAMPLES_FILE),)
    doc = samples(ws)
    order = [(r["side"], r["round"]) for r in doc["runs"]]
    assert order == [
        ("base", 0),
        ("head", 0),
        ("head", 1),
        ("base", 1),
        ("base", 2),
        ("head", 2),
        ("head", 3),
        ("base", 3),
        ("base", 4),
        ("head", 4),
    ]
    name = f"{PY} bench.py"
    assert all(len(r["benchmarks"][name]["samples"]) == 15 for r in doc["runs"])
    assert doc["comparisons"][name]["rounds"] == 4


def test_a_doubled_workload_is_a_blocking_regression(make_repo, run_check) -> None:
    repo, base, head = setup(make_repo, {"bench.py": SLOW})
    findings, _ = run_check(repo, base, head)
    regression = rules(findings)["regression"]
    assert regression.blocking and regression.severity == "high"
    assert regression.message.startswith(f"bench {PY} bench.py: head/base ")
    assert "(95% CI " in regression.message and "over 4 rounds" in regression.message
    ratio = float(regression.message.split("head/base ")[1].split("x")[0])
    assert 1.6 < ratio < 2.5


def test_a_benchmark_failing_at_base_says_no_comparison_was_made(make_repo, run_check) -> None:
    broken = "raise SystemExit('benchmark broken')\n"
    repo, base, head = setup(make_repo, {"bench.py": FAST}, base_files={"bench.py": broken})
    findings, ws = run_check(repo, base, head)
    assert [f.rule for f in findings] == ["benchmark-failed-base"]
    failed = findings[0]
    assert not failed.blocking and failed.severity == "medium"
    assert "cannot be compared" in failed.message and SAMPLES_FILE in failed.message
    runs = samples(ws)["runs"]
    assert [(r["side"], r["exit_code"]) for r in runs] == [("base", 1)]
    assert "benchmark broken" in Path(runs[0]["log"]).read_text()


def test_a_benchmark_failing_only_at_head_blocks(make_repo, run_check) -> None:
    repo, base, head = setup(make_repo, {"bench.py": "import sys\nsys.exit(3)\n"})
    findings, _ = run_check(repo, base, head)
    assert [(f.rule, f.blocking) for f in findings] == [("benchmark-failed-head", True)]
    assert "exit 3" in findings[0].message


def test_a_hanging_benchmark_is_killed_at_its_timeout(make_repo, run_check) -> None:
    hang = "import time\nprint(1.0, flush=True)\ntime.sleep(600)\n"
    repo, base, head = setup(make_repo, {"bench.py": hang}, timeout=1.5)
    start = time.monotonic()
    findings, ws = run_check(repo, base, head)
    assert time.monotonic() - start < 10
    assert [(f.rule, f.blocking) for f in findings] == [("benchmark-timeout", True)]
    assert "at head" in findings[0].message
    assert samples(ws)["runs"][-1]["timed_out"] is True


def test_output_that_head_made_unreadable_blocks(make_repo, run_check) -> None:
    repo, base, head = setup(make_repo, {"bench.py": "print('done quickly')\n"})
    findings, _ = run_check(repo, base, head)
    assert [(f.rule, f.blocking) for f in findings] == [("benchmark-unparsable", True)]


def test_json_placeholder_reads_the_file_the_command_writes(make_repo, run_check) -> None:
    writer = (
        "import json, sys, time\n"
        "def f():\n    return sorted(range(5000), key=lambda x: -x)\n"
        "values = []\n"
        "for _ in range(10):\n"
        "    t = time.perf_counter(); f(); values.append(time.perf_counter() - t)\n"
        "doc = {'version': '1.0', 'metadata': {'name': 'sort'},\n"
        "       'benchmarks': [{'runs': [{'values': values}]}]}\n"
        "json.dump(doc, open(sys.argv[1], 'x'))\n"  # 'x' fails if the file exists, like pyperf
    )
    repo, base, head = setup(
        make_repo,
        {"README.md": "x\n"},
        base_files={"w.py": writer},
        command=f"{PY} w.py {{json}}",
        rounds=2,
    )
    findings, ws = run_check(repo, base, head)
    assert not any(f.blocking for f in findings), findings
    doc = samples(ws)
    assert {r["format"] for r in doc["runs"]} == {"pyperf"}
    assert list(doc["comparisons"]) == ["sort"]


def test_pytest_benchmark_json_is_requested_and_read(make_repo, run_check) -> None:
    test = (
        "def f():\n    return sum(i * i for i in range(2000))\n\n\n"
        "def test_f(benchmark):\n    benchmark(f)\n"
    )
    command = (
        f"{PY} -m pytest -q bench_test.py --benchmark-max-time=0.05 --benchmark-warmup=off "
        "--benchmark-min-rounds=5"
    )
    repo, base, head = setup(
        make_repo,
        {"README.md": "x\n"},
        base_files={"bench_test.py": test},
        command=command,
        rounds=2,
    )
    findings, ws = run_check(repo, base, head)
    assert not any(f.blocking for f in findings), findings
    doc = samples(ws)
    assert {r["format"] for r in doc["runs"]} == {"pytest-benchmark"}
    assert list(doc["comparisons"]) == ["bench_test.py::test_f"]
    # Raw samples were read (pytest-benchmark writes them), not only its summary statistics.
    assert all(r["benchmarks"]["bench_test.py::test_f"]["count"] >= 5 for r in doc["runs"])


def test_no_benchmark_command_skips(make_repo, run_check) -> None:
    repo: Repo = make_repo({"crewchief.toml": "[tests]\ncommand = 'pytest'\n"})
    head = repo.commit({"a.txt": "x\n"})
    with pytest.raises(CheckSkipped, match=r"no \[benchmark\] command"):
        run_check(repo, repo.git("rev-parse", "HEAD~1"), head)


def test_through_the_gate_the_evidence_is_listed_and_no_worktree_is_left(make_repo) -> None:
    repo, _, _ = setup(make_repo, {"bench.py": SLOW}, rounds=3)
    report = run_gate(
        GateRequest(
            repo=repo.path, base="HEAD~1", head="HEAD", only=["performance"], use_cache=False
        )
    )
    check = next(c for c in report.checks if c.name == "performance")
    assert check.status == "failed", check
    assert report.verdict == "block"
    assert any(p.endswith(SAMPLES_FILE) and Path(p).exists() for p in check.evidence)
    assert repo.git("worktree", "list").count("\n") == 0
