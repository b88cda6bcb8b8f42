"""What a secret looks like: provider token formats, secret-looking names, placeholders, entropy.

detect-secrets is the catalogue of well-known provider formats: the compiled patterns of its plugin
classes are used as they are, but never through its global settings, filters or verification (not
thread-safe, and verification calls provider APIs over the network). Importing it costs ~150 ms (its
plugin base class imports `requests`), so it is imported only when a line holds a literal prefix one
of its patterns needs; most changes never pay for it. What it lacks for a gate lives here: newer
token formats, keys spread over several lines, values assigned to secret-looking names, placeholders,
and bounded patterns that stay linear on hostile input.
"""

from __future__ import annotations

import importlib
import math
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from crewchief.gate.analysis.pyfiles import WARNINGS_LOCK
from crewchief.gate.checks.secrets import cli_flags

WINDOW = 4096
"""Lines are matched in windows of this many characters, so no pattern sees an unbounded input."""
OVERLAP = 512


@dataclass(frozen=True)
class TokenRule:
    """A credential with a recognisable format: finding one is a fact, not a guess."""

    id: str
    label: str
    anchors: tuple[str, ...]
    """Literal substrings a match must contain: a cheap test before any regex runs."""
    pattern: str | None = None
    library: tuple[str, str, int] | None = None
    """(detect_secrets.plugins module, plugin class, index in its denylist)."""
    group: int = 0
    flags: int = 0
    validate: Callable[[str], bool] | None = None
    requires: str | None = None
    """A cheap regex every match must satisfy, for library rules whose anchors are common words:
    it keeps detect-secrets from being imported for a line that cannot match."""


def plugin_class(module: str, name: str) -> Any:
    """A detect-secrets plugin class, imported on first use."""
    qualified = f"detect_secrets.plugins.{module}"
    try:
        with WARNINGS_LOCK:
            return getattr(importlib.import_module(qualified), name)
    except Warning:
        # detect-secrets imports requests, which silences a urllib3 warning with a global filter
        # while it imports; another check's thread leaving `warnings.catch_warnings()` meanwhile
        # restores the filters without it, and under `-W error` the warning aborts the import.
        # The failed modules were unloaded, so a second attempt starts clean.
        return getattr(importlib.import_module(qualified), name)


def _jwt_is_valid(token: str) -> bool:
    return bool(plugin_class("jwt", "JwtTokenDetector").is_formally_valid(token))


_AWS_IDS = ("AKIA", "ASIA", "ABIA", "ACCA", "A3T")
TOKEN_RULES: tuple[TokenRule, ...] = (
    TokenRule(
        "aws-access-key",
        "AWS access key id",
        _AWS_IDS,
        library=("aws", "AWSKeyDetector", 0),
        requires=r"(?:A3T[A-Z0-9]|ABIA|ACCA|AKIA|ASIA)[0-9A-Z]{16}",
    ),
    TokenRule(
        "aws-secret-access-key",
        "AWS secret access key",
        ("aws", "AWS", "Aws"),
        library=("aws", "AWSKeyDetector", 1),
        group=1,
        requires=r"[\"'][0-9a-zA-Z/+]{40}[\"']",
    ),
    TokenRule(
        "github-token",
        "GitHub token",
        ("ghp_", "gho_", "ghu_", "ghs_", "ghr_"),
        library=("github_token", "GitHubTokenDetector", 0),
    ),
    TokenRule(
        "github-token",
        "GitHub fine-grained token",
        ("github_pat_",),
        pattern=r"github_pat_[A-Za-z0-9_]{40,255}",
    ),
    TokenRule(
        "gitlab-token",
        "GitLab token",
        ("glpat-", "gldt-", "glft-", "glsoat-", "glrt-"),
        library=("gitlab_token", "GitLabTokenDetector", 0),
    ),
    TokenRule(
        "slack-token",
        "Slack token",
        ("xoxa-", "xoxb-", "xoxp-", "xoxo-", "xoxs-", "xoxr-"),
        library=("slack", "SlackDetector", 0),
    ),
    TokenRule(
        "slack-webhook",
        "Slack webhook URL",
        ("hooks.slack.com",),
        library=("slack", "SlackDetector", 1),
    ),
    TokenRule(
        "stripe-secret-key",
        "Stripe live secret key",
        ("sk_live_", "rk_live_"),
        library=("stripe", "StripeDetector", 0),
    ),
    TokenRule(
        "sendgrid-api-key",
        "SendGrid API key",
        ("SG.",),
        library=("sendgrid", "SendGridDetector", 0),
        requires=r"SG\.[\w-]{22}\.",
    ),
    TokenRule(
        "azure-storage-key",
        "Azure storage account key",
        ("AccountKey=",),
        library=("azure_storage_key", "AzureStorageKeyDetector", 0),
    ),
    TokenRule(
        "square-oauth-secret",
        "Square OAuth secret",
        ("sq0csp-",),
        library=("square_oauth", "SquareOAuthDetector", 0),
    ),
    TokenRule(
        "pypi-token",
        "PyPI API token",
        ("pypi-AgE",),
        library=("pypi_token", "PypiTokenDetector", 0),
    ),
    TokenRule(
        "pypi-token",
        "TestPyPI API token",
        ("pypi-AgE",),
        library=("pypi_token", "PypiTokenDetector", 1),
    ),
    TokenRule(
        "mailchimp-api-key",
        "Mailchimp API key",
        tuple(f"-us{d}" for d in range(1, 10)),
        library=("mailchimp", "MailchimpDetector", 0),
        requires=r"[0-9a-z]{32}-us[0-9]",
    ),
    TokenRule(
        "openai-api-key", "OpenAI API key", ("T3BlbkFJ",), library=("openai", "OpenAIDetector", 0)
    ),
    TokenRule(
        "anthropic-api-key",
        "Anthropic API key",
        ("sk-ant-",),
        pattern=r"sk-ant-[a-z]{2,8}[0-9]{0,3}-[A-Za-z0-9_-]{40,200}",
    ),
    TokenRule(
        "openai-api-key",
        "OpenAI API key",
        ("sk-proj-", "sk-svcacct-", "sk-admin-", "sk-None-"),
        pattern=r"sk-(?:proj|svcacct|admin|None)-[A-Za-z0-9_-]{40,300}",
    ),
    TokenRule(
        "openai-api-key",
        "OpenAI-style API key",
        ("sk-",),
        pattern=r"(?<![\w-])sk-[A-Za-z0-9]{48}(?![\w-])",
    ),
    TokenRule("google-api-key", "Google API key", ("AIza",), pattern=r"AIza[0-9A-Za-z_-]{35}"),
    TokenRule("npm-token", "npm access token", ("npm_",), pattern=r"(?<![\w-])npm_[A-Za-z0-9]{36}"),
    TokenRule(
        "npm-token",
        "npm registry auth token",
        ("_authToken",),
        pattern=r"_authToken\s{0,4}=\s{0,4}([^\s\"'$]{16,256})",
        group=1,
    ),
    TokenRule(
        "huggingface-token",
        "Hugging Face token",
        ("hf_",),
        pattern=r"(?<![\w-])hf_[A-Za-z]{34}(?!\w)",
    ),
    TokenRule(
        "digitalocean-token",
        "DigitalOcean token",
        ("dop_v1_", "doo_v1_", "dor_v1_"),
        pattern=r"do[opr]_v1_[a-f0-9]{64}",
    ),
    TokenRule(
        "shopify-token",
        "Shopify access token",
        ("shpat_", "shpca_", "shppa_", "shpss_"),
        pattern=r"shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}",
    ),
    TokenRule(
        "jwt",
        "JSON Web Token",
        ("eyJ",),
        pattern=r"eyJ[A-Za-z0-9_-]{8,512}\.eyJ[A-Za-z0-9_-]{2,4096}\.[A-Za-z0-9_-]{16,1024}",
        validate=_jwt_is_valid,
    ),
    TokenRule(
        "mailgun-api-key",
        "Mailgun API key",
        ("key-",),
        pattern=r"(?<![A-Za-z0-9_-])key-(?=[0-9a-z]{0,31}[0-9])[0-9a-z]{32}(?![0-9A-Za-z])",
    ),
)

_ANCHORS = re.compile("|".join(sorted({re.escape(a) for r in TOKEN_RULES for a in r.anchors})))
_REQUIRES = [re.compile(r.requires) if r.requires else None for r in TOKEN_RULES]
_LOCK = threading.Lock()
_COMPILED: dict[int, re.Pattern[str]] = {}


def _pattern(index: int) -> re.Pattern[str]:
    """The rule's regex, compiled (or taken from detect-secrets) once, whichever thread asks first."""
    found = _COMPILED.get(index)
    if found is not None:
        return found
    with _LOCK:
        found = _COMPILED.get(index)
        if found is None:
            rule = TOKEN_RULES[index]
            if rule.library is not None:
                module, cls, at = rule.library
                found = list(plugin_class(module, cls).denylist)[at]
            else:
                assert rule.pattern is not None
                found = re.compile(rule.pattern, rule.flags)
            _COMPILED[index] = found
    return found


@dataclass(frozen=True)
class Hit:
    """A secret candidate on one line: `start:end` is the secret value itself."""

    rule: str
    start: int
    end: int
    strength: str
    """Either "format" (a provider's token format), "strong" (random-looking) or "weak" (a guessable
    password: still a credential in code)."""
    detail: str
    """What it is or where it is assigned: never the value."""


def token_hits(text: str) -> list[Hit]:
    if not _ANCHORS.search(text):
        return []
    hits: list[Hit] = []
    for index, rule in enumerate(TOKEN_RULES):
        if not any(a in text for a in rule.anchors):
            continue
        required = _REQUIRES[index]
        if required is not None and not required.search(text):
            continue
        for match in _pattern(index).finditer(text):
            group = rule.group if match.re.groups >= rule.group else 0
            start, end = match.span(group)
            value = text[start:end]
            if start < 0 or is_example_token(value):
                continue
            if rule.validate is not None and not rule.validate(value):
                continue
            hit = Hit(rule.id, start, end, "format", rule.label)
            if not any(_overlap(hit, other) for other in hits):
                hits.append(hit)
    return hits


# --- private keys ------------------------------------------------------------------------------

_KEY_BEGIN = re.compile(
    r"-----BEGIN (?:[A-Z0-9]{1,20} ){0,4}PRIVATE KEY(?: BLOCK)?-----|PuTTY-User-Key-File-\d{1,2}:"
)
_KEY_END = re.compile(r"-----END (?:[A-Z0-9]{1,20} ){0,4}PRIVATE KEY(?: BLOCK)?-----|Private-MAC:")
_KEY_BODY = re.compile(r"[A-Za-z0-9+/=]{40,}")
_CANON_DROP = re.compile(r"\\[nr]|\s+")
KEY_MARKERS = ("PRIVATE KEY", "PuTTY-User-Key-File")
MAX_KEY_LINES = 200


@dataclass(frozen=True)
class KeyBlock:
    first: int
    """1-based line of the BEGIN marker."""
    last: int
    kind: str
    canonical: str
    """The block with white space and escaped newlines removed: equal for the same key however it
    is laid out (PEM lines, a JSON string with \\n escapes)."""


_BODY_LINE = re.compile(r"\s*[\"'`]?[A-Za-z0-9+/=]*(?:\\[nr])*[\"'`]?\s*[,+;)]?\s*")
_HEADER_LINE = re.compile(
    r"\s*(?:Proc-Type|DEK-Info|Comment|Version|Hash|Encryption|Public-Lines|Private-Lines"
    r"|Key-Derivation|Argon2-[A-Za-z]+):"
)


def _is_body_line(line: str) -> bool:
    """A line of a key's body (base64, maybe quoted or with a `\\n` escape, as when a key is
    pasted into code) or a PEM or PuTTY header (`Proc-Type: 4,ENCRYPTED`, `Encryption: none`)."""
    if len(line) > 1024:
        return False
    return bool(_BODY_LINE.fullmatch(line) or _HEADER_LINE.match(line))


def _begin(line: str) -> re.Match[str] | None:
    head = line[: WINDOW * 4]
    if "PRIVATE KEY" not in head and "PuTTY-User" not in head:
        return None
    return _KEY_BEGIN.search(head)


def key_blocks(lines: tuple[str, ...] | list[str]) -> list[KeyBlock]:
    """Private key blocks with a body: a bare marker (a parser, a docstring) is not a key."""
    blocks: list[KeyBlock] = []
    i = 0
    while i < len(lines):
        begin = _begin(lines[i])
        if begin is None:
            i += 1
            continue
        parts = [lines[i][begin.start() :]]
        last = i
        end = _KEY_END.search(parts[0], len(begin.group()))
        if end is None:
            for j in range(i + 1, min(len(lines), i + MAX_KEY_LINES)):
                found = _KEY_END.search(lines[j][: WINDOW * 4])
                if found is not None:
                    parts.append(lines[j][: found.end()])
                    last = j
                    break
                if not _is_body_line(lines[j]):
                    break  # code, prose or a new block: not part of a key
                parts.append(lines[j])
                last = j
        else:
            parts[0] = parts[0][: end.end()]
        canonical = _CANON_DROP.sub("", "".join(parts))
        if _KEY_BODY.search(canonical, len(_CANON_DROP.sub("", begin.group()))):
            kind = begin.group().strip("-:").removeprefix("BEGIN ").replace("-File-2", "")
            blocks.append(KeyBlock(i + 1, last + 1, kind, canonical))
            i = last + 1
        else:
            i += 1
    return blocks


# --- credentials in URLs -----------------------------------------------------------------------

_URL_CREDENTIALS = re.compile(
    r"(?<![\w+.-])(?P<scheme>[A-Za-z][A-Za-z0-9+.-]{1,30})://"
    r"(?P<user>[^\s:/?#@\"'`<>]{0,128}):(?P<pw>[^\s/?#@\"'`<>]{1,256})@(?P<host>[^\s/?#:\"'`<>]{1,255})"
)
_SAFE_HOST = re.compile(r"[\w.-]{1,80}")


def url_hits(text: str) -> list[Hit]:
    if "://" not in text or "@" not in text:
        return []
    hits = []
    for match in _URL_CREDENTIALS.finditer(text):
        password = match.group("pw")
        strength = value_strength(password, password_like=True)
        if strength is None or _is_reference(match.group("user")):
            continue
        host = match.group("host")
        where = f"{match.group('scheme')}://…@{host if _SAFE_HOST.fullmatch(host) else '…'}"
        hits.append(Hit("url-credentials", *match.span("pw"), strength, where))
    return hits


# --- values assigned to secret-looking names ---------------------------------------------------

_NAME_HINT = re.compile(
    r"pass|pwd|pw\b|secret|token|key|auth|credential|bearer|\bpat\b", re.IGNORECASE
)
_ASSIGNMENT = re.compile(
    r"(?<![\w.$@-])(?P<name>[A-Za-z_][\w.-]{0,80})[\"'\]]{0,3}[ \t]{0,8}"
    r"(?::[ \t]{0,4}[A-Za-z_][\w.\[\], |]{0,40}?[ \t]{0,4}(?==))?"
    r"(?P<op>:=|=>|==|!=|=|:)[ \t]{0,8}(?:[bBrRuUfF]{1,2}(?=[\"'`]))?"
    r"(?:(?P<q>[\"'`])(?P<qv>[^\"'`\\\n]{1,512})(?P=q)|(?P<uv>[^\s\"'`#;,]{1,512}))"
)
_WORD = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")
_PASSWORD_WORDS = frozenset({"password", "passwd", "pwd", "passphrase", "pass", "pw", "pword"})
_SECRET_WORDS = frozenset({
    "secret", "token", "apikey", "credential", "credentials", "auth", "authorization",
    "bearer", "pat", "privatekey", "secretkey", "accesskey", "authkey"
})  # fmt: skip
_KEY_QUALIFIERS = frozenset({
    "api", "secret", "private", "priv", "access", "auth", "signing", "sign", "encryption",
    "encrypt", "client", "master", "service", "account", "app", "db", "database", "session",
    "jwt", "hmac", "webhook", "cipher", "aes", "crypt", "crypto", "license"
})  # fmt: skip
_NAME_SUFFIXES = frozenset(
    {"value", "str", "string", "raw", "b64", "base64", "hex", "bytes", "base", "data", "plain",
     "plaintext", "literal", "default", "override", "1", "2"}
)  # fmt: skip
_CONFIG_QUOTELESS = frozenset({"=", ":"})
_SCHEME = re.compile(r"(?i)^(?:bearer|basic|token|apikey)\s+(?=\S+$)")


def secret_name_kind(name: str) -> str | None:
    """Which kind of secret a name suggests ("password", "secret" or None): from the name's last dotted part, split into words, so
    `db.PASSWORD`, `clientSecret` and `AWS_SECRET_ACCESS_KEY` count and `max_tokens`,
    `password_hash` and `secret_name` do not."""
    segment = re.split(r"[.\[\]]", name)[-1] if name else ""
    words = [w.lower() for w in _WORD.findall(segment) if not w.isdigit()]
    while len(words) > 1 and words[-1] in _NAME_SUFFIXES:
        words.pop()
    if not words:
        return None
    last = words[-1]
    if last in _PASSWORD_WORDS:
        return "password"
    if last in _SECRET_WORDS:
        return "secret"
    if last == "key" and len(words) > 1 and words[-2] in _KEY_QUALIFIERS:
        return "secret"
    return None


def assignment_hits(text: str, *, config: bool) -> list[Hit]:
    """`name = "value"` (and `:`, `:=`, `=>`, `==`, JSON, YAML, kwargs); unquoted values only in
    config-like files, where they are literals rather than expressions."""
    if not _NAME_HINT.search(text):
        return []
    hits = []
    position = 0
    while match := _ASSIGNMENT.search(text, position):
        # Resume right after the name, not after the match: in `c = Client(api_key="...")` the
        # unquoted "value" of `c` must not swallow the assignment inside it.
        position = match.end("name")
        kind = secret_name_kind(match.group("name"))
        if kind is None:
            continue
        group = "qv" if match.group("qv") is not None else "uv"
        if group == "uv" and not (config and match.group("op") in _CONFIG_QUOTELESS):
            continue
        position = match.end()
        start, end = match.span(group)
        value = text[start:end]
        scheme = _SCHEME.match(value)
        if scheme:
            start += scheme.end()
            value = value[scheme.end() :]
        strength = value_strength(value, password_like=kind == "password")
        if strength is not None:
            name = match.group("name").rsplit(".", 1)[-1]
            hits.append(Hit("secret-assignment", start, end, strength, name))
    return hits


# --- placeholders and entropy ------------------------------------------------------------------

_PLACEHOLDER_PARTS = (
    "example", "placeholder", "changeme", "change_me", "change-me", "replace", "your", "dummy",
    "sample", "fake", "xxxx", "****", "....", "redacted", "insert", "notasecret",
    "not-a-secret", "not_a_secret"
)  # fmt: skip
_PLACEHOLDER_WORDS = frozenset(
    {"test", "tests", "testing", "mock", "mocked", "stub", "secret", "secrets", "password",
     "passwd", "token", "apikey", "key", "none", "null", "nil", "undefined", "true", "false",
     "todo", "tbd", "fixme", "foo", "bar", "baz", "foobar", "qux", "demo", "hunter2", "admin",
     "root", "guest", "user", "username", "pass", "postgres", "mysql", "redis", "qwerty",
     "letmein", "abc123", "123456", "12345678", "default", "empty", "unset", "required",
     "optional", "env", "string", "str", "bytes", "value", "private"}
)  # fmt: skip
_WEAK_STEMS = ("password", "passwd", "secret", "qwerty", "letmein", "admin", "changeme", "welcome")
_TEMPLATED = re.compile(
    r"\$\{|\$\(|\{\{|\}\}|\{%|%\(|%[sd]\b|#\{|<[^>]*>|@@|^\$[A-Za-z_]|^%[A-Za-z_]+%$|^__[A-Z_]+__$"
)
_REFERENCE_PREFIXES = (
    "op://", "vault:", "arn:", "enc[", "sm://", "ref+", "keyvault:", "secretsmanager:", "env:",
    "env.", "process.env", "os.environ", "getenv", "settings.", "config.", "secrets.", "&",
    "*"
)  # fmt: skip
_IDENTIFIER = re.compile(
    r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)+|[A-Z][A-Z0-9_]{2,}|[a-z]+(?:_[a-z]+)+"
)
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_SEQUENCES = (
    "ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "01234567890123456789",
    "ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210",
    "QWERTYUIOPASDFGHJKLZXCVBNMQWERTYUIOP",
    "0123456789ABCDEF0123456789ABCDEF",
)
_DELEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a",
                         "$": "s", "!": "i"})  # fmt: skip


def _is_reference(value: str) -> bool:
    low = value.lower()
    return low.startswith(_REFERENCE_PREFIXES) or bool(_TEMPLATED.search(value))


def is_sequence(value: str) -> bool:
    up = value.upper()
    return len(up) >= 6 and any(up in seq for seq in _SEQUENCES)


def low_variety(value: str) -> bool:
    """Repeated characters (`xxxxxxxx`, `00000000-0000-...`): a stand-in, not a secret."""
    counts = Counter(value)
    return len(counts) <= 3 or counts.most_common(1)[0][1] / len(value) > 0.5


_ILLUSTRATIVE = re.compile(
    r"(?i)(?:^|[^a-z0-9])(?:example|sample|dummy|placeholder)(?:[^a-z0-9]|$)"
    r"|(?:example|examplekey|sample|dummy|placeholder)$|xxxxxx|000000"
)
"""A placeholder word standing on its own (`sk_test_example_key`) or ending the value, as AWS's
documented `AKIAIOSFODNN7EXAMPLE` does; inside a random run of characters it proves nothing."""


def is_example_token(value: str) -> bool:
    """A token in a real format that is still obviously illustrative (AWS's own docs use
    AKIAIOSFODNN7EXAMPLE). Words like "test" do not count: real keys are committed in tests too."""
    if _ILLUSTRATIVE.search(value):
        return True
    body = value[4:]
    return low_variety(body) if len(body) >= 8 else False


def is_placeholder(value: str) -> bool:
    text = value.strip()
    low = text.lower()
    if len(text) < 4 or _is_reference(text):
        return True
    parts = [p for p in _PLACEHOLDER_PARTS if p in low]
    if parts and not _random_beside(low, parts):
        return True
    words = [w for w in re.split(r"[^a-z0-9]+", low) if w in _PLACEHOLDER_WORDS]
    if words and not _random_beside(low, words):
        return True
    if low.rstrip("0123456789!?.#*_-").translate(_DELEET) in _PLACEHOLDER_WORDS:
        return True
    if low.startswith(("/", "./", "../", "~/", "http://", "https://", "file:")):
        return True
    return low_variety(text) or is_sequence(text)


def _random_beside(low: str, words: Iterable[str]) -> bool:
    """What is left once the placeholder-looking words are cut out is still a long random run: a
    real key that happens to contain "example" or "test" (`9fA3kexamplePq82LmZ0vB7xT4nWcY1dR`), not
    `your-api-key-here`. Only exact placeholders, and placeholders made of words, are dropped."""
    rest = low
    for word in words:
        rest = rest.replace(word, " ")
    return any(len(run) >= 16 and looks_random(run) for run in rest.split())


def shannon_entropy(value: str) -> float:
    """Bits per character over the value's own characters (detect-secrets' counts only a fixed
    charset, which undervalues passwords with punctuation)."""
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in Counter(value).values()) if n else 0.0


def _wordy(value: str) -> bool:
    """Made of words (`MyApplicationSecretName`, `session-cookie-name`): an identifier or a phrase,
    not something random."""
    if any(ch.isdigit() for ch in value):
        return False
    chunks = [c for c in re.split(r"[-_. /]+", value) if c]
    if not all(c.isalpha() for c in chunks):
        return False
    words = [w for c in chunks for w in _WORD.findall(c)]
    return len(words) >= 2 and sum(map(len, words)) / len(words) >= 4


def looks_random(value: str) -> bool:
    n = len(value)
    if n < 12 or _wordy(value) or _UUID.fullmatch(value):
        return False
    if any(stem in value.lower().translate(_DELEET) for stem in _WEAK_STEMS):
        return False
    entropy = shannon_entropy(value)
    classes = sum(
        (
            any(c.islower() for c in value),
            any(c.isupper() for c in value),
            any(c.isdigit() for c in value),
            any(not c.isalnum() for c in value),
        )
    )
    if n >= 20 and entropy >= 4.0:
        return True
    if n >= 16 and entropy >= 3.3 and classes >= 2:
        return True
    return entropy >= 3.3 and classes >= 3


def value_strength(value: str, *, password_like: bool) -> str | None:
    """How much a value looks like a real secret: "strong", "weak" (only for password-like names: a guessable password is still a
    credential) or None (a placeholder, a reference, prose, an identifier)."""
    if any(ch.isspace() for ch in value) or is_placeholder(value):
        return None
    if looks_random(value):
        return "strong"
    if password_like and len(value) >= 6 and not _IDENTIFIER.fullmatch(value) and not _wordy(value):
        return "weak"
    return None


def mask(value: str) -> str:
    """Enough to recognise a secret you hold (its prefix and length), never enough to use it:
    four leading characters for long values, two for short ones, none for very short ones."""
    n = len(value)
    keep = 4 if n >= 16 else 2 if n >= 8 else 0
    return f"{value[:keep]}…({n} chars)"


def scan_text(text: str, *, config: bool) -> list[Hit]:
    """Every candidate on one line (or one window of a long line), formats first: a value found
    by several rules is reported once, by the most specific."""
    hits = token_hits(text)
    for extra in (url_hits(text), cli_hits(text), assignment_hits(text, config=config)):
        hits.extend(h for h in extra if not any(_overlap(h, k) for k in hits))
    return hits


def cli_hits(text: str) -> list[Hit]:
    """Values of command-line credential flags, graded as passwords (`curl -u user:pass`)."""
    hits = []
    for start, end, flag in cli_flags.spans(text):
        strength = value_strength(text[start:end], password_like=True)
        if strength is not None:
            hits.append(Hit("secret-assignment", start, end, strength, flag))
    return hits


def _overlap(a: Hit, b: Hit) -> bool:
    return a.start < b.end and b.start < a.end


def scan_line(line: str, *, config: bool) -> list[Hit]:
    if len(line) <= WINDOW:
        return scan_text(line, config=config)
    found: dict[tuple[str, int, int], Hit] = {}
    step = WINDOW - OVERLAP
    for offset in range(0, len(line), step):
        for hit in scan_text(line[offset : offset + WINDOW], config=config):
            moved = Hit(hit.rule, hit.start + offset, hit.end + offset, hit.strength, hit.detail)
            if not any(_overlap(moved, k) for k in found.values()):
                found[(moved.rule, moved.start, moved.end)] = moved
        if offset + WINDOW >= len(line):
            break
    return list(found.values())
