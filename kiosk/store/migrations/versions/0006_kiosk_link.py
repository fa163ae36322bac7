"""A kiosk's side of the centre link: the number blocks it leased and the outbox of tickets
it issued from them while the centre was down (kiosk/store/link.py).

Revision ID: 0006_kiosk_link
Revises: 0005_province_outbox
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_kiosk_link"
down_revision = "0005_province_outbox"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "link_leases",
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("service", sa.String(8), nullable=False),
        sa.Column("first", sa.Integer(), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.Column("next_seq", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.String(80), nullable=False, unique=True),
        sa.PrimaryKeyConstraint("day", "service", "first"),
    )
    op.create_table(
        "link_outbox",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("ticket_id", sa.String(32), nullable=False, unique=True),
        sa.Column("payload", sa.Text(), nullable=False),
    )
    op.create_table(
        "link_refused",
        sa.Column("ticket_id", sa.String(32), primary_key=True),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("at", sa.String(32), nullable=False),
    )
    op.create_table(
        "link_meta",
        sa.Column("key", sa.String(40), primary_key=True),
        sa.Column("value", sa.String(200), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("link_meta")
    op.drop_table("link_refused")
    op.drop_table("link_outbox")
    op.drop_table("link_leases")
