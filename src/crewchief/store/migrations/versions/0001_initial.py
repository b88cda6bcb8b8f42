"""initial schema: tasks, runs, events, reports, findings, decisions

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "tasks",
        sa.Column("id", sa.String(80), primary_key=True),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("priority", sa.Integer, nullable=False),
        sa.Column("spec", sa.JSON, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_table(
        "runs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("task_id", sa.String(80), sa.ForeignKey("tasks.id"), nullable=False),
        sa.Column("agent", sa.String(80), nullable=False),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("group_key", sa.String(120)),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("priority", sa.Integer, nullable=False),
        sa.Column("branch", sa.String(255)),
        sa.Column("base_ref", sa.String(255)),
        sa.Column("base_commit", sa.String(64)),
        sa.Column("head_commit", sa.String(64)),
        sa.Column("worktree", sa.Text),
        sa.Column("pid", sa.Integer),
        sa.Column("owner_pid", sa.Integer),
        sa.Column("feedback", sa.Text),
        sa.Column("reason", sa.Text),
        sa.Column("model", sa.String(120)),
        sa.Column("tokens_in", sa.Integer),
        sa.Column("tokens_out", sa.Integer),
        sa.Column("cost_usd", sa.Float),
        sa.Column("transcript", sa.Text),
        sa.Column("verdict", sa.String(10)),
        sa.Column("risk", sa.Integer),
        sa.Column("retries", sa.Integer, nullable=False),
        sa.Column("not_before", TS),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("started_at", TS),
        sa.Column("ended_at", TS),
    )
    op.create_index("ix_runs_state", "runs", ["state"])
    op.create_index("ix_runs_task", "runs", ["task_id", "attempt"])
    op.create_table(
        "events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id"), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("from_state", sa.String(20)),
        sa.Column("to_state", sa.String(20), nullable=False),
        sa.Column("message", sa.Text),
    )
    op.create_index("ix_events_run", "events", ["run_id"])
    op.create_table(
        "reports",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id"), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("verdict", sa.String(10), nullable=False),
        sa.Column("risk", sa.Integer, nullable=False),
        sa.Column("body", sa.JSON, nullable=False),
    )
    op.create_index("ix_reports_run", "reports", ["run_id"])
    op.create_table(
        "findings",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("report_id", sa.Integer, sa.ForeignKey("reports.id"), nullable=False),
        sa.Column("check", sa.String(40), nullable=False),
        sa.Column("rule", sa.String(80), nullable=False),
        sa.Column("severity", sa.String(10), nullable=False),
        sa.Column("path", sa.Text),
        sa.Column("line", sa.Integer),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("blocking", sa.Boolean, nullable=False),
        sa.Column("cwe", sa.String(20)),
    )
    op.create_index("ix_findings_report", "findings", ["report_id"])
    op.create_table(
        "decisions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id"), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("who", sa.String(200), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("feedback", sa.Text),
        sa.Column("merge_commit", sa.String(64)),
        sa.Column("next_run_id", sa.Integer),
    )
    op.create_index("ix_decisions_run", "decisions", ["run_id"])


def downgrade() -> None:
    for table in ("decisions", "findings", "reports", "events", "runs", "tasks"):
        op.drop_table(table)
