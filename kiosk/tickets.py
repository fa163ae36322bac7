"""Issuing a queue ticket: commit the number, check the printer, print, record the outcome.

Called off the UI thread (printing takes time on a slow link); the UI shows the result.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

import kiosk.store.link  # noqa: F401 - its tables are part of the kiosk's database
from drivers.printer import PrinterError, TicketPrinter
from kiosk.centre_link import CentreLink, TicketState
from kiosk.config import Config
from kiosk.devices import PrinterSupervisor, describe, printer_url
from kiosk.identity import Citizen
from kiosk.privacy import load_or_create_salt, person_hash
from kiosk.store import TicketRecord, TicketStore, open_database_file
from kiosk.ticket_layout import TicketContent, TicketLayout

log = logging.getLogger(__name__)


def open_ticket_store(config: Config) -> TicketStore:
    """The ticket store in the data folder, at the start of a process that issues numbers:
    tickets a killed process left without an outcome are marked interrupted (they no
    longer count as people ahead) and named in the log."""
    store = TicketStore(open_database_file(config.database_path))
    for record in store.resolve_interrupted(config.now()):
        log.warning("ticket %s of %s was interrupted before its outcome was recorded; "
                    "it may have printed", record.number, record.day)
    return store


@dataclass(frozen=True)
class IssuedTicket:
    id: str
    number: str
    service: str
    service_name: str
    people_ahead: int
    issued_at: datetime
    printed: bool
    problem: str | None = None  # for staff: why it was not printed
    bytes_sent: int = 0
    # The number is committed and may be shown; printing has not finished yet (printed
    # and problem are not known). The final ticket follows.
    pending: bool = False
    # Minutes to wait, from today's service times at the centre; None until enough
    # tickets were served today, and always without a centre (or while it is down).
    wait_minutes: int | None = None
    from_lease: bool = False  # issued from this kiosk's lease while the centre was down


class TicketService:
    def __init__(
        self,
        config: Config,
        store: TicketStore,
        printers: PrinterSupervisor | None = None,
        now: Callable[[], datetime] | None = None,
        link: CentreLink | None = None,
    ) -> None:
        self.config = config
        self.store = store
        # With a centre ([centre_link] url): numbers come through it (kiosk/centre_link.py);
        # printing stays here.
        self.link = link
        self.tz = ZoneInfo(config.timezone)
        # Without a running supervisor (the `kiosk ticket` command) this one is only used
        # for its shared, locked access to the printer.
        self.printers = printers or PrinterSupervisor(
            printer_url(config.printer_url, config.printer_profile, config.paper_width))
        self._now = now or (lambda: datetime.now(self.tz))
        self._salt: bytes | None = None
        self.layout = TicketLayout(config.paper_width, config.printer_profile,
                                   tcvn3=config.printer_tcvn3,
                                   strips=config.printer_raster_strips)

    def issue_ticket(self, service: str, lang: str, identity: Citizen | None = None,
                     on_number: Callable[[IssuedTicket], None] | None = None) -> IssuedTicket:
        """Always returns a ticket with a committed number; `printed` says if it printed.

        `on_number` is called with a `pending` ticket as soon as the number is committed,
        before printing, which can take seconds on a slow serial link: the citizen sees
        their number at once.
        Raises KeyError for a service letter that is not configured, and the database's
        error when no number could be committed (then nothing was printed or shown). Once
        the number is committed, every failure ends as a not-printed ticket, never as an
        exception: the citizen may already be looking at the number.
        """
        area = self.config.service(service)
        link = self._person_link(identity)
        # Write-ahead: the number is in the database before it is printed or shown, and
        # before the printer is even asked (a silent printer would make the citizen wait
        # for its status timeout, or for the background poll holding it).
        record, ahead, wait, leased = self._allocate(service, lang, link)
        shown = {"wait_minutes": wait, "from_lease": leased}
        if on_number is not None:
            try:
                on_number(self._ticket(record, area.name(lang), ahead, pending=True, **shown))
            except Exception:  # noqa: BLE001
                log.exception("ticket %s: showing the number failed", record.number)
        sent = 0
        try:
            with self.printers.printer() as printer:
                problem = self._check(printer)
                if problem is None:
                    content = self._content(record, area.name(lang), ahead, wait)
                    sent, problem = self._print(printer, content)
        except (PrinterError, ValueError) as exc:
            # The printer could not even be opened: the number stands all the same.
            problem = f"printer unavailable: {exc}"
        except Exception as exc:  # noqa: BLE001
            # A bug or an unexpected device error: logged with its trace for staff, and the
            # ticket is still recorded and shown as not printed.
            log.exception("ticket %s: printing failed unexpectedly", record.number)
            problem = f"printing failed: {type(exc).__name__}"
        if problem is not None:
            self.printers.print_failed(problem)  # the staff mark turns red now
        self._record_outcome(record, problem, sent)
        if self.link is not None and not leased:
            self.link.report_outcome(record.id, problem)
        return self._ticket(record, area.name(lang), ahead, problem=problem, sent=sent, **shown)

    @staticmethod
    def _ticket(record: TicketRecord, service_name: str, ahead: int, *, pending: bool = False,
                problem: str | None = None, sent: int = 0, wait_minutes: int | None = None,
                from_lease: bool = False) -> IssuedTicket:
        return IssuedTicket(
            id=record.id,
            number=record.number,
            service=record.service,
            service_name=service_name,
            people_ahead=ahead,
            issued_at=record.issued_at,
            printed=not pending and problem is None,
            problem=problem,
            bytes_sent=sent,
            pending=pending,
            wait_minutes=wait_minutes,
            from_lease=from_lease,
        )

    def today(self) -> date:
        """The centre's local date (numbers restart at its midnight)."""
        return self._now().astimezone(self.tz).date()

    def _allocate(self, service: str, lang: str,
                  link: str | None) -> tuple[TicketRecord, int, int | None, bool]:
        """The committed ticket, people ahead, the wait estimate and whether it came from
        this kiosk's lease."""
        at = self._now().astimezone(self.tz)
        if self.link is not None:
            issued = self.link.issue(service, lang, at, link)
            return issued.record, issued.people_ahead, issued.wait_minutes, issued.from_lease
        record = self.store.allocate(service, lang, at, link)
        return record, self.store.people_ahead(record), None, False

    def ticket_state(self, ticket_id: str) -> TicketState | None:
        """Where a scanned ticket stands: live from the centre when there is one (and it
        answers), else from this kiosk's database; None for a ticket unknown to both."""
        if self.link is not None:
            return self.link.ticket_state(ticket_id)
        record = self.store.get(ticket_id)
        if record is None:
            return None
        return TicketState(record.number, record.service, "waiting", None,
                           self.store.people_ahead(record), None, live=True, day=record.day)

    def _person_link(self, identity: Citizen | None) -> str | None:
        """The salted hash that links this ticket to the identified citizen (or None)."""
        number = identity.id_number if identity is not None else ""
        if not number:
            return None
        if self._salt is None:
            self.config.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            self._salt = load_or_create_salt(self.config.data_dir)
        return person_hash(self._salt, number)

    def forget_salt(self) -> None:
        """The salt file was deleted (kiosk/local_data.py wipe): the next identified citizen
        gets a new salt, not the one still held here."""
        self._salt = None

    def _check(self, printer: TicketPrinter) -> str | None:
        """Why the printer cannot print now (for staff), or None when it can."""
        status = printer.status()
        self.printers.report(status)
        return None if status.can_print else f"printer not ready: {describe(status)}"

    def _print(self, printer: TicketPrinter, content: TicketContent) -> tuple[int, str | None]:
        """Bytes sent and the problem, if any."""
        try:
            job = self.layout.compose(content)
            printer.print_job(job)
            return len(job), None
        except PrinterError as exc:
            return 0, f"print failed: {exc}"
        except Exception as exc:  # noqa: BLE001
            # The number is committed: whatever broke in printing, the citizen must still
            # be shown it, and staff must see why in the log.
            log.exception("ticket %s: printing raised", content.number)
            return 0, f"print failed: {type(exc).__name__}: {exc}"

    def _record_outcome(self, record: TicketRecord, problem: str | None, sent: int) -> None:
        try:
            at = self._now().astimezone(self.tz)
            if problem is None:
                self.store.mark_printed(record.id, at)
            else:
                self.store.mark_shown_not_printed(record.id, problem, at)
        except Exception:  # noqa: BLE001
            # The number exists and the citizen holds it; only its outcome is unrecorded
            # (it stays "allocated"). Losing the ticket screen over this would be worse.
            log.exception("ticket %s: outcome could not be recorded", record.number)
        if problem is None:
            log.info("ticket %s printed (%d bytes)", record.number, sent)
        else:
            log.warning("ticket %s shown, not printed: %s", record.number, problem)

    def _content(self, record: TicketRecord, service_name: str, ahead: int,
                 wait: int | None = None) -> TicketContent:
        return TicketContent(
            ticket_id=record.id,
            number=record.number,
            centre_name=self.config.centre_name(record.lang),
            service_name=service_name,
            people_ahead=ahead,
            issued_at=record.issued_at,
            lang=record.lang,
            counters=self.config.service(record.service).counters,
            wait_minutes=wait,
        )
