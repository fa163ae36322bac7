"""Counter operations: call the next number, recall, start, served, no-show, transfer,
pause and resume; and what the counter page and the lobby display read.

Every operation carries a request id the caller made up (a page makes one per click and
resends it until it is answered). The id and the result are stored with the change, in
its transaction: the same id again returns the first result, marked `replayed`, and
changes nothing, so a click is never lost or doubled when the network stutters or the
database restarts mid-call (docs/architecture.md, Tickets).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Engine, func, select, update

from kiosk.store.db import counter_state, reading, tickets
from kiosk.store.queue import (
    CALLED,
    NO_SHOW,
    QUEUE_ORDER,
    SERVED,
    SERVING,
    WAITING,
    TicketRecord,
    add_event,
    insert_if_absent,
    load_ticket,
    people_ahead_in,
    queue_of,
    require_aware,
    row_to_record,
    ticket_event,
)
from kiosk.store.requests import InvalidRequest, apply_once, check_request_id

CALL = "call"
RECALL = "recall"
START = "start"
SERVE = "served"
NO_SHOW_ACTION = "no_show"
TRANSFER = "transfer"
PAUSE = "pause"
RESUME = "resume"
ACTIONS = (CALL, RECALL, START, SERVE, NO_SHOW_ACTION, TRANSFER, PAUSE, RESUME)

_SERVICE = re.compile(r"[A-Z]")  # the config's rule for a service letter


class CounterRefused(Exception):
    """The operation cannot be done now; str() is one sentence for staff."""


class QueueEmpty(CounterRefused):
    def __init__(self) -> None:
        super().__init__("no one waiting")


class CounterBusy(CounterRefused):
    def __init__(self, counter: int, number: str) -> None:
        super().__init__(f"counter {counter} still has {number}: mark it served, a no-show "
                         "or transfer it first")


class NothingCalled(CounterRefused):
    def __init__(self, counter: int) -> None:
        super().__init__(f"counter {counter} has no number called")


class NotCalledYet(CounterRefused):
    def __init__(self, counter: int) -> None:
        super().__init__(f"counter {counter} has called no number: a no-show comes after "
                         "a call")


class AlreadyStarted(CounterRefused):
    def __init__(self, number: str) -> None:
        super().__init__(f"{number} is already being served: mark it served or transfer it")


class CounterPaused(CounterRefused):
    def __init__(self, counter: int) -> None:
        super().__init__(f"counter {counter} is paused: resume it to call the next number")


class UnknownService(CounterRefused):
    def __init__(self, service: object, known: Iterable[str] = ()) -> None:
        expected = ", ".join(sorted(known)) or "one capital letter A-Z"
        super().__init__(f"{service!r} is not a service here; expected {expected}")


class RequestReused(CounterRefused):
    def __init__(self, action: str, counter: int | None) -> None:
        super().__init__(f"this request was already used for {action} at counter {counter}")


@dataclass(frozen=True)
class CallResult:
    action: str
    ticket: TicketRecord | None
    counter: int
    replayed: bool = False


def check_counter(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidRequest(f"counter must be a whole number above 0, not {value!r}")
    return value


def check_service(value: object, known: frozenset[str] | None = None) -> str:
    """A service letter (one capital letter), one of `known` when given."""
    if not (isinstance(value, str) and _SERVICE.fullmatch(value)) or (
            known is not None and value not in known):
        raise UnknownService(value, known or ())
    return value


def _record_json(record: TicketRecord | None) -> str | None:
    if record is None:
        return None
    return json.dumps({k: v.isoformat() if isinstance(v, datetime) else v
                       for k, v in asdict(record).items()})


def _record_from_json(text_value: str | None) -> TicketRecord | None:
    if text_value is None:
        return None
    data: dict[str, Any] = json.loads(text_value)
    for key in ("issued_at", "served_at", "called_at", "started_at"):
        if data.get(key):
            data[key] = datetime.fromisoformat(data[key])
    return TicketRecord(**data)


def _day(day: date | str) -> str:
    return day.isoformat() if isinstance(day, date) else date.fromisoformat(day).isoformat()


# A step of an operation: given the transaction and the locked counter row, makes the
# change (and its event) and returns the ticket concerned; raises CounterRefused.
Step = Callable[[Connection, Any], TicketRecord | None]


class CounterDesk:
    """The counters of one centre on its database. `services`: the configured service
    letters (None: any well-formed letter)."""

    def __init__(self, engine: Engine, services: Iterable[str] | None = None) -> None:
        self.engine = engine
        self.services = frozenset(services) if services is not None else None

    # -- operations ------------------------------------------------------------------

    def call_next(self, counter: int, services: Sequence[str], at: datetime,
                  request_id: str) -> CallResult:
        """Calls the oldest waiting ticket of the day of `at` in one of `services`."""
        if isinstance(services, str) or not services:
            raise UnknownService(services, self.services or ())
        wanted = [check_service(s, self.services) for s in services]
        day = at.date().isoformat() if isinstance(at, datetime) else ""

        def step(conn: Connection, state: Any) -> TicketRecord:
            if state.paused:
                raise CounterPaused(counter)
            self._refuse_if_busy(conn, counter, day)
            query = (select(tickets.c.id)
                     .where(tickets.c.day == day, tickets.c.queue_state == WAITING,
                            queue_of.in_(wanted))
                     .order_by(*QUEUE_ORDER).limit(1))
            if conn.dialect.name == "postgresql":
                # Two counters calling at once: the second passes over the row the first
                # holds instead of waiting for it and calling the same ticket.
                query = query.with_for_update(skip_locked=True)
            ticket_id = conn.execute(query).scalar()
            if ticket_id is None:
                raise QueueEmpty()
            conn.execute(update(tickets).where(tickets.c.id == ticket_id).values(
                queue_state=CALLED, counter=counter, called_at=at.isoformat(),
                started_at=None, calls=tickets.c.calls + 1))
            return self._event(conn, "called", at, ticket_id, counter)

        return self._apply(CALL, counter, at, request_id, step)

    def recall(self, counter: int, at: datetime, request_id: str) -> CallResult:
        """Announces the counter's ticket again; only this last call counts for waiting."""
        def step(conn: Connection, _state: Any) -> TicketRecord:
            current = self._current_or_refuse(conn, counter, at)
            conn.execute(update(tickets).where(tickets.c.id == current.id).values(
                called_at=at.isoformat(), calls=tickets.c.calls + 1))
            return self._event(conn, "recalled", at, current.id, counter)

        return self._apply(RECALL, counter, at, request_id, step)

    def start(self, counter: int, at: datetime, request_id: str) -> CallResult:
        """The citizen called has come to the counter: serving begins."""
        def step(conn: Connection, _state: Any) -> TicketRecord:
            current = self._current_or_refuse(conn, counter, at)
            if current.queue_state == SERVING:
                raise AlreadyStarted(current.number)
            conn.execute(update(tickets).where(tickets.c.id == current.id).values(
                queue_state=SERVING, started_at=at.isoformat()))
            return self._event(conn, "started", at, current.id, counter)

        return self._apply(START, counter, at, request_id, step)

    def served(self, counter: int, at: datetime, request_id: str) -> CallResult:
        def step(conn: Connection, _state: Any) -> TicketRecord:
            current = self._current_or_refuse(conn, counter, at)
            conn.execute(update(tickets).where(tickets.c.id == current.id).values(
                queue_state=SERVED, served_at=at.isoformat()))
            return self._event(conn, "served", at, current.id, counter)

        return self._apply(SERVE, counter, at, request_id, step)

    def no_show(self, counter: int, at: datetime, request_id: str) -> CallResult:
        """The citizen called did not come; only after a call, before serving began."""
        def step(conn: Connection, _state: Any) -> TicketRecord:
            current = self._current(conn, counter, at.date().isoformat())
            if current is None:
                raise NotCalledYet(counter)
            if current.queue_state == SERVING:
                raise AlreadyStarted(current.number)
            conn.execute(update(tickets).where(tickets.c.id == current.id).values(
                queue_state=NO_SHOW))
            return self._event(conn, "no_show", at, current.id, counter)

        return self._apply(NO_SHOW_ACTION, counter, at, request_id, step)

    def transfer(self, counter: int, to_service: str, at: datetime,
                 request_id: str) -> CallResult:
        """The counter's ticket waits again, in `to_service`'s queue, keeping its place
        (its issue time): it goes before those issued after it there."""
        target = check_service(to_service, self.services)

        def step(conn: Connection, _state: Any) -> TicketRecord:
            current = self._current_or_refuse(conn, counter, at)
            conn.execute(update(tickets).where(tickets.c.id == current.id).values(
                queue_state=WAITING,
                queue_service=None if target == current.service else target,
                counter=None, started_at=None))
            return self._event(conn, "transferred", at, current.id, counter,
                               detail=f"from {current.queue}")

        return self._apply(TRANSFER, counter, at, request_id, step)

    def pause(self, counter: int, at: datetime, request_id: str) -> CallResult:
        """The counter calls no one until resumed (it may finish its current ticket)."""
        return self._apply(PAUSE, counter, at, request_id, self._set_paused(counter, at, True))

    def resume(self, counter: int, at: datetime, request_id: str) -> CallResult:
        return self._apply(RESUME, counter, at, request_id,
                           self._set_paused(counter, at, False))

    # -- queries ---------------------------------------------------------------------

    def current(self, counter: int, day: date | str) -> TicketRecord | None:
        """The ticket the counter has called or is serving on `day`, if any."""
        with reading(self.engine) as conn:
            return self._current(conn, counter, _day(day))

    def is_paused(self, counter: int) -> bool:
        with reading(self.engine) as conn:
            paused = conn.execute(select(counter_state.c.paused)
                                  .where(counter_state.c.counter == counter)).scalar()
        return bool(paused)

    def waiting_counts(self, day: date | str) -> dict[str, int]:
        """How many wait in each service's queue on `day` (only services with someone)."""
        with reading(self.engine) as conn:
            rows = conn.execute(
                select(queue_of.label("queue"), func.count().label("n"))
                .where(tickets.c.day == _day(day), tickets.c.queue_state == WAITING)
                .group_by(queue_of)
            ).all()
        return {r.queue: int(r.n) for r in sorted(rows)}

    def recent_calls(self, day: date | str, limit: int = 5) -> list[TicketRecord]:
        """The tickets called on `day`, the last called first."""
        with reading(self.engine) as conn:
            rows = conn.execute(
                select(tickets)
                .where(tickets.c.day == _day(day), tickets.c.called_at.is_not(None))
                .order_by(tickets.c.called_at.desc(), tickets.c.id).limit(limit)
            ).all()
        return [row_to_record(r) for r in rows]

    def people_ahead(self, ticket: TicketRecord) -> int:
        """Waiting tickets of its queue issued before it (TicketStore.people_ahead)."""
        with reading(self.engine) as conn:
            return people_ahead_in(conn, ticket.id)

    def service_minutes(self, day: date | str, service: str) -> list[float]:
        """Minutes from the (last) call to served, for each ticket of `service`'s queue
        served on `day`: for wait estimates and statistics."""
        with reading(self.engine) as conn:
            rows = conn.execute(
                select(tickets.c.called_at, tickets.c.served_at)
                .where(tickets.c.day == _day(day), tickets.c.queue_state == SERVED,
                       queue_of == service, tickets.c.called_at.is_not(None))
                .order_by(tickets.c.served_at)
            ).all()
        return [(datetime.fromisoformat(r.served_at)
                 - datetime.fromisoformat(r.called_at)).total_seconds() / 60 for r in rows]

    # -- the machinery ---------------------------------------------------------------

    def _apply(self, action: str, counter: int, at: datetime, request_id: str,
               step: Step) -> CallResult:
        request_id = check_request_id(request_id)
        counter = check_counter(counter)
        try:
            require_aware(at)
        except ValueError as exc:
            raise InvalidRequest(str(exc)) from None
        ticket, replayed = apply_once(
            self.engine, request_id, action, counter, at,
            lambda conn: step(conn, self._lock_counter(conn, counter)),
            _record_json, _record_from_json, RequestReused)
        return CallResult(action, ticket, counter, replayed)

    @staticmethod
    def _lock_counter(conn: Connection, counter: int):  # type: ignore[no-untyped-def]
        """The counter's row, made if absent and locked: one counter's operations run one
        at a time (PostgreSQL's row lock; SQLite's write lock already serialises)."""
        insert_if_absent(conn, counter_state, {"counter": counter, "paused": 0})
        return conn.execute(select(counter_state).where(counter_state.c.counter == counter)
                            .with_for_update()).one()

    @staticmethod
    def _current(conn: Connection, counter: int, day: str) -> TicketRecord | None:
        row = conn.execute(
            select(tickets)
            .where(tickets.c.day == day, tickets.c.counter == counter,
                   tickets.c.queue_state.in_((CALLED, SERVING)))
            .order_by(tickets.c.called_at.desc()).limit(1)
        ).first()
        return row_to_record(row) if row else None

    def _current_or_refuse(self, conn: Connection, counter: int,
                           at: datetime) -> TicketRecord:
        current = self._current(conn, counter, at.date().isoformat())
        if current is None:
            raise NothingCalled(counter)
        return current

    def _refuse_if_busy(self, conn: Connection, counter: int, day: str) -> None:
        current = self._current(conn, counter, day)
        if current is not None:
            raise CounterBusy(counter, current.number)

    @staticmethod
    def _event(conn: Connection, kind: str, at: datetime, ticket_id: str, counter: int,
               detail: str | None = None) -> TicketRecord:
        record = load_ticket(conn, ticket_id)
        assert record is not None
        ticket_event(conn, kind, at, record, counter=counter, detail=detail)
        return record

    @staticmethod
    def _set_paused(counter: int, at: datetime, paused: bool) -> Step:
        def step(conn: Connection, state: Any) -> None:
            if bool(state.paused) == paused:
                return None  # already so: nothing changes, no event
            conn.execute(update(counter_state).where(counter_state.c.counter == counter)
                         .values(paused=int(paused), changed_at=at.isoformat()))
            add_event(conn, "paused" if paused else "resumed", at,
                      day=at.date().isoformat(), counter=counter)
            return None

        return step
