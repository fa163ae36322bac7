"""The centre's terminals: enrolled kiosks, counters and displays, their one-time
enrolment codes, and the tickets they had issued by request id (kiosk/store/terminals.py;
docs/architecture.md, Centre).

Revision ID: 0003_centre_terminals
Revises: 0002_centre_queue
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_centre_terminals"
down_revision = "0002_centre_queue"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "terminals",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("token_hash", sa.String(64), unique=True),
        sa.Column("enrolled_at", sa.String(32)),
        sa.Column("revoked_at", sa.String(32)),
    )
    op.create_table(
        "enrolment_codes",
        sa.Column("code_hash", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("expires_at", sa.String(32), nullable=False),
        sa.Column("used_at", sa.String(32)),
        sa.Column("used_by_request", sa.String(64)),
    )
    op.create_index("ix_enrolment_codes_name", "enrolment_codes", ["name"])
    op.create_table(
        "ticket_requests",
        sa.Column("request_id", sa.String(64), primary_key=True),
        sa.Column("terminal", sa.String(64), nullable=False),
        sa.Column("ticket_id", sa.String(32), nullable=False),
        sa.Column("at", sa.String(32), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("ticket_requests")
    op.drop_index("ix_enrolment_codes_name", "enrolment_codes")
    op.drop_table("enrolment_codes")
    op.drop_table("terminals")
