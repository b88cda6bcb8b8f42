"""The `secrets` check. Every secret here is generated at run time from a seeded random source, so
this file holds nothing a scanner (or a code host's push protection) would take for a real key."""

from __future__ import annotations

import base64
import inspect
import json
import random
import sqlite3
import string
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from crewchief.gate.cache import Cache
from crewchief.gate.change import Change
from crewchief.gate.check import CheckContext
from crewchief.gate.checks.secrets import check as secret_check
from crewchief.gate.checks.secrets import rules as secret_rules
from crewchief.gate.checks.secrets.check import CHECK
from crewchief.gate.engine import GateRequest, gate_change, run_gate
from crewchief.gate.findings import Finding, Severity, Verdict
from crewchief.spec.policy import Policy

ALNUM = string.ascii_letters + string.digits
UPPER = string.ascii_uppercase + string.digits
URLSAFE = ALNUM + "-_"
PRAGMA = "pragma: " + "allowlist secret"  # split, so this file does not allow-list itself
NEXTLINE_PRAGMA = "pragma: " + "allowlist nextline secret"


def fake(n: int, alphabet: str = ALNUM, seed: int = 0) -> str:
    rnd = random.Random(f"{seed}:{n}:{alphabet}")
    return "".join(rnd.choice(alphabet) for _ in range(n))


def pem(kind: str = "RSA", seed: int = 1) -> list[str]:
    body = base64.b64encode(random.Random(seed).randbytes(900)).decode()
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    label = f"{kind} PRIVATE KEY" if kind else "PRIVATE KEY"
    return [f"-----BEGIN {label}-----", *lines, f"-----END {label}-----"]


def run(
    base: Mapping[str, str | bytes],
    head: Mapping[str, str | bytes],
    policy: dict[str, object] | None = None,
) -> list[Finding]:
    ctx = CheckContext(Change.from_files(base, head), Policy.model_validate(policy or {}))
    return list(CHECK.run(ctx))


def rules(findings: list[Finding]) -> set[tuple[str, str | None, bool]]:
    return {(f.rule, f.path, f.blocking) for f in findings}


# Realistic added lines: (rule, severity, path, line). Each value is generated, never written out.
FORMATS: list[tuple[str, Severity, str, str]] = [
    ("aws-access-key", Severity.CRITICAL, "deploy.py", f'KEY_ID = "AKIA{fake(16, UPPER)}"'),
    (
        "aws-secret-access-key",
        Severity.CRITICAL,
        "deploy.py",
        f"session = boto3.Session(aws_secret_access_key='{fake(40, ALNUM + '/+')}')",
    ),
    ("github-token", Severity.CRITICAL, "ci.sh", f"export GH_TOKEN=ghp_{fake(36)}"),
    ("github-token", Severity.CRITICAL, "bot.py", f'PAT = "github_pat_{fake(22)}_{fake(59)}"'),
    (
        "gitlab-token",
        Severity.CRITICAL,
        "ci.py",
        f'headers = {{"PRIVATE-TOKEN": "glpat-{fake(20)}"}}',
    ),
    (
        "slack-token",
        Severity.HIGH,
        "notify.py",
        f'client = WebClient("xoxb-{fake(11, string.digits)}-{fake(12, string.digits)}-'
        f'{fake(24, string.ascii_lowercase + string.digits)}")',
    ),
    (
        "slack-webhook",
        Severity.HIGH,
        "notify.js",
        f"const hook = 'https://hooks.slack.com/services/T{fake(8, UPPER)}/B{fake(8, UPPER)}/"
        f"{fake(24)}';",
    ),
    ("stripe-secret-key", Severity.CRITICAL, "pay.rb", f'Stripe.api_key = "sk_live_{fake(24)}"'),
    (
        "sendgrid-api-key",
        Severity.HIGH,
        "mail.py",
        f'sg = SendGridAPIClient("SG.{fake(22, URLSAFE)}.{fake(43, URLSAFE)}")',
    ),
    (
        "azure-storage-key",
        Severity.CRITICAL,
        "settings.py",
        f'CONN = "DefaultEndpointsProtocol=https;AccountName=acme;AccountKey={fake(86, ALNUM + "+/")}=="',
    ),
    ("square-oauth-secret", Severity.HIGH, "sq.py", f'SQUARE = "sq0csp-{fake(43, URLSAFE)}"'),
    (
        "pypi-token",
        Severity.CRITICAL,
        ".pypirc",
        f"password = pypi-AgEIcHlwaS5vcmc{fake(120, URLSAFE)}",
    ),
    (
        "openai-api-key",
        Severity.CRITICAL,
        "llm.py",
        f'client = OpenAI(api_key="sk-proj-{fake(120, URLSAFE)}")',
    ),
    ("openai-api-key", Severity.CRITICAL, "llm.py", f'OPENAI_KEY = "sk-{fake(48)}"'),
    (
        "openai-api-key",
        Severity.CRITICAL,
        "llm_legacy.py",
        f'OPENAI_KEY = "sk-{fake(20)}T3BlbkFJ{fake(20)}"',
    ),
    (
        "anthropic-api-key",
        Severity.CRITICAL,
        "agent.py",
        f'client = Anthropic(api_key="sk-ant-api03-{fake(93, URLSAFE)}AA")',
    ),
    ("google-api-key", Severity.HIGH, "maps.js", f'const key = "AIza{fake(35, URLSAFE)}";'),
    ("npm-token", Severity.HIGH, ".npmrc", f"//registry.npmjs.org/:_authToken=npm_{fake(36)}"),
    ("npm-token", Severity.HIGH, "ci/.npmrc", f"//npm.acme.io/:_authToken={fake(40, URLSAFE)}"),
    (
        "huggingface-token",
        Severity.HIGH,
        "hub.py",
        f'login(token="hf_{fake(34, string.ascii_letters)}")',
    ),
    (
        "mailchimp-api-key",
        Severity.HIGH,
        "news.py",
        f'MC = "{fake(32, string.hexdigits.lower()[:16])}-us12"',
    ),
    (
        "digitalocean-token",
        Severity.HIGH,
        "infra.tf",
        f'token = "dop_v1_{fake(64, string.hexdigits.lower()[:16])}"',
    ),
    (
        "url-credentials",
        Severity.HIGH,
        "settings.py",
        f'DATABASE_URL = "postgres://app:{fake(24)}@db.internal:5432/app"',
    ),
    (
        "secret-assignment",
        Severity.HIGH,
        "settings.py",
        f'SECRET_KEY = "{fake(50, ALNUM + "!@#%^&*")}"',
    ),
    (
        "secret-assignment",
        Severity.HIGH,
        "client.py",
        f'self.api_key = "{fake(32, string.hexdigits.lower()[:16])}"',
    ),
    ("secret-assignment", Severity.HIGH, "config.json", f'{{"client_secret": "{fake(24)}"}}'),
    ("secret-assignment", Severity.HIGH, "config.yaml", f"  password: {fake(18)}"),
    ("secret-assignment", Severity.HIGH, "main.go", f'apiToken := "{fake(30)}"'),
    ("secret-assignment", Severity.HIGH, "api.ts", f'const authToken: string = "{fake(30)}";'),
    (
        "secret-assignment",
        Severity.HIGH,
        "http.py",
        f'headers = {{"Authorization": "Bearer {fake(40, URLSAFE)}"}}',
    ),
]


@pytest.mark.parametrize(
    ("rule", "severity", "path", "line"), FORMATS, ids=[f"{r}:{p}" for r, _, p, _ in FORMATS]
)
def test_each_rule_fires_on_a_realistic_added_line(
    rule: str, severity: Severity, path: str, line: str
) -> None:
    found = run({path: "import os\n"}, {path: f"import os\n\n{line}\n"})
    assert [(f.rule, f.severity, f.blocking, f.cwe, f.line) for f in found] == [
        (rule, severity, True, "CWE-798", 3)
    ]
    assert found[0].fingerprint and found[0].snippet


def test_jwt_asks_for_review_only() -> None:
    header = base64.urlsafe_b64encode(b'{"alg":"HS256","typ":"JWT"}').decode().rstrip("=")
    claims = base64.urlsafe_b64encode(b'{"sub":"42","exp":1999999999}').decode().rstrip("=")
    token = f"{header}.{claims}.{fake(43, URLSAFE)}"
    found = run({}, {"client.py": f'SESSION = "{token}"\n'})
    assert [(f.rule, f.severity, f.blocking) for f in found] == [("jwt", Severity.MEDIUM, False)]


def test_private_key_block_is_one_critical_finding_at_its_begin_line() -> None:
    text = "\n".join(["# deploy key", *pem("OPENSSH"), ""])
    found = run({}, {"deploy/key.txt": text})
    assert [(f.rule, f.severity, f.blocking, f.line) for f in found] == [
        ("private-key", Severity.CRITICAL, True, 2)
    ]
    assert (found[0].snippet or "").startswith("OPENSSH PRIVATE KEY …(")


@pytest.mark.parametrize("kind", ["RSA", "EC", "DSA", "OPENSSH", "ENCRYPTED", "", "PGP"])
def test_every_private_key_kind_is_found(kind: str) -> None:
    lines = pem(kind)
    if kind == "PGP":
        lines = [line.replace("KEY-----", "KEY BLOCK-----") for line in lines]
    found = run({}, {"secrets/key.asc": "\n".join(lines) + "\n"})
    assert [(f.rule, f.severity, f.blocking, f.line) for f in found] == [
        ("private-key", Severity.CRITICAL, True, 1)
    ]


def test_a_putty_key_is_found() -> None:
    body = base64.b64encode(random.Random(5).randbytes(600)).decode()
    lines = [
        "PuTTY-User-Key-File-2: ssh-rsa",
        "Encryption: none",
        "Public-Lines: 1",
        fake(64, ALNUM + "+/"),
        "Private-Lines: 8",
        *(body[i : i + 64] for i in range(0, len(body), 64)),
        f"Private-MAC: {fake(40, string.hexdigits.lower()[:16])}",
    ]
    found = run({}, {"deploy.ppk": "\n".join(lines) + "\n"})
    assert rules(found) == {("private-key", "deploy.ppk", True)}


def test_a_new_key_between_unchanged_markers_is_reported() -> None:
    old, new = pem(seed=1), pem(seed=2)
    found = run({"k.pem": "\n".join(old) + "\n"}, {"k.pem": "\n".join(new) + "\n"})
    assert rules(found) == {("private-key", "k.pem", True)}
    assert found[0].line == 1


def test_a_key_in_a_json_string_is_found_and_matches_its_pem_form() -> None:
    escaped = "\\n".join(pem(""))
    doc = f'{{"type": "service_account", "private_key": "{escaped}\\n"}}\n'
    assert rules(run({}, {"sa.json": doc})) == {("private-key", "sa.json", True)}
    # The same key moved from a PEM file into the JSON file is not new.
    pem_text = "\n".join(pem(""))
    assert run({"key.pem": pem_text + "\n"}, {"sa.json": doc}) == []


def test_key_markers_without_a_body_are_not_a_key() -> None:
    code = 'if line.startswith("-----BEGIN RSA PRIVATE KEY-----"):\n    kind = "rsa"\n'
    assert run({}, {"parse.py": code}) == []
    code = (
        'MARK = "-----BEGIN RSA PRIVATE KEY-----"\n'
        f'checksum="{fake(44)}"\n'
        f'    digest = "{fake(44)}"\n'
        "-----END RSA PRIVATE KEY-----\n"
    )
    assert run({}, {"parse.py": code}) == []


def test_a_key_pasted_into_code_as_quoted_lines_is_found() -> None:
    code = "KEY = (\n" + "".join(f'    "{line}\\n"\n' for line in pem()) + ")\n"
    assert rules(run({}, {"app/keys.py": code})) == {("private-key", "app/keys.py", True)}


def test_secrets_already_in_base_are_old_debt() -> None:
    key = f'AWS_KEY = "AKIA{fake(16, UPPER)}"'
    token = f"GH = 'ghp_{fake(36)}'"
    base = {"settings.py": f"DEBUG = False\n{key}\n", "old.py": f"{token}\nx = 1\n"}
    head = {
        # unchanged secret line, a new line elsewhere in the file
        "settings.py": f"DEBUG = True\n{key}\nTIMEOUT = 3\n",
        # the token moved to a new file (the old one deleted) and re-indented
        "new.py": f"def f():\n    {token}\n",
    }
    assert run(base, head) == []


def test_a_copy_of_a_base_secret_elsewhere_in_the_change_is_old_debt_but_a_new_one_is_not() -> None:
    old = f'API_KEY = "{fake(32, seed=1)}"'
    new = f'API_KEY = "{fake(32, seed=2)}"'
    base = {"a.py": f"{old}\n"}
    # Only the changed files' base versions are known, so the copy's source is edited too.
    assert run(base, {"a.py": f"{old}\nx = 1\n", "b.py": f"{old}\n"}) == []
    assert rules(run(base, {"a.py": f"{old}\nx = 1\n", "b.py": f"{new}\n"})) == {
        ("secret-assignment", "b.py", True)
    }


PLACEHOLDERS = [
    'password = "changeme"',
    'PASSWORD = "CHANGE_ME"',
    'api_key = "<your-api-key>"',
    'token = "${GITHUB_TOKEN}"',
    'token = "{{ vault_token }}"',
    "secret: '{{ .Values.secret }}'",
    'password = os.environ["DB_PASSWORD"]',
    'api_key = os.getenv("API_KEY")',
    'api_key = os.environ.get("API_KEY", "")',
    "secret = None",
    'password = ""',
    'token = "xxxxxxxxxxxxxxxxxxxxxxxxxxxx"',
    'api_key = "abcdefghijklmnopqrstuvwxyz"',
    'api_key = "0123456789abcdef0123"',
    'password = "password123"',
    'password = "p4ssw0rd!"',
    'secret = "secret"',
    'token = "test-token"',
    'api_key = "dummy-key-123"',
    'api_key = "example-api-key-1234567890"',
    'client_secret = "your_client_secret_here"',
    'aws_key = "AKIAIOSFODNN7EXAMPLE"',
    "token = 'ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'",
    'max_tokens = "4096"',
    'password_hash = "$2b$12$KIXQJ3vVd3x5l6Jp9kVQ0eZ7QYF2m3NnN6yqLkX0aZ1bC2dE3fG4h"',
    'secret_name = "prod/db/password"',
    'token_url = "https://auth.example.com/oauth/token"',
    'auth = "required"',
    'API_KEY_ENV = "OPENAI_API_KEY"',
    "password = settings.DB_PASSWORD",
    'password_label = "Enter your password"',
    'session_token_cookie = "MyApplicationSessionCookie"',
    'PASSWORD = "$DB_PASSWORD"',
    'token = "00000000-0000-0000-0000-000000000000"',
    'SECRET_KEY = "%(secret)s"',
    'DATABASE_URL = "postgres://user:password@localhost/app"',
    'DATABASE_URL = "postgres://app:${DB_PASSWORD}@db/app"',
    'CACHE = "redis://:changeme@localhost:6379/0"',
]


@pytest.mark.parametrize("line", PLACEHOLDERS)
def test_placeholders_and_lookups_do_not_fire(line: str) -> None:
    assert run({}, {"app/settings.py": f"{line}\n"}) == []


@pytest.mark.parametrize(
    "line",
    ["password: ${DB_PASSWORD}", "api_key: !vault |", "token: ENC[AES256,data:abc]", "auth: {}"],
)
def test_config_references_do_not_fire(line: str) -> None:
    assert run({}, {"deploy/values.yaml": f"{line}\n"}) == []


def test_weak_passwords_ask_for_review_in_code_and_say_nothing_in_tests() -> None:
    line = 'DB_PASSWORD = "hunter2024x"\n'
    found = run({}, {"app/db.py": line})
    assert [(f.rule, f.severity, f.blocking) for f in found] == [
        ("hardcoded-password", Severity.MEDIUM, False)
    ]
    assert run({}, {"tests/test_db.py": line}) == []
    assert run({}, {"tests/test_login.py": 'login(password="secret")\n'}) == []
    assert run({}, {"README.md": "password: hunter2024x\n"}) == []


def test_real_formats_and_random_literals_still_block_in_tests() -> None:
    aws = f'FIXTURE = "AKIA{fake(16, UPPER)}"\n'
    assert rules(run({}, {"tests/test_s3.py": aws})) == {
        ("aws-access-key", "tests/test_s3.py", True)
    }
    random_literal = f'client = Client(api_key="{fake(40)}")\n'
    assert rules(run({}, {"tests/test_client.py": random_literal})) == {
        ("secret-assignment", "tests/test_client.py", True)
    }


def test_random_literals_in_docs_block_too() -> None:
    found = run({}, {"docs/setup.md": f'    api_key = "{fake(40)}"\n'})
    assert [(f.rule, f.severity, f.blocking) for f in found] == [
        ("secret-assignment", Severity.HIGH, True)
    ]


def test_the_raw_secret_never_reaches_the_report() -> None:
    head = {f"f{i}/{path}": f"x = 1\n{line}\n" for i, (_, _, path, line) in enumerate(FORMATS)}
    head["keys/id_rsa"] = "\n".join(pem()) + "\n"
    report = gate_change(
        Change.from_files({}, head), Policy(), only=["secrets"], checks={"secrets": CHECK}
    )
    assert report.verdict == Verdict.BLOCK
    assert len(report.findings) == len(FORMATS) + 1
    text = json.dumps(report.to_json(), ensure_ascii=False)
    for _, _, _, line in FORMATS:
        for value in secret_rules.scan_line(line, config=True):
            raw = line[value.start : value.end]
            assert raw not in text
            assert secret_rules.mask(raw) in text
    for body in pem()[1:-1]:
        assert body not in text
    assert all("…(" in (f.snippet or "") for f in report.findings)


def test_masks_show_a_prefix_and_the_length_only() -> None:
    assert secret_rules.mask("AKIA" + "Q" * 16) == "AKIA…(20 chars)"
    assert secret_rules.mask("hunter2024") == "hu…(10 chars)"
    assert secret_rules.mask("abc12") == "…(5 chars)"


@pytest.mark.parametrize("name", [".env", ".env.local", ".env.production", "deploy/prod.env"])
def test_added_env_files_block(name: str) -> None:
    found = run({}, {name: "DEBUG=1\nDB_HOST=db\n"})
    assert ("dotenv-file", name, True) in rules(found)
    assert next(f for f in found if f.rule == "dotenv-file").severity == Severity.HIGH


def test_an_empty_env_file_is_only_noted_and_an_edited_one_is_not_new() -> None:
    assert rules(run({}, {".env": "# local settings\n"})) == {("dotenv-file", ".env", False)}
    assert run({".env": "DEBUG=1\n"}, {".env": "DEBUG=0\n"}) == []


@pytest.mark.parametrize("name", [".env.example", ".env.sample", ".env.template", ".env.dist"])
def test_env_templates_block_only_on_real_looking_values(name: str) -> None:
    template = (
        "DATABASE_URL=postgres://user:password@localhost/app\nSECRET_KEY=changeme\nAPI_TOKEN=\n"
    )
    assert run({}, {name: template}) == []
    real = template + f"STRIPE_SECRET={fake(32)}\n"
    assert rules(run({}, {name: real})) == {("secret-assignment", name, True)}


@pytest.mark.parametrize(
    "name", ["id_rsa", "keys/release.keystore", "certs/client.p12", "certs/server.pem", "app.jks"]
)
def test_binary_key_files_block(name: str) -> None:
    blob = b"0\x82\x04\xbe\x02\x01\x000\r\x06\t*\x86H\x86\xf7\r\x01\x01\x01\x05\x00" + bytes(64)
    assert rules(run({}, {name: blob})) == {("key-file", name, True)}


def test_other_binaries_and_public_material_are_skipped() -> None:
    blob = b"\x89PNG\r\n\x1a\n\x00\x00" + f"AKIA{fake(16, UPPER)}".encode() + bytes(32)
    cert = (
        "-----BEGIN CERTIFICATE-----\n" + fake(64, ALNUM + "+/") + "\n-----END CERTIFICATE-----\n"
    )
    head: dict[str, str | bytes] = {
        "logo.png": blob,
        "id_rsa.pub": "ssh-ed25519 " + fake(68) + " me@host\n",
        "ca.pem": cert,
    }
    assert run({}, head) == []


def test_deleted_files_are_skipped() -> None:
    assert run({".env": "TOKEN=" + fake(30) + "\n", "id_rsa": "\n".join(pem())}, {}) == []


def test_ignore_paths_are_not_scanned() -> None:
    head = {
        "fixtures/keys/a.py": f'TOKEN = "ghp_{fake(36)}"\n',
        "src/a.py": f'T = "ghp_{fake(36)}"\n',
    }
    found = run({}, head, {"secrets": {"ignore_paths": ["fixtures/**"]}})
    assert rules(found) == {("github-token", "src/a.py", True)}


def test_the_allowlist_pragma_suppresses_and_is_itself_reported() -> None:
    secret = f'API_TOKEN = "{fake(40)}"'
    head = {
        "a.py": f"{secret}  # {PRAGMA}\n",
        "b.py": f"# {NEXTLINE_PRAGMA}\n{secret.replace('API', 'B')}\n",
    }
    found = run({}, head)
    assert {(f.rule, f.path, f.severity, f.blocking) for f in found} == {
        ("allowlist-pragma", "a.py", Severity.LOW, False),
        ("allowlist-pragma", "b.py", Severity.LOW, False),
    }
    assert all("secret-assignment" in f.message for f in found)
    assert all(fake(40) not in (f.snippet or "") for f in found)


def test_a_pragma_already_in_base_is_not_reported_again() -> None:
    line = f'API_TOKEN = "{fake(40)}"  # {PRAGMA}\n'
    assert run({"a.py": "x = 1\n" + line}, {"a.py": "x = 2\n" + line}) == []
    assert run({"old.py": line}, {"new.py": line}) == []


def _count_calls(monkeypatch: pytest.MonkeyPatch, module: object, name: str) -> list[object]:
    """Record the first argument of each call to `module.name`, which still runs: the work the
    check does is counted, never timed, so a busy machine cannot fail these tests."""
    calls: list[object] = []
    real = getattr(module, name)

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(args[0] if args else None)
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, counting)
    return calls


def test_hostile_input_does_not_crash_or_hang(monkeypatch: pytest.MonkeyPatch) -> None:
    token = f"ghp_{fake(36)}"
    huge = f'T = "{token}" ' + "eyJ" * 3_500_000  # ~10 MB on one line
    head: dict[str, str | bytes] = {
        "huge.js": huge,
        "binary.bin": bytes(range(256)) * 100,
        "latin1.cfg": b"# caf\xe9\npassword = " + fake(24).encode() + b"\n",
        "long.py": "x = '" + "a" * 5_000_000 + "'\n",
        "b64.txt": base64.b64encode(random.Random(3).randbytes(3_000_000)).decode() + "\n",
        "weird\udcff.py": f'T = "AKIA{fake(16, UPPER)}"\n',
    }
    scanned = _count_calls(monkeypatch, secret_rules, "scan_text")
    found = run({}, head)
    got = rules(found)
    assert ("github-token", "huge.js", True) in got
    assert ("secret-assignment", "latin1.cfg", True) in got
    assert ("aws-access-key", "weird\udcff.py", True) in got
    assert ("not-scanned", "huge.js", False) in got
    assert not any(f.path == "binary.bin" for f in found)
    # No pattern sees an unbounded input (backtracking stays bounded per window), and a file's
    # over-long lines are read up to a budget: ~18 MB in, a few hundred KB matched per file.
    sizes = [len(text) for text in scanned if isinstance(text, str)]
    assert len(sizes) == len(scanned) and max(sizes) <= secret_rules.WINDOW
    overlap = secret_rules.WINDOW / (secret_rules.WINDOW - secret_rules.OVERLAP)
    per_file = secret_check.LONG_LINE_BUDGET * overlap + secret_rules.WINDOW
    assert sum(sizes) <= len(head) * per_file, sum(sizes)


def test_results_are_cached_without_the_secret(tmp_path: Path) -> None:
    token = f"ghp_{fake(36)}"
    change = Change.from_files({}, {"a.py": f'GH = "{token}"\n', ".env": "A=1\n"})
    cache = Cache(tmp_path / "cache.sqlite")
    try:
        ctx = CheckContext(change, Policy(), cache=cache)
        first, second = CHECK.run(ctx), CHECK.run(ctx)
    finally:
        cache.close()
    assert first == second
    assert rules(first) == {("github-token", "a.py", True), ("dotenv-file", ".env", True)}
    with sqlite3.connect(tmp_path / "cache.sqlite") as db:
        rows = db.execute("SELECT key, value FROM memo").fetchall()
    assert rows and not any(token in key or token in value for key, value in rows)


def test_concurrent_first_use_is_safe() -> None:
    secret_rules._COMPILED.clear()
    head = {path: f"x = 1\n{line}\n" for _, _, path, line in FORMATS}
    ctx = CheckContext(Change.from_files({}, head), Policy())
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: CHECK.run(ctx), range(8)))
    assert all(r == results[0] for r in results)
    assert results[0]


def _code_lines() -> list[str]:
    """Real Python source, so the timing reflects what the check scans in practice."""
    import argparse
    import email.message
    import json.decoder
    import logging
    import urllib.request

    lines: list[str] = []
    for module in (argparse, logging, urllib.request, email.message, json.decoder):
        lines.extend(inspect.getsource(module).splitlines())
    return lines


def test_a_thousand_added_lines_stay_cheap(monkeypatch: pytest.MonkeyPatch) -> None:
    """Ordinary code must not reach the expensive step: the anchors keep the provider patterns
    (26 of them) off lines that cannot hold a token. Counted, not timed."""
    source = _code_lines()
    head = {f"pkg/m{i}.py": "\n".join(source[i * 50 : i * 50 + 50]) + "\n" for i in range(20)}
    head["pkg/m3.py"] += f'API_KEY = "{fake(40)}"\n'
    change = Change.from_files({}, head)
    assert 1000 <= change.lines_added <= 1100
    lines = _count_calls(monkeypatch, secret_rules, "scan_text")
    patterns = _count_calls(monkeypatch, secret_rules, "_pattern")
    found = CHECK.run(CheckContext(change, Policy()))
    assert rules(found) == {("secret-assignment", "pkg/m3.py", True)}
    assert 0 < len(lines) <= change.lines_added  # each added line scanned once, in one window
    # without the anchors every line runs every provider pattern (26 per line)
    assert len(patterns) < change.lines_added // 10, len(patterns)


def test_end_to_end_through_a_real_repository(make_repo: Callable[..., object]) -> None:
    old_key = f'AWS_KEY = "AKIA{fake(16, UPPER, seed=1)}"'
    repo = make_repo({"app/settings.py": f"DEBUG = False\n{old_key}\n", "README.md": "# app\n"})
    base = repo.git("rev-parse", "HEAD")  # type: ignore[attr-defined]
    new_token = f"ghp_{fake(36, seed=2)}"
    head = repo.commit(  # type: ignore[attr-defined]
        {
            "app/settings.py": f'DEBUG = True\n{old_key}\nGH_TOKEN = "{new_token}"\n',
            ".env": "DATABASE_URL=postgres://app:" + fake(20, seed=3) + "@db/app\n",
            "app/db.py": 'password = os.environ["DB_PASSWORD"]\n',
        }
    )
    report = run_gate(
        GateRequest(repo=repo.path, base=base, head=head, only=["secrets"], use_cache=False)  # type: ignore[attr-defined]
    )
    assert report.verdict == Verdict.BLOCK
    assert {(f.rule, f.path, f.line) for f in report.findings} == {
        ("github-token", "app/settings.py", 3),
        ("dotenv-file", ".env", None),
        ("url-credentials", ".env", 1),
    }
    text = json.dumps(report.to_json(), ensure_ascii=False)
    assert new_token not in text and fake(20, seed=3) not in text and old_key not in text
