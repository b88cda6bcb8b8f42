"""A task: Markdown with YAML front matter under `.crewchief/tasks/<id>.md`."""

from __future__ import annotations

import re
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from crewchief.spec._validation import check_globs, one_line
from crewchief.spec.errors import SpecError

TASK_DIR = ".crewchief/tasks"
TASK_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,79}$")
_ID = TASK_ID
ACCEPTANCE_EXISTING = "existing"
"""`acceptance: existing`: a task without new behaviour (a refactor, docs) whose proof of done is
that the current suite keeps passing."""


class Budget(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    minutes: float | None = Field(default=None, gt=0)
    usd: float | None = Field(default=None, ge=0)
    tokens: int | None = Field(default=None, gt=0)


class Task(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    """Lower-case letters, digits, '.', '_' and '-'; also the file name and branch component."""
    title: str
    agent: str | None = None
    scope: list[str] = Field(default_factory=list)
    """Globs this task's change may touch, on top of the policy's scope."""
    allow_files: list[str] = Field(default_factory=list)
    """Globs of new files this task may add that would otherwise look stray to the `hygiene` check
    (a data file, a script, a notes file the task asks for), on top of the policy's `[hygiene]
    allow`."""
    acceptance: list[str] = Field(default_factory=list)
    """Pytest node ids or commands that must fail at base and pass at head."""
    acceptance_existing: bool = False
    """Set by `acceptance: existing` (then `acceptance` is empty): no new behaviour to prove, the
    current suite must keep passing."""
    supersedes: list[str] = Field(default_factory=list)
    """Pytest node ids (or test files) of existing tests the objective deliberately changes: when
    they fail at head the gate reports them as superseded, not broken, and the task's acceptance
    entries judge the new behaviour instead."""
    budget: Budget = Field(default_factory=Budget)
    priority: int = Field(default=3, ge=0, le=9)
    """0 is most urgent."""
    depends_on: list[str] = Field(default_factory=list)
    base: str | None = None
    """The ref the run starts from (default: the current HEAD when queued)."""
    source: str | None = None
    """Where the task came from, when it was imported (a GitHub issue's URL): a later import
    finds and updates the file by it."""
    source_hash: str | None = None
    """Written by the import with `source`: a digest of the task as imported. A later import
    rewrites the file only when the issue changed since, and never over the lead's own edits (a
    file that no longer matches its digest is kept and reported)."""
    api_change: Literal["allowed"] | None = None
    """`allowed`: this task may break the public API (the lead authorises it here, in the spec,
    so the agent cannot authorise itself in the diff); `[api] breaking = "block"` then reviews."""
    objective: str = ""

    @model_validator(mode="before")
    @classmethod
    def _existing_acceptance(cls, data: Any) -> Any:
        """`acceptance: existing` becomes an empty list plus the flag, so code that iterates the
        entries needs no special case and code that must know asks `acceptance_existing`."""
        if not isinstance(data, dict) or data.get("acceptance") != ACCEPTANCE_EXISTING:
            return data
        if data.get("acceptance_existing") is False:
            raise ValueError("acceptance: 'existing' contradicts acceptance_existing: false")
        return {**data, "acceptance": [], "acceptance_existing": True}

    @model_validator(mode="after")
    def _existing_means_no_entries(self) -> Task:
        if self.acceptance_existing and self.acceptance:
            raise ValueError(
                "acceptance_existing: true means no acceptance entries; "
                "write either 'acceptance: existing' or a list of entries"
            )
        return self

    def supersedes_test(self, test: str) -> bool:
        """Whether `supersedes` names this node id, or a file or class that holds it."""
        return any(
            test == entry or test.startswith((entry + "::", entry + "["))
            for entry in self.supersedes
        )

    @field_validator("scope", "allow_files")
    @classmethod
    def _valid_globs(cls, value: list[str]) -> list[str]:
        return check_globs(value)

    @field_validator("id")
    @classmethod
    def _valid_id(cls, value: str) -> str:
        if not _ID.match(value):
            raise ValueError("use lower-case letters, digits, '.', '_' and '-' (at most 80)")
        return value


def split_front_matter(text: str, source: str) -> tuple[dict[str, Any], str]:
    if not text.startswith("---"):
        raise SpecError(
            f"{source}: missing YAML front matter (the file must start with a '---' line)"
        )
    lines = text.splitlines(keepends=True)
    for index in range(1, len(lines)):
        if lines[index].rstrip() == "---":
            head = "".join(lines[1:index])
            body = "".join(lines[index + 1 :])
            break
    else:
        raise SpecError(f"{source}: front matter is not closed (add a '---' line after it)")
    try:
        meta = yaml.safe_load(head) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 2}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise SpecError(f"{source}: invalid YAML front matter{where}: {problem}") from exc
    if not isinstance(meta, dict):
        raise SpecError(f"{source}: front matter must be a mapping of keys to values")
    return meta, body


def parse_task(data: bytes, source: str) -> Task:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SpecError(f"{source}: not UTF-8 (byte {exc.start}); save it as UTF-8") from exc
    meta, body = split_front_matter(text, source)
    if "objective" in meta:
        raise SpecError(f"{source}: objective: write the objective as the Markdown body, not a key")
    try:
        return Task.model_validate({**meta, "objective": body.strip()})
    except ValidationError as exc:
        raise SpecError(one_line(source, exc)) from exc
