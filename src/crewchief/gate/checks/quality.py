"""New lint violations (ruff) and functions whose cyclomatic complexity grew past policy.

ruff runs once per gate on every base and head blob not already cached, laid out in a scratch tree
with the repo's own ruff configuration from the base, so the rules are the repo's and the base's
violations (old debt) cancel out. A repo without a ruff configuration gets a conservative set of
defect rules rather than ruff's style defaults, and a configuration the installed ruff rejects is
retried without the rejected options (see `crewchief.gate.analysis.ruff_config`); the check's
detail says which. Complexity comes from radon, compared per qualified function name.

An unused local variable the change introduces (F841) is high: in agent changes it is most often
what is left of deleted logic. When the hygiene check runs too and its `unused-after-delete` rule
covers the same line (it also names the deleted line that read the variable), that line is left to
hygiene, so one defect is reported once.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any, ClassVar, Literal

from crewchief import proc
from crewchief.gate.analysis import complexity, ruff_config
from crewchief.gate.analysis.pyfiles import line_text, python_changes
from crewchief.gate.analysis.ruff_config import RuffSetup
from crewchief.gate.change import FileChange, Side
from crewchief.gate.check import CheckContext
from crewchief.gate.findings import Finding, Rule, RuleTable, Severity, fingerprint
from crewchief.gate.introduced import introduced

NAME = "quality"
VERSION = "3"
_HIGH = {
    "F821",
    "F822",
    "F823",
    "F632",
    "F811",
    "F841",
    "F402",
    "F406",
    "F501",
    "F502",
    "F601",
    "F631",
    "F702",
    "F704",
    "F706",
    "F707",
    "B006",
    "B008",
    "B015",
    "B018",
    "PLE",
}
_SYNTAX_CODES = frozenset({"syntax-error", "invalid-syntax", "E999"})

RULES = RuleTable(
    NAME,
    Rule(
        NAME,
        "ruff",
        Severity.LOW,
        "A ruff violation the change introduces under the repo's own ruff configuration, or "
        "without one a conservative defect set (F, E9, B, PLE) (`ruff-<code>`); high for likely "
        "bugs and for an unused local variable (F841, often what deleted logic leaves), medium "
        "for other pyflakes, bugbear and bandit codes, blocking only when the file no longer "
        "parses.",
        "Fix the code ruff points at; if the rule does not fit the repo, change the repo's ruff "
        "configuration in a separate change.",
        family=True,
    ),
    Rule(
        NAME,
        "lint-config-rejected",
        Severity.INFO,
        "The installed ruff rejected the repo's ruff configuration; the check linted without the "
        "options it named (or, failing that, with the default defect set).",
        "Nothing for this change; update the ruff configuration or the installed ruff so they "
        "agree.",
    ),
    Rule(
        NAME,
        "complexity-growth",
        Severity.MEDIUM,
        "A function's cyclomatic complexity grew by more than [quality] max_complexity_increase.",
        "Split the function into smaller named steps.",
    ),
    Rule(
        NAME,
        "complex-function",
        Severity.MEDIUM,
        "A new function whose cyclomatic complexity is over [quality] max_complexity.",
        "Split the function into smaller named steps.",
    ),
)


def _setup(ctx: CheckContext) -> RuffSetup:
    """The ruff configuration to lint with, resolved once per configuration and ruff version."""
    files = ruff_config.repo_config(ctx.change)
    select = tuple(ctx.policy.quality.ruff_select)
    digest = hashlib.sha256(
        json.dumps([sorted((k, v.hex()) for k, v in files.items()), select]).encode()
    ).hexdigest()[:16]
    key = (NAME, VERSION, "ruff-setup", digest, ruff_config.ruff_identity())
    raw = ctx.memo(key, lambda: ruff_config.resolve(files, select).to_json())
    return RuffSetup.from_json(raw)


def _rejection_note(setup: RuffSetup) -> Finding:
    gone = ", ".join(setup.dropped)
    return RULES["lint-config-rejected"].finding(
        f"the installed ruff rejected {setup.source} ({setup.rejection[:200]}); linted without: "
        f"{gone}",
        path=setup.source,
        fingerprint=fingerprint("lint-config-rejected", setup.source or "", gone),
    )


def _run_ruff(
    sides: list[Side], config: dict[str, bytes], select: tuple[str, ...]
) -> dict[str, list[dict[str, Any]]]:
    """Lint many blobs in one ruff process; returns violations per blob key."""
    results: dict[str, list[dict[str, Any]]] = {}
    with tempfile.TemporaryDirectory(prefix="crewchief-ruff-") as tmp:
        root = Path(tmp)
        by_file: dict[str, str] = {}
        for index, side in enumerate(sides):
            base = root / str(index)
            base.mkdir()
            for name, data in config.items():
                (base / name).write_bytes(data)
            rel = side.path.lstrip("/")
            target = base / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            assert side.data is not None
            target.write_bytes(side.data)
            by_file[os.path.realpath(target)] = _side_key(side)
            results[_side_key(side)] = []
        argv = [
            ruff_config.ruff_binary(),
            "check",
            "--no-cache",
            "--output-format",
            "json",
            "--exit-zero",
            "--force-exclude",
        ]
        if not config:
            argv.append("--isolated")
            if select:
                argv += ["--select", ",".join(select)]
        outcome = proc.run(proc.Request((*argv, "."), cwd=root, timeout=120))
        if outcome.returncode not in (0, 1):
            outcome.check()
        for item in json.loads(outcome.stdout or b"[]"):
            key = by_file.get(os.path.realpath(item["filename"]))
            if key is None:
                continue
            results[key].append(
                {
                    "code": item.get("code") or "syntax-error",
                    "message": item.get("message", ""),
                    "line": (item.get("location") or {}).get("row"),
                }
            )
    return results


def _side_key(side: Side) -> str:
    return f"{side.blob}:{side.path}"


def _lint(ctx: CheckContext, files: list[FileChange], setup: RuffSetup) -> list[Finding]:
    config, select = setup.files, setup.select
    digest = hashlib.sha256(
        json.dumps([sorted((k, v.hex()) for k, v in config.items()), select]).encode()
    ).hexdigest()[:16]
    sides = [s for f in files for s in (f.old, f.new) if s is not None and s.text is not None]
    sides = list({_side_key(s): s for s in sides}.values())
    cached: dict[str, list[dict[str, Any]]] = {}
    fresh_needed: list[Side] = []
    for side in sides:
        got = ctx.cache.get((NAME, VERSION, "ruff", digest, _side_key(side)))
        if got is None:
            fresh_needed.append(side)
        else:
            cached[_side_key(side)] = got
    if fresh_needed:
        fresh = _run_ruff(fresh_needed, config, select)
        for side in fresh_needed:
            key = (NAME, VERSION, "ruff", digest, _side_key(side))
            cached[_side_key(side)] = ctx.cache.put(key, fresh[_side_key(side)])
    findings: list[Finding] = []
    for file in files:
        assert file.new is not None

        def as_findings(side: Side | None) -> list[Finding]:
            if side is None or side.text is None:
                return []
            out = []
            for v in cached.get(_side_key(side), []):
                text = line_text(side, v["line"])
                code = v["code"]
                out.append(_ruff_finding(code, v["message"], side.path, v["line"], text))
            return out

        base_findings = as_findings(file.old)
        head_findings = as_findings(file.new)
        new = introduced(base_findings, head_findings, key=lambda f: (f.rule, f.fingerprint))
        findings.extend(_yield_to_hygiene(ctx, file, new))
    return findings


def _yield_to_hygiene(ctx: CheckContext, file: FileChange, found: list[Finding]) -> list[Finding]:
    """Drop F841 on lines hygiene's `unused-after-delete` reports when hygiene runs in this gate:
    the same unused variable, and hygiene's finding also names the deleted line that read it."""
    if "hygiene" not in ctx.running or not any(f.rule == "ruff-F841" for f in found):
        return found
    from crewchief.gate.checks.hygiene.check import unused_after_delete_lines

    covered = unused_after_delete_lines(file, list(ctx.policy.tests.paths))
    return [f for f in found if not (f.rule == "ruff-F841" and f.line in covered)]


def _ruff_finding(code: str, message: str, path: str, line: int | None, text: str) -> Finding:
    blocking = code in _SYNTAX_CODES or code.startswith("E9")
    if blocking:
        severity = Severity.HIGH
        message = f"does not parse: {message}"
    elif code in _HIGH or code.startswith("PLE"):
        severity = Severity.HIGH
    elif code.startswith(("F", "B", "S")):
        severity = Severity.MEDIUM
    else:
        severity = Severity.LOW
    return (
        RULES["ruff"]
        .member(code)
        .finding(
            f"{code}: {message}",
            path=path,
            line=line,
            fingerprint=fingerprint(code, text),
            snippet=text.strip()[:200],
            severity=severity,
            blocking=blocking,
        )
    )


def _touched(ctx: CheckContext, file: FileChange) -> tuple[complexity.Complexities, list[str]]:
    """The head's complexities where the change adds lines (see `analysis.complexity`), cached by
    both blobs: which functions are measured depends on the other side."""
    if file.new is None or file.new.text is None:
        return {}, []
    text, lines = file.new.text, file.added_line_numbers

    def compute() -> dict[str, Any]:
        found, names = complexity.touched(text, lines)
        return {"cc": {k: list(v) for k, v in found.items()}, "names": sorted(names)}

    raw = ctx.memo((NAME, VERSION, "cc-head", file.cache_key()), compute)
    return {k: (v[0], v[1]) for k, v in raw["cc"].items()}, list(raw["names"])


def _named(ctx: CheckContext, file: FileChange, names: list[str]) -> complexity.Complexities:
    if file.old is None or file.old.text is None or not names:
        return {}
    text = file.old.text

    def compute() -> dict[str, list[int]]:
        return {k: list(v) for k, v in complexity.named(text, names).items()}

    raw = ctx.memo((NAME, VERSION, "cc-base", file.cache_key()), compute)
    return {k: (v[0], v[1]) for k, v in raw.items()}


def _complexity(ctx: CheckContext, files: list[FileChange]) -> list[Finding]:
    quality = ctx.policy.quality
    findings: list[Finding] = []
    for file in files:
        after, names = _touched(ctx, file)
        # Growth past the allowance needs a head complexity above it: most changes skip the base.
        floor = min(quality.max_complexity_increase + 1, quality.max_complexity)
        needs_base = any(v > floor for v, _ in after.values())
        before = _named(ctx, file, names) if needs_base else {}
        for name, (value, line) in after.items():
            if not needs_base:
                continue  # every head function is at most the allowance: no finding possible
            if name in before:
                growth = value - before[name][0]
                if growth > quality.max_complexity_increase:
                    findings.append(
                        RULES["complexity-growth"].finding(
                            f"{name}: cyclomatic complexity grew from {before[name][0]} to {value} "
                            f"(policy allows +{quality.max_complexity_increase})",
                            path=file.path,
                            line=line,
                            fingerprint=fingerprint("complexity-growth", name),
                        )
                    )
            elif value > quality.max_complexity:
                findings.append(
                    RULES["complex-function"].finding(
                        f"{name}: new function with cyclomatic complexity {value} "
                        f"(policy limit {quality.max_complexity})",
                        path=file.path,
                        line=line,
                        fingerprint=fingerprint("complex-function", name),
                    )
                )
    return findings


class QualityCheck:
    name: ClassVar[str] = NAME
    version: ClassVar[str] = VERSION
    kind: ClassVar[Literal["static", "dynamic"]] = "static"
    rules: ClassVar[RuleTable] = RULES

    def run(self, ctx: CheckContext) -> list[Finding]:
        files = python_changes(ctx.change.files)
        if not files:
            return []
        findings: list[Finding] = []
        if ctx.policy.quality.ruff:
            setup = _setup(ctx)
            ctx.details.append(setup.detail)
            if setup.dropped:
                findings.append(_rejection_note(setup))
            findings.extend(_lint(ctx, files, setup))
        findings.extend(_complexity(ctx, files))
        return findings


CHECK = QualityCheck()
