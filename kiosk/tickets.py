"""Issuing a queue ticket: check the printer, commit the number, print, record the outcome.

Called off the UI thread (printing takes time on a slow link); the UI shows the result.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from drivers.printer import PrinterError, TicketPrinter, open_printer
from kiosk.config import Config
from kiosk.store import TicketRecord, TicketStore
from kiosk.ticket_layout import TicketContent, TicketLayout

log = logging.getLogger(__name__)


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


class TicketService:
    def __init__(
        self,
        config: Config,
        store: TicketStore,
        printer_factory: Callable[[], TicketPrinter] | None = None,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        self.config = config
        self.store = store
        self.tz = ZoneInfo(config.timezone)
        self._printer_factory = printer_factory or (lambda: open_printer(config.printer_url))
        self._now = now or (lambda: datetime.now(self.tz))
        self.layout = TicketLayout(width_dots=config.paper_width)

    def issue_ticket(self, service: str, lang: str) -> IssuedTicket:
        """Always returns a ticket with a committed number; `printed` says if it printed.

        Raises KeyError for a service letter that is not configured, and the database's
        error when no number could be committed (then nothing was printed or shown).
        """
        area = self.config.service(service)
        printer: TicketPrinter | None = None
        try:
            printer, problem = self._ready_printer()
            # Write-ahead: the number is in the database before it is printed or shown.
            record = self.store.allocate(service, lang, self._now().astimezone(self.tz))
            ahead = self.store.people_ahead(record)
            sent = 0
            if problem is None and printer is not None:
                content = self._content(record, area.name(lang), ahead)
                sent, problem = self._print(printer, content)
        finally:
            if printer is not None:
                printer.close()  # a port-9100 printer serves one connection at a time
        self._record_outcome(record, problem, sent)
        return IssuedTicket(
            id=record.id,
            number=record.number,
            service=service,
            service_name=area.name(lang),
            people_ahead=ahead,
            issued_at=record.issued_at,
            printed=problem is None,
            problem=problem,
            bytes_sent=sent,
        )

    def _ready_printer(self) -> tuple[TicketPrinter | None, str | None]:
        """The printer and, if it cannot print now, why (for staff)."""
        try:
            printer = self._printer_factory()
        except (PrinterError, ValueError) as exc:
            return None, f"printer unavailable: {exc}"
        status = printer.status()
        if status.can_print:
            return printer, None
        problem = f"printer not ready: {status.state.name}, paper {status.paper.name}"
        if status.cover_open:
            problem += ", cover open"
        if status.detail:
            problem += f" ({status.detail})"
        return printer, problem

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
            if problem is None:
                self.store.mark_printed(record.id)
            else:
                self.store.mark_shown_not_printed(record.id, problem)
        except Exception:  # noqa: BLE001
            # The number exists and the citizen holds it; only its outcome is unrecorded
            # (it stays "allocated"). Losing the ticket screen over this would be worse.
            log.exception("ticket %s: outcome could not be recorded", record.number)
        if problem is None:
            log.info("ticket %s printed (%d bytes)", record.number, sent)
        else:
            log.warning("ticket %s shown, not printed: %s", record.number, problem)

    def _content(self, record: TicketRecord, service_name: str, ahead: int) -> TicketContent:
        return TicketContent(
            ticket_id=record.id,
            number=record.number,
            centre_name=self.config.centre_name(record.lang),
            service_name=service_name,
            people_ahead=ahead,
            issued_at=record.issued_at,
            lang=record.lang,
        )
