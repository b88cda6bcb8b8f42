"""The `secrets` check: credentials a change adds to the repository.

A secret committed once is exposed to everyone who can read the repository and stays in its history
after a fix, so the check blocks on facts: a private key, a token in a provider's format, an added
`.env` file or key store, a random-looking literal assigned to a secret-looking name. A guessable
password in code asks for review. Only added lines count, and a value the base version of any changed
file already holds (a moved or re-indented line) is old debt, not news.

Findings never carry the value: messages and snippets show a masked form, and the fingerprint is a
salted, deliberately slow hash of the value, so a report cannot be used to guess a weak password.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable
from typing import Any, ClassVar, Literal

from crewchief.gate.change import FileChange, Side, match_any
from crewchief.gate.check import CheckContext
from crewchief.gate.checks.secrets import derived, vectors
from crewchief.gate.checks.secrets import rules as sr
from crewchief.gate.findings import Finding, Rule, RuleTable, Severity, fingerprint
from crewchief.gate.introduced import introduced

NAME = "secrets"
CWE = "CWE-798"
MAX_HITS_PER_FILE = 50
LONG_LINE_BUDGET = 256 * 1024
"""Characters of over-long lines scanned per file; the rest is reported as not scanned."""
_SALT = b"crewchief.secrets.v1"
_SPACE = re.compile(r"\s+")

PRAGMA = re.compile(r"pragma:\s*allowlist[ -]secret", re.IGNORECASE)
PRAGMA_NEXTLINE = re.compile(r"pragma:\s*allowlist[ -]nextline[ -]secret", re.IGNORECASE)

CRITICAL_FORMATS = frozenset(
    {
        "aws-access-key",
        "aws-secret-access-key",
        "github-token",
        "gitlab-token",
        "stripe-secret-key",
        "azure-storage-key",
        "pypi-token",
        "openai-api-key",
        "anthropic-api-key",
    }
)
REVIEW_FORMATS = frozenset({"jwt"})
"""Formats that are often harmless fixtures (a JWT may be expired or unsigned): review, not block."""

_REVOKE = "Revoke it, then load it from the environment or a secret store."


def _format_rules() -> list[Rule]:
    """One rule per credential format the scanner knows: a finding names the exact format."""
    labels: dict[str, list[str]] = {}
    for token in sr.TOKEN_RULES:
        labels.setdefault(token.id, []).append(token.label)
    rules = []
    for rule_id, names in labels.items():
        review = rule_id in REVIEW_FORMATS
        severity = Severity.MEDIUM if review else Severity.HIGH
        what = " or ".join(dict.fromkeys(names))
        rules.append(
            Rule(
                NAME,
                rule_id,
                Severity.CRITICAL if rule_id in CRITICAL_FORMATS else severity,
                f"A committed {what} in plain text"
                + (" (often a harmless fixture, so it asks for review)." if review else "."),
                "Check whether it is live; if so, revoke it." if review else _REVOKE,
                blocking=not review,
                cwe=CWE,
            )
        )
    return rules


RULES = RuleTable(
    NAME,
    *_format_rules(),
    Rule(
        NAME,
        "url-credentials",
        Severity.HIGH,
        "A URL that embeds a password; random-looking ones block, guessable ones in code ask for "
        "review.",
        "Pass the credentials separately, from the environment or a secret store.",
        blocking=True,
        cwe=CWE,
    ),
    Rule(
        NAME,
        "secret-assignment",
        Severity.HIGH,
        "A random-looking literal assigned to a secret-looking name (token, api_key, secret).",
        _REVOKE,
        blocking=True,
        cwe=CWE,
    ),
    Rule(
        NAME,
        "hardcoded-password",
        Severity.MEDIUM,
        "A guessable literal password assigned in code (not in tests or docs).",
        "Read the password from configuration or the environment.",
        cwe=CWE,
    ),
    Rule(
        NAME,
        "private-key",
        Severity.CRITICAL,
        "A private key block added to a file.",
        "Rotate the key (history keeps it) and keep keys out of the repository.",
        blocking=True,
        cwe=CWE,
    ),
    Rule(
        NAME,
        "dotenv-file",
        Severity.HIGH,
        "An environment (.env) file added holding a value that looks secret; low and not "
        "blocking when none does (a .env.test of ports and flags).",
        "Remove it, add it to .gitignore and commit a template (.env.example) instead.",
        blocking=True,
        cwe=CWE,
    ),
    Rule(
        NAME,
        "key-file",
        Severity.HIGH,
        "A key store or private key file (not text) added: .p12, .jks, .kdbx, id_rsa and the like.",
        "Rotate the key, remove the file and add it to .gitignore.",
        blocking=True,
        cwe=CWE,
    ),
    Rule(
        NAME,
        "not-scanned",
        Severity.LOW,
        "Added text the scanner did not fully read (over-long lines, too many hits, or a file too "
        "large for the gate, reported as info).",
        "Review those lines by hand for credentials.",
    ),
    Rule(
        NAME,
        "allowlist-pragma",
        Severity.LOW,
        "An 'allowlist secret' pragma added, which silences this check on its line.",
        "Confirm the value it hides is not a real credential.",
        cwe=CWE,
    ),
)

_DOTENV_TEMPLATE = re.compile(r"example|sample|template|\.dist$|\.tpl$|\.defaults?$", re.IGNORECASE)
_KEY_NAMES = frozenset(
    {"id_rsa", "id_dsa", "id_ecdsa", "id_ed25519", "id_ecdsa_sk", "id_ed25519_sk"}
)
_KEY_EXTENSIONS = (".pem", ".key", ".p12", ".pfx", ".pkcs12", ".keystore", ".jks", ".bks", ".ppk",
                   ".p8", ".kdbx")  # fmt: skip
_CONFIG_EXTENSIONS = (".env", ".ini", ".cfg", ".conf", ".config", ".properties", ".toml", ".yaml",
                      ".yml", ".sh", ".bash", ".zsh", ".tfvars", ".txt", ".service", ".mk")  # fmt: skip
_CONFIG_NAMES = frozenset({"Dockerfile", "Containerfile", "Procfile", "Makefile", ".npmrc", ".pypirc",
                           ".netrc", ".envrc", ".pgpass", ".bashrc", ".zshrc", ".profile"})  # fmt: skip
_DOC_EXTENSIONS = (".md", ".rst", ".txt", ".adoc", ".markdown")
_TEST_HINT = re.compile(
    r"(?:^|/)(?:tests?|testing|spec|__tests__|fixtures?|testdata|test_data)/"
    r"|(?:^|/)test_[^/]*$|_test\.[^/]+$|\.(?:test|spec)\.[^/]+$|(?:^|/)conftest\.py$"
)


class SecretsCheck:
    name: ClassVar[str] = NAME
    version: ClassVar[str] = "2"
    kind: ClassVar[Literal["static", "dynamic"]] = "static"
    rules: ClassVar[RuleTable] = RULES

    def run(self, ctx: CheckContext) -> list[Finding]:
        ignored = ctx.policy.secrets.ignore_paths
        tests = ctx.policy.tests.paths
        findings: list[Finding] = []
        candidates: list[tuple[Finding, str]] = []
        keys: list[tuple[Finding, str]] = []
        pragmas: list[Finding] = []
        for change in ctx.change.files:
            new = change.new
            if new is None or new.is_symlink or new.is_submodule or match_any(new.path, ignored):
                continue
            scan = _memo_scan(ctx, change, tests)
            lines = _lines(new)
            role = _role(new.path, tests)
            findings.extend(_file_findings(change, lines, scan))
            candidates.extend(_hit_findings(new.path, lines, scan["hits"], role))
            flagged = {int(hit[0]) for hit in scan["hits"]}
            candidates.extend(_derived_findings(change, role, flagged))
            keys.extend(_key_findings(new.path, lines, scan["keys"]))
            pragmas.extend(_pragma_findings(new.path, lines, scan["pragmas"]))
            if scan["unscanned"]:
                findings.append(_unscanned(new.path, scan["unscanned"]))
        if candidates or keys:
            base = _BaseText(ctx)
            findings.extend(f for f, value in candidates if not base.holds(value))
            findings.extend(f for f, canonical in keys if not base.holds_key(canonical))
        base_pragmas = [_pragma_finding("", 0, text, []) for text in _removed_pragmas(ctx)]
        findings.extend(introduced(base_pragmas, pragmas, key=lambda f: (f.rule, f.fingerprint)))
        return findings


CHECK = SecretsCheck()


# --- scanning one file (memoised per blob pair) ------------------------------------------------


def _memo_scan(ctx: CheckContext, change: FileChange, tests: list[str]) -> dict[str, Any]:
    tests_digest = hashlib.sha1("\0".join(tests).encode(), usedforsecurity=False).hexdigest()[:12]
    key = (NAME, SecretsCheck.version, tests_digest, _cache_key(change.cache_key()))
    result: dict[str, Any] = ctx.memo(key, lambda: scan_file(change))
    return result


def scan_file(change: FileChange) -> dict[str, Any]:
    """Offsets of candidates on added lines, never the values: this is what the cache stores."""
    new = change.new
    assert new is not None
    lines = _lines(new)
    config = _is_config(new.path)
    added = _added(change, lines)
    hits: list[list[Any]] = []
    pragmas: list[list[Any]] = []
    unscanned = 0
    budget = LONG_LINE_BUDGET
    for position, (lineno, text) in enumerate(added):
        if len(hits) >= MAX_HITS_PER_FILE:
            unscanned += len(added) - position
            break
        if len(text) > sr.WINDOW:
            if budget < len(text):
                unscanned += 1
            text = text[: max(budget, 0)]
            budget -= len(text)
        found = sr.scan_line(text, config=config) if text else []
        previous = lines[lineno - 2] if lineno >= 2 else ""
        if PRAGMA.search(text) or PRAGMA_NEXTLINE.search(text):
            following = (
                _line_hits(lines, lineno + 1, config) if PRAGMA_NEXTLINE.search(text) else []
            )
            pragmas.append([lineno, sorted({h.rule for h in (*found, *following)})])
        if PRAGMA.search(text) or PRAGMA_NEXTLINE.search(previous[: sr.WINDOW]):
            continue
        hits.extend([lineno, h.rule, h.start, h.end, h.strength, h.detail] for h in found)
    keys: list[list[Any]] = []
    if any(marker in line for line in lines for marker in sr.KEY_MARKERS):
        touched = {n for n, _ in added}
        keys = [
            [b.first, b.last, b.kind]
            for b in sr.key_blocks(lines)
            if touched.intersection(range(b.first, b.last + 1))
            and not PRAGMA.search(lines[b.first - 1][: sr.WINDOW])
        ]
    dotenv = is_dotenv(new.path.rsplit("/", 1)[-1])
    dotenv_values = dotenv and any(vectors.DOTENV_VALUE.match(line[:200]) for line in lines)
    dotenv_secrets = dotenv and vectors.dotenv_secret(lines)
    return {
        "hits": hits,
        "keys": keys,
        "pragmas": pragmas,
        "unscanned": unscanned,
        "dotenv_values": dotenv_values,
        "dotenv_secrets": dotenv_secrets,
    }


def _line_hits(lines: tuple[str, ...], lineno: int, config: bool) -> list[sr.Hit]:
    if lineno > len(lines):
        return []
    return sr.scan_line(lines[lineno - 1][: sr.WINDOW], config=config)


def _lines(side: Side) -> tuple[str, ...]:
    """The side's lines; a file that is text but not UTF-8 is still scanned (decoded with
    replacement characters), so a stray byte cannot hide a key."""
    if side.text is not None:
        return side.lines
    if side.undecodable and side.data is not None:
        return tuple(side.data.decode("utf-8", "replace").splitlines())
    return ()


def _added(change: FileChange, lines: tuple[str, ...]) -> list[tuple[int, str]]:
    new = change.new
    if new is not None and new.text is None and new.undecodable:
        old = Counter(_lines(change.old)) if change.old is not None else Counter[str]()
        fresh = []
        for number, line in enumerate(lines, 1):
            if old[line] > 0:
                old[line] -= 1
            else:
                fresh.append((number, line))
        return fresh
    return list(change.added_lines)


# --- from scan records to findings -------------------------------------------------------------


def _hit_findings(
    path: str, lines: tuple[str, ...], hits: Iterable[list[Any]], role: str
) -> list[tuple[Finding, str]]:
    """Findings paired with the value they are about (kept only in memory, to compare with base)."""
    out: list[tuple[Finding, str]] = []
    for lineno, rule, start, end, strength, detail in hits:
        line = lines[lineno - 1] if 0 < lineno <= len(lines) else ""
        vector = role == "test" and vectors.compared(lines, lineno, detail)
        found = _hit_finding(
            path, lineno, line, sr.Hit(rule, start, end, strength, detail), role, vector
        )
        if found is not None:
            out.append(found)
    return out


def _hit_finding(
    path: str, lineno: int, line: str, hit: sr.Hit, role: str, vector: bool = False
) -> tuple[Finding, str] | None:
    """One candidate graded; `line` is the physical line, or a synthetic one for a built value."""
    rule, strength, detail = hit.rule, hit.strength, hit.detail
    value = line[hit.start : hit.end]
    if not value:
        return None
    shown = sr.mask(value)
    severity, blocking = _grade(rule, strength, role)
    if severity is None:
        return None
    if vector and strength == "strong":
        severity, blocking = Severity.LOW, False
    message = _message(rule, strength, detail, shown)
    if strength == "weak" and rule != "url-credentials":
        rule = "hardcoded-password"
    if vector and strength == "strong":
        message += (
            " (in a test and compared with the code's output: likely a published test vector)"
        )
    finding = RULES[rule].finding(
        message,
        path=path,
        line=lineno,
        fingerprint=fingerprint(rule, _digest(value, guessable=strength == "weak")),
        snippet=_snippet(line, [(hit.start, hit.end)]),
        severity=severity,
        blocking=blocking,
    )
    return finding, value


def _message(rule: str, strength: str, detail: str, shown: str) -> str:
    if strength == "format":
        return (
            f"{detail} ({shown}) added in plain text: anyone who can read the repository or "
            "its history can use it; revoke it and load it from the environment or a secret store"
        )
    if rule == "url-credentials":
        return (
            f"URL {detail} embeds a password ({shown}): connection strings leak with the "
            "code; pass the credentials separately, from the environment or a secret store"
        )
    if strength == "strong":
        return (
            f"random-looking literal {shown} assigned to '{detail}' is likely a real "
            "credential; read it from the environment or a secret store instead of committing it"
        )
    return (
        f"literal password {shown} assigned to '{detail}': a password in code is shared "
        "with every reader and hard to rotate; read it from configuration"
    )


def _derived_findings(
    change: FileChange, role: str, flagged: set[int]
) -> list[tuple[Finding, str]]:
    """Values built from several pieces (concatenation, a notebook's escaped cell, a credential
    tuple): scanned as synthetic lines, never cached (the cache holds no values), and skipped when
    the base version of the file builds the same value."""
    new = change.new
    assert new is not None
    if new.text is None or not new.path.endswith((".py", ".ipynb")):
        return []
    found = derived.derived_lines(new.path, new.text, change.added_line_numbers)
    if not found:
        return []
    old = change.old
    before: set[str] = set()
    if old is not None and old.text is not None:
        every = frozenset(range(1, len(old.lines) + 1))
        before = {d.text for d in derived.derived_lines(old.path, old.text, every)}
    out = []
    for item in found:
        if item.text in before:
            continue  # old news
        for hit in sr.scan_line(item.text[: sr.WINDOW], config=False):
            if item.line in flagged and hit.strength != "format":
                continue  # the line is reported already; a provider format still says more
            finding = _hit_finding(new.path, item.line, item.text, hit, role)
            if finding is not None:
                out.append(finding)
    return out


def _grade(rule: str, strength: str, role: str) -> tuple[Severity | None, bool]:
    """Formats and random-looking values are facts wherever they appear: real keys get committed
    through tests and docs too. Weak values are expected in fixtures and examples."""
    if strength == "format":
        if rule in REVIEW_FORMATS:
            return Severity.MEDIUM, False
        return (Severity.CRITICAL if rule in CRITICAL_FORMATS else Severity.HIGH), True
    if strength == "strong":
        return Severity.HIGH, True
    if role != "code":
        return None, False
    return Severity.MEDIUM, False


def _key_findings(
    path: str, lines: tuple[str, ...], keys: Iterable[list[Any]]
) -> list[tuple[Finding, str]]:
    out: list[tuple[Finding, str]] = []
    for first, last, kind in keys:
        blocks = sr.key_blocks(lines[first - 1 : last])
        if not blocks:
            continue
        canonical = blocks[0].canonical
        message = (
            f"{kind} added: a committed private key is compromised for good (history keeps it); "
            "rotate it and keep keys out of the repository"
        )
        finding = RULES["private-key"].finding(
            message,
            path=path,
            line=first,
            fingerprint=fingerprint("private-key", _digest(canonical, guessable=False)),
            snippet=f"{kind} …({len(canonical)} chars)",
        )
        out.append((finding, canonical))
    return out


def _file_findings(
    change: FileChange, lines: tuple[str, ...], scan: dict[str, Any]
) -> list[Finding]:
    """Files that are secrets by name: judged when they appear, not when they are edited."""
    new = change.new
    assert new is not None
    name = new.path.rsplit("/", 1)[-1]
    old_name = change.old.path.rsplit("/", 1)[-1] if change.old is not None else None
    out: list[Finding] = []
    if (
        is_dotenv(name)
        and not is_dotenv_template(name)
        and (old_name is None or not is_dotenv(old_name))
    ):
        private = vectors.private_dotenv(name) and bool(scan["dotenv_values"])
        holds = bool(scan.get("dotenv_secrets")) or private or new.data is None or new.is_binary
        out.append(
            RULES["dotenv-file"].finding(
                "environment file added with a value that looks secret: .env files hold local "
                "settings and secrets, and belong in .gitignore, not in the repository"
                if holds
                else "environment file added (no value in it looks secret): check it is meant "
                "to be shared, as a .env.test or a template is",
                path=new.path,
                fingerprint=fingerprint("dotenv-file", new.blob),
                severity=Severity.HIGH if holds else Severity.LOW,
                blocking=holds,
            )
        )
    readable = new.text is not None
    if is_key_file(name) and not readable and not (old_name is not None and is_key_file(old_name)):
        out.append(
            RULES["key-file"].finding(
                "key file added: key stores and private key files must not be committed; "
                "rotate the key and add the file to .gitignore",
                path=new.path,
                fingerprint=fingerprint("key-file", new.blob),
            )
        )
    if new.data is None:
        out.append(
            RULES["not-scanned"].finding(
                "file too large for the gate to read, so it was not scanned for secrets",
                path=new.path,
                fingerprint=fingerprint("not-scanned", new.blob),
                severity=Severity.INFO,
            )
        )
    return out


def _unscanned(path: str, count: int) -> Finding:
    return RULES["not-scanned"].finding(
        f"{count} added line(s) were not fully scanned for secrets (over-long lines or too "
        "many findings in one file); review them by hand",
        path=path,
        fingerprint=fingerprint("not-scanned", path, str(count)),
    )


def _pragma_findings(
    path: str, lines: tuple[str, ...], pragmas: Iterable[list[Any]]
) -> list[Finding]:
    return [
        _pragma_finding(path, lineno, lines[lineno - 1] if 0 < lineno <= len(lines) else "", rules)
        for lineno, rules in pragmas
    ]


def _pragma_finding(path: str, lineno: int, text: str, rules: list[str]) -> Finding:
    hides = f" (here it hides: {', '.join(rules)})" if rules else ""
    return RULES["allowlist-pragma"].finding(
        f"an 'allowlist secret' pragma added: it silences the secrets check{hides}; "
        "a reviewer should confirm the value is not a real credential",
        path=path or None,
        line=lineno or None,
        fingerprint=fingerprint("allowlist-pragma", _digest(_SPACE.sub(" ", text).strip())),
        snippet=_pragma_snippet(text),
    )


def _pragma_snippet(text: str) -> str:
    spans = [(h.start, h.end) for h in sr.scan_line(text[: sr.WINDOW], config=True)]
    return _snippet(text, spans)


def _removed_pragmas(ctx: CheckContext) -> list[str]:
    return [
        text
        for change in ctx.change.files
        for _, text in change.removed_lines
        if PRAGMA.search(text) or PRAGMA_NEXTLINE.search(text)
    ]


class _BaseText:
    """The base versions of the changed files (and the repo's manifests), read only when a head
    candidate needs comparing: a secret the base already holds is not introduced by this change."""

    def __init__(self, ctx: CheckContext) -> None:
        self._texts: list[str] = []
        for change in ctx.change.files:
            old = change.old
            if old is not None and old.data is not None and not old.is_binary:
                # decoded as `_lines` decodes the head, so a value compares equal either side
                self._texts.append(old.text or old.data.decode("utf-8", "replace"))
        self._texts.extend(data.decode("utf-8", "replace") for data in ctx.change.context.values())
        self._keys: set[str] | None = None

    def holds(self, value: str) -> bool:
        return any(value in text for text in self._texts)

    def holds_key(self, canonical: str) -> bool:
        if self._keys is None:
            self._keys = {
                block.canonical
                for text in self._texts
                if any(marker in text for marker in sr.KEY_MARKERS)
                for block in sr.key_blocks(text.splitlines())
            }
        return canonical in self._keys


# --- small helpers -----------------------------------------------------------------------------


def is_dotenv(name: str) -> bool:
    return name == ".env" or name.startswith(".env.") or (name.endswith(".env") and len(name) > 4)


def is_dotenv_template(name: str) -> bool:
    return bool(_DOTENV_TEMPLATE.search(name))


def is_key_file(name: str) -> bool:
    return name in _KEY_NAMES or name.lower().endswith(_KEY_EXTENSIONS)


def _is_config(path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    return (
        is_dotenv(name)
        or name in _CONFIG_NAMES
        or name.lower().endswith(_CONFIG_EXTENSIONS)
        or name.startswith(("docker-compose", "compose."))
    )


def _role(path: str, tests: list[str]) -> str:
    """The file's role, "test", "doc" or "code": weak values are expected in fixtures and examples."""
    if match_any(path, tests) or _TEST_HINT.search(path):
        return "test"
    if path.lower().endswith(_DOC_EXTENSIONS) or path.startswith(("docs/", "doc/")):
        return "doc"
    return "code"


def _digest(value: str, *, guessable: bool = True) -> str:
    """Salted, and slow for guessable values: the fingerprint of a weak password must not be a
    cheap way to guess it. Random-looking and provider-format values are out of reach of guessing,
    so they get a fast hash (a change may hold many)."""
    data = value.encode("utf-8", "surrogateescape")
    if guessable:
        return hashlib.pbkdf2_hmac("sha256", data, _SALT, 5000).hex()
    return hashlib.sha256(_SALT + data).hexdigest()


def _snippet(line: str, spans: list[tuple[int, int]], width: int = 160) -> str:
    """The line with every secret span masked, cut to a window around the first one."""
    parts: list[str] = []
    at = 0
    for start, end in sorted(spans):
        if start < at:
            continue
        parts.extend((line[at:start], sr.mask(line[start:end])))
        at = end
    parts.append(line[at:])
    masked = "".join(parts)
    if len(masked) > width:
        first = min((s for s, _ in spans), default=0)
        begin = max(0, min(first - 40, len(masked) - width))
        masked = ("…" if begin else "") + masked[begin : begin + width] + "…"
    return _SPACE.sub(" ", masked).strip()


def _cache_key(text: str) -> str:
    """Non-UTF-8 file names carry lone surrogates, which the cache's SQLite refuses."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
