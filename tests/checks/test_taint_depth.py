"""Issue 11's taint depth: flow sensitivity, checks and sanitizers per sink kind, summaries of
module functions, and the sinks of web code (XSS, redirects, LDAP, XPath, session). Each case
comes with a safe look-alike, since a finding a reviewer cannot trust is noise."""

from __future__ import annotations

import textwrap

import pytest

from crewchief.gate.analysis.taint import analyse, analyse_file
from crewchief.gate.change import Change
from crewchief.gate.check import CheckContext
from crewchief.gate.checks.security.check import CHECK
from crewchief.spec.policy import Policy


def kinds(code: str) -> list[tuple[str, str]]:
    return [(f.kind, f.cwe) for f in analyse(textwrap.dedent(code))]


FLASK = """\
from flask import Flask, request, redirect, session, make_response, url_for, abort
app = Flask(__name__)
"""


def view(body: str, head: str = "", rule: str = "/x") -> str:
    return (
        FLASK
        + textwrap.dedent(head)
        + f"\n@app.route({rule!r})\ndef v():\n"
        + textwrap.indent(textwrap.dedent(body), "    ")
    )


# flow sensitivity ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("head", "guard", "found"),
    [
        ("DEBUG = False\n", "if DEBUG:", False),
        ("DEBUG = False\n", "if not DEBUG:", True),
        ("DEBUG = True\n", "if DEBUG:", True),
        ("", "if False:", False),
        ("DEBUG = False\ndef f():\n    global DEBUG\n    DEBUG = True\n", "if DEBUG:", True),
    ],
)
def test_a_branch_on_a_constant_is_folded(head: str, guard: str, found: bool) -> None:
    body = f"c = request.args['c']\n{guard}\n    os.system(c)\n"
    assert bool(kinds(view(body, "import os\n" + head))) == found


def test_reassignment_ends_taint_and_an_unused_tainted_name_is_no_flow() -> None:
    safe = "t = request.args['t']\nt = '/srv/x'\nunused = request.args['u']\nos.system('ls ' + t)\n"
    assert kinds(view(safe, "import os\n")) == []
    assert kinds(view(safe.replace("t = '/srv/x'\n", ""), "import os\n")) == [("command", "CWE-78")]


def test_a_branch_that_leaves_does_not_flow_on() -> None:
    code = "c = request.args['c']\nif c:\n    c = 'x'\nelse:\n    return 'no'\nos.system(c)\n"
    assert kinds(view(code, "import os\n")) == []


# checks and sanitizers per sink kind -----------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "found"),
    [
        ("n = request.args['n']\nif n not in ALLOWED:\n    abort(400)\nos.system(n)\n", False),
        ("n = request.args['n']\nif n in ALLOWED:\n    return 'known'\nos.system(n)\n", True),
        ("n = request.args['n']\nif n in ALLOWED:\n    os.system(n)\n", False),
        ("n = request.args['n']\nif not n.isdigit():\n    abort(400)\nos.system(n)\n", False),
        ("n = request.args['n']\nos.system(TABLE.get(n, 'ls'))\n", False),
        ("n = request.args['n']\nos.system(TABLE[n])\n", False),
        ("n = request.args['n']\nos.system(TABLE.get('ls', n))\n", True),
    ],
)
def test_allowlists_and_format_checks(body: str, found: bool) -> None:
    head = "import os\nALLOWED = {'a', 'b'}\nTABLE = {'a': 'ls', 'b': 'df'}\n"
    assert bool(kinds(view(body, head))) == found


@pytest.mark.parametrize(
    ("body", "found"),
    [
        ("u = request.args['u']\nif urlparse(u).netloc not in ('', 'me.org'):\n"
         "    u = '/'\nreturn redirect(u)\n", False),
        ("u = request.args['u']\nif urlparse(u).netloc:\n    log(u)\nreturn redirect(u)\n", True),
        ("u = request.args['u']\nif not url_has_allowed_host_and_scheme(u, {'me.org'}):\n"
         "    abort(400)\nreturn redirect(u)\n", False),
    ],
)  # fmt: skip
def test_url_host_checks_make_a_redirect_safe(body: str, found: bool) -> None:
    head = "from urllib.parse import urlparse\n"
    head += "from django.utils.http import url_has_allowed_host_and_scheme\n"
    assert [k for k, _ in kinds(view(body, head))] == (["redirect"] if found else [])


def test_path_containment_check_makes_a_path_safe_but_not_a_command() -> None:
    body = """\
    p = (ROOT / request.args['p']).resolve()
    if not p.is_relative_to(ROOT):
        abort(403)
    os.system('cat ' + str(p))
    return p.read_text()
    """
    head = "import os\nfrom pathlib import Path\nROOT = Path('/srv')\n"
    assert kinds(view(body, head)) == [("command", "CWE-78")]


@pytest.mark.parametrize(
    ("wrap", "kind"),
    [
        ("escape_filter_chars({})", "sql"),
        ("html.escape({})", "ldap"),
        ("os.path.basename({})", "sql"),
    ],
)
def test_a_sanitizer_clears_its_own_kind_only(wrap: str, kind: str) -> None:
    value = wrap.format("request.args['v']")
    body = f"""\
    v = {value}
    cur.execute("SELECT * FROM t WHERE a = '" + v + "'")
    conn.search_s('dc=x', 2, '(uid=' + v + ')')
    open(os.path.join('/srv', v))
    return '<p>' + v + '</p>'
    """
    head = "import os, html, ldap, sqlite3\nfrom ldap.filter import escape_filter_chars\n"
    found = {k for k, _ in kinds(view(body, head))}
    assert kind in found
    assert len(found) == 3  # each sanitizer clears exactly one of the four sinks


# summaries of module functions -----------------------------------------------------------------


def test_a_helper_that_passes_its_parameter_to_a_sink_is_found_at_the_caller() -> None:
    head = "import os\n\ndef run(tool, args):\n    return os.popen(tool + ' ' + args).read()\n"
    flows = analyse(view("return {'out': run('nmap', request.args['t'])}\n", head))
    # Reported where the input enters the helper (line 10), naming the sink inside it (line 6).
    assert [(f.kind, f.sink_line) for f in flows] == [("command", 10)]
    assert flows[0].sink == "os.popen in run() (line 6)"
    assert flows[0].source == "request.args"
    assert analyse(view("return {'out': run('nmap', '-h')}\n", head)) == []


def test_a_helper_summary_carries_its_sanitizer_and_its_own_sources() -> None:
    head = """\
    import ldap
    from ldap.filter import escape_filter_chars

    def uid_filter(uid):
        return '(uid=%s)' % escape_filter_chars(uid)

    def raw_filter(uid):
        return '(uid=%s)' % uid

    def next_url():
        return request.args.get('next', '/')
    """
    safe = "c.search_s('dc=x', 2, uid_filter(request.args['u']))\nreturn 'ok'\n"
    unsafe = "c.search_s('dc=x', 2, raw_filter(request.args['u']))\nreturn 'ok'\n"
    assert kinds(view(safe, head)) == []
    assert kinds(view(unsafe, head)) == [("ldap", "CWE-90")]
    assert kinds(view("return redirect(next_url())\n", head)) == [("redirect", "CWE-601")]


# sinks of web code ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "found"),
    [
        ("return f\"<h1>{request.args['n']}</h1>\"\n", True),
        ("return '<p>' + request.args['n'] + '</p>', 400\n", True),
        ("return make_response('<p>%s</p>' % request.args['n'])\n", True),
        ("return Markup(request.args['n'])\n", True),
        ("return f\"<h1>{escape(request.args['n'])}</h1>\"\n", False),
        ("return {'n': request.args['n']}\n", False),
        ("return jsonify(n=request.args['n'])\n", False),
        ("return Response(request.args['n'], mimetype='text/plain')\n", False),
        ("return Response(request.args['n'])\n", True),
        ("return f\"<p>{len(request.args['n'])}</p>\"\n", False),
    ],
)
def test_xss_in_flask_views(body: str, found: bool) -> None:
    head = "from flask import jsonify, Response\nfrom markupsafe import Markup, escape\n"
    assert kinds(view(body, head)) == ([("xss", "CWE-79")] if found else [])


@pytest.mark.parametrize(
    ("code", "found"),
    [
        ("HttpResponse('<p>' + request.GET['q'])", True),
        ("HttpResponse('<p>' + escape(request.GET['q']))", False),
        ("HttpResponse(request.GET['q'], content_type='text/plain')", False),
        ("mark_safe(request.GET['q'])", True),
    ],
)
def test_xss_in_django_views(code: str, found: bool) -> None:
    source = (
        "from django.http import HttpResponse\nfrom django.utils.html import escape\n"
        "from django.utils.safestring import mark_safe\n\n"
        f"def v(request):\n    return {code}\n"
    )
    assert kinds(source) == ([("xss", "CWE-79")] if found else [])


@pytest.mark.parametrize(("autoescape", "found"), [("False", True), ("select_autoescape()", False)])
def test_jinja_environment_without_autoescape(autoescape: str, found: bool) -> None:
    head = f"from jinja2 import Environment, select_autoescape\nenv = Environment(autoescape={autoescape})\n"
    body = "return env.from_string('{{ b }}').render(b=request.args['b'])\n"
    assert kinds(view(body, head)) == ([("xss", "CWE-79")] if found else [])


@pytest.mark.parametrize(
    ("target", "found"),
    [
        ("request.args['next']", True),
        ("'https://' + request.args['host'] + '/x'", True),
        ("url_for('index', ref=request.args['r'])", False),
        ("'/users/' + request.args['u']", False),
        ("f\"https://example.com/{request.args['p']}\"", False),
        ("'//' + request.args['h']", True),
    ],
)
def test_open_redirect(target: str, found: bool) -> None:
    assert kinds(view(f"return redirect({target})\n")) == (
        [("redirect", "CWE-601")] if found else []
    )


@pytest.mark.parametrize(
    ("head", "call", "found"),
    [
        ("from ldap3 import Connection\n", "c.search('dc=x', f\"(cn={n})\")", True),
        ("from ldap3 import Connection\n", "c.search('dc=x', '(objectClass=person)')", False),
        ("import ldap\n", "c.search_s('dc=x', ldap.SCOPE_SUBTREE, '(uid=' + n + ')')", True),
        ("import re\n", "re.search('x', n)", False),
    ],
)
def test_ldap_filters(head: str, call: str, found: bool) -> None:
    body = f"n = request.args['n']\n{call}\nreturn 'ok'\n"
    assert kinds(view(body, head)) == ([("ldap", "CWE-90")] if found else [])


@pytest.mark.parametrize(
    ("call", "found"),
    [
        ('T.xpath("//u[@n=\'" + n + "\']")', True),
        ("T.xpath('//u[@n=$n]', n=n)", False),
        ("etree.XPath(f\"//u[@n='{n}']\")", True),
        ('T.findall(".//u[@n=\'" + n + "\']")', True),
        ("'abc'.find(n)", False),
    ],
)
def test_xpath_expressions(call: str, found: bool) -> None:
    head = "from lxml import etree\nT = etree.parse('u.xml')\n"
    body = f"n = request.args['n']\n{call}\nreturn 'ok'\n"
    assert kinds(view(body, head)) == ([("xpath", "CWE-643")] if found else [])


@pytest.mark.parametrize(
    ("body", "found"),
    [
        ("session['role'] = request.args['role']\n", True),
        ("session.update(email=request.headers['X-Email'])\n", True),
        ("session['dark'] = request.args.get('t') == 'dark'\n", False),
        ("session['n'] = int(request.args['n'])\n", False),
        ("session['visits'] = session.get('visits', 0) + 1\n", False),
    ],
)
def test_trust_boundary_in_the_session(body: str, found: bool) -> None:
    assert kinds(view(body + "return 'ok'\n")) == ([("session", "CWE-501")] if found else [])


def test_django_request_session_is_a_trust_boundary() -> None:
    code = "def v(request):\n    request.session['uid'] = request.GET['uid']\n"
    assert kinds(code) == [("session", "CWE-501")]


# more shapes ----------------------------------------------------------------------------------


def test_a_shell_c_argument_list_is_a_shell_command() -> None:
    head = "import subprocess\n"
    unsafe = "cmd = ['sh', '-c', f\"convert {request.args['p']}\"]\nsubprocess.run(cmd)\n"
    safe = "cmd = ['sh', '-c', 'convert \"$1\"', 'sh', request.args['p']]\nsubprocess.run(cmd)\n"
    assert kinds(view(unsafe, head)) == [("command", "CWE-78")]
    assert kinds(view(safe, head)) == []


def test_typed_flask_route_parameters_are_not_sources() -> None:
    body = "open(f'pages/{page}.html')\nreturn 'ok'\n"
    code = (
        FLASK
        + f"\n@app.route('/p/<int:page>')\ndef v(page):\n    {body.replace(chr(10), chr(10) + '    ')}"
    )
    assert kinds(code) == []
    assert kinds(code.replace("<int:page>", "<page>")) == [("path", "CWE-22")]


def test_an_lxml_parser_without_entities_is_safe() -> None:
    head = "from lxml import etree\nP = etree.XMLParser(resolve_entities=False)\n"
    assert kinds(view("return etree.fromstring(request.data, parser=P).tag\n", head)) == []
    assert kinds(view("return etree.fromstring(request.data).tag\n", head)) == [("xml", "CWE-611")]


def test_clean_sinks_and_dead_lines_are_reported_for_bandit() -> None:
    code = view(
        "c = 'git describe'\nsubprocess.run(c, shell=True)\n"
        "if LEGACY:\n    subprocess.run(request.args['c'], shell=True)\n"
        "subprocess.run(helper(), shell=True)\nreturn 'ok'\n",
        "import subprocess\nLEGACY = False\n\ndef helper(x=None):\n    return x\n",
    )
    found = analyse_file(code)
    assert found.flows == []
    lines = {line for kind, line in found.clean if kind == "command"}
    assert {12, 14} <= lines


def test_a_check_of_a_parsed_urls_host_is_a_check_of_the_url() -> None:
    body = """\
    url = request.args.get('u', '/')
    host = urlparse(url).hostname
    if host is not None and host not in ALLOWED_HOSTS:
        return redirect('/')
    return redirect(url)
    """
    head = "from urllib.parse import urlparse\nALLOWED_HOSTS = {'example.com'}\n"
    assert kinds(view(body, head)) == []
    unchecked = body.replace("host not in ALLOWED_HOSTS", "len(host) > 300")
    assert kinds(view(unchecked, head)) == [("redirect", "CWE-601")]


def test_weak_hash_and_cookie_rules_are_quiet_in_tests() -> None:
    code = (
        "import hashlib\n\ndef test_login(client):\n    client.set_cookie('sid', 'x')\n"
        "    assert hashlib.md5(b'x').hexdigest()\n"
    )
    change = Change.from_files({}, {"tests/test_login.py": code, "app/login.py": code})
    found = CHECK.run(CheckContext(change, Policy()))
    rules = {(f.path, f.rule) for f in found if f.rule in ("weak-hash", "insecure-cookie")}
    assert rules == {("app/login.py", "weak-hash"), ("app/login.py", "insecure-cookie")}


@pytest.mark.parametrize(
    ("body", "found"),
    [
        ("d = {'cmd': 'ls', 'arg': request.args['a']}\nos.system(d['cmd'])\n", False),
        ("d = {'cmd': 'ls', 'arg': request.args['a']}\nos.system(d['arg'])\n", True),
        ("d = {'cmd': 'ls', 'arg': request.args['a']}\nos.system(d.get('cmd', 'x'))\n", False),
        ("d = {'cmd': 'ls'}\nd['cmd'] = request.args['a']\nos.system(d['cmd'])\n", True),
        ("d = {'cmd': request.args['a']}\nd['cmd'] = 'ls'\nos.system(d['cmd'])\n", False),
        ("d = {'cmd': 'ls'}\nd[request.args['k']] = request.args['a']\nos.system(d['cmd'])\n",
         True),
        ("d = {'cmd': 'ls'}\nd.update(request.args)\nos.system(d['cmd'])\n", True),
        ("d = {'cmd': 'ls'}\nif request.args:\n    d['cmd'] = request.args['a']\n"
         "os.system(d['cmd'])\n", True),
        ("a = ['ls', request.args['a']]\nos.system(a[0])\n", False),
        ("a = ['ls', request.args['a']]\nos.system(a[1])\n", True),
        ("d = {'cmd': 'ls', 'arg': request.args['a']}\nos.system(' '.join(d.values()))\n", True),
    ],
)  # fmt: skip
def test_containers_are_tracked_per_element_with_constant_keys(body: str, found: bool) -> None:
    assert bool(kinds(view(body, "import os\n"))) == found
