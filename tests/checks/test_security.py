"""The security check as the gate runs it: bandit, taint and Unicode findings, new ones only."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest

from crewchief.gate.cache import Cache
from crewchief.gate.change import Change
from crewchief.gate.check import CheckContext
from crewchief.gate.checks.security.check import CHECK
from crewchief.gate.engine import GateRequest, run_gate
from crewchief.gate.findings import Finding, Severity, Verdict
from crewchief.spec.policy import Policy, SecurityPolicy


def run(
    base: dict[str, Any], head: dict[str, Any], policy: Policy | None = None, **kw: Any
) -> list[Finding]:
    ctx = CheckContext(Change.from_files(base, head), policy or Policy(), **kw)
    return list(CHECK.run(ctx))


def rules(findings: list[Finding]) -> list[str]:
    return sorted(f.rule for f in findings)


SAFE_VIEW = """\
import sqlite3
from flask import Flask, request

app = Flask(__name__)


@app.route("/user")
def user():
    name = request.args["name"]
    cur = sqlite3.connect("db").cursor()
    cur.execute("SELECT * FROM users WHERE name = ?", (name,))
    return "ok"
"""

UNSAFE_VIEW = SAFE_VIEW.replace(
    'cur.execute("SELECT * FROM users WHERE name = ?", (name,))',
    "cur.execute(f\"SELECT * FROM users WHERE name = '{name}'\")",
)


def test_check_interface() -> None:
    assert (CHECK.name, CHECK.kind) == ("security", "static")
    assert CHECK.version


# taint through the check ---------------------------------------------------------------------


def test_sql_injection_introduced_by_head_blocks() -> None:
    found = run({"app.py": SAFE_VIEW}, {"app.py": UNSAFE_VIEW})
    taint = [f for f in found if f.rule == "taint-sql-injection"]
    assert len(taint) == 1
    finding = taint[0]
    assert (finding.severity, finding.blocking, finding.cwe) == (Severity.HIGH, True, "CWE-89")
    assert (finding.path, finding.line) == ("app.py", 11)
    assert "request.args (line 9)" in finding.message and "(line 11)" in finding.message
    assert "user()" in finding.message
    assert finding.snippet and finding.snippet.startswith("cur.execute(f")


def test_parameterised_sql_is_not_flagged() -> None:
    found = run({}, {"app.py": SAFE_VIEW})
    assert not [f for f in found if f.rule.startswith("taint-")]


@pytest.mark.parametrize(
    ("sink", "rule", "blocking", "cwe"),
    [
        ("os.system('x ' + v)", "taint-command-injection", True, "CWE-78"),
        ("eval(v)", "taint-code-injection", True, "CWE-95"),
        ("pickle.loads(v)", "taint-unsafe-deserialization", True, "CWE-502"),
        ("open(v)", "taint-path-traversal", False, "CWE-22"),
        ("ET.fromstring(v)", "taint-xml-parsing", False, "CWE-611"),
    ],
)
def test_taint_rules_severity_and_blocking(sink: str, rule: str, blocking: bool, cwe: str) -> None:
    code = (
        "import os, pickle\nimport xml.etree.ElementTree as ET\n\n"
        f"def f():\n    v = input()\n    return {sink}\n"
    )
    found = [f for f in run({}, {"m.py": code}) if f.rule == rule]
    assert [(f.severity, f.blocking, f.cwe) for f in found] == [(Severity.HIGH, blocking, cwe)]


def test_path_from_a_web_request_blocks() -> None:
    code = (
        "import os\nfrom flask import request\n\n"
        "def export():\n    return open(os.path.join('/srv', request.args['name'])).read()\n"
    )
    (finding,) = [f for f in run({}, {"m.py": code}) if f.rule == "taint-path-traversal"]
    assert (finding.severity, finding.blocking, finding.cwe) == (Severity.HIGH, True, "CWE-22")


def test_old_flow_in_base_is_not_reported() -> None:
    head = UNSAFE_VIEW + "\n\ndef helper():\n    return 1\n"
    found = run({"app.py": UNSAFE_VIEW}, {"app.py": head})
    assert found == []


def test_function_moved_to_another_file_is_not_new() -> None:
    func = UNSAFE_VIEW.split("@app.route")[1]
    prelude = UNSAFE_VIEW.split("@app.route")[0]
    base = {"views/a.py": UNSAFE_VIEW, "views/b.py": prelude}
    head = {"views/a.py": prelude, "views/b.py": prelude + "\n# moved\n@app.route" + func}
    assert run(base, head) == []


def test_renamed_file_keeps_its_old_findings_old() -> None:
    assert run({"old.py": UNSAFE_VIEW}, {"new.py": UNSAFE_VIEW}) == []


def test_new_source_into_an_old_sink_in_another_function_is_new() -> None:
    base = "import os\n\ndef a():\n    os.system(input())\n"
    head = base + "\ndef b():\n    os.system(input())\n"
    found = run({"m.py": base}, {"m.py": head})
    taint = [f for f in found if f.rule == "taint-command-injection"]
    assert [f.line for f in taint] == [7]


# bandit ---------------------------------------------------------------------------------------


BANDIT_BASE = """\
import subprocess


def old(cmd):
    subprocess.call(cmd, shell=True)
"""


def test_bandit_reports_only_new_findings() -> None:
    new = "def new(url):\n    import requests\n    return requests.get(url, verify=False, timeout=5)\n"
    head = BANDIT_BASE + "\n\n" + new
    found = run({"tool.py": BANDIT_BASE}, {"tool.py": head})
    assert rules(found) == ["bandit-b501"]
    finding = found[0]
    assert finding.cwe == "CWE-295"
    assert finding.line == 10
    assert finding.blocking  # B501 is high severity, high confidence
    assert "B501" in finding.message


def test_bandit_high_high_blocks_and_others_do_not() -> None:
    head = BANDIT_BASE + "\n\ndef again(cmd):\n    subprocess.Popen(cmd, shell=True)\n"
    found = run({"tool.py": BANDIT_BASE}, {"tool.py": head})
    (b602,) = [f for f in found if f.rule == "bandit-b602"]
    assert (b602.severity, b602.blocking, b602.cwe) == (Severity.HIGH, True, "CWE-78")
    code = "import hashlib\n\ndef h(x):\n    return hashlib.md5(x)\n"
    (md5,) = [f for f in run({}, {"h.py": code}) if f.rule == "bandit-b324"]
    assert md5.severity is Severity.HIGH and md5.cwe == "CWE-327"
    low = [f for f in run({}, {"lib.py": "def f(x):\n    assert x\n"}) if f.rule == "bandit-b101"]
    assert [(f.severity, f.blocking) for f in low] == [(Severity.LOW, False)]


def test_weak_hash_and_old_protocol_findings_ask_for_review_only() -> None:
    code = "import ftplib\nimport hashlib\n\ndef h(pw):\n    return hashlib.md5(pw).hexdigest()\n"
    found = {f.rule: f for f in run({}, {"h.py": code})}
    assert found["bandit-b324"].severity is Severity.HIGH
    assert found["bandit-b402"].severity is Severity.HIGH
    assert not any(f.blocking for f in found.values())


def test_hardcoded_password_finding_does_not_repeat_the_password() -> None:
    code = 'def connect(db):\n    return db.login(password="hunter2-Zq9")\n'
    (finding,) = run({}, {"c.py": code})
    assert finding.rule == "bandit-b106"
    assert "hunter2" not in finding.message and finding.snippet is None


def test_trojan_source_is_reported_once_not_again_by_bandit() -> None:
    found = run({}, {"t.py": "x = 1  # \u202e\n"})
    assert rules(found) == ["bidi-control"]


def test_nosec_added_by_the_change_does_not_hide_a_finding() -> None:
    head = BANDIT_BASE + "\n\ndef again(cmd):\n    subprocess.Popen(cmd, shell=True)  # nosec\n"
    found = run({"tool.py": BANDIT_BASE}, {"tool.py": head})
    assert "bandit-b602" in rules(found)


def test_assert_in_tests_is_not_reported() -> None:
    code = "def test_x():\n    assert 1 + 1 == 2\n"
    assert run({}, {"tests/test_x.py": code}) == []
    assert rules(run({}, {"src/x.py": code})) == ["bandit-b101"]


def test_policy_ignore_and_min_severity() -> None:
    head = "import subprocess, os\n\ndef f():\n    subprocess.call(input(), shell=True)\n"
    everything = rules(run({}, {"t.py": head}))
    assert everything == ["bandit-b404", "bandit-b602", "taint-command-injection"]
    ignore = Policy(security=SecurityPolicy(ignore=["B602", "taint-command-injection"]))
    assert rules(run({}, {"t.py": head}, ignore)) == ["bandit-b404"]
    high = Policy(security=SecurityPolicy(bandit_min_severity="high"))
    assert rules(run({}, {"t.py": head}, high)) == ["bandit-b602", "taint-command-injection"]


# unicode through the check -------------------------------------------------------------------


def test_trojan_source_in_any_text_file_is_reported() -> None:
    found = run({}, {"notes.txt": "ok\n", "lib.js": "const s = 'a\u202eb';\n"})
    assert [(f.rule, f.path, f.cwe) for f in found] == [("bidi-control", "lib.js", "CWE-451")]


def test_every_finding_carries_a_cwe() -> None:
    head = {
        "a.py": UNSAFE_VIEW + "\ndef g(x):\n    assert x\n    eval(x)\n",
        "b.py": "v\u200b = 1\n",
    }
    found = run({}, head)
    assert found
    assert all(f.cwe and f.cwe.startswith("CWE-") for f in found)
    assert all(f.fingerprint for f in found)


# hostile input -------------------------------------------------------------------------------


def test_hostile_files_do_not_crash() -> None:
    head: dict[str, Any] = {
        "syntax.py": "def broken(:\n    os.system(input())\n",
        "latin1.py": b"x = '\xe9\xff'\nimport os\nos.system(input())\n",
        "huge.py": "x = '" + "a" * 10_000_000 + "'\n",
        "binary.py": b"\x00\x01\x02\x03" * 1000,
        "nul.py": "x = 1\0\n",
        "deep.py": "x = " + "-" * 100_000 + "1\n",
        "py2.py": "print 'hi'\nexec code\n",
        "cookie.py": b"# -*- coding: latin-1 -*-\nimport os\nos.system('\xe9' + input())\n",
    }
    found = run({}, head)
    # Only the file Python itself could run is analysed; the rest are skipped, not fatal.
    assert {(f.path, f.rule) for f in found} == {
        ("cookie.py", "taint-command-injection"),
        ("cookie.py", "bandit-b605"),
        ("cookie.py", "import-time-effect"),  # os.system at module level runs on import
    }


def test_huge_line_is_fast_enough() -> None:
    start = time.monotonic()
    run({}, {"huge.py": "import os\nx = '" + "a" * 10_000_000 + "'\nos.system(input())\n"})
    assert time.monotonic() - start < 20


# cache ----------------------------------------------------------------------------------------


def _memo_keys(db: Path) -> list[str]:
    with sqlite3.connect(db) as conn:
        return [
            row[0] for row in conn.execute("SELECT key FROM memo") if row[0].startswith("security")
        ]


def test_results_are_cached_per_blob(tmp_path: Path) -> None:
    db = tmp_path / "cache.sqlite"
    cache = Cache(db)
    head = {"app.py": UNSAFE_VIEW + "\n\ndef helper():\n    return 1\n"}
    try:
        first = run({"app.py": UNSAFE_VIEW}, head, cache=cache)
        second = run({"app.py": UNSAFE_VIEW}, head, cache=cache)
        new = run({"app.py": SAFE_VIEW}, head, cache=cache)
    finally:
        cache.close()
    assert first == second == []
    # bandit and taint for the base blob and the head blob, the structural rules for the head
    # blob, and the removed-protection comparison for each (base, head) pair
    assert len(_memo_keys(db)) == 7
    assert {f.rule for f in new} == {"taint-sql-injection", "bandit-b608"}


def test_base_is_not_scanned_when_no_flagged_line_exists_there(tmp_path: Path) -> None:
    db = tmp_path / "cache.sqlite"
    cache = Cache(db)
    try:
        found = run({"app.py": SAFE_VIEW}, {"app.py": UNSAFE_VIEW}, cache=cache)
    finally:
        cache.close()
    assert found
    # head only (bandit, taint, structural; and the base-to-head comparison): the base has no
    # line the head findings flag
    assert len(_memo_keys(db)) == 4


# end to end ------------------------------------------------------------------------------------


def test_end_to_end_through_a_real_repository(make_repo: Any) -> None:
    repo = make_repo({"app.py": SAFE_VIEW, "README.md": "# app\n"})
    base = repo.git("rev-parse", "HEAD")
    head = repo.commit({"app.py": UNSAFE_VIEW, "README.md": "# app\u202e\n"}, "agent change")
    request = GateRequest(repo=repo.path, base=base, head=head, only=["security"], use_cache=False)
    report = run_gate(request)
    assert [c.name for c in report.checks] == ["security"]
    assert report.verdict is Verdict.BLOCK
    findings = report.to_json()["findings"]
    assert {(f["rule"], f["path"], f["cwe"]) for f in findings} == {
        ("taint-sql-injection", "app.py", "CWE-89"),
        ("bandit-b608", "app.py", "CWE-89"),
        ("bidi-control", "README.md", "CWE-451"),
    }


def test_end_to_end_clean_change_passes(make_repo: Any) -> None:
    repo = make_repo({"app.py": UNSAFE_VIEW})
    base = repo.git("rev-parse", "HEAD")
    head = repo.commit({"app.py": UNSAFE_VIEW + "\n\ndef ping():\n    return 'pong'\n"}, "add ping")
    report = run_gate(GateRequest(repo=repo.path, base=base, head=head, only=["security"]))
    assert report.findings == ()
    assert report.checks[0].status.value == "passed"


def test_non_utf8_file_name_with_the_cache_on(make_repo: Any) -> None:
    repo = make_repo({"README.md": "# x\n"})
    base = repo.git("rev-parse", "HEAD")
    head = repo.commit({b"caf\xe9.py": "import os\nos.system(input())\n"}, "hostile name")
    request = GateRequest(repo=repo.path, base=base, head=head, only=["security"])
    for _ in range(2):  # cold, then from the cache
        report = run_gate(request)
        assert report.checks[0].status.value == "failed"
        assert "taint-command-injection" in {f.rule for f in report.findings}


def test_concurrent_runs_agree_with_a_single_run() -> None:
    from concurrent.futures import ThreadPoolExecutor

    cases = [({"a.py": SAFE_VIEW}, {"a.py": UNSAFE_VIEW}), ({}, {"t.py": BANDIT_BASE})]
    expected = [run(base, head) for base, head in cases]
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(lambda i: run(*cases[i % 2]), range(12)))
    assert all(results[i] == expected[i % 2] for i in range(12))
    assert all(expected)
