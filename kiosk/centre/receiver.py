"""The reference receiver of the centre's events (docs/architecture.md, Events to the
province): for the tests, and for a province that has no endpoint of its own yet.

`POST /events` takes a batch, JSON ``{"centre": ID, "events": [{uid, kind, at, ...}]}``,
with an ``Idempotency-Key`` header, and keeps each event once by its uid in a SQLite file.
A key seen before with the same body gets the answer it got then (marked
``Idempotent-Replayed: true``); with another body, 422. `GET /stats` counts what was kept.
Every request is recorded with its arrival time, status and body, so a test can see what
came over the wire and when. `refuse_next` makes it answer 429/503 (with Retry-After) to
the next requests, for tests of a sender's patience.
"""

from __future__ import annotations

import hashlib
import json
import socket
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse
from starlette.routing import Route

# The fields an event may carry (kiosk/centre/province.py builds them). Anything else is
# refused, so a sender that starts leaking a field finds out at once.
EVENT_FIELDS = frozenset({"uid", "kind", "at", "day", "number", "service", "counter", "level",
                          "reasons"})
_TEXT_FIELDS = ("at", "day", "number", "service", "level")
MAX_BODY = 8 * 1024 * 1024
MAX_EVENTS = 10000
MAX_KEY = 255

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    uid TEXT PRIMARY KEY, centre TEXT NOT NULL, kind TEXT NOT NULL, at TEXT,
    event TEXT NOT NULL, received_at REAL NOT NULL,
    deliveries INTEGER NOT NULL DEFAULT 1  -- how many times it came (kept once)
);
CREATE TABLE IF NOT EXISTS answers (
    key TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, status INTEGER NOT NULL, body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS requests (
    id INTEGER PRIMARY KEY, at REAL NOT NULL, key TEXT, status INTEGER NOT NULL,
    body BLOB NOT NULL
);
"""


class BadBatch(ValueError):
    """A request body that is not a batch of events; str() is one sentence for the sender."""


@dataclass(frozen=True)
class ReceivedBatch:
    centre: str
    events: tuple[dict[str, Any], ...]


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _check_event(i: int, event: object, centre: str) -> dict[str, Any]:
    if not isinstance(event, dict):
        raise BadBatch(f"event {i} is not an object")
    for name in event:
        if name not in EVENT_FIELDS:
            raise BadBatch(f"event {i}: unknown field {_short(name)}")
    uid = event.get("uid")
    if not (isinstance(uid, str) and uid.startswith(centre + ":") and len(uid) <= 200
            and uid.isprintable()):
        raise BadBatch(f"event {i}: uid must be text starting with the centre's id and ':'")
    kind = event.get("kind")
    if not (isinstance(kind, str) and 0 < len(kind) <= 32 and kind.isprintable()):
        raise BadBatch(f"event {i}: kind must be a short text")
    for name in _TEXT_FIELDS:
        value = event.get(name)
        if value is not None and not (isinstance(value, str) and len(value) <= 64):
            raise BadBatch(f"event {i}: {name} must be a short text or null")
    counter = event.get("counter")
    if counter is not None and (isinstance(counter, bool) or not isinstance(counter, int)
                                or not 0 <= counter < 2**31):
        raise BadBatch(f"event {i}: counter must be a counter number or null")
    reasons = event.get("reasons", [])
    if not (isinstance(reasons, list) and len(reasons) <= 16
            and all(isinstance(r, str) and len(r) <= 32 for r in reasons)):
        raise BadBatch(f"event {i}: reasons must be a list of reason codes")
    return event


def parse_batch(body: bytes) -> ReceivedBatch:
    """The batch in a request body; BadBatch saying what is wrong otherwise."""
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise BadBatch("the body is not JSON text in UTF-8") from None
    if not isinstance(data, dict):
        raise BadBatch("the body must be a JSON object {\"centre\": ..., \"events\": [...]}")
    centre = data.get("centre")
    if not (isinstance(centre, str) and 0 < len(centre) <= 64 and centre.isprintable()
            and ":" not in centre):
        raise BadBatch("centre must be the centre's id, a short text without ':'")
    events = data.get("events")
    if not isinstance(events, list) or not 0 < len(events) <= MAX_EVENTS:
        raise BadBatch(f"events must be a list of 1 to {MAX_EVENTS} events")
    return ReceivedBatch(centre, tuple(_check_event(i, e, centre) for i, e in enumerate(events)))


@dataclass(frozen=True)
class RecordedRequest:
    at: float  # wall-clock seconds when it arrived
    key: str | None
    status: int
    body: bytes


@dataclass
class _Refusal:
    status: int
    count: int
    retry_after: str | None


class Receiver:
    """The receiver's state: its SQLite file and the refusals it was told to give."""

    def __init__(self, path: Path | str, token: str = "",
                 clock: Callable[[], float] = time.time, max_body: int = MAX_BODY) -> None:
        self.path = Path(path)
        self.token = token
        self.max_body = max_body
        self.clock = clock
        self._lock = threading.Lock()
        self._kept = threading.Condition()  # notified when events were kept
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)
        self._refusals: list[_Refusal] = []

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- for tests ---------------------------------------------------------------------

    def refuse_next(self, status: int, count: int = 1, retry_after: str | None = None) -> None:
        """The next `count` batches are answered `status` (429, 503 ...) and not kept."""
        with self._lock:
            self._refusals.append(_Refusal(status, count, retry_after))

    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            rows = self._db.execute("SELECT at, key, status, body FROM requests ORDER BY id")
            return [RecordedRequest(r[0], r[1], r[2], bytes(r[3])) for r in rows]

    def uids(self) -> list[str]:
        with self._lock:
            return [r[0] for r in self._db.execute("SELECT uid FROM events ORDER BY rowid")]

    def events(self) -> list[dict[str, Any]]:
        with self._lock:
            return [json.loads(r[0])
                    for r in self._db.execute("SELECT event FROM events ORDER BY rowid")]

    def stats(self) -> dict[str, int]:
        """events: kept; duplicates: uids kept more than once (0 by construction);
        redelivered: events that came again and were not kept again; requests by status."""
        with self._lock:
            events, distinct, redelivered = self._db.execute(
                "SELECT count(*), count(DISTINCT uid), coalesce(sum(deliveries - 1), 0) "
                "FROM events").fetchone()
            by_status = dict(self._db.execute(
                "SELECT status, count(*) FROM requests GROUP BY status").fetchall())
            replays = self._db.execute("SELECT count(*) FROM answers").fetchone()[0]
        return {"events": events, "duplicates": events - distinct, "redelivered": redelivered,
                "requests": sum(by_status.values()), "accepted_requests": by_status.get(200, 0),
                "keys": replays, **{f"status_{s}": n for s, n in sorted(by_status.items())}}

    # -- the work of one request -------------------------------------------------------

    def next_refusal(self) -> _Refusal | None:
        with self._lock:
            if not self._refusals:
                return None
            refusal = self._refusals[0]
            refusal.count -= 1
            if refusal.count <= 0:
                self._refusals.pop(0)
            return refusal

    def _record(self, at: float, key: str | None, status: int, body: bytes) -> None:
        self._db.execute("INSERT INTO requests (at, key, status, body) VALUES (?, ?, ?, ?)",
                         (at, key, status, body))

    def record(self, at: float, key: str | None, status: int, body: bytes) -> None:
        with self._lock:
            self._record(at, key, status, body)

    def accept(self, at: float, key: str, body: bytes) -> tuple[int, dict[str, Any], bool]:
        """Keeps a batch (or replays the answer its key got): status, answer, replayed."""
        fingerprint = hashlib.sha256(body).hexdigest()
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                answer = self._answer(at, key, body, fingerprint)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
        with self._kept:
            self._kept.notify_all()
        return answer

    def wait_for_events(self, n: int, timeout: float) -> bool:
        """True once at least `n` events are kept; False if `timeout` seconds pass first."""
        def enough() -> bool:
            with self._lock:
                return self._db.execute("SELECT count(*) FROM events").fetchone()[0] >= n

        with self._kept:
            return self._kept.wait_for(enough, timeout)

    def _answer(self, at: float, key: str, body: bytes,
                fingerprint: str) -> tuple[int, dict[str, Any], bool]:
        stored = self._db.execute("SELECT fingerprint, status, body FROM answers WHERE key = ?",
                                  (key,)).fetchone()
        if stored is not None:
            if stored[0] != fingerprint:
                answer = {"error": "this Idempotency-Key came before with another body"}
                self._record(at, key, 422, body)
                return 422, answer, False
            self._record(at, key, stored[1], body)
            return stored[1], json.loads(stored[2]), True
        try:
            batch = parse_batch(body)
        except BadBatch as exc:
            self._record(at, key, 400, body)
            return 400, {"error": str(exc)}, False
        accepted = 0
        for event in batch.events:
            new = self._db.execute(
                "INSERT INTO events (uid, centre, kind, at, event, received_at) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (uid) DO NOTHING",
                (event["uid"], batch.centre, event["kind"], event.get("at"),
                 json.dumps(event, ensure_ascii=False, sort_keys=True), at)).rowcount
            if not new:
                self._db.execute("UPDATE events SET deliveries = deliveries + 1 WHERE uid = ?",
                                 (event["uid"],))
            accepted += new
        answer = {"accepted": accepted, "duplicates": len(batch.events) - accepted}
        self._db.execute("INSERT INTO answers (key, fingerprint, status, body) VALUES (?, ?, ?, ?)",
                         (key, fingerprint, 200, json.dumps(answer)))
        self._record(at, key, 200, body)
        return 200, answer, False


def _refused(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def make_receiver_app(receiver: Receiver) -> Starlette:
    async def post_events(request: Request) -> JSONResponse:
        at = receiver.clock()
        key = request.headers.get("idempotency-key")
        body = b""
        try:
            async for chunk in request.stream():
                body += chunk
                if len(body) > receiver.max_body:
                    await run_in_threadpool(receiver.record, at, key, 413, b"")
                    return _refused(413, f"a batch may be at most {receiver.max_body} bytes")
        except ClientDisconnect:
            # The sender went away mid-batch (a centre killed): nothing kept, it sends the
            # batch again; not a failure with a traceback.
            return _refused(400, "the batch ended before its body was read")
        refusal = receiver.next_refusal()
        if refusal is not None:
            await run_in_threadpool(receiver.record, at, key, refusal.status, body)
            headers = {"Retry-After": refusal.retry_after} if refusal.retry_after else None
            return _refused(refusal.status, "busy: try again later", headers)
        if receiver.token and request.headers.get("authorization") != f"Bearer {receiver.token}":
            await run_in_threadpool(receiver.record, at, key, 401, body)
            return _refused(401, "a valid bearer token is needed")
        if not key or len(key) > MAX_KEY or not (key.isascii() and key.isprintable()):
            await run_in_threadpool(receiver.record, at, key, 400, body)
            return _refused(400, f"an Idempotency-Key header of 1 to {MAX_KEY} characters "
                                 "is needed")
        status, answer, replayed = await run_in_threadpool(receiver.accept, at, key, body)
        headers = {"Idempotent-Replayed": "true"} if replayed else None
        return JSONResponse(answer, status_code=status, headers=headers)

    async def get_stats(request: Request) -> JSONResponse:
        return JSONResponse(await run_in_threadpool(receiver.stats))

    return Starlette(routes=[Route("/events", post_events, methods=["POST"]),
                             Route("/stats", get_stats, methods=["GET"])])


def listening_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket for uvicorn. TCP_NODELAY is set here, for the connections it
    accepts to inherit: asyncio sets it only on sockets made with proto=IPPROTO_TCP, which
    socket.create_server's are not, and without it each answer waits ~40 ms for a delayed
    ACK (Nagle's algorithm)."""
    sock = socket.create_server((host, port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


class ReceiverServer:
    """The receiver on a real uvicorn server in a thread of this process, on `host:port`
    (0: a free port). The socket listens before start() returns, so a client may connect
    at once (its connection waits in the backlog until uvicorn takes it)."""

    def __init__(self, receiver: Receiver, host: str = "127.0.0.1", port: int = 0) -> None:
        import uvicorn

        self.receiver = receiver
        self._socket = listening_socket(host, port)
        self.host, self.port = self._socket.getsockname()[:2]
        self._server = uvicorn.Server(uvicorn.Config(
            make_receiver_app(receiver), log_level="warning", access_log=False, lifespan="off"))
        self._thread = threading.Thread(target=self._server.run,
                                        kwargs={"sockets": [self._socket]},
                                        name="province-receiver", daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/events"

    def start(self) -> ReceiverServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(10)
        self._socket.close()

    def __enter__(self) -> ReceiverServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
