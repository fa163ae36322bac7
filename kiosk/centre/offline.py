"""The API a kiosk uses to keep issuing when it cannot reach the centre: it leases blocks
of numbers ahead of need, issues from them by itself, and sends those tickets back once the
centre is reachable again (docs/architecture.md, Centre; the numbers' rules are in
kiosk/store/leases.py)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from kiosk.centre import terminals as kinds
from kiosk.centre.api import ctx_of, service_letter, terminal
from kiosk.centre.context import CentreContext
from kiosk.centre.requests import ApiError, integer, json_body, request_id, text
from kiosk.store.leases import (
    MAX_LEASE,
    ImportedTicket,
    ImportRefused,
    LeaseStore,
    check_import,
)
from kiosk.store.requests import InvalidRequest

# A day's offline tickets of one kiosk fit in one request; more wait for the next.
MAX_IMPORT = 500
IMPORT_BODY_LIMIT = 1024 * 1024


def _lease_day(ctx: CentreContext, body: dict[str, Any]) -> date:
    """Today or tomorrow at the centre: a kiosk leases for the day ahead at most."""
    value = text(body, "day", max_len=10, expected="a day like 2026-11-30")
    try:
        day = date.fromisoformat(value or "")
    except ValueError:
        raise ApiError(400, "day: expected a day like 2026-11-30") from None
    today = ctx.config.now().date()
    if not today <= day <= today + timedelta(days=1):
        raise ApiError(400, f"day: expected today ({today}) or tomorrow at the centre")
    return day


async def lease(request: Request) -> Response:
    kiosk = await terminal(request, kinds.KIOSK)
    ctx = ctx_of(request)
    body = await json_body(request)
    rid = request_id(body)
    service = service_letter(ctx, body, "service")
    day = _lease_day(ctx, body)
    size = integer(body, "size", 1, MAX_LEASE)

    def work() -> dict[str, Any]:
        try:
            block = LeaseStore(ctx.engine).lease_block(day, service, kiosk.name, size,
                                                       at=ctx.config.now(), request_id=rid)
        except InvalidRequest as exc:  # the request id was used for something else
            raise ApiError(409, str(exc)) from None
        return {"day": block.day, "service": block.service, "first": block.first,
                "last": block.last}

    return JSONResponse(await run_in_threadpool(work))


def _imported(ctx: CentreContext, item: object) -> ImportedTicket:
    """One ticket of an import, or ImportRefused naming what is wrong with it."""
    if not isinstance(item, dict):
        raise ImportRefused("expected a ticket object")
    try:
        issued_at = datetime.fromisoformat(item.get("issued_at") or "")
    except (TypeError, ValueError):
        raise ImportRefused("issued_at must be a time with its zone") from None
    if issued_at.tzinfo is None:
        raise ImportRefused("issued_at must be a time with its zone")
    if item.get("service") not in [s.letter for s in ctx.config.services]:
        raise ImportRefused("service is not one of this centre's")
    try:
        # In the centre's zone: its date is the ticket's day, and queue order compares
        # times written with one offset.
        issued_at = issued_at.astimezone(ctx.config.now().tzinfo)
    except OverflowError:  # year 1 or 9999 moved across a day boundary
        raise ImportRefused("issued_at is out of range") from None
    ticket = ImportedTicket(
        id=item.get("id"), service=item.get("service"), seq=item.get("seq"),  # type: ignore[arg-type]
        lang=item.get("lang"), issued_at=issued_at,  # type: ignore[arg-type]
        status=item.get("status", "printed"), print_error=item.get("print_error"))  # type: ignore[arg-type]
    return check_import(ticket)


async def import_tickets(request: Request) -> Response:
    """Each ticket is taken or refused on its own: {imported: [ids], replayed: [ids],
    refused: [{id, error}]}. Refused ones will never be taken (not in this kiosk's
    blocks, another ticket's number): the kiosk keeps them for staff, not for retrying."""
    kiosk = await terminal(request, kinds.KIOSK)
    ctx = ctx_of(request)
    body = await json_body(request, IMPORT_BODY_LIMIT)
    items = body.get("tickets")
    if not isinstance(items, list) or not items or len(items) > MAX_IMPORT:
        raise ApiError(400, f"tickets: expected a list of 1 to {MAX_IMPORT} tickets")

    def work() -> dict[str, Any]:
        store = LeaseStore(ctx.engine)
        answer: dict[str, Any] = {"imported": [], "replayed": [], "refused": []}
        for item in items:
            ticket_id = item.get("id") if isinstance(item, dict) else None
            try:
                stored, replayed = store.import_ticket(_imported(ctx, item), kiosk.name,
                                                       ctx.config.now())
            except (ImportRefused, InvalidRequest) as exc:
                answer["refused"].append({"id": ticket_id if isinstance(ticket_id, str)
                                          else None, "error": str(exc)})
                continue
            answer["replayed" if replayed else "imported"].append(stored.id)
        return answer

    return JSONResponse(await run_in_threadpool(work))


def offline_routes() -> list[BaseRoute]:
    return [
        Route("/api/leases", lease, methods=["POST"]),
        Route("/api/tickets/import", import_tickets, methods=["POST"]),
    ]
