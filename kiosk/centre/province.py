"""Events to the province: an outbox that pushes the centre's anonymous events to the
province's HTTP endpoint (docs/architecture.md, Events to the province).

Two streams are read from the centre's database: ticket events (`ticket_events`: issued,
called, served, no_show, ...) and ratings. Each row becomes an event with a stable uid,
``<centre_id>:e<id>`` or ``<centre_id>:r<id>``, built field by field from an allow-list:
no ticket id, no person hash, nothing a citizen typed. Rows go out in batches with an
``Idempotency-Key`` derived from the batch's first and last uid, so a retried batch carries
the same key. A batch is retried, unchanged, until the endpoint answers 2xx: waits grow
exponentially with full jitter (a random wait below a doubling bound) up to `max_backoff`,
and never undercut a Retry-After. The cursor (kiosk/store/province.py) moves only after a
2xx, so after a crash or restart the batch in flight is sent again: at least once here,
exactly once at a receiver that keeps events by uid (kiosk/centre/receiver.py does).
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from kiosk import __version__
from kiosk.config import Config, ProvinceSettings
from kiosk.store.province import EVENTS, RATINGS, ProvinceCursor, ratings_after
from kiosk.store.queue import TicketEvent, TicketStore
from kiosk.store.ratings import RatingRecord

log = logging.getLogger(__name__)

# The first wait after a failure is drawn below this; each failure doubles the bound.
BASE_BACKOFF = 0.5
# A Retry-After longer than this is read as this: a typo at the province must not silence
# a centre for days.
RETRY_AFTER_CAP = 3600.0
# An id missing between delivered rows may be a transaction that has not committed yet
# (PostgreSQL hands out ids before commit): the outbox waits [province] gap_grace seconds
# (30) for it before taking the gap as a rolled-back transaction and moving on.
RATED = "rated"  # the kind of a rating event


def event_payload(centre_id: str, row: TicketEvent) -> dict[str, Any]:
    """The anonymous event sent for one ticket event. Built key by key: a column added to
    the table later is not sent until it is added here, after thinking about it."""
    return {"uid": f"{centre_id}:e{row.id}", "kind": row.kind, "at": row.at.isoformat(),
            "day": row.day, "number": row.number, "service": row.service,
            "counter": row.counter}


def rating_payload(centre_id: str, row: RatingRecord) -> dict[str, Any]:
    """The anonymous event sent for one rating (its time is to the hour already)."""
    return {"uid": f"{centre_id}:r{row.id}", "kind": RATED, "at": row.rated_at.isoformat(),
            "day": row.day, "service": row.service, "counter": row.counter,
            "level": row.level, "reasons": list(row.reasons)}


def idempotency_key(uids: Sequence[str]) -> str:
    """The batch's Idempotency-Key: its first and last uid, and how many it holds (the same
    range can hold one row more once a late transaction committed inside it)."""
    return f"{uids[0]}..{uids[-1]}/{len(uids)}"


def parse_retry_after(value: str, now: datetime) -> float | None:
    """Seconds to wait from a Retry-After value (RFC 9110 10.2.3): delay-seconds or an
    HTTP-date (a date in the past: 0). None for anything else, which is then ignored."""
    text = value.strip()
    if text.isascii() and text.isdigit():
        return RETRY_AFTER_CAP if len(text) > 12 else min(float(text), RETRY_AFTER_CAP)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:  # "-0000": a date in UTC (HTTP-dates are all GMT)
        when = when.replace(tzinfo=UTC)
    try:
        seconds = (when - now).total_seconds()
    except OverflowError:
        return None
    return min(max(seconds, 0.0), RETRY_AFTER_CAP)


def backoff_delay(attempt: int, max_backoff: float, rng: random.Random,
                  base: float = BASE_BACKOFF) -> float:
    """Full jitter: a uniform wait below min(max_backoff, base·2^(attempt-1))."""
    bound = min(max_backoff, base * 2.0 ** min(attempt - 1, 60))
    return rng.uniform(0.0, bound)


class DeliveryFailed(Exception):
    """A batch was not accepted; `retry_after` is the endpoint's Retry-After, if any."""

    def __init__(self, reason: str, retry_after: float | None = None,
                 too_large: bool = False) -> None:
        super().__init__(reason)
        self.retry_after = retry_after
        self.too_large = too_large


@dataclass(frozen=True)
class Batch:
    stream: str
    last_id: int
    events: tuple[dict[str, Any], ...]

    @property
    def key(self) -> str:
        return idempotency_key([e["uid"] for e in self.events])

    def body(self, centre_id: str) -> bytes:
        return json.dumps({"centre": centre_id, "events": list(self.events)},
                          ensure_ascii=False, separators=(",", ":")).encode()


class _Stream:
    """One table read in id order from a cursor, stopping at a gap until it is old."""

    def __init__(self, name: str, fetch: Callable[[int, int], Sequence[Any]],
                 payload: Callable[[Any], dict[str, Any]]) -> None:
        self.name, self.fetch, self.payload = name, fetch, payload
        self.gaps: dict[int, float] = {}  # first missing id -> when it was first seen

    def next_batch(self, after_id: int, limit: int, now: float, grace: float) -> Batch | None:
        rows = self.fetch(after_id, limit)
        self.gaps = {first: seen for first, seen in self.gaps.items() if first > after_id}
        # Every gap in sight starts its wait now, not only the first: a PostgreSQL crash or
        # a killed centre leaves several, and each waiting its turn held the events back
        # the grace per gap (found by tests/test_centre_chaos.py).
        expected = after_id + 1
        for row in rows:
            if row.id != expected:
                self.gaps.setdefault(expected, now)
            expected = row.id + 1
        taken: list[Any] = []
        expected = after_id + 1
        for row in rows:
            if row.id != expected:
                seen = self.gaps.setdefault(expected, now)
                if now - seen < grace:
                    break  # perhaps a transaction still running: wait for it
                log.warning("province: %s ids %d-%d never appeared; moving past them",
                            self.name, expected, row.id - 1)
                self.gaps.pop(expected, None)
            taken.append(row)
            expected = row.id + 1
        if not taken:
            return None
        return Batch(self.name, taken[-1].id, tuple(self.payload(r) for r in taken))


class ProvinceOutbox:
    """Pushes the centre's events to `settings.url`. `run(stop_event)` on a thread of its
    own; everything else is for that thread (and tests) only."""

    def __init__(self, engine: Engine, settings: ProvinceSettings, *,
                 client: httpx.Client | None = None,
                 rng: random.Random | None = None,
                 wall_clock: Callable[[], datetime] = lambda: datetime.now(UTC),
                 monotonic: Callable[[], float] = time.monotonic,
                 base_backoff: float = BASE_BACKOFF) -> None:
        if not settings.url or not settings.centre_id:
            raise ValueError("the province outbox needs [province] url and centre_id")
        self.settings = settings
        self.cursor = ProvinceCursor(engine)
        centre = settings.centre_id
        self._streams = (
            _Stream(EVENTS, TicketStore(engine).events_after,
                    lambda row: event_payload(centre, row)),
            _Stream(RATINGS, lambda after, n: ratings_after(engine, after, n),
                    lambda row: rating_payload(centre, row)),
        )
        headers = {"Content-Type": "application/json", "User-Agent": f"lobby-kiosk/{__version__}"}
        if settings.token:
            headers["Authorization"] = f"Bearer {settings.token}"
        self._headers = headers
        self._client = client or httpx.Client(timeout=settings.timeout)
        self._rng = rng or random.Random()
        self._now = wall_clock
        self._monotonic = monotonic
        self._base_backoff = base_backoff
        self._limit = settings.batch
        self._in_flight: Batch | None = None  # retried unchanged until accepted
        self._wake = threading.Event()

    # -- one step ------------------------------------------------------------------------

    def send_next(self) -> int:
        """Sends the next batch (the one in flight first) and moves its cursor once it is
        accepted. Returns how many events it held, 0 when nothing is waiting. Raises
        DeliveryFailed (the batch stays in flight) or SQLAlchemyError (the database)."""
        batch = self._in_flight or self._next_batch()
        if batch is None:
            return 0
        self._in_flight = batch
        self._post(batch)
        self.cursor.advance(batch.stream, batch.last_id, self._now())
        self._in_flight = None
        return len(batch.events)

    def _next_batch(self) -> Batch | None:
        positions = self.cursor.positions()
        for stream in self._streams:
            batch = stream.next_batch(positions[stream.name], self._limit, self._monotonic(),
                                      self.settings.gap_grace)
            if batch is not None:
                return batch
        return None

    def _post(self, batch: Batch) -> None:
        headers = {**self._headers, "Idempotency-Key": batch.key}
        try:
            response = self._client.post(self.settings.url, content=batch.body(
                self.settings.centre_id), headers=headers)
        except httpx.HTTPError as exc:
            raise DeliveryFailed(f"{type(exc).__name__}: {exc}") from None
        if response.is_success:
            return
        retry_after = None
        if "retry-after" in response.headers:
            retry_after = parse_retry_after(response.headers["retry-after"], self._now())
        if response.status_code == 413 and len(batch.events) > 1:
            # Too large for the endpoint: the same rows go again in halves, and batches
            # stay that size while this process runs.
            self._limit = max(1, len(batch.events) // 2)
            self._in_flight = None
            raise DeliveryFailed("HTTP 413: batch too large, halving it", too_large=True)
        raise DeliveryFailed(f"HTTP {response.status_code}", retry_after)

    def retry_delay(self, attempt: int, failure: DeliveryFailed | None) -> float:
        """How long to wait before attempt `attempt` + 1: full jitter, and at least what a
        Retry-After asked."""
        delay = backoff_delay(attempt, self.settings.max_backoff, self._rng,
                              self._base_backoff)
        if failure is not None and failure.retry_after is not None:
            delay = max(delay, failure.retry_after)
        return delay

    # -- the loop ------------------------------------------------------------------------

    def wake(self) -> None:
        """New events were written: look now rather than at the next poll."""
        self._wake.set()

    def run(self, stop_event: threading.Event) -> None:
        """Delivers until `stop_event` is set; returns promptly once it is."""
        def wake_on_stop() -> None:
            stop_event.wait()
            self._wake.set()

        threading.Thread(target=wake_on_stop, name="province-stop", daemon=True).start()
        attempt = 0
        log.info("province: pushing events to %s", self.settings.url)
        while not stop_event.is_set():
            failure: DeliveryFailed | None = None
            try:
                sent = self.send_next()
            except DeliveryFailed as exc:
                failure, sent = exc, -1
            except SQLAlchemyError as exc:
                sent = -1
                log.warning("province: the database could not be read or written: %s",
                            getattr(exc, "orig", None) or exc)
            except Exception:
                # A fault of ours: a thread that died here would stop the province's
                # figures without a word. Logged whole, then retried like a failure.
                sent = -1
                log.exception("province: unexpected error while delivering")
            if sent > 0:
                attempt = 0
                continue
            if sent == 0:
                attempt = 0
                self._pause(stop_event, self.settings.poll_interval)
                continue
            if failure is not None and failure.too_large:
                continue
            attempt += 1
            delay = self.retry_delay(attempt, failure)
            log.warning("province: batch not delivered (%s, attempt %d); retrying in %.1f s",
                        failure or "database", attempt, delay)
            if stop_event.wait(delay):
                break
        self._client.close()

    def _pause(self, stop_event: threading.Event, seconds: float) -> None:
        self._wake.wait(seconds)
        if not stop_event.is_set():
            self._wake.clear()


class OutboxThread:
    """A ProvinceOutbox running on its own daemon thread; stop() ends it."""

    def __init__(self, outbox: ProvinceOutbox | None) -> None:
        self.outbox = outbox
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        if outbox is not None:
            self._thread = threading.Thread(target=outbox.run, args=(self._stop,),
                                            name="province-outbox", daemon=True)
            self._thread.start()

    def wake(self) -> None:
        if self.outbox is not None:
            self.outbox.wake()

    def stop(self, timeout: float = 5.0) -> None:
        """Ends the loop; a request in flight may hold it up to [province] timeout, and
        the thread is a daemon: a shutdown never waits longer than `timeout`."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def __enter__(self) -> OutboxThread:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_outbox(config: Config, engine: Engine, **options: Any) -> OutboxThread:
    """The centre service's one call: starts pushing events when [province] url is set
    (otherwise a handle that does nothing). Call `.stop()` on the result at shutdown, or use
    it as a context manager, as the app's lifespan does:

        with start_outbox(ctx.config, ctx.engine):
            yield
    """
    if not config.province.url:
        return OutboxThread(None)
    return OutboxThread(ProvinceOutbox(engine, config.province, **options))
