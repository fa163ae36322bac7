"""Staff statistics of a day or a range of days: tickets per hour and service, what became
of them, waiting and service times, ratings (docs/architecture.md, Statistics).

No web and no Kivy here: `kiosk stats` (kiosk/commands/stats.py) and the centre's
statistics page (kiosk/centre/stats_page.py) both build a `StatsReport` with
`read_report` and only lay it out differently.

Numbers only: the query reads no ticket id beyond the one it needs to find transferred
tickets, never a person hash, and nothing that leaves this module names a ticket.
"""

from __future__ import annotations

import csv
import io
import math
import re
import statistics
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, and_, select

from kiosk.ratings import RatingService, SummaryRow, summary_json
from kiosk.store.db import reading, ticket_events, tickets
from kiosk.store.queue import (
    CALLED,
    INTERRUPTED,
    NO_SHOW,
    SERVED,
    SERVING,
    SHOWN_NOT_PRINTED,
    VOID,
)
from kiosk.store.ratings import RatingStore

# A longer range is refused: a year of hours already makes a large CSV, and a typo in the
# year (2062 for 2026) should be an error, not a minute of reading.
MAX_DAYS = 366
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

# The waiting time runs to the (last) call; after a call the citizen has been seen, so
# the states a ticket can have after being called.
_CALLED_STATES = (CALLED, SERVING, SERVED, NO_SHOW)


# --- dates -------------------------------------------------------------------------------


def parse_day(text: str) -> date:
    """A day written YYYY-MM-DD; ValueError (one sentence) for anything else. Stricter than
    date.fromisoformat, which also takes 20261128 or 2026-W48-1."""
    if not isinstance(text, str) or not _DAY.fullmatch(text):
        raise ValueError(f"{text!r}: expected a date like 2026-11-28")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r}: no such day") from None


def check_range(day_from: date, day_to: date) -> None:
    """ValueError (one sentence) unless `day_from`…`day_to` is a range we report on."""
    if day_to < day_from:
        raise ValueError(f"the last day {day_to} is before the first day {day_from}")
    days = (day_to - day_from).days + 1
    if days > MAX_DAYS:
        raise ValueError(f"{day_from} to {day_to} is {days} days; at most {MAX_DAYS} "
                         "at once")


def parse_day_range(day: str, to: str | None = None) -> tuple[date, date]:
    """The days `day`…`to` (both YYYY-MM-DD; `to` absent or empty: the one day)."""
    first = parse_day(day)
    last = parse_day(to) if to else first
    check_range(first, last)
    return first, last


# --- figures -----------------------------------------------------------------------------


@dataclass(frozen=True)
class TicketFacts:
    """What statistics need of one ticket: no id, no person, no number."""

    day: date
    # Local hour of issue, 0-23. None for a void number: nobody took it, so it belongs to
    # its day, not to an hour (its row carries the time it was voided).
    hour: int | None
    service: str  # the letter on its number: a transferred ticket stays under it
    queue_state: str
    status: str  # the printing outcome
    transferred: bool  # sent to another service's queue at least once
    wait_minutes: float | None  # issued → last call; None: not called (or not measurable)
    service_minutes: float | None  # started (or last call) → served; None: not served


def _minutes(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    minutes = (end - start).total_seconds() / 60
    # A ticket a kiosk issued offline carries the kiosk's clock and is called on the
    # centre's: a skew may make it look called before it was issued. Such a time is left
    # out rather than pulled towards zero.
    return minutes if minutes >= 0 else None


def ticket_facts(*, day: date, service: str, issued_at: datetime, status: str,
                 queue_state: str, called_at: datetime | None, started_at: datetime | None,
                 served_at: datetime | None, transferred: bool, tz: tzinfo) -> TicketFacts:
    """The facts of one ticket row (times aware)."""
    called = queue_state in _CALLED_STATES
    return TicketFacts(
        day=day,
        hour=None if queue_state == VOID else issued_at.astimezone(tz).hour,
        service=service,
        queue_state=queue_state,
        status=status,
        transferred=transferred,
        # A transferred ticket waiting again still holds its earlier call: not a wait yet.
        wait_minutes=_minutes(issued_at, called_at) if called else None,
        service_minutes=(_minutes(started_at or called_at, served_at)
                         if queue_state == SERVED else None),
    )


def p90(values: Sequence[float]) -> float | None:
    """The nearest-rank 90th percentile: the least value that at least 9 in 10 of `values`
    do not exceed. Always one of the values, so "9 in 10 waited at most this" holds as
    read, even for a handful of tickets."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[math.ceil(0.9 * len(ordered)) - 1]


@dataclass(frozen=True)
class Durations:
    """Minutes: how many were measured, their median and 90th percentile."""

    count: int
    median: float | None
    p90: float | None

    @classmethod
    def of(cls, values: Sequence[float]) -> Durations:
        if not values:
            return cls(0, None, None)
        return cls(len(values), statistics.median(values), p90(values))


@dataclass(frozen=True)
class Figures:
    """Counts and times of a group of tickets (an hour and service, a service, all)."""

    issued: int = 0  # every number handed out (void ones are not: nobody held them)
    served: int = 0
    no_show: int = 0
    transferred: int = 0
    void: int = 0  # numbers of a kiosk's lease never used (docs/architecture.md, Centre)
    interrupted: int = 0  # the kiosk stopped before the printing outcome was recorded
    shown_not_printed: int = 0
    open: int = 0  # still waiting, called or being served when read
    wait: Durations = field(default_factory=lambda: Durations.of(()))
    service_time: Durations = field(default_factory=lambda: Durations.of(()))

    @classmethod
    def of(cls, facts: Iterable[TicketFacts]) -> Figures:
        facts = list(facts)
        held = [f for f in facts if f.queue_state != VOID]
        return cls(
            issued=len(held),
            served=sum(f.queue_state == SERVED for f in held),
            no_show=sum(f.queue_state == NO_SHOW for f in held),
            transferred=sum(f.transferred for f in held),
            void=len(facts) - len(held),
            interrupted=sum(f.status == INTERRUPTED for f in held),
            shown_not_printed=sum(f.status == SHOWN_NOT_PRINTED for f in held),
            open=sum(f.queue_state not in (SERVED, NO_SHOW) for f in held),
            wait=Durations.of([f.wait_minutes for f in held if f.wait_minutes is not None]),
            service_time=Durations.of([f.service_minutes for f in held
                                       if f.service_minutes is not None]),
        )


# The counts of Figures in the order tables show them, with their headings (Vietnamese
# first: staff read it; English beside it where cheap).
COUNTS: tuple[tuple[str, str, str], ...] = (
    ("issued", "Đã phát", "Issued"),
    ("served", "Đã phục vụ", "Served"),
    ("no_show", "Vắng mặt", "No-show"),
    ("transferred", "Chuyển", "Transferred"),
    ("void", "Số không dùng", "Void"),
    ("interrupted", "Gián đoạn", "Interrupted"),
    ("shown_not_printed", "Không in", "Not printed"),
    ("open", "Chưa xong", "Still open"),
)
TIMES: tuple[tuple[str, str, str], ...] = (
    ("wait_median", "Chờ: trung vị", "Wait median"),
    ("wait_p90", "Chờ: p90", "Wait p90"),
    ("service_median", "Phục vụ: trung vị", "Service median"),
    ("service_p90", "Phục vụ: p90", "Service p90"),
)
ALL_SERVICES = "*"  # the row of every service together


def time_values(figures: Figures) -> dict[str, float | None]:
    return {"wait_median": figures.wait.median, "wait_p90": figures.wait.p90,
            "service_median": figures.service_time.median,
            "service_p90": figures.service_time.p90}


@dataclass(frozen=True)
class HourRow:
    day: date
    hour: int | None  # None: the day's void numbers (see TicketFacts.hour)
    service: str
    figures: Figures


@dataclass(frozen=True)
class StatsReport:
    day_from: date
    day_to: date
    services: tuple[str, ...]  # the configured letters, then any other found in the rows
    hours: list[HourRow]  # (day, hour, service) with tickets, in that order
    by_service: dict[str, Figures]  # every service of `services`, even with none
    overall: Figures
    ratings: list[SummaryRow]  # kiosk/ratings.py's summary, per day and service

    @property
    def days(self) -> int:
        return (self.day_to - self.day_from).days + 1

    def issued_per_hour(self) -> dict[int, dict[str, int]]:
        """Tickets issued per local hour of the day and service, summed over the days."""
        out: dict[int, dict[str, int]] = {}
        for row in self.hours:
            if row.hour is None:
                continue
            per = out.setdefault(row.hour, {})
            per[row.service] = per.get(row.service, 0) + row.figures.issued
        return dict(sorted(out.items()))


def build_report(facts: Iterable[TicketFacts], day_from: date, day_to: date,
                 services: Sequence[str] = (),
                 ratings: list[SummaryRow] | None = None) -> StatsReport:
    """The report of `facts` (tickets of `day_from`…`day_to`)."""
    facts = list(facts)
    letters = tuple(dict.fromkeys([*services, *sorted({f.service for f in facts})]))
    groups: dict[tuple[date, int | None, str], list[TicketFacts]] = {}
    for f in facts:
        groups.setdefault((f.day, f.hour, f.service), []).append(f)
    order = {s: i for i, s in enumerate(letters)}
    # By day, hour (a day's void numbers after its hours), service as configured.
    hours = [HourRow(d, h, s, Figures.of(groups[(d, h, s)]))
             for d, h, s in sorted(groups, key=lambda k: (k[0], k[1] is None, k[1] or 0,
                                                         order[k[2]]))]
    per_service: dict[str, list[TicketFacts]] = {s: [] for s in letters}
    for f in facts:
        per_service[f.service].append(f)
    by_service = {s: Figures.of(per_service[s]) for s in letters}
    return StatsReport(day_from, day_to, letters, hours, by_service, Figures.of(facts),
                       ratings or [])


# --- reading the store ----------------------------------------------------------------


def _when(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def read_facts(engine: Engine, day_from: date, day_to: date, tz: tzinfo) -> list[TicketFacts]:
    """The tickets of the local days `day_from`…`day_to` from the store, as facts."""
    first, last = day_from.isoformat(), day_to.isoformat()
    transferred = (select(ticket_events.c.ticket_id)
                   .where(and_(ticket_events.c.kind == "transferred",
                               ticket_events.c.day >= first, ticket_events.c.day <= last)))
    query = (select(tickets.c.day, tickets.c.service, tickets.c.issued_at, tickets.c.status,
                    tickets.c.queue_state, tickets.c.called_at, tickets.c.started_at,
                    tickets.c.served_at, tickets.c.id.in_(transferred).label("transferred"))
             .where(and_(tickets.c.day >= first, tickets.c.day <= last)))
    with reading(engine) as conn:
        rows = conn.execute(query).all()
    return [ticket_facts(day=date.fromisoformat(r.day), service=r.service,
                         issued_at=datetime.fromisoformat(r.issued_at), status=r.status,
                         queue_state=r.queue_state, called_at=_when(r.called_at),
                         started_at=_when(r.started_at), served_at=_when(r.served_at),
                         transferred=bool(r.transferred), tz=tz)
            for r in rows]


def read_report(engine: Engine, day_from: date, day_to: date, tz: tzinfo | str,
                services: Sequence[str] = ()) -> StatsReport:
    """Everything staff see for `day_from`…`day_to`, from the store on `engine`.
    `services`: the configured letters, shown even on a day without their tickets."""
    check_range(day_from, day_to)
    zone = ZoneInfo(tz) if isinstance(tz, str) else tz
    ratings = RatingService(RatingStore(engine), zone).summary(day_from, day_to)
    return build_report(read_facts(engine, day_from, day_to, zone), day_from, day_to,
                        services, ratings)


# --- JSON --------------------------------------------------------------------------------


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def figures_json(figures: Figures) -> dict[str, Any]:
    out: dict[str, Any] = {name: getattr(figures, name) for name, _vi, _en in COUNTS}
    out["waited"] = figures.wait.count
    out["service_timed"] = figures.service_time.count
    out.update({name: _rounded(v) for name, v in time_values(figures).items()})
    return out


def report_json(report: StatsReport) -> dict[str, Any]:
    """What `kiosk stats --json` prints. Times in minutes, to a tenth."""
    return {
        "from": report.day_from.isoformat(),
        "to": report.day_to.isoformat(),
        "services": list(report.services),
        "overall": figures_json(report.overall),
        "by_service": {s: figures_json(f) for s, f in report.by_service.items()},
        "hours": [{"day": r.day.isoformat(), "hour": r.hour, "service": r.service,
                   **figures_json(r.figures)} for r in report.hours],
        "ratings": summary_json(report.ratings, report.day_from, report.day_to),
    }


# --- CSV ---------------------------------------------------------------------------------

CSV_COLUMNS = ("day", "hour", "service", *(n for n, _vi, _en in COUNTS), "waited",
               *(n for n, _vi, _en in TIMES))


def report_csv(report: StatsReport) -> str:
    """One row per day, hour and service with tickets, with every figure; times in minutes.
    A day's void numbers come in rows of their own with no hour. The caller writes it with
    a byte order mark (see kiosk/commands/stats.py)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in report.hours:
        figures = figures_json(row.figures)
        hour = "" if row.hour is None else f"{row.hour:02d}:00"
        writer.writerow([row.day.isoformat(), hour, row.service,
                         *(figures[n] for n, _vi, _en in COUNTS), figures["waited"],
                         *("" if figures[n] is None else figures[n] for n, _vi, _en in TIMES)])
    return out.getvalue()


# --- plain text --------------------------------------------------------------------------


def display_width(text: str) -> int:
    """Columns `text` takes in a terminal: combining marks (a K'Ho breve, a Vietnamese tone
    mark typed decomposed) take none, East Asian wide letters two."""
    width = 0
    for ch in text:
        if unicodedata.combining(ch):
            continue
        width += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return width


def _pad(text: str, width: int, left: bool) -> str:
    gap = " " * (width - display_width(text))
    return text + gap if left else gap + text


def text_table(headings: Sequence[Sequence[str]], body: Sequence[Sequence[str]],
               left_columns: int = 1) -> list[str]:
    """Lines of an aligned table. `headings`: one or more heading lines (Vietnamese, then
    English); the first `left_columns` columns are left-aligned, numbers right-aligned."""
    rows = [*headings, *body]
    widths = [max(display_width(r[i]) for r in rows) for i in range(len(rows[0]))]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(_pad(c, w, i < left_columns)
                         for i, (c, w) in enumerate(zip(cells, widths, strict=True))).rstrip()

    return ([line(h) for h in headings] + [line(["-" * w for w in widths])]
            + [line(r) for r in body])


def minutes_text(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _service_label(service: str) -> str:
    return "Tất cả / All" if service == ALL_SERVICES else service


def format_report(report: StatsReport, ratings_table: Callable[[list[SummaryRow]], str]
                  ) -> str:
    """The plain-text report of `kiosk stats`. `ratings_table` lays out the ratings
    (kiosk/ratings.py's format_summary_table, translated by the caller)."""
    if report.days == 1:
        title = f"Thống kê ngày {report.day_from} / Statistics of {report.day_from}"
    else:
        title = (f"Thống kê {report.day_from} → {report.day_to} ({report.days} ngày) / "
                 f"Statistics of {report.day_from} to {report.day_to} ({report.days} days)")
    out = [title, ""]

    per_hour = report.issued_per_hour()
    summed = "" if report.days == 1 else " (cộng các ngày / summed over the days)"
    out.append(f"Số phát theo giờ / Tickets issued per hour{summed}")
    if per_hour:
        body = [[f"{h:02d}:00", *(str(per.get(s, 0)) for s in report.services),
                 str(sum(per.values()))] for h, per in per_hour.items()]
        out += text_table([["Giờ", *report.services, "Tổng"],
                           ["Hour", *("" for _ in report.services), "Total"]], body)
    else:
        out.append("Không có số nào / No tickets.")

    groups = [*report.by_service.items(), (ALL_SERVICES, report.overall)]
    out += ["", "Theo dịch vụ / By service"]
    out += text_table(
        [["Lĩnh vực", *(vi for _n, vi, _en in COUNTS)],
         ["Service", *(en for _n, _vi, en in COUNTS)]],
        [[_service_label(s), *(str(getattr(f, n)) for n, _vi, _en in COUNTS)]
         for s, f in groups])

    out += ["", "Thời gian (phút) / Times (minutes): trung vị = median; "
                "p90: 9 trên 10 người không quá / 9 in 10 at most"]
    out += text_table(
        [["Lĩnh vực", "Số đã gọi", *(vi for _n, vi, _en in TIMES[:2]), "Số đã xong",
          *(vi for _n, vi, _en in TIMES[2:])],
         ["Service", "Called", *(en for _n, _vi, en in TIMES[:2]), "Served",
          *(en for _n, _vi, en in TIMES[2:])]],
        [[_service_label(s), str(f.wait.count), minutes_text(f.wait.median),
          minutes_text(f.wait.p90), str(f.service_time.count),
          minutes_text(f.service_time.median), minutes_text(f.service_time.p90)]
         for s, f in groups])

    out += ["", "Đánh giá / Ratings"]
    out.append(ratings_table(report.ratings).rstrip("\n"))
    return "\n".join(out) + "\n"

