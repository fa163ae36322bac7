"""The centre's JSON API for terminals (docs/architecture.md, Centre).

Every terminal request carries its bearer token; a kiosk token may issue and look up
tickets, a counter token act at a counter, a display token read the lobby's state. Every
mutating request carries a `request_id` and is applied once however often it arrives. A
refusal is `{"error": "<one sentence>"}` with a 4xx status; never a traceback.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from kiosk.centre import terminals as kinds
from kiosk.centre.context import CentreContext
from kiosk.centre.estimate import wait_minutes
from kiosk.centre.issuing import NotYours, RequestTaken, TicketIssuer
from kiosk.centre.requests import ApiError, bearer_token, json_body, moment, request_id, text
from kiosk.centre.terminals import (
    EnrolmentRefused,
    Terminal,
    Terminals,
    TokenRefused,
    check_kind,
)
from kiosk.store import WAITING, TicketRecord
from kiosk.store.calls import CounterRefused
from kiosk.store.requests import InvalidRequest

# A kiosk may say when the citizen asked (its request may have been retried meanwhile);
# the centre's clock decides beyond this, so a kiosk's wrong clock cannot jump the queue.
ISSUED_AT_GRACE = timedelta(minutes=10)
RECENT_CALLS = 6  # the display's list of last calls, besides the one now

# URL action -> CounterDesk method (kiosk/store/calls.py).
COUNTER_ACTIONS = {"call": "call_next", "recall": "recall", "start": "start",
                   "served": "served", "no-show": "no_show", "transfer": "transfer",
                   "pause": "pause", "resume": "resume"}

# A staff session (PAGES: kiosk.centre.staff_auth.staff_for_request) may act at a counter
# instead of a counter token: request -> staff name, or None without a valid session+CSRF.
StaffCheck = Callable[[Request], Awaitable[str | None]]


def ctx_of(request: Request) -> CentreContext:
    return request.app.state.ctx


def terminals_of(request: Request) -> Terminals:
    return request.app.state.terminals


async def terminal(request: Request, kind: str) -> Terminal:
    """The active terminal whose token the request carries, of `kind`; else ApiError."""
    token = bearer_token(request)
    if token is None:
        raise ApiError(401, "this request needs a terminal token (Authorization: Bearer …)")
    try:
        found = await run_in_threadpool(terminals_of(request).authenticate, token)
    except TokenRefused as exc:
        raise ApiError(401, str(exc)) from None
    if found.kind != kind:
        raise ApiError(403, f"a {found.kind} terminal cannot do this; it needs a {kind} token")
    return found


def _answer(payload: dict[str, Any], status: int = 200) -> JSONResponse:
    return JSONResponse(payload, status_code=status)


async def health(request: Request) -> Response:
    return _answer({"status": "ok", "at": ctx_of(request).config.now().isoformat()})


async def ca_certificate(request: Request) -> Response:
    """The CA's certificate, public: a terminal checks it against the fingerprint staff
    gave it before trusting it (kiosk/centre/client.py)."""
    pem = request.app.state.ca_pem
    if pem is None:
        raise ApiError(404, "this centre serves without TLS (development mode)")
    return Response(pem, media_type="application/x-pem-file")


async def enrol(request: Request) -> Response:
    body = await json_body(request)
    code = text(body, "code", max_len=40)
    kind = text(body, "kind", max_len=16)
    name = text(body, "name", required=False)
    rid = request_id(body) if "request_id" in body else None
    try:
        check_kind(kind or "")
    except ValueError as exc:
        raise ApiError(400, f"kind: {exc}") from None
    try:
        done = await run_in_threadpool(terminals_of(request).enrol, code, kind, name, rid)
    except EnrolmentRefused as exc:
        raise ApiError(403, str(exc)) from None
    return _answer({"token": done.token, "name": done.name, "kind": done.kind,
                    "replayed": done.replayed})


# --- tickets (kiosk tokens) -----------------------------------------------------------------

def service_letter(ctx: CentreContext, body: dict[str, Any], key: str) -> str:
    letter = text(body, key, max_len=8)
    letters = [s.letter for s in ctx.config.services]
    if letter not in letters:
        raise ApiError(400, f"{key}: {letter!r} is not a service of this centre; expected "
                            f"one of {', '.join(letters)}")
    assert letter is not None
    return letter


def issued_time(ctx: CentreContext, asked: datetime | None) -> datetime:
    """When the ticket counts as issued: the kiosk's time if it is recent and not ahead of
    the centre's clock, else the centre's; always in the centre's zone (its date is the
    numbers' day)."""
    now = ctx.config.now()
    if asked is not None and now - ISSUED_AT_GRACE <= asked <= now:
        return asked.astimezone(now.tzinfo)
    return now


def ticket_view(ctx: CentreContext, ticket: TicketRecord) -> dict[str, Any]:
    """What a terminal may know of a ticket (blocking: run it in a thread). Never its
    person link."""
    ahead = ctx.desk.people_ahead(ticket)
    queue = ticket.queue
    minutes = None
    if ticket.queue_state == WAITING:
        try:
            counters = len(ctx.config.service(queue).counters)
        except KeyError:  # a service taken out of the config since
            counters = 0
        minutes = wait_minutes(ctx.desk.service_minutes(ticket.day, queue), ahead, counters)
    return {"id": ticket.id, "number": ticket.number, "service": queue, "seq": ticket.seq,
            "issued_at": ticket.issued_at.isoformat(), "queue_state": ticket.queue_state,
            "counter": ticket.counter, "people_ahead": ahead, "wait_minutes": minutes}


async def issue(request: Request) -> Response:
    kiosk = await terminal(request, kinds.KIOSK)
    ctx = ctx_of(request)
    body = await json_body(request)
    rid = request_id(body)
    service = service_letter(ctx, body, "service")
    lang = text(body, "lang", max_len=8)
    if lang not in ctx.config.languages:
        raise ApiError(400, f"lang: {lang!r} is not offered; expected one of "
                            f"{', '.join(ctx.config.languages)}")
    at = issued_time(ctx, moment(body, "issued_at"))

    issuer: TicketIssuer = request.app.state.issuer

    def work() -> dict[str, Any]:
        try:
            ticket, replayed = issuer.issue(kiosk.name, rid, service, lang, at)
        except RequestTaken as exc:
            raise ApiError(409, str(exc)) from None
        return {**ticket_view(ctx, ticket), "replayed": replayed}

    return _answer(await run_in_threadpool(work))


async def ticket_status(request: Request) -> Response:
    await terminal(request, kinds.KIOSK)
    ctx = ctx_of(request)
    ticket_id = request.path_params["ticket_id"]

    def work() -> dict[str, Any] | None:
        ticket = ctx.store.get(ticket_id) if len(ticket_id) <= 32 else None
        return ticket_view(ctx, ticket) if ticket is not None else None

    found = await run_in_threadpool(work)
    if found is None:
        raise ApiError(404, "no ticket with this id at this centre")
    return _answer(found)


async def ticket_outcome(request: Request) -> Response:
    """The issuing kiosk says whether the ticket printed: {printed: true} or {printed:
    false, problem: "paper out"}. Applied once (kiosk/centre/issuing.py)."""
    kiosk = await terminal(request, kinds.KIOSK)
    ctx = ctx_of(request)
    body = await json_body(request)
    request_id(body)  # required like every mutating request's, though the state decides
    printed = body.get("printed")
    if not isinstance(printed, bool):
        raise ApiError(400, "printed: expected true or false")
    problem = None if printed else (text(body, "problem", required=False, max_len=200)
                                    or "not printed")
    issuer: TicketIssuer = request.app.state.issuer
    ticket_id = request.path_params["ticket_id"]

    def work() -> dict[str, Any]:
        try:
            ticket, replayed = issuer.record_outcome(kiosk.name, ticket_id, problem,
                                                     ctx.config.now())
        except NotYours as exc:
            raise ApiError(404, str(exc)) from None
        return {"id": ticket.id, "number": ticket.number, "status": ticket.status,
                "replayed": replayed}

    return _answer(await run_in_threadpool(work))


# --- counters (counter tokens or a staff session) ---------------------------------------

def counter_services(ctx: CentreContext, counter: int) -> list[str]:
    return [s.letter for s in ctx.config.services if counter in s.counters]


def counter_action(ctx: CentreContext, counter: int, action: str, body: dict[str, Any],
                   ) -> dict[str, Any]:
    """Applies one counter action (blocking: run it in a thread). Shared by the API and
    `kiosk counter`, so both refuse and answer alike."""
    method = COUNTER_ACTIONS.get(action)
    if method is None:
        raise ApiError(404, f"unknown counter action {action!r}; expected one of "
                            f"{', '.join(COUNTER_ACTIONS)}")
    services = counter_services(ctx, counter)
    if not services:
        raise ApiError(404, f"counter {counter} is not one of this centre's counters")
    rid = request_id(body)
    at = ctx.config.now()
    desk = ctx.desk
    try:
        if action == "call":
            result = desk.call_next(counter, services, at=at, request_id=rid)
        elif action == "transfer":
            to = service_letter(ctx, body, "to_service")
            result = desk.transfer(counter, to, at=at, request_id=rid)
        else:
            result = getattr(desk, method)(counter, at=at, request_id=rid)
    except CounterRefused as exc:
        raise ApiError(409, str(exc)) from None
    except InvalidRequest as exc:  # checked above already; the store checks again
        raise ApiError(400, str(exc)) from None
    ticket = result.ticket
    return {"action": result.action, "counter": result.counter, "replayed": result.replayed,
            "number": ticket.number if ticket else None,
            "service": ticket.queue if ticket else None,
            "queue_state": ticket.queue_state if ticket else None,
            "calls": ticket.calls if ticket else None}


async def counter(request: Request) -> Response:
    staff_check: StaffCheck | None = request.app.state.staff_check
    staff = await staff_check(request) if staff_check and bearer_token(request) is None \
        else None
    if staff is None:
        await terminal(request, kinds.COUNTER)
    number = request.path_params["counter"]
    action = request.path_params["action"]
    body = await json_body(request)
    ctx = ctx_of(request)
    return _answer(await run_in_threadpool(counter_action, ctx, number, action, body))


# --- the lobby display (display tokens) -------------------------------------------------

def display_state(ctx: CentreContext) -> dict[str, Any]:
    now = ctx.config.now()
    day = now.date()
    calls = ctx.desk.recent_calls(day, RECENT_CALLS + 1)
    waiting = {s.letter: 0 for s in ctx.config.services}
    waiting.update(ctx.desk.waiting_counts(day))

    def shown(t: TicketRecord) -> dict[str, Any]:
        return {"number": t.number, "counter": t.counter, "calls": t.calls,
                "called_at": t.called_at.isoformat() if t.called_at else None}

    return {"now": shown(calls[0]) if calls else None, "recent": [shown(t) for t in calls[1:]],
            "waiting": waiting, "at": now.isoformat()}


async def display(request: Request) -> Response:
    await terminal(request, kinds.DISPLAY)
    return _answer(await run_in_threadpool(display_state, ctx_of(request)))


def api_routes() -> list[BaseRoute]:
    return [
        Route("/api/health", health, methods=["GET"]),
        Route("/api/ca", ca_certificate, methods=["GET"]),
        Route("/api/enrol", enrol, methods=["POST"]),
        Route("/api/tickets", issue, methods=["POST"]),
        Route("/api/tickets/{ticket_id}", ticket_status, methods=["GET"]),
        Route("/api/tickets/{ticket_id}/outcome", ticket_outcome, methods=["POST"]),
        Route("/api/counters/{counter:int}/{action}", counter, methods=["POST"]),
        Route("/api/display/state", display, methods=["GET"]),
    ]
