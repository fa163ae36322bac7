"""The province outbox's cursor (kiosk/store/province.py).

Revision ID: 0005_province_outbox
Revises: 0004_centre_staff
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

# The table is described in kiosk/store/province.py; importing it puts it in
# kiosk.store.db.metadata whenever the migrations are loaded, so that what the migrations
# make and what `metadata` describes agree (tests/test_store_migrations.py) even in a
# process that never imported the outbox.
import kiosk.store.province  # noqa: F401

revision = "0005_province_outbox"
down_revision = "0004_centre_staff"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A database made whole by create_all (a fresh SQLite kiosk) may have it already.
    if sa.inspect(op.get_bind()).has_table("province_cursor"):
        return
    op.create_table(
        "province_cursor",
        sa.Column("stream", sa.String(16), primary_key=True),
        sa.Column("last_id", sa.Integer, nullable=False),
        sa.Column("updated_at", sa.String(32), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("province_cursor")
