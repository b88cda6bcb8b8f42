"""The performance check on small real repositories, with real benchmark processes."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from crewchief.gate.change import Change
from crewchief.gate.check import CheckContext, CheckSkipped, GateSession
from crewchief.gate.checks.performance import check as check_module
from crewchief.gate.checks.performance.check import CHECK, RULES, SAMPLES_FILE
from crewchief.gate.engine import GateRequest, run_gate
from crewchief.gate.findings import Finding
from crewchief.spec.errors import SpecError
from crewchief.spec.policy import parse_policy
from crewchief.workspace.checkouts import Checkouts
from tests.helpers.repo import Repo

PY = sys.executable

# Many sub-millisecond samples per run, the shape `benchparse` measured to keep a run's fastest
# sample clean of a busy machine's interruptions (the A/A cases must hold under load).
SAMPLES = 400
BENCH = """\
import time


def work(n):
    total = 0
    for i in range(n):
        total += i * i
    return total


N = {n}
work(N)
for _ in range({samples}):
    start = time.perf_counter()
    work(N)
    print(time.perf_counter() - start)
"""
FAST = BENCH.format(n=3_000, samples=SAMPLES)
SLOW = BENCH.format(n=6_000, samples=SAMPLES)


def policy_text(
    command: str = f"{PY} bench.py",
    rounds: int = 4,
    timeout: float = 30,
    max_rounds: int | None = None,
) -> str:
    limit = f"max_rounds = {max_rounds}\n" if max_rounds else ""
    return (
        f"[benchmark]\ncommand = {json.dumps(command)}\nrounds = {rounds}\ntimeout_s = {timeout}\n"
        + limit
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


def round_order(doc: dict) -> list[tuple[str, int]]:
    return [(r["side"], r["round"]) for r in doc["runs"]]


def expected_order(rounds: int) -> list[tuple[str, int]]:
    """Warm-up base first, then B A, A B, ... by the round's parity, however many rounds ran."""
    order: list[tuple[str, int]] = []
    for r in range(rounds + 1):
        order += [("head", r), ("base", r)] if r % 2 else [("base", r), ("head", r)]
    return order


def assert_slowdown_caught(findings: list[Finding]) -> None:
    """A doubled workload blocks; on a machine too busy to tell, it asks for review with the
    numbers. It never passes, and the decided case never reports a ratio below the threshold."""
    found = rules(findings)
    assert "regression" in found or "too-noisy" in found, findings
    if "regression" in found:
        regression = found["regression"]
        assert regression.blocking and regression.severity == "high", findings
        assert regression.message.startswith(f"bench {PY} bench.py: head/base ")
        assert "(95% CI " in regression.message
        ratio = float(regression.message.split("head/base ")[1].split("x")[0])
        assert ratio > 1.1
    else:
        noisy = found["too-noisy"]
        assert noisy.severity == "medium" and not noisy.blocking
        assert "too noisy to judge" in noisy.message and "CI " in noisy.message


def test_same_code_on_both_sides_is_no_regression(make_repo, run_check) -> None:
    repo, base, head = setup(make_repo, {"README.md": "# only docs\n"})
    findings, ws = run_check(repo, base, head)
    found = rules(findings)
    # A busy machine may leave the A/A comparison undecided (review), never a regression.
    assert set(found) <= {"benchmark-summary", "improvement", "too-noisy"}, findings
    assert not any(f.blocking for f in findings)
    assert str(ws.evidence_dir / SAMPLES_FILE) in found["benchmark-summary"].message
    assert ws.evidence_for("performance") == (str(ws.evidence_dir / SAMPLES_FILE),)
    doc = samples(ws)
    assert doc["rounds_run"] in (4, 8, 12) and doc["max_rounds"] == 12
    assert round_order(doc) == expected_order(doc["rounds_run"])
    name = f"{PY} bench.py"
    assert all(len(r["benchmarks"][name]["samples"]) == SAMPLES for r in doc["runs"])
    assert doc["comparisons"][name]["rounds"] == doc["rounds_run"]
    assert ("too-noisy" in found) == (not doc["comparisons"][name]["decided"])


def test_a_doubled_workload_is_a_blocking_regression(make_repo, run_check) -> None:
    repo, base, head = setup(make_repo, {"bench.py": SLOW})
    findings, _ = run_check(repo, base, head)
    assert_slowdown_caught(findings)


@pytest.fixture
def busy() -> Iterator[None]:
    """Two processes spinning on the CPU for the test's duration (a loaded 2-core CI box)."""
    spinners = [
        subprocess.Popen([PY, "-c", "while True: pass"], stdin=subprocess.DEVNULL) for _ in range(2)
    ]
    try:
        yield
    finally:
        for spinner in spinners:
            spinner.kill()
            spinner.wait()


@pytest.mark.slow
def test_under_load_a_doubled_workload_never_passes(make_repo, run_check, busy) -> None:
    repo, base, head = setup(make_repo, {"bench.py": SLOW})
    findings, ws = run_check(repo, base, head)
    assert_slowdown_caught(findings)
    assert samples(ws)["rounds_run"] <= 12


@pytest.mark.slow
def test_under_load_the_same_code_never_blocks(make_repo, run_check, busy) -> None:
    repo, base, head = setup(make_repo, {"README.md": "# only docs\n"})
    findings, _ = run_check(repo, base, head)
    assert set(rules(findings)) <= {"benchmark-summary", "improvement", "too-noisy"}, findings
    assert not any(f.blocking for f in findings)


SCRIPTED = """\
from pathlib import Path

count = Path(".runs")
n = int(count.read_text()) if count.exists() else 0
count.write_text(str(n + 1))
print({values}[n % {period}])
"""
"""A benchmark whose timings are given, not measured: the n-th run in its worktree prints the
n-th value (cycling), so the statistics see exactly these numbers whatever the machine's load."""


def scripted(*values: float) -> str:
    return SCRIPTED.format(values=list(values), period=len(values))


def test_an_undecided_comparison_takes_more_rounds_then_asks_for_review(
    make_repo, run_check
) -> None:
    # head alternates between 2x and 0.7x base: the interval straddles the threshold forever
    repo, base, head = setup(
        make_repo,
        {"bench.py": scripted(2.0, 0.7)},
        base_files={"bench.py": scripted(1.0)},
        command=f"{PY} bench.py",
        rounds=2,
        max_rounds=6,
    )
    findings, ws = run_check(repo, base, head)
    found = rules(findings)
    assert set(found) == {"too-noisy", "benchmark-summary"}, findings
    noisy = found["too-noisy"]
    assert noisy.severity == "medium" and not noisy.blocking
    assert "over 6 rounds" in noisy.message and "too noisy to judge" in noisy.message
    assert "even after 6 rounds (max_rounds)" in noisy.message
    # one number per run, 1 to 2 seconds long: the finding says how to make the benchmark robust
    assert "each run gave 1 inner sample(s) of 1 s (median)" in noisy.message
    assert "hundreds of samples of under 1 ms" in noisy.message
    doc = samples(ws)
    assert doc["rounds_run"] == 6
    assert round_order(doc) == expected_order(6)
    assert "over 6 interleaved rounds (2 asked, up to 6" in found["benchmark-summary"].message


def test_a_decided_comparison_takes_no_extra_round(make_repo, run_check) -> None:
    repo, base, head = setup(
        make_repo,
        {"bench.py": scripted(1.0)},
        base_files={"bench.py": scripted(1.0)},
        rounds=3,
    )
    findings, ws = run_check(repo, base, head)
    assert [f.rule for f in findings] == ["benchmark-summary"]
    assert samples(ws)["rounds_run"] == 3


def test_the_default_round_limit_is_three_times_rounds_and_never_below_rounds() -> None:
    policy = parse_policy(b"[benchmark]\nrounds = 4\n", "crewchief.toml")
    assert policy.benchmark.round_limit == 12
    assert parse_policy(b"[benchmark]\nmax_rounds = 7\n", "x").benchmark.round_limit == 7
    with pytest.raises(SpecError, match=r"max_rounds \(3\) is below rounds \(5\)"):
        parse_policy(b"[benchmark]\nmax_rounds = 3\n", "crewchief.toml")


def test_every_rule_the_check_emits_is_in_its_table() -> None:
    assert CHECK.rules is RULES
    assert {r.id: (r.severity, r.blocking) for r in RULES} == {
        "benchmark-timeout": ("high", True),
        "benchmark-failed-base": ("medium", False),
        "benchmark-failed-head": ("high", True),
        "benchmark-unparsable": ("high", True),
        "benchmark-missing": ("medium", False),
        "regression": ("high", True),
        "too-noisy": ("medium", False),
        "improvement": ("info", False),
        "benchmark-summary": ("info", False),
    }
    source = Path(check_module.__file__).read_text()
    used = set(re.findall(r'RULES\["([a-z-]+)"\]', source))
    used |= set(re.findall(r'rule = "([a-z-]+)" if side == "base" else "([a-z-]+)"', source)[0])
    assert used == {r.id for r in RULES}


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
        max_rounds=2,  # what is tested is the format: no further rounds when the verdict is noisy
    )
    findings, ws = run_check(repo, base, head)
    assert not any(f.blocking for f in findings), findings
    doc = samples(ws)
    assert {r["format"] for r in doc["runs"]} == {"pytest-benchmark"}
    assert list(doc["comparisons"]) == ["bench_test.py::test_f"]
    # Raw samples were read (pytest-benchmark writes them), not only its summary statistics.
    assert all(r["benchmarks"]["bench_test.py::test_f"]["count"] >= 5 for r in doc["runs"])
    # The interpreter the command names by path is the one that ran, not whatever is on PATH.
    logs = sorted(ws.evidence_dir.glob("*-bench-*.log"))
    assert logs
    assert all(log.read_text().startswith(f"$ {PY} -m pytest ") for log in logs)


def test_no_benchmark_command_skips(make_repo, run_check) -> None:
    repo: Repo = make_repo({"crewchief.toml": "[tests]\ncommand = 'pytest'\n"})
    head = repo.commit({"a.txt": "x\n"})
    with pytest.raises(CheckSkipped, match=r"no \[benchmark\] command"):
        run_check(repo, repo.git("rev-parse", "HEAD~1"), head)


def test_through_the_gate_the_evidence_is_listed_and_no_worktree_is_left(make_repo) -> None:
    repo, _, _ = setup(
        make_repo,
        {"bench.py": scripted(2.0, 2.1)},
        base_files={"bench.py": scripted(1.0, 1.05)},
        rounds=3,
    )
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


def test_through_the_gate_too_noisy_is_review_not_pass(make_repo) -> None:
    repo, _, _ = setup(
        make_repo,
        {"bench.py": scripted(2.0, 0.7)},
        base_files={"bench.py": scripted(1.0)},
        rounds=2,
        max_rounds=4,
    )
    report = run_gate(
        GateRequest(
            repo=repo.path, base="HEAD~1", head="HEAD", only=["performance"], use_cache=False
        )
    )
    check = next(c for c in report.checks if c.name == "performance")
    assert [f.rule for f in check.findings if f.rule != "benchmark-summary"] == ["too-noisy"]
    assert report.verdict == "review"
