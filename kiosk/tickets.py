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

        Raises KeyError only for a service letter that is not configured.
        """
        area = self.config.service(service)
        printer: TicketPrinter | None = None
        problem: str | None = None
        try:
            printer = self._printer_factory()
            status = printer.status()
            if not status.can_print:
                problem = f"printer not ready: {status.state.name}, paper {status.paper.name}"
                if status.cover_open:
                    problem += ", cover open"
                if status.detail:
                    problem += f" ({status.detail})"
        except (PrinterError, ValueError) as exc:
            problem = f"printer unavailable: {exc}"

        # Write-ahead: the number is in the database before it is printed or shown.
        record = self.store.allocate(service, lang, self._now().astimezone(self.tz))
        ahead = self.store.people_ahead(record)
        sent = 0
        if problem is None and printer is not None:
            job = self.layout.compose(self._content(record, area.name(lang), ahead))
            try:
                printer.print_job(job)
                sent = len(job)
            except PrinterError as exc:
                problem = f"print failed: {exc}"
        if printer is not None:
            printer.close()

        if problem is None:
            self.store.mark_printed(record.id)
            log.info("ticket %s printed (%d bytes)", record.number, sent)
        else:
            self.store.mark_shown_not_printed(record.id, problem)
            log.warning("ticket %s shown, not printed: %s", record.number, problem)
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
