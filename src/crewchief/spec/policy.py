"""The repo-wide policy: `crewchief.toml`, or `[tool.crewchief]` in `pyproject.toml`.

Every table forbids unknown keys, so a typo is an error instead of a rule silently not applied. The
gate reads the policy from the base commit; this module only turns bytes into a validated `Policy`.
"""

from __future__ import annotations

import re
import tomllib
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from crewchief.spec._validation import check_globs, one_line
from crewchief.spec.errors import SpecError

AGENT_INSTRUCTION_PATHS: dict[str, tuple[str, ...]] = {
    "claude-code": ("**/CLAUDE.md", "**/CLAUDE.local.md", "**/.claude/**", "**/.mcp.json"),
    "codex": ("**/AGENTS.md", "**/AGENTS.override.md", "**/.codex/**"),
    "gemini": ("**/GEMINI.md", "**/.gemini/**"),
    "aider": ("**/.aider.conf.yml", "**/.aider.conf.yaml", "**/.aiderignore"),
    "opencode": ("**/AGENTS.md", "**/opencode.json", "**/opencode.jsonc", "**/.opencode/**"),
    "mini-swe-agent": (),
    "command": (),
    "cursor": ("**/.cursor/**", "**/.cursorrules"),
    "copilot": (
        "**/.github/copilot-instructions.md",
        "**/.github/instructions/**",
        ".vscode/mcp.json",
    ),
}
"""The instruction and settings files each agent reads from the working tree, at any depth (Claude
Code, Codex and Gemini CLI all read the files of subfolders they work in). One entry per built-in
agent adapter (a test keeps them in step), plus the editors agents run inside. An agent that edits
these files rewrites its own instructions or permissions, or those of the next run."""

PROTECTED_PATHS: tuple[str, ...] = tuple(
    dict.fromkeys(
        (
            "crewchief.toml",
            ".crewchief/**",
            ".github/**",
            ".gitlab-ci.yml",
            ".ci/**",
            ".pre-commit-config.yaml",
            "CODEOWNERS",
            "docs/CODEOWNERS",
            *(glob for globs in AGENT_INSTRUCTION_PATHS.values() for glob in globs),
        )
    )
)
"""Policy, CI, code owners (GitHub reads CODEOWNERS from docs/ too) and every agent's instruction
files (`AGENT_INSTRUCTION_PATHS`). The scope check also protects the Makefile / justfile recipes a
protected CI workflow runs."""

DEFAULT_TEST_PATHS: tuple[str, ...] = (
    "tests/**",
    "test/**",
    "testing/**",
    "**/tests/**",
    "**/test/**",
    "**/test_*.py",
    "**/*_test.py",
    "**/conftest.py",
)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ScopePolicy(_Model):
    @field_validator("allow", "deny", "unprotect")
    @classmethod
    def _valid_globs(cls, value: list[str]) -> list[str]:
        return check_globs(value)

    allow: list[str] = Field(default_factory=list)
    """Globs a change may touch; empty means everything."""
    deny: list[str] = Field(default_factory=list)
    """Globs a change may never touch, added to the built-in protected paths."""
    unprotect: list[str] = Field(default_factory=list)
    """Built-in protected globs this repo lets changes touch (for example ".github/**"); a file
    matching one of these globs may also be committed bytecode, a .pth file or a
    site/usercustomize.py (the scope check's unreviewed-code)."""
    max_files: int | None = Field(default=None, ge=1)
    max_lines: int | None = Field(default=None, ge=1)
    """Added plus removed lines."""
    max_file_kb: int = Field(default=1024, ge=1)
    """A file larger than this (added or grown) is flagged."""
    binary: Literal["allow", "review", "block"] = "review"
    """What an added or changed binary file means."""


class TestsPolicy(_Model):
    @field_validator("paths")
    @classmethod
    def _valid_globs(cls, value: list[str]) -> list[str]:
        return check_globs(value)

    command: str | None = None
    """The project's test command, run by the `tests` check (pytest, or anything that runs it)."""
    setup: list[str] = Field(default_factory=list)
    """Commands that build a fresh environment for the tests; re-run only when the dependency
    files change."""
    python: str | None = None
    """The project's interpreter: a path (relative to the repository), a virtualenv folder, or a
    name on PATH. Unset, crewchief looks where a developer would: the active virtualenv, then
    `.venv/` or `venv/` in the repository, then `python` on PATH."""
    env: dict[str, str] = Field(default_factory=dict)
    """Variables set for the test commands (and setup), on top of the allowlisted environment."""
    timeout_s: float = Field(default=1800, gt=0)
    paths: list[str] = Field(default_factory=lambda: list(DEFAULT_TEST_PATHS))
    """Globs of test code that the test-integrity check guards."""
    hidden_dir: str | None = None
    """A folder outside the repository with each task's hidden acceptance tests in
    `<hidden_dir>/<task id>/` (mirroring the repository layout; `~` is the user's home). The gate
    reads them on the host and runs every test file there; a run hides the folder from the agent."""
    base_oracle: bool = True
    """When a change touches tests, conftests, test helpers or pytest's settings, also run the
    base's versions of them on head's code (one more suite run for such changes). Off, only test
    files are reset to the base, and only when a task's acceptance runs."""


class BenchmarkPolicy(_Model):
    @model_validator(mode="after")
    def _max_rounds_not_below_rounds(self) -> BenchmarkPolicy:
        if self.max_rounds is not None and self.max_rounds < self.rounds:
            raise ValueError(f"max_rounds ({self.max_rounds}) is below rounds ({self.rounds})")
        return self

    command: str | None = None
    threshold_pct: float = Field(default=10.0, gt=0)
    rounds: int = Field(default=5, ge=2)
    timeout_s: float = Field(default=900, gt=0)
    confidence: float = Field(default=0.95, gt=0.5, lt=1)
    """Confidence level of the head/base ratio's interval."""
    max_rounds: int | None = Field(default=None, ge=2)
    """When the interval after `rounds` rounds is too wide to say whether head is slower than the
    threshold (a busy machine), more interleaved rounds are taken, `rounds` at a time, up to this
    many; still undecided, the check asks for review instead of passing. Default: 3 x rounds."""

    @property
    def round_limit(self) -> int:
        """`max_rounds`, or its default of three times `rounds`."""
        return self.max_rounds if self.max_rounds is not None else 3 * self.rounds


class DependenciesPolicy(_Model):
    allow: list[str] = Field(default_factory=list)
    """Known-good package names beyond what the repo already depends on."""
    typosquat_distance: int = Field(default=2, ge=0, le=3)
    online_check: bool = False
    """Ask the registry whether new packages exist (off by default; the gate works offline)."""


class SecurityPolicy(_Model):
    ignore: list[str] = Field(default_factory=list)
    """Rule ids (bandit test ids like B101, or crewchief taint rules) that never count."""
    bandit_min_severity: Literal["low", "medium", "high"] = "low"


class SecretsPolicy(_Model):
    @field_validator("ignore_paths")
    @classmethod
    def _valid_globs(cls, value: list[str]) -> list[str]:
        return check_globs(value)

    ignore_paths: list[str] = Field(default_factory=list)
    """Globs whose added lines are not scanned (fixtures of fake keys, say)."""


class QualityPolicy(_Model):
    ruff: bool = True
    ruff_select: list[str] = Field(default_factory=list)
    """Rule codes for ruff when the repo has no ruff config of its own; empty uses a conservative
    defect set (F, E9, B, PLE), not ruff's style defaults."""
    max_complexity_increase: int = Field(default=5, ge=0)
    """A changed function whose cyclomatic complexity grows by more than this is flagged."""
    max_complexity: int = Field(default=15, ge=1)
    """A new function above this complexity is flagged."""


class CoveragePolicy(_Model):
    min_diff_coverage: float = Field(default=80.0, ge=0, le=100)


class HygienePolicy(_Model):
    @field_validator("allow")
    @classmethod
    def _valid_globs(cls, value: list[str]) -> list[str]:
        return check_globs(value)

    allow: list[str] = Field(default_factory=list)
    """Globs of new files the `hygiene` check accepts without asking (data files, scripts); a
    task adds its own with `allow_files`."""


CONTRACT_TYPES = ("forbidden", "layers", "independence", "acyclic_siblings")
"""import-linter's contract types the `architecture` check evaluates."""


class ContractPolicy(BaseModel):
    """One import contract in import-linter's own vocabulary: `name`, `type` and the options that
    type takes (`source_modules`, `forbidden_modules`, `layers`, `modules`, `containers`,
    `ignore_imports`, ...). The options are checked by import-linter when the check or
    `crewchief architecture` builds the contract, so its documentation is the reference."""

    model_config = ConfigDict(extra="allow", frozen=True)

    name: str = Field(min_length=1)
    type: Literal["forbidden", "layers", "independence", "acyclic_siblings"]

    def options(self) -> dict[str, Any]:
        """The type-specific options, as import-linter's contract classes take them."""
        return dict(self.model_extra or {})


class ArchitecturePolicy(_Model):
    packages: list[str] = Field(default_factory=list)
    """Root packages of the import graph (default: the packages the contracts name)."""
    contracts: list[ContractPolicy] = Field(default_factory=list)
    """Import contracts; when empty, the repository's `.importlinter` or `[tool.importlinter]`
    contracts are used, if it has them."""
    violation: Literal["block", "review"] = "block"
    """What a new import that breaks a `forbidden` or `layers` contract does to the verdict
    (`independence` and `acyclic_siblings` are always review)."""


class ApiPolicy(_Model):
    packages: list[str] = Field(default_factory=list)
    """Packages whose public API the `api` check guards (default: the top-level packages at the
    repo root or under src/)."""
    ignore: list[str] = Field(default_factory=list)
    """Object paths (fnmatch patterns such as `mypkg.experimental.*`) whose changes are not
    breaking."""
    breaking: Literal["review", "block"] = "review"
    """`block`: a breaking change blocks unless the task says `api_change: allowed`."""


class GatePolicy(_Model):
    skip: list[str] = Field(default_factory=list)
    """Checks never run in this repo."""
    review_at_risk: int = Field(default=30, ge=0, le=100)
    """A change with no blocking finding but at least this risk needs review instead of pass."""


class RunsPolicy(_Model):
    setup: list[str] = Field(default_factory=list)
    """Commands run in each run's worktree before the agent (install deps, copy .env templates);
    what they create is not committed."""
    sandbox: Literal["auto", "required", "off"] = "auto"
    """bubblewrap when available (auto), always (required: a run fails without it), or never."""
    network: bool = True
    """Agents reach the network (their model API); false cuts it, loopback included."""
    transcript_cap_mb: float = Field(default=8, ge=0.001)
    """Megabytes of an agent's output its transcript keeps: the first and last halves, with a
    marker saying how much was dropped between. Output volume never stops an agent (its time and
    cost budgets do), and its usage is read from all of its output, kept or not."""


class NotifyPolicy(_Model):
    """Where the morning brief goes when a `crewchief run` batch ends or passes its `--until`
    deadline (and on `crewchief brief --notify`). Secrets never live here: the policy file is
    committed, so a Slack URL or an SMTP password is named by the environment variable holding it."""

    @model_validator(mode="after")
    def _one_webhook_source(self) -> NotifyPolicy:
        if self.webhook and self.webhook_env:
            raise ValueError("set webhook or webhook_env, not both")
        if bool(self.smtp_user) != bool(self.smtp_password_env):
            raise ValueError(
                "smtp_user and smtp_password_env go together (the user, and the environment "
                "variable holding its password)"
            )
        return self

    @field_validator("email")
    @classmethod
    def _addresses(cls, value: list[str]) -> list[str]:
        for address in value:
            if not re.fullmatch(r"[^@\s,<>]+@[^@\s,<>]+", address):
                raise ValueError(f"{address!r} is not an email address (name@example.com)")
        return value

    @field_validator("smtp_from")
    @classmethod
    def _sender(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"([^<>\r\n]*<)?[^@\s,<>]+@[^@\s,<>]+>?", value):
            raise ValueError(f"{value!r} is not a sender (crewchief@example.com or Name <a@b.c>)")
        return value

    @field_validator("webhook")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("https://", "http://")):
            raise ValueError("webhook must be an http:// or https:// URL")
        return value

    @field_validator("webhook_env", "smtp_password_env")
    @classmethod
    def _env_name(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", value):
            raise ValueError(f"{value!r} is not an environment variable name")
        return value

    webhook: str | None = None
    """URL the brief is POSTed to. A Slack incoming-webhook URL is a secret: prefer `webhook_env`."""
    webhook_env: str | None = None
    """Name of the environment variable holding the webhook URL (for example
    "CREWCHIEF_SLACK_WEBHOOK"); read when the brief is sent."""
    webhook_format: Literal["slack", "json"] = "slack"
    """The POST body: "slack" is Slack-compatible JSON (`text` plus mrkdwn `blocks`, also read by
    Mattermost and most chat webhooks); "json" is the brief's own `crewchief.brief/v1` document."""
    email: list[str] = Field(default_factory=list)
    """Addresses the brief is mailed to (plain text and HTML), through the SMTP settings below."""
    smtp_host: str = "localhost"
    """The mail server (a relay, or your provider's submission server)."""
    smtp_port: int | None = Field(default=None, ge=1, le=65535)
    """Default: 465 with smtp_tls = "ssl", 587 with "starttls", 25 with "off"."""
    smtp_tls: Literal["starttls", "ssl", "off"] = "starttls"
    """"off" sends in clear text: only for a relay on loopback or a trusted network."""
    smtp_from: str | None = None
    """The sender address (default: crewchief@ this machine's name)."""
    smtp_user: str | None = None
    """Log in as this user (with the password from `smtp_password_env`); unset, no login."""
    smtp_password_env: str | None = None
    """Name of the environment variable holding the SMTP password."""
    timeout_s: float = Field(default=15, gt=0)
    """Per attempt, for the webhook and the mail server."""
    retries: int = Field(default=3, ge=0, le=10)
    """Further tries after a transient failure (HTTP 429 or 5xx, a refused or dropped connection,
    an SMTP 4xx reply), waiting 1, 2, 4... seconds or what `Retry-After` asks, capped at
    `max_wait_s`. Other failures are not retried. A failure is one warning; it never fails a batch."""
    max_wait_s: float = Field(default=60, ge=0)
    """The longest wait between tries, whatever a `Retry-After` header asks."""

    @property
    def configured(self) -> bool:
        return bool(self.webhook or self.webhook_env or self.email)


class AgentPolicy(_Model):
    type: str = "command"
    """A preset adapter ("claude-code", "codex", "aider", "gemini", "opencode", "mini-swe-agent") or "command"."""
    binary: str | None = None
    command: list[str] | None = None
    args: list[str] = Field(default_factory=list)
    model: str | None = None
    pass_env: list[str] = Field(default_factory=list)
    env: dict[str, str] = Field(default_factory=dict)


class Policy(_Model):
    scope: ScopePolicy = Field(default_factory=ScopePolicy)
    tests: TestsPolicy = Field(default_factory=TestsPolicy)
    benchmark: BenchmarkPolicy = Field(default_factory=BenchmarkPolicy)
    dependencies: DependenciesPolicy = Field(default_factory=DependenciesPolicy)
    security: SecurityPolicy = Field(default_factory=SecurityPolicy)
    secrets: SecretsPolicy = Field(default_factory=SecretsPolicy)
    quality: QualityPolicy = Field(default_factory=QualityPolicy)
    coverage: CoveragePolicy = Field(default_factory=CoveragePolicy)
    hygiene: HygienePolicy = Field(default_factory=HygienePolicy)
    architecture: ArchitecturePolicy = Field(default_factory=ArchitecturePolicy)
    api: ApiPolicy = Field(default_factory=ApiPolicy)
    gate: GatePolicy = Field(default_factory=GatePolicy)
    runs: RunsPolicy = Field(default_factory=RunsPolicy)
    notify: NotifyPolicy = Field(default_factory=NotifyPolicy)
    agents: dict[str, Annotated[AgentPolicy, Field()]] = Field(default_factory=dict)

    def digest(self) -> str:
        """A stable hash of the effective policy, part of every cache key. Where the brief is
        sent judges nothing, so `notify` is left out: changing it keeps the gate's caches."""
        import hashlib

        return hashlib.sha256(self.model_dump_json(exclude={"notify"}).encode()).hexdigest()[:16]


POLICY_FILE = "crewchief.toml"
PYPROJECT = "pyproject.toml"


def parse_policy(data: bytes, source: str) -> Policy:
    """Validate the TOML bytes of `source` (crewchief.toml, or pyproject.toml's [tool.crewchief])."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SpecError(f"{source}: not UTF-8 (byte {exc.start}); save it as UTF-8") from exc
    try:
        doc: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{source}: invalid TOML: {exc}") from exc
    prefix = ""
    if source.endswith(PYPROJECT):
        tool = doc.get("tool", {})
        if not isinstance(tool, dict):
            raise SpecError(f"{source}: tool: must be a table")
        doc = tool.get("crewchief", {})
        prefix = "tool.crewchief."
        if not isinstance(doc, dict):
            raise SpecError(f"{source}: tool.crewchief: must be a table")
    try:
        return Policy.model_validate(doc)
    except ValidationError as exc:
        raise SpecError(one_line(source, exc, prefix)) from exc


def load_policy(files: dict[str, bytes | None]) -> tuple[Policy, str | None]:
    """Pick the policy from the repo's files: crewchief.toml first, then pyproject.toml.

    `files` maps a root file name to its bytes (None when absent). Returns the policy and the name of
    the file it came from (None when the repo has none and defaults apply).
    """
    own = files.get(POLICY_FILE)
    if own is not None:
        return parse_policy(own, POLICY_FILE), POLICY_FILE
    pyproject = files.get(PYPROJECT)
    if pyproject is not None:
        try:
            tool = tomllib.loads(pyproject.decode("utf-8", "replace")).get("tool", {})
            has_table = isinstance(tool, dict) and "crewchief" in tool
        except tomllib.TOMLDecodeError:
            has_table = False  # a broken pyproject is not our policy's problem unless it holds ours
        if has_table:
            return parse_policy(pyproject, PYPROJECT), PYPROJECT
    return Policy(), None
