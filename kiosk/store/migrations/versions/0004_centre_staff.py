"""Staff who sign in at the counter pages: staff, staff_sessions, login_failures
(kiosk/store/staff.py).

Revision ID: 0004_centre_staff
Revises: 0003_centre_terminals
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_centre_staff"
down_revision = "0003_centre_terminals"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "staff",
        sa.Column("name_key", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("pin_hash", sa.String(200), nullable=False),
        sa.Column("counters", sa.String(200)),
        sa.Column("created_at", sa.String(32), nullable=False),
    )
    op.create_table(
        "staff_sessions",
        sa.Column("id_hash", sa.String(64), primary_key=True),
        sa.Column("name_key", sa.String(64),
                  sa.ForeignKey("staff.name_key", ondelete="CASCADE"), nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("last_seen_at", sa.String(32), nullable=False),
    )
    op.create_index("ix_staff_sessions_name", "staff_sessions", ["name_key"])
    op.create_table(
        "login_failures",
        sa.Column("name_key", sa.String(64), primary_key=True),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("last_failure_at", sa.String(32), nullable=False),
        sa.Column("locked_until", sa.String(32)),
    )


def downgrade() -> None:
    op.drop_table("login_failures")
    op.drop_index("ix_staff_sessions_name", table_name="staff_sessions")
    op.drop_table("staff_sessions")
    op.drop_table("staff")
