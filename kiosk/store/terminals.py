"""Tables of the centre's enrolled terminals (kiosks, counters, displays) and of the
one-time codes that enrol them. Only SHA-256 digests of codes and tokens are stored: a copy
of the database does not let anyone act as a terminal.

Made by migration 0003_centre_terminals; kiosk/centre/terminals.py works with them.
"""

from __future__ import annotations

from sqlalchemy import Column, Index, String, Table

from kiosk.store.db import metadata

terminals = Table(
    "terminals",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("kind", String(16), nullable=False),  # kiosk | counter | display
    # SHA-256 (hex) of the bearer token; NULL until the terminal has enrolled.
    Column("token_hash", String(64), unique=True),
    Column("enrolled_at", String(32)),  # ISO 8601 in UTC, like every time in these tables
    Column("revoked_at", String(32)),  # set by `kiosk centre revoke`; the token then fails
)

enrolment_codes = Table(
    "enrolment_codes",
    metadata,
    Column("code_hash", String(64), primary_key=True),  # SHA-256 (hex) of the code
    Column("name", String(64), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("created_at", String(32), nullable=False),
    Column("expires_at", String(32), nullable=False),  # UTC, ISO 8601: compared as text
    Column("used_at", String(32)),
    # The request_id of the enrolment that used it: the same terminal retrying after a lost
    # answer gets a (new) token; anyone else holding the code gets nothing.
    Column("used_by_request", String(64)),
    Index("ix_enrolment_codes_name", "name"),
)

# Tickets issued through the centre's API, by the request id the kiosk made up: a retried
# request (its answer lost on the way) gets the same ticket back instead of a second number
# (kiosk/centre/issuing.py).
ticket_requests = Table(
    "ticket_requests",
    metadata,
    Column("request_id", String(64), primary_key=True),
    Column("terminal", String(64), nullable=False),
    Column("ticket_id", String(32), nullable=False),
    Column("at", String(32), nullable=False),
)
