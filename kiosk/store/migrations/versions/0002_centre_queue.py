"""The centre's queue: ticket states and counters, events, applied requests, leases.

Revision ID: 0002_centre_queue
Revises: 0001_baseline

Every new ticket column is nullable or has a server default, so tickets issued before
this revision become waiting tickets of their own service (docs/architecture.md, Tickets).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_centre_queue"
down_revision = "0001_baseline"
branch_labels = None
depends_on = None


def _ticket_columns() -> tuple[sa.Column, ...]:
    return (
        sa.Column("queue_state", sa.String(12), nullable=False, server_default="waiting"),
        sa.Column("queue_service", sa.String(8)),
        sa.Column("counter", sa.Integer()),
        sa.Column("called_at", sa.String(32)),
        sa.Column("started_at", sa.String(32)),
        sa.Column("calls", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("origin", sa.String(64)),
    )


def upgrade() -> None:
    for column in _ticket_columns():
        op.add_column("tickets", column)
    op.create_index("ix_tickets_queue", "tickets", ["day", "queue_state", "issued_at"])
    op.add_column("daily_counters", sa.Column("next_lease", sa.Integer()))
    op.create_table(
        "ticket_events",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("ticket_id", sa.String(32)),
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("number", sa.String(12)),
        sa.Column("service", sa.String(8)),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("at", sa.String(32), nullable=False),
        sa.Column("counter", sa.Integer()),
        sa.Column("terminal", sa.String(64)),
        sa.Column("detail", sa.Text()),
    )
    op.create_index("ix_ticket_events_day", "ticket_events", ["day"])
    op.create_table(
        "applied_requests",
        sa.Column("request_id", sa.String(64), primary_key=True),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("counter", sa.Integer()),
        sa.Column("result", sa.Text()),
        sa.Column("applied_at", sa.String(32), nullable=False),
    )
    op.create_table(
        "counter_state",
        sa.Column("counter", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("paused", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("changed_at", sa.String(32)),
    )
    op.create_table(
        "number_leases",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("service", sa.String(8), nullable=False),
        sa.Column("terminal", sa.String(64), nullable=False),
        sa.Column("first_seq", sa.Integer(), nullable=False),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.Column("leased_at", sa.String(32), nullable=False),
    )
    op.create_index("ix_number_leases_day_service", "number_leases",
                    ["day", "service", "first_seq"])


def downgrade() -> None:
    op.drop_table("number_leases")
    op.drop_table("counter_state")
    op.drop_table("applied_requests")
    op.drop_index("ix_ticket_events_day", table_name="ticket_events")
    op.drop_table("ticket_events")
    op.drop_index("ix_tickets_queue", table_name="tickets")
    # SQLite drops columns by copying the table: batch mode does that where needed.
    with op.batch_alter_table("daily_counters") as batch:
        batch.drop_column("next_lease")
    with op.batch_alter_table("tickets") as batch:
        for column in reversed(_ticket_columns()):
            batch.drop_column(column.name)
