"""The `security` check's rule table, in a module of its own because both halves of the check
(`check.py` for bandit and taint, `unicode_safety.py` for hidden characters) emit its rules."""

from __future__ import annotations

from crewchief.gate.analysis import taint
from crewchief.gate.findings import Rule, RuleTable, Severity

NAME = "security"

BANDIT = "bandit"
BIDI = "bidi-control"
INVISIBLE = "invisible-character"
CONFUSABLE = "confusable-identifier"

TAINT_RULES: dict[str, tuple[str, str]] = {
    taint.COMMAND: ("taint-command-injection", "lets the input run arbitrary commands"),
    taint.CODE: ("taint-code-injection", "lets the input run arbitrary Python"),
    taint.SQL: ("taint-sql-injection", "lets the input rewrite the query"),
    taint.DESERIALIZATION: (
        "taint-unsafe-deserialization",
        "lets the input build arbitrary objects and run code",
    ),
    taint.PATH: (
        "taint-path-traversal",
        "may let the input reach files outside the intended folder",
    ),
    taint.XML: ("taint-xml-parsing", "may let the input expand entities or read local files"),
    taint.XSS: ("taint-xss", "lets the input write script into the page"),
    taint.REDIRECT: ("taint-open-redirect", "lets the input send users to another site"),
    taint.LDAP: ("taint-ldap-injection", "lets the input rewrite the directory query"),
    taint.XPATH: ("taint-xpath-injection", "lets the input rewrite the XPath query"),
    taint.SESSION: (
        "taint-trust-boundary",
        "puts unchecked input where the server keeps what it trusts",
    ),
}
"""Sink kind: rule id and why the flow matters (the message's last words)."""

STRUCTURAL_RULES = (
    Rule(
        NAME,
        "aliased-sink",
        Severity.HIGH,
        "A shell or code sink (os.system, os.popen, eval, exec) called under another name "
        "(`_shell = os.system`, `from os import system as run`).",
        "Call the function by its own name, and pass an argument list to subprocess instead.",
        cwe="CWE-78",
    ),
    Rule(
        NAME,
        "obfuscated-call",
        Severity.HIGH,
        "A shell or code sink looked up dynamically (`getattr(builtins, 'ex' + 'ec')`, "
        "`globals()['eval']`, `__import__('o' + 's').system`); blocks when the name is computed.",
        "Remove the indirection; code that hides what it calls cannot be reviewed.",
        blocking=True,
        cwe="CWE-912",
    ),
    Rule(
        NAME,
        "shell-argv",
        Severity.HIGH,
        "`['sh', '-c', <built string>]` given to subprocess: shell=True by another name.",
        "Run the program directly with an argument list, or keep the script constant and pass "
        "values as positional arguments (`['sh', '-c', 'echo \"$1\"', 'sh', value]`).",
        cwe="CWE-78",
    ),
    Rule(
        NAME,
        "decode-exec",
        Severity.CRITICAL,
        "exec/eval/compile of decoded or decompressed data (base64, rot13, zlib, marshal): a "
        "payload nobody can read in the diff.",
        "Commit the code as source, where a reviewer can read it.",
        blocking=True,
        cwe="CWE-506",
    ),
    Rule(
        NAME,
        "sql-template",
        Severity.MEDIUM,
        "A module-level SQL constant filled with .format() or % and executed.",
        "Keep the SQL constant and pass the values as query parameters.",
        cwe="CWE-89",
    ),
    Rule(
        NAME,
        "import-time-effect",
        Severity.MEDIUM,
        "A network call, process start, file deletion or read of the whole environment that "
        "runs when the module is imported (high in conftest.py, setup.py, __init__.py). The "
        "hygiene check's import-time-call is about leftover calls, whatever they do; this rule "
        "says what the effect is.",
        "Move the effect into a function that the caller runs on purpose, or under "
        "`if __name__ == '__main__':`.",
        cwe="CWE-912",
    ),
    Rule(
        NAME,
        "fetch-and-execute",
        Severity.CRITICAL,
        "Downloaded code run as it arrives: `curl ... | sh` handed to a shell, or a network "
        "response passed to exec/eval.",
        "Vendor or pin the code with a checksum, and review it like any other change.",
        blocking=True,
        cwe="CWE-494",
    ),
    Rule(
        NAME,
        "env-exfiltration",
        Severity.CRITICAL,
        "The whole environment (os.environ) sent in a network request: every secret leaves.",
        "Send only the named, non-secret values the service needs.",
        blocking=True,
        cwe="CWE-200",
    ),
    Rule(
        NAME,
        "time-bomb",
        Severity.CRITICAL,
        "A destructive call (file deletion, `rm`, DROP/TRUNCATE/DELETE SQL) guarded by a "
        "comparison of the current time with a fixed date.",
        "Remove the dated branch; schedule real clean-ups outside the code, where they are seen.",
        blocking=True,
        cwe="CWE-511",
    ),
    Rule(
        NAME,
        "removed-protection",
        Severity.HIGH,
        "A function that still exists lost a `raise`, an `abort()`, or a check, validation or "
        "permission call or decorator it had at base.",
        "Restore the check, or say in the task why the function no longer needs it.",
        cwe="CWE-693",
    ),
    Rule(
        NAME,
        "broadened-except",
        Severity.HIGH,
        "A handler that now catches every exception without re-raising where the function "
        "caught specific ones, or a new catch-all around a check call.",
        "Catch the specific exceptions the code expects, and let the rest propagate.",
        cwe="CWE-396",
    ),
    Rule(
        NAME,
        "weakened-comparison",
        Severity.HIGH,
        "A security comparison taken out of a function: hmac.compare_digest replaced, or a "
        "path-containment check (commonpath, is_relative_to, realpath, startswith with a "
        "separator) removed.",
        "Restore the constant-time or containment check.",
        cwe="CWE-693",
    ),
    Rule(
        NAME,
        "weak-token-random",
        Severity.HIGH,
        "The `random` module makes a value named as a secret (token, password, nonce, salt, "
        "reset code); skipped in test paths, where it makes test data.",
        "Use the secrets module (secrets.token_urlsafe, secrets.choice).",
        blocking=True,
        cwe="CWE-330",
    ),
    Rule(
        NAME,
        "weak-hash",
        Severity.MEDIUM,
        "MD5 or SHA-1 (hashlib.md5, hashlib.new('sha1'), an HMAC digest) without "
        "`usedforsecurity=False`: broken for passwords, signatures and integrity checks.",
        "Use hashlib.sha256 (or blake2b) for integrity, hmac with sha256 for signatures, and "
        "a password hash (hashlib.scrypt, pbkdf2_hmac, bcrypt, argon2) for passwords; pass "
        "usedforsecurity=False when the digest is only a cache key or an identifier.",
        cwe="CWE-328",
    ),
    Rule(
        NAME,
        "insecure-cookie",
        Severity.MEDIUM,
        "A cookie set (set_cookie, set_signed_cookie) without secure=True, so it is also sent "
        "over plain HTTP.",
        "Pass secure=True (and httponly=True, samesite) when setting the cookie.",
        cwe="CWE-614",
    ),
    Rule(
        NAME,
        "confusable-string",
        Severity.HIGH,
        "A string used as a host, URL or compared value mixes look-alike letters from another "
        "script with Latin ones in one word (a Cyrillic i in `github.com`); blocks for hosts "
        "and URLs.",
        "Write the string in one script; use the IDNA form (xn--) for a real international name.",
        blocking=True,
        cwe="CWE-1007",
    ),
)
"""Rules of the structural analyses (hidden calls, import-time effects, time bombs, removed
protections, weak randomness, look-alike strings), each reported by its own module."""


RULES = RuleTable(
    NAME,
    Rule(
        NAME,
        BANDIT,
        Severity.MEDIUM,
        "A bandit finding the change introduces (`bandit-<test id>`), at bandit's own severity; "
        "blocks when bandit is highly confident of a high-severity problem, except for tests "
        "that only name a weak algorithm or an old protocol, and in test paths, where it asks "
        "for review (a test may chmod 0o777 on purpose). A sink call (shell, SQL, eval, "
        "deserialiser, XML, HTML) that the taint analysis proves is fed only constants and "
        "checked values, or that sits in a branch that never runs, is low.",
        "Fix the call bandit points at; `# nosec` is ignored, so a real false positive needs "
        "[security] ignore in the policy.",
        cwe="CWE-710",
        family=True,
    ),
    Rule(
        NAME,
        "taint-command-injection",
        Severity.HIGH,
        "Untrusted input (request data, input(), argv, environment) reaches a shell or process "
        "command.",
        "Pass an argument list without a shell, and check the value against what is allowed.",
        blocking=True,
        cwe="CWE-78",
    ),
    Rule(
        NAME,
        "taint-code-injection",
        Severity.HIGH,
        "Untrusted input reaches eval, exec or compile.",
        "Never evaluate input; parse it (ast.literal_eval, json) or map it to known actions.",
        blocking=True,
        cwe="CWE-94",
    ),
    Rule(
        NAME,
        "taint-sql-injection",
        Severity.HIGH,
        "Untrusted input is formatted into SQL text.",
        "Use query parameters (placeholders) instead of building the SQL string.",
        blocking=True,
        cwe="CWE-89",
    ),
    Rule(
        NAME,
        "taint-unsafe-deserialization",
        Severity.HIGH,
        "Untrusted input reaches pickle, marshal, yaml.load or another deserialiser that runs code.",
        "Use a data-only format (json, yaml.safe_load) for anything that crosses a trust boundary.",
        blocking=True,
        cwe="CWE-502",
    ),
    Rule(
        NAME,
        "taint-path-traversal",
        Severity.HIGH,
        "Untrusted input reaches a file path; blocks when the input comes from a web request.",
        "Resolve the path and check it stays inside the intended folder before opening it.",
        cwe="CWE-22",
    ),
    Rule(
        NAME,
        "taint-xml-parsing",
        Severity.HIGH,
        "Untrusted input reaches an XML parser; blocks when the input comes from a web request.",
        "Parse untrusted XML with defusedxml, or disable entity expansion and external access.",
        cwe="CWE-611",
    ),
    Rule(
        NAME,
        "taint-xss",
        Severity.HIGH,
        "Untrusted input reaches an HTML response unescaped: a Flask view's string, "
        "HttpResponse, make_response, HTMLResponse, Markup/mark_safe, render_template_string "
        "or a jinja2 template without autoescape.",
        "Render through an autoescaping template, or escape the value (markupsafe.escape, "
        "html.escape).",
        cwe="CWE-79",
    ),
    Rule(
        NAME,
        "taint-open-redirect",
        Severity.MEDIUM,
        "Untrusted input is the target of a redirect (redirect, HttpResponseRedirect, "
        "RedirectResponse) without a check of its host.",
        "Redirect to a path of your own (url_for, reverse), or check the host against an "
        "allowlist (url_has_allowed_host_and_scheme, urlparse(...).netloc).",
        cwe="CWE-601",
    ),
    Rule(
        NAME,
        "taint-ldap-injection",
        Severity.HIGH,
        "Untrusted input is built into an LDAP search filter (python-ldap, ldap3); blocks when "
        "the input comes from a web request.",
        "Escape the value with escape_filter_chars (or build the filter with filter_format).",
        cwe="CWE-90",
    ),
    Rule(
        NAME,
        "taint-xpath-injection",
        Severity.HIGH,
        "Untrusted input is built into an XPath or ElementPath expression; blocks when the "
        "input comes from a web request.",
        "Pass the value as an XPath variable (`tree.xpath('//u[@n=$n]', n=value)`).",
        cwe="CWE-643",
    ),
    Rule(
        NAME,
        "taint-trust-boundary",
        Severity.MEDIUM,
        "Unchecked request data is stored in the server-side session, which later code trusts "
        "as the server's own.",
        "Validate the value (allowlist, conversion) before storing it, or keep it out of the "
        "session.",
        cwe="CWE-501",
    ),
    Rule(
        NAME,
        BIDI,
        Severity.CRITICAL,
        "Adds a bidirectional override, embedding or isolate (anywhere), or a bidi mark "
        "(LRM, RLM, ALM) in Python code outside strings and comments: the line can display in "
        "another order than it is parsed (Trojan Source). Marks in data and locale files are text.",
        "Remove the character; write right-to-left text with escapes if it is really needed.",
        blocking=True,
        cwe="CWE-451",
    ),
    Rule(
        NAME,
        INVISIBLE,
        Severity.HIGH,
        "Adds an invisible character to code (blocking) or prose (medium): text that looks "
        "identical can differ.",
        "Remove the character, or write it as an escape so a reader can see it.",
        blocking=True,
        cwe="CWE-451",
    ),
    Rule(
        NAME,
        CONFUSABLE,
        Severity.HIGH,
        "An identifier with look-alike characters that reads as another name of the module or a "
        "builtin, or that Python folds to one (fullwidth letters); a non-ASCII name that "
        "collides with nothing (`\u0394t`, `caf\u00e9`) is just a name.",
        "Rename the identifier with plain characters.",
        blocking=True,
        cwe="CWE-1007",
    ),
    *STRUCTURAL_RULES,
)
