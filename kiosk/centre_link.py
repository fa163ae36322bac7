"""The kiosk in a centre: numbers issued through the centre service, and from a block leased
ahead of need while the centre cannot be reached (docs/architecture.md, Kiosks in a centre).

No Kivy. `CentreLink.issue` is called on the issuing thread; a background thread keeps the
leases topped up, replays the outbox to the centre in issue order and tells its listeners
how the link stands (online, offline since HH:MM, syncing N).
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from kiosk.config import ConfigError
from kiosk.link_answers import (  # noqa: F401 (the queue states and TicketState are this module's names too)
    CALLED,
    NO_SHOW,
    SERVED,
    SERVING,
    VOID,
    WAITING,
    CentreUnreachable,
    MalformedAnswer,
    TicketState,
    block_from_answer,
    count,
    estimate,
    record_from_answer,
    state_from_answer,
)
from kiosk.store.link import LinkStore
from kiosk.store.queue import TicketRecord, TicketStore

if TYPE_CHECKING:
    from kiosk.config import Config

log = logging.getLogger(__name__)

ONLINE, OFFLINE, SYNCING, UNKNOWN = "online", "offline", "syncing", "unknown"
# Seconds between looks at an idle link while it is up: a centre gone down shows on the
# staff mark within this long even when nobody takes a number.
IDLE_PROBE_SECONDS = 10.0
IMPORT_BATCH = 100  # tickets per import request


class CentreRefused(Exception):
    """The centre answered and said no (a 4xx): str() is its one sentence."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class NoNumberLeft(Exception):
    """The centre cannot be reached and this kiosk's leases are used up."""


class CentreApi(Protocol):
    """The few calls the link makes (kiosk/link_http.py, over the centre's own client).
    Each raises CentreUnreachable or CentreRefused; issue and ticket answer within the
    link's short timeout (a citizen waits on them)."""

    def issue(self, body: dict) -> dict: ...

    def ticket(self, ticket_id: str) -> dict | None: ...

    def outcome(self, ticket_id: str, body: dict) -> dict: ...

    def health(self) -> None: ...

    def lease(self, body: dict) -> dict: ...

    def import_tickets(self, tickets: list[dict]) -> dict: ...


@dataclass(frozen=True)
class LinkState:
    kind: str  # ONLINE, OFFLINE, SYNCING (online, outbox not empty yet) or UNKNOWN
    since: datetime | None = None  # OFFLINE: the first failure; else the last contact
    pending: int = 0  # tickets in the outbox


@dataclass(frozen=True)
class LinkIssued:
    record: TicketRecord
    people_ahead: int
    wait_minutes: int | None  # None: not enough served today to say, or offline
    from_lease: bool


@dataclass(frozen=True)
class LinkSettings:
    lease_size: int = 20
    low_water: int = 5
    timeout: float = 2.0
    retry_min: float = 1.0
    retry_max: float = 30.0


class CentreLink:
    def __init__(self, engine: Engine, api: CentreApi, services: list[str],
                 now: Callable[[], datetime], settings: LinkSettings | None = None) -> None:
        self.links = LinkStore(engine)
        self.store = TicketStore(engine)
        self.api = api
        self.services = list(services)
        self.settings = settings or LinkSettings()
        self._now = now
        self._listeners: list[Callable[[LinkState], None]] = []
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._online: bool | None = None  # None: not tried yet
        self._offline_since: datetime | None = None
        self._last_contact: datetime | None = None
        self._last_heard: float | None = None  # monotonic time of the last answer
        self._retry = self.settings.retry_min
        self._next_try = 0.0  # monotonic: no citizen waits on the centre before this
        self._known: dict[str, TicketState] = {}  # last live answers, by ticket id
        self.state = LinkState(UNKNOWN, pending=self.links.outbox_size())
        self.synced = threading.Condition()  # notified after every sync round

    # -- listeners -----------------------------------------------------------------------
    def subscribe(self, listener: Callable[[LinkState], None]) -> None:
        """`listener` is called, on whichever thread noticed, when the link state changes."""
        self._listeners.append(listener)

    def _announce(self) -> None:
        pending = self.links.outbox_size()
        if self._online is None:
            state = LinkState(UNKNOWN, pending=pending)
        elif not self._online:
            state = LinkState(OFFLINE, self._offline_since, pending)
        else:
            state = LinkState(SYNCING if pending else ONLINE, self._last_contact, pending)
        with self._lock:
            changed, self.state = state != self.state, state
        if changed:
            for listener in list(self._listeners):
                listener(state)

    def _reached(self) -> None:
        if self._online is False:
            log.info("centre link: back online after %s", _hhmm(self._offline_since))
        self._online, self._offline_since = True, None
        self._last_contact = self._now()
        self._last_heard = time.monotonic()
        self._retry = self.settings.retry_min
        self._next_try = 0.0

    def _lost(self, why: Exception) -> None:
        if self._online is not False:
            log.warning("centre link: offline (%s); issuing from this kiosk's leases", why)
            self._offline_since = self._now()
        self._online = False
        self._next_try = time.monotonic() + self._retry
        self._retry = min(self._retry * 2, self.settings.retry_max)

    # -- issuing -------------------------------------------------------------------------
    def issue(self, service: str, lang: str, issued_at: datetime,
              person_hash: str | None = None) -> LinkIssued:
        """A number for `service`: the centre's when it answers within the timeout, else
        the next one of this kiosk's lease (with its outbox row). Raises NoNumberLeft when
        neither is possible."""
        # While the centre is known to be down, citizens do not each wait for its timeout:
        # the lease serves until the background thread finds it back (or runs dry).
        if (time.monotonic() >= self._next_try
                or not self.links.remaining(issued_at.date().isoformat(), service)):
            try:
                answer = self.api.issue({"request_id": uuid.uuid4().hex, "service": service,
                                         "lang": lang, "issued_at": issued_at.isoformat()})
            except CentreUnreachable as exc:
                # The centre may still have issued it (a late answer): that number is
                # called, nobody comes, and the counter marks it no-show. Never a double.
                self._lost(exc)
            except CentreRefused as exc:
                # A revoked token, a service the centre does not have: staff must look (the
                # mark turns red); the citizen still gets a number of this kiosk's own lease.
                log.error("centre link: the centre refused a number: %s", exc)
                self._lost(exc)
            else:
                try:
                    record = record_from_answer(answer, lang, person_hash)
                except MalformedAnswer as exc:
                    log.error("centre link: %s", exc)
                    self._lost(exc)
                else:
                    self._reached()
                    self._keep_copy(record)
                    self._announce()
                    self._wake.set()  # the lease may want topping up
                    ahead = count(answer.get("people_ahead"))
                    return LinkIssued(record, ahead, estimate(answer.get("wait_minutes"), ahead),
                                      from_lease=False)
        record = self.links.issue_from_lease(service, lang, issued_at, person_hash)
        self._announce()
        self._wake.set()
        if record is None:
            raise NoNumberLeft(f"the centre cannot be reached and no leased number of "
                               f"service {service} is left")
        return LinkIssued(record, self.store.people_ahead(record), None, from_lease=True)

    def _keep_copy(self, record: TicketRecord) -> None:
        """The centre's ticket in this kiosk's database too; a copy that cannot be kept (a
        number this database already holds from the day it stood alone) is logged: the
        ticket stands at the centre, only its printing goes unrecorded here."""
        from sqlalchemy.exc import IntegrityError

        try:
            self.links.record_centre_ticket(record)
        except IntegrityError:
            log.warning("ticket %s of the centre: this kiosk's database already holds that "
                        "number; its printing is not recorded here", record.number)

    def report_outcome(self, ticket_id: str, problem: str | None) -> threading.Thread:
        """Tells the centre whether a ticket it issued printed (for staff and statistics),
        on a thread of its own: the citizen does not wait for it. A lease's tickets carry
        their outcome in the outbox instead. A report the centre does not get is logged;
        the ticket itself stands either way."""
        body = {"request_id": uuid.uuid4().hex, "printed": problem is None}
        if problem is not None:
            body["problem"] = problem[:200]

        def send() -> None:
            try:
                self.api.outcome(ticket_id, body)
            except (CentreUnreachable, CentreRefused) as exc:
                log.warning("centre link: the printing outcome of %s was not reported: %s",
                            ticket_id, exc)

        thread = threading.Thread(target=send, name="centre-outcome", daemon=True)
        thread.start()
        return thread

    # -- a scanned ticket ---------------------------------------------------------------
    def ticket_state(self, ticket_id: str) -> TicketState | None:
        """Live from the centre when it answers, else what this kiosk knows (its last live
        answer, or its own record) with the time it last heard from the centre; None for a
        ticket neither knows."""
        if time.monotonic() >= self._next_try:
            try:
                answer = self.api.ticket(ticket_id)
            except CentreUnreachable as exc:
                self._lost(exc)
                self._announce()
            else:
                self._reached()
                self._announce()
                if answer is not None:
                    try:
                        state = state_from_answer(answer, self._last_contact)
                    except MalformedAnswer as exc:
                        log.error("centre link: %s", exc)
                    else:
                        self._known[ticket_id] = state
                        return state
        as_of = self._last_contact or self._offline_since
        known = self._known.get(ticket_id)
        if known is not None:
            return replace(known, live=False, as_of=known.as_of)
        record = self.store.get(ticket_id)
        if record is None:
            return None
        return TicketState(record.number, record.service, WAITING, None,
                           self.store.people_ahead(record), None, live=False, as_of=as_of,
                           day=record.day)

    # -- background: leases and outbox ----------------------------------------------------
    def start(self) -> CentreLink:
        self._thread = threading.Thread(target=self._run, name="centre-link", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(10)

    def wait_synced(self, condition: Callable[[], bool], timeout: float) -> bool:
        """Waits (bounded) until `condition()` holds after a sync round; for tests and
        benchmarks."""
        deadline = time.monotonic() + timeout
        with self.synced:
            while not condition():
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._wake.set()
                self.synced.wait(min(left, 0.5))
        return True

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sync_once()
            if self._online:
                wait = IDLE_PROBE_SECONDS
            else:
                wait = max(0.05, self._next_try - time.monotonic())
            self._wake.wait(wait)
            self._wake.clear()

    def sync_once(self) -> bool:
        """One round: the outbox replayed, then the leases topped up. True if the centre
        answered everything asked of it."""
        try:
            did = self.drain_outbox()
            did += self.top_up_leases()
            if not did and not self._heard_lately():
                self._probe()
            self._reached()
            ok = True
        except CentreUnreachable as exc:
            self._lost(exc)
            ok = False
        except CentreRefused as exc:
            # A revoked token or a refused import: staff must look; the kiosk keeps issuing
            # from what it has and tries again later.
            log.error("centre link: the centre refused: %s", exc)
            self._lost(exc)
            ok = False
        self._announce()
        with self.synced:
            self.synced.notify_all()
        return ok

    def drain_outbox(self) -> int:
        """Tickets issued from leases go to the centre in issue order; each leaves the
        outbox only after the centre's 2xx (a replay is harmless: imports are idempotent
        by ticket id). The number sent."""
        sent = 0
        while True:
            batch = self.links.outbox(IMPORT_BATCH)
            if not batch:
                return sent
            answer = self.api.import_tickets([item.ticket for item in batch])
            refused = {str(r.get("id")): str(r.get("error") or "refused")
                       for r in (answer.get("refused") or []) if isinstance(r, dict)}
            for ticket_id, error in refused.items():
                # Never taken however often sent: kept for staff (kiosk/store/link.py).
                log.error("centre link: the centre refused offline ticket %s: %s",
                          ticket_id, error)
            self.links.acknowledged(batch, refused, self._now())
            sent += len(batch)
            log.info("centre link: %d offline ticket(s) delivered", len(batch) - len(refused))

    def top_up_leases(self) -> int:
        """For each service, a new block from the centre when this day's leases have fewer
        than low_water numbers left. The number of leases taken."""
        day = self._now().date().isoformat()
        taken = 0
        for service in self.services:
            if self.links.remaining(day, service) >= self.settings.low_water:
                continue
            request_id = self.links.next_lease_request(day, service)
            block = self.api.lease({"request_id": request_id, "service": service, "day": day,
                                    "size": self.settings.lease_size})
            first, last = block_from_answer(block)
            if self.links.add_lease(day, service, first, last, request_id):
                log.info("centre link: leased %s%d-%d for %s", service, first, last, day)
                taken += 1
        return taken

    def _heard_lately(self) -> bool:
        """The centre answered within the last half probe interval: no need to ask."""
        return (self._online is True and self._last_heard is not None
                and time.monotonic() - self._last_heard < IDLE_PROBE_SECONDS / 2)

    def _probe(self) -> None:
        """A cheap call that tells whether the centre is there."""
        self.api.health()


def _hhmm(at: datetime | None) -> str:
    return at.strftime("%H:%M") if at else "?"


# In the kiosk's data folder after `kiosk enrol` (kiosk/commands/link.py), readable by the
# kiosk's user only: the token that lets it in, and the centre's CA it pinned.
TOKEN_FILE = "centre_token"
CA_FILE = "centre_ca.pem"


class LinkNotEnrolled(ConfigError):
    """A centre is configured but this kiosk holds no token for it: one line for staff
    (a ConfigError: the command line reports it and exits with code 2). Never issued
    locally instead: its numbers would repeat the centre's."""


def link_from_config(config: Config, engine: Engine) -> CentreLink | None:
    """The link the config asks for ([centre_link] url), not started; None without one."""
    settings = config.centre_link
    if not settings.enabled:
        return None
    token_path = config.data_dir / TOKEN_FILE
    try:
        token = token_path.read_text(encoding="ascii").strip()
    except (FileNotFoundError, UnicodeDecodeError):
        token = ""
    if not token:
        raise LinkNotEnrolled(config.source, "centre_link.url",
                              f"this kiosk is not enrolled with {settings.url} (no token in "
                              f"{token_path}); run `kiosk enrol --centre URL --fingerprint FP "
                              "--code CODE`")
    from kiosk.link_http import ClientCentreApi

    ca = config.data_dir / CA_FILE
    api = ClientCentreApi(settings.url, token, ca_fingerprint=settings.ca_fingerprint,
                          ca_pem=ca.read_text(encoding="ascii") if ca.exists() else None,
                          timeout=settings.timeout)
    tz = ZoneInfo(config.timezone)
    return CentreLink(engine, api, [s.letter for s in config.services],
                      lambda: datetime.now(tz),
                      LinkSettings(settings.lease_size, settings.low_water, settings.timeout,
                                   settings.retry_min, settings.retry_max))
