"""The security check's issue 11 rules as the gate reports them: weak hashes, insecure cookies,
the new taint rules' CWEs and blocking, and bandit sink findings the taint analysis proves clean."""

from __future__ import annotations

import pytest

from crewchief.gate.change import Change
from crewchief.gate.check import CheckContext
from crewchief.gate.checks.security.check import CHECK
from crewchief.gate.findings import Finding, Severity
from crewchief.spec.policy import Policy


def run(code: str, path: str = "app.py") -> list[Finding]:
    return list(CHECK.run(CheckContext(Change.from_files({}, {path: code}), Policy())))


def by_rule(findings: list[Finding], rule: str) -> list[Finding]:
    return [f for f in findings if f.rule == rule]


@pytest.mark.parametrize(
    ("call", "found"),
    [
        ("hashlib.md5(pw.encode()).hexdigest()", True),
        ("hashlib.sha1(pw.encode())", True),
        ("hashlib.new('md5', pw.encode())", True),
        ("hmac.new(key, pw.encode(), hashlib.md5)", True),
        ("hashlib.md5(pw.encode(), usedforsecurity=False)", False),
        ("hashlib.sha256(pw.encode())", False),
        ("hmac.new(key, pw.encode(), hashlib.sha256)", False),
        ("hashlib.new(ALGO, pw.encode())", False),
    ],
)
def test_weak_hash(call: str, found: bool) -> None:
    code = f"import hashlib, hmac\nALGO = 'sha256'\n\ndef h(pw, key):\n    return {call}\n"
    hits = by_rule(run(code), "weak-hash")
    assert len(hits) == int(found)
    if found:
        assert hits[0].cwe == "CWE-328" and not hits[0].blocking


def test_weak_hash_in_a_dead_branch_is_quiet() -> None:
    code = (
        "import hashlib\nLEGACY = False\n\ndef h(d):\n    if LEGACY:\n"
        "        return hashlib.md5(d).hexdigest()\n    return hashlib.sha256(d).hexdigest()\n"
    )
    assert by_rule(run(code), "weak-hash") == []


@pytest.mark.parametrize(
    ("args", "found"),
    [
        ("'sid', v", True),
        ("'sid', v, httponly=True", True),
        ("'sid', v, secure=False", True),
        ("'sid', v, secure=INSECURE", True),
        ("'sid', v, secure=True, httponly=True", False),
        ("'sid', v, secure=not INSECURE", False),
        ("'sid', v, **OPTS", False),
        ("'sid', v, secure=request.is_secure", False),
    ],
)
def test_insecure_cookie(args: str, found: bool) -> None:
    code = (
        "INSECURE = False\nOPTS = {'secure': True, 'httponly': True}\n\n"
        f"def login(request, resp, v):\n    resp.set_cookie({args})\n    return resp\n"
    )
    hits = by_rule(run(code), "insecure-cookie")
    assert len(hits) == int(found)
    if found:
        assert hits[0].cwe == "CWE-614" and hits[0].severity == Severity.MEDIUM


@pytest.mark.parametrize(
    ("line", "rule", "cwe", "blocking"),
    [
        ("return f\"<p>{request.args['q']}</p>\"", "taint-xss", "CWE-79", False),
        ("return redirect(request.args['next'])", "taint-open-redirect", "CWE-601", False),
        ("session['role'] = request.args['r']", "taint-trust-boundary", "CWE-501", False),
        ("return T.xpath(\"//u[@n='\" + request.args['n'] + \"']\")", "taint-xpath-injection",
         "CWE-643", True),
    ],
)  # fmt: skip
def test_new_taint_rules_carry_their_cwe(line: str, rule: str, cwe: str, blocking: bool) -> None:
    code = (
        "from flask import Flask, request, redirect, session\nfrom lxml import etree\n"
        "app = Flask(__name__)\nT = etree.parse('u.xml')\n\n"
        f"@app.route('/x')\ndef v():\n    {line}\n"
    )
    hits = by_rule(run(code), rule)
    assert [(h.cwe, h.blocking, h.line) for h in hits] == [(cwe, blocking, 8)]


BANDIT_SHELL = """\
import subprocess
from flask import Flask, request

app = Flask(__name__)


@app.route("/v")
def version():
    fmt = request.args.get("format", "short")
    command = "git describe --tags"
    if fmt == "long":
        command = "git describe --tags --long"
    return subprocess.check_output(command, shell=True)


def run(cmd):
    return subprocess.check_output(cmd, shell=True)
"""


def test_bandit_shell_finding_on_a_proven_constant_command_is_low() -> None:
    b602 = {f.line: f for f in by_rule(run(BANDIT_SHELL), "bandit-b602")}
    constant, parameter = b602[13], b602[17]
    assert (constant.severity, constant.blocking) == (Severity.LOW, False)
    assert "only constants and checked values" in constant.message
    # A helper's parameter is not proven: bandit's judgement stands.
    assert parameter.blocking


def test_bandit_sql_finding_is_low_when_the_value_is_an_int() -> None:
    code = (
        "import sqlite3\nfrom flask import Flask, request\napp = Flask(__name__)\n\n"
        "@app.route('/p')\ndef p():\n    n = int(request.args['n'])\n"
        "    return sqlite3.connect('d').execute(f'SELECT * FROM t LIMIT {n}').fetchall()\n"
    )
    b608 = by_rule(run(code), "bandit-b608")
    assert [(f.severity, f.blocking) for f in b608] == [(Severity.LOW, False)]
