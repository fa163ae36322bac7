"""Requests applied once: the caller's request id and the result are stored with the
change, in its transaction, so a retry (after a network stutter or a database restart)
gets the first result back instead of acting twice (docs/architecture.md, Tickets)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from sqlalchemy import Connection, Engine, select
from sqlalchemy.exc import IntegrityError

from kiosk.store.db import applied_requests, reading

T = TypeVar("T")

# Ids a page or script makes up: a UUID, or random letters. Long enough not to collide
# between terminals, short enough to store; nothing that needs quoting anywhere.
_REQUEST_ID = re.compile(r"[A-Za-z0-9_.:-]{8,64}")


class InvalidRequest(ValueError):
    """A request that no page or command of ours would make (a malformed request id, a
    counter that is not a number above 0, a time without a zone): a bug or a forgery."""


def check_request_id(value: object) -> str:
    if not (isinstance(value, str) and _REQUEST_ID.fullmatch(value)):
        raise InvalidRequest("request_id must be 8 to 64 letters, digits or . _ : -")
    return value


def apply_once(engine: Engine, request_id: str, action: str, counter: int | None,
               at: datetime, work: Callable[[Connection], T],
               encode: Callable[[T], str | None], decode: Callable[[str | None], T],
               reused: Callable[[str, int | None], Exception]) -> tuple[T, bool]:
    """Runs `work` in a write transaction and stores its encoded result under
    `request_id`; or, when that id was applied already, returns the stored result without
    running anything. The second value says which (True: replayed). An id applied for
    another action or counter raises `reused(its action, its counter)`."""

    def stored(conn: Connection) -> tuple[T, bool] | None:
        row = conn.execute(select(applied_requests)
                           .where(applied_requests.c.request_id == request_id)).first()
        if row is None:
            return None
        if (row.action, row.counter) != (action, counter):
            raise reused(row.action, row.counter)
        return decode(row.result), True

    try:
        with engine.begin() as conn:
            found = stored(conn)
            if found is not None:
                return found
            result = work(conn)
            conn.execute(applied_requests.insert().values(
                request_id=request_id, action=action, counter=counter,
                result=encode(result), applied_at=at.isoformat()))
        return result, False
    except IntegrityError:
        # Another attempt with the same id (a retry racing the first, on PostgreSQL)
        # committed first: this one was rolled back whole; answer as a replay.
        with reading(engine) as conn:
            found = stored(conn)
        if found is None:
            raise
        return found
