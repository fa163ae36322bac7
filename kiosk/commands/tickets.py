"""`kiosk ticket`: a queue number issued by staff on a citizen's behalf; `kiosk tickets`:
what became of a day's numbers."""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from dataclasses import replace

from kiosk.centre_link import link_from_config
from kiosk.commands import EXIT_FAILED, UsageError, check_printer_url, config_from, database_errors
from kiosk.store import TicketStore, open_database_file
from kiosk.tickets import TicketService, open_ticket_store


def cmd_ticket(args: argparse.Namespace) -> int:
    cfg = config_from(args)
    if args.printer:
        check_printer_url(args.printer)  # before a number is used up
        cfg = replace(cfg, printer_url=args.printer)
    letters = [s.letter for s in cfg.services]
    if args.service not in letters:
        raise UsageError(f"--service {args.service!r}: not a configured service; "
                         f"expected one of {', '.join(letters)}")
    if args.lang not in cfg.languages:
        raise UsageError(f"--lang {args.lang!r}: not an offered language; "
                         f"expected one of {', '.join(cfg.languages)}")
    with database_errors(cfg.database_path):
        store = open_ticket_store(cfg)
        # In a centre the number comes through it (or this kiosk's lease while it is down).
        link = link_from_config(cfg, store.engine)
        ticket = TicketService(cfg, store, link=link).issue_ticket(args.service, args.lang)
        if link is not None and ticket.from_lease:
            link.sync_once()  # deliver it now if the centre is back; else the kiosk will
    if args.json:
        print(json.dumps({
            "id": ticket.id,
            "number": ticket.number,
            "service": ticket.service,
            "issued_at": ticket.issued_at.isoformat(),
            "printed": ticket.printed,
            "people_ahead": ticket.people_ahead,
            "problem": ticket.problem,
        }, ensure_ascii=False))
    elif ticket.printed:
        print(f"{ticket.number} printed ({ticket.service_name}, "
              f"{ticket.people_ahead} ahead, id {ticket.id})")
    if not ticket.printed:
        print(f"kiosk: ticket {ticket.number} issued but NOT printed: {ticket.problem}",
              file=sys.stderr)
        return EXIT_FAILED
    return 0


def cmd_tickets(args: argparse.Namespace) -> int:
    """Every number of the day and its outcome: printed, shown but not printed (with why),
    interrupted (the kiosk stopped before recording it; it may have printed) or allocated
    (being issued now, or left by a kiosk that has not started again since)."""
    cfg = config_from(args)
    day = args.day or cfg.now().date()
    with database_errors(cfg.database_path):
        records = TicketStore(open_database_file(cfg.database_path)).tickets_of_day(day)
    counts = Counter(r.status for r in records)
    if args.json:
        print(json.dumps({
            "day": day.isoformat(),
            "counts": dict(sorted(counts.items())),
            "tickets": [{"number": r.number, "service": r.service, "status": r.status,
                         "issued_at": r.issued_at.isoformat(), "problem": r.print_error,
                         # Where it is in the queue (docs/architecture.md, Tickets) and
                         # which terminal issued it (None: this kiosk itself).
                         "queue_state": r.queue_state, "origin": r.origin}
                        for r in records],
        }, ensure_ascii=False, indent=2))
        return 0
    print(f"Tickets of {day}: {len(records)}"
          + "".join(f", {status} {n}" for status, n in sorted(counts.items())))
    for r in records:
        line = f"{r.number:>6}  {r.issued_at:%H:%M}  {r.status}"
        print(line + (f"  ({r.print_error})" if r.print_error else ""))
    return 0
