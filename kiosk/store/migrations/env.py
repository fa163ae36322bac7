"""Alembic's entry point: the migrations run on the connection kiosk.store.migrations
hands over, inside its transaction, so an upgrade is applied whole or not at all."""

from __future__ import annotations

from alembic import context

from kiosk.store.db import metadata

connection = context.config.attributes.get("connection")
if connection is None or context.is_offline_mode():
    raise RuntimeError("run migrations through kiosk.store (open_database, `kiosk db upgrade`)")
context.configure(connection=connection, target_metadata=metadata)
with context.begin_transaction():
    context.run_migrations()
