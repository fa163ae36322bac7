"""The kiosk's staff mode: staff_audit, append-only like ticket_events
(kiosk/store/audit.py).

Revision ID: 0007_staff_audit
Revises: 0006_kiosk_link
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from kiosk.store.db import append_only

revision = "0007_staff_audit"
down_revision = "0006_kiosk_link"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "staff_audit",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("at", sa.String(32), nullable=False),
        sa.Column("staff_name", sa.String(64), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
    )
    for statement in append_only("staff_audit").get(op.get_bind().dialect.name, ()):
        op.execute(statement)


def downgrade() -> None:
    # Its triggers go with it; kiosk_append_only() stays for ticket_events (0002's).
    op.drop_table("staff_audit")
