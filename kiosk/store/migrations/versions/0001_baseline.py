"""The schema before migrations: daily counters, tickets (with `rated`), ratings.

Revision ID: 0001_baseline
Revises: (none)

A database made by an older kiosk has no alembic_version and may lack the columns and
tables later versions added (tickets.person_hash, tickets.rated, ratings): they are added
here, in place, so every existing row stays. A new database gets the tables whole.
(kiosk.store.db checks first that existing tables are a kiosk's.)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_baseline"
down_revision = None
branch_labels = None
depends_on = None

# Columns older kiosks lacked; all nullable, so old rows stay valid.
_LATER_TICKET_COLUMNS = (
    ("person_hash", sa.String(64)),
    ("rated", sa.Integer()),
)


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    names = set(inspector.get_table_names())
    if "daily_counters" not in names:
        op.create_table(
            "daily_counters",
            sa.Column("day", sa.String(10), nullable=False),
            sa.Column("service", sa.String(8), nullable=False),
            sa.Column("last_seq", sa.Integer(), nullable=False),
            sa.PrimaryKeyConstraint("day", "service"),
        )
    if "tickets" not in names:
        op.create_table(
            "tickets",
            sa.Column("id", sa.String(32), primary_key=True),
            sa.Column("day", sa.String(10), nullable=False),
            sa.Column("service", sa.String(8), nullable=False),
            sa.Column("seq", sa.Integer(), nullable=False),
            sa.Column("number", sa.String(12), nullable=False),
            sa.Column("lang", sa.String(8), nullable=False),
            sa.Column("issued_at", sa.String(32), nullable=False),
            sa.Column("status", sa.String(20), nullable=False),
            sa.Column("print_error", sa.Text()),
            sa.Column("served_at", sa.String(32)),
            sa.Column("person_hash", sa.String(64)),
            sa.Column("rated", sa.Integer()),
            sa.UniqueConstraint("day", "service", "seq", name="uq_ticket_number"),
        )
    else:
        existing = {c["name"] for c in inspector.get_columns("tickets")}
        for name, kind in _LATER_TICKET_COLUMNS:
            if name not in existing:
                op.add_column("tickets", sa.Column(name, kind))
    if "ratings" not in names:
        op.create_table(
            "ratings",
            sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
            sa.Column("day", sa.String(10), nullable=False),
            sa.Column("rated_at", sa.String(32), nullable=False),
            sa.Column("level", sa.String(20), nullable=False),
            sa.Column("reasons", sa.String(200), nullable=False),
            sa.Column("ticket_id", sa.String(32)),
            sa.Column("service", sa.String(8)),
            sa.Column("counter", sa.Integer()),
            sa.Column("lang", sa.String(8), nullable=False),
        )
        op.create_index("ix_ratings_day", "ratings", ["day"])


def downgrade() -> None:
    op.drop_index("ix_ratings_day", table_name="ratings")
    op.drop_table("ratings")
    op.drop_table("tickets")
    op.drop_table("daily_counters")
