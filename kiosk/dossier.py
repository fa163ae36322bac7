"""Where a citizen's dossier stands, asked of the province's dossier provider over HTTP.

The interface (docs/architecture.md, Dossier status) is small on purpose, so a province can
put it in front of whatever system it runs:

    GET {base}/dossiers/{code}
    200 {"code": "...", "status": "received" | "in_progress" | "needs_more_papers" | "ready"
         | "returned", "updated_at": "<ISO 8601>", "procedure": "<name>" (optional)}
    404 the provider does not know the code

Answers are kept in memory for a short life (config dossier.cache_minutes) and only there:
when the provider cannot be reached, the last answer is shown with the time it was given.
Nothing about a dossier is written to disk or to the log (its code included).
No Kivy here: the UI calls `lookup_in_background` and moves the result onto its clock.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from kiosk.i18n import N_
from kiosk.scans import parse_dossier_code

if TYPE_CHECKING:
    from kiosk.config import Config

log = logging.getLogger(__name__)

MAX_PROCEDURE = 300  # characters of a procedure's name worth showing
MAX_ANSWER_BYTES = 16_384  # a status is a few hundred bytes; more is not an answer


class DossierStatus(StrEnum):
    RECEIVED = "received"
    IN_PROGRESS = "in_progress"
    NEEDS_MORE_PAPERS = "needs_more_papers"
    READY = "ready"
    RETURNED = "returned"


# Each status in words (msgids) and its pictogram in assets/icons.
STATUS_WORDS: dict[DossierStatus, str] = {
    DossierStatus.RECEIVED: N_("Received"),
    DossierStatus.IN_PROGRESS: N_("Being processed"),
    DossierStatus.NEEDS_MORE_PAPERS: N_("More papers are needed"),
    DossierStatus.READY: N_("Ready to collect"),
    DossierStatus.RETURNED: N_("Returned"),
}
STATUS_HINTS: dict[DossierStatus, str] = {
    DossierStatus.RECEIVED: N_("Your dossier has been received and is waiting to be "
                               "processed."),
    DossierStatus.IN_PROGRESS: N_("Your dossier is being processed. Please come back on the "
                                  "date on your receipt."),
    DossierStatus.NEEDS_MORE_PAPERS: N_("Please bring the missing papers to the reception "
                                        "desk. The staff will tell you which."),
    DossierStatus.READY: N_("Your result is ready. Bring your receipt and your ID card to "
                            "the reception desk."),
    DossierStatus.RETURNED: N_("Your dossier was returned. Please ask at the reception desk "
                               "why, and what to do next."),
}
STATUS_ICONS: dict[DossierStatus, str] = {
    DossierStatus.RECEIVED: "dossier_received",
    DossierStatus.IN_PROGRESS: "dossier_in_progress",
    DossierStatus.NEEDS_MORE_PAPERS: "dossier_needs_papers",
    DossierStatus.READY: "dossier_ready",
    DossierStatus.RETURNED: "dossier_returned",
}


class Outcome(StrEnum):
    FOUND = "found"  # an answer: fresh, or the last one with its age (`stale`)
    UNKNOWN = "unknown"  # the provider does not know the code (404)
    MALFORMED = "malformed"  # not a dossier code in either format: the provider is not asked
    UNREACHABLE = "unreachable"  # no answer now (down, slow, 5xx, garbage) and none kept


# What the citizen is told when there is no status to show (msgids).
OUTCOME_MESSAGES: dict[Outcome, str] = {
    Outcome.UNKNOWN: N_("No dossier with this code was found. Please check the code on your "
                        "receipt, or ask at the reception desk."),
    Outcome.MALFORMED: N_("This is not a dossier code. Please check the code on your "
                          "receipt."),
    Outcome.UNREACHABLE: N_("Dossier status cannot be checked just now. Please try again "
                            "later, or ask at the reception desk."),
}


@dataclass(frozen=True)
class DossierAnswer:
    """One answer of the provider."""

    code: str
    status: DossierStatus
    updated_at: datetime
    procedure: str | None
    fetched_at: datetime  # when the provider gave it (the kiosk's wall clock, aware)


@dataclass(frozen=True)
class DossierResult:
    code: str
    outcome: Outcome
    answer: DossierAnswer | None = None
    stale: bool = False  # the provider could not be asked: this is its last answer

    @property
    def message(self) -> str:
        """The msgid telling the citizen why there is no status (empty when there is one)."""
        return OUTCOME_MESSAGES.get(self.outcome, "")


class BadAnswer(ValueError):
    """The provider answered something that is not a status; str() is for staff."""


def parse_answer(body: bytes, code: str, fetched_at: datetime) -> DossierAnswer:
    """The provider's 200 answer, checked whole; BadAnswer names what is wrong (never the
    dossier's content)."""
    if len(body) > MAX_ANSWER_BYTES:
        raise BadAnswer(f"answer too long ({len(body)} bytes)")
    try:
        data: Any = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        raise BadAnswer("answer is not JSON") from None
    if not isinstance(data, dict):
        raise BadAnswer("answer is not a JSON object")
    if data.get("code") != code:
        raise BadAnswer("answer is for another code")
    try:
        status = DossierStatus(data.get("status"))
    except ValueError:
        raise BadAnswer("status is not one of " + ", ".join(DossierStatus)) from None
    updated = data.get("updated_at")
    try:
        if not isinstance(updated, str):
            raise ValueError
        updated_at = datetime.fromisoformat(updated)
    except ValueError:
        raise BadAnswer("updated_at is not an ISO 8601 time") from None
    procedure = data.get("procedure")
    if procedure is not None:
        if not isinstance(procedure, str):
            raise BadAnswer("procedure is not text")
        procedure = " ".join(procedure.split())[:MAX_PROCEDURE] or None
    return DossierAnswer(code, status, updated_at, procedure, fetched_at)


def dossier_service(cfg: Config) -> DossierStatusService | None:
    """The service for the configured provider (config [dossier]), or None where none is."""
    if not cfg.dossier_provider:
        return None
    return DossierStatusService(cfg.dossier_provider, cfg.dossier_timeout,
                                cfg.dossier_cache_minutes, now=cfg.now)


class DossierStatusService:
    """Asks the provider; keeps each answer in memory for `cache_minutes` to stand in for
    the provider while it cannot be reached."""

    def __init__(self, base_url: str, timeout: float = 3.0, cache_minutes: float = 10.0,
                 clock: Callable[[], float] = time.monotonic,
                 now: Callable[[], datetime] | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.cache_seconds = cache_minutes * 60
        self._clock = clock
        self._now = now or (lambda: datetime.now().astimezone())
        self._cache: dict[str, tuple[float, DossierAnswer]] = {}
        self._lock = threading.Lock()
        # Imported here: a kiosk without a provider (the screens use this module's words)
        # need not load an HTTP client.
        import httpx

        self._http_error = httpx.HTTPError
        # No retries here: a citizen waits at the screen; the timeout bounds the wait.
        self._http = httpx.Client(timeout=timeout, follow_redirects=False,
                                  headers={"Accept": "application/json"})

    def close(self) -> None:
        self._http.close()

    def lookup(self, text: str) -> DossierResult:
        """Blocks up to the timeout; never raises for what the provider or citizen does."""
        code = parse_dossier_code(text)
        if code is None:
            return DossierResult(text, Outcome.MALFORMED)
        url = f"{self.base_url}/dossiers/{quote(code, safe='')}"
        try:
            reply = self._http.get(url)
        except self._http_error as exc:  # refused, reset, timed out, a bad URL
            log.warning("dossier provider not reachable: %s", type(exc).__name__)
            return self._last_answer(code)
        if reply.status_code == 404:
            self._forget(code)
            return DossierResult(code, Outcome.UNKNOWN)
        if reply.status_code != 200:
            log.warning("dossier provider answered HTTP %d", reply.status_code)
            return self._last_answer(code)
        try:
            answer = parse_answer(reply.content, code, self._now())
        except BadAnswer as exc:
            log.error("dossier provider answered garbage: %s", exc)  # for staff
            return self._last_answer(code)
        with self._lock:
            self._expire()
            self._cache[code] = (self._clock(), answer)
        return DossierResult(code, Outcome.FOUND, answer)

    def lookup_in_background(self, text: str,
                             done: Callable[[DossierResult], None]) -> threading.Thread:
        """`lookup` on its own thread (the UI must not wait); `done` is called on it, always:
        the screen waits for it with Check disabled."""

        def run() -> None:
            try:
                result = self.lookup(text)
            except Exception:  # a bug, not the provider: logged, and the citizen not stuck
                log.exception("dossier lookup failed")
                result = DossierResult(text, Outcome.UNREACHABLE)
            done(result)

        thread = threading.Thread(target=run, daemon=True, name="dossier-lookup")
        thread.start()
        return thread

    def cached(self) -> int:
        """How many answers are held now (expired ones dropped first)."""
        self.expire()
        with self._lock:
            return len(self._cache)

    def expire(self) -> None:
        """Drops answers past their life; the UI calls it every minute, so an answer is
        not kept long after its life even when no one looks a dossier up."""
        with self._lock:
            self._expire()

    def _last_answer(self, code: str) -> DossierResult:
        with self._lock:
            self._expire()
            kept = self._cache.get(code)
        if kept is None:
            return DossierResult(code, Outcome.UNREACHABLE)
        return DossierResult(code, Outcome.FOUND, kept[1], stale=True)

    def _forget(self, code: str) -> None:
        with self._lock:
            self._cache.pop(code, None)

    def _expire(self) -> None:
        """Drops answers past their life: no dossier is kept longer (called under the lock)."""
        oldest = self._clock() - self.cache_seconds
        for code in [c for c, (at, _a) in self._cache.items() if at <= oldest]:
            del self._cache[code]
