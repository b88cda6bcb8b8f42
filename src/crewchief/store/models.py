"""Tables. Agent-written text (messages, feedback, transcripts' paths) is stored as given and
escaped where it is shown, never here."""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from sqlalchemy import JSON, Boolean, DateTime, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {dt.datetime: DateTime(timezone=True)}


class TaskRow(Base):
    __tablename__ = "tasks"

    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    priority: Mapped[int] = mapped_column(Integer, default=3)
    spec: Mapped[dict[str, object]] = mapped_column(JSON)
    """The validated task front matter and objective, as queued (later edits make a new version)."""
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class RunRow(Base):
    __tablename__ = "runs"
    __table_args__ = (
        Index("ix_runs_state", "state"),
        Index("ix_runs_task", "task_id", "attempt"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    task_id: Mapped[str] = mapped_column(ForeignKey("tasks.id"))
    agent: Mapped[str] = mapped_column(String(80))
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    group_key: Mapped[str | None] = mapped_column(String(120), default=None)
    """Runs of one task on several agents (best-of-N) share a group key."""
    state: Mapped[str] = mapped_column(String(20), default="queued")
    priority: Mapped[int] = mapped_column(Integer, default=3)
    branch: Mapped[str | None] = mapped_column(String(255), default=None)
    base_ref: Mapped[str | None] = mapped_column(String(255), default=None)
    base_commit: Mapped[str | None] = mapped_column(String(64), default=None)
    head_commit: Mapped[str | None] = mapped_column(String(64), default=None)
    worktree: Mapped[str | None] = mapped_column(Text, default=None)
    pid: Mapped[int | None] = mapped_column(Integer, default=None)
    """The agent's process group leader while it runs (recovery ends orphans by it)."""
    owner_pid: Mapped[int | None] = mapped_column(Integer, default=None)
    """The `crewchief run` process working on this run."""
    feedback: Mapped[str | None] = mapped_column(Text, default=None)
    """The feedback history this run was queued with by a rejection (JSON; an audit record). The
    prompt reads every earlier rejection of the task from the decisions instead."""
    reason: Mapped[str | None] = mapped_column(Text, default=None)
    model: Mapped[str | None] = mapped_column(String(120), default=None)
    tokens_in: Mapped[int | None] = mapped_column(Integer, default=None)
    tokens_out: Mapped[int | None] = mapped_column(Integer, default=None)
    cost_usd: Mapped[float | None] = mapped_column(Float, default=None)
    transcript: Mapped[str | None] = mapped_column(Text, default=None)
    verdict: Mapped[str | None] = mapped_column(String(10), default=None)
    risk: Mapped[int | None] = mapped_column(Integer, default=None)
    retries: Mapped[int] = mapped_column(Integer, default=0)
    pr_url: Mapped[str | None] = mapped_column(String(500), default=None)
    """The GitHub pull request this run was opened as (`crewchief pr`); `sync` reads it back."""
    not_before: Mapped[dt.datetime | None] = mapped_column(default=None)
    """Backoff: a transiently failed run is not picked up again before this time."""
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    ended_at: Mapped[dt.datetime | None] = mapped_column(default=None)

    events: Mapped[list[EventRow]] = relationship(back_populates="run", order_by="EventRow.id")
    reports: Mapped[list[ReportRow]] = relationship(back_populates="run", order_by="ReportRow.id")
    decisions: Mapped[list[DecisionRow]] = relationship(
        back_populates="run", order_by="DecisionRow.id"
    )


class EventRow(Base):
    __tablename__ = "events"
    __table_args__ = (Index("ix_events_run", "run_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    from_state: Mapped[str | None] = mapped_column(String(20))
    to_state: Mapped[str] = mapped_column(String(20))
    message: Mapped[str | None] = mapped_column(Text, default=None)

    run: Mapped[RunRow] = relationship(back_populates="events")


class ReportRow(Base):
    __tablename__ = "reports"
    __table_args__ = (Index("ix_reports_run", "run_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    verdict: Mapped[str] = mapped_column(String(10))
    risk: Mapped[int] = mapped_column(Integer)
    body: Mapped[dict[str, object]] = mapped_column(JSON)
    """The whole `crewchief.gate/v1` report."""

    run: Mapped[RunRow] = relationship(back_populates="reports")
    findings: Mapped[list[FindingRow]] = relationship(back_populates="report")


class FindingRow(Base):
    __tablename__ = "findings"
    __table_args__ = (Index("ix_findings_report", "report_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id"))
    check: Mapped[str] = mapped_column(String(40))
    rule: Mapped[str] = mapped_column(String(80))
    severity: Mapped[str] = mapped_column(String(10))
    path: Mapped[str | None] = mapped_column(Text, default=None)
    line: Mapped[int | None] = mapped_column(Integer, default=None)
    message: Mapped[str] = mapped_column(Text)
    blocking: Mapped[bool] = mapped_column(Boolean, default=False)
    cwe: Mapped[str | None] = mapped_column(String(20), default=None)

    report: Mapped[ReportRow] = relationship(back_populates="findings")


class DecisionRow(Base):
    __tablename__ = "decisions"
    __table_args__ = (Index("ix_decisions_run", "run_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"))
    kind: Mapped[str] = mapped_column(String(10))
    """approve | reject"""
    who: Mapped[str] = mapped_column(String(200))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    feedback: Mapped[str | None] = mapped_column(Text, default=None)
    merge_commit: Mapped[str | None] = mapped_column(String(64), default=None)
    next_run_id: Mapped[int | None] = mapped_column(Integer, default=None)

    run: Mapped[RunRow] = relationship(back_populates="decisions")
