"""Satisfaction ratings: levels, reasons, recording one rating and the staff summary.

No Kivy here: the rating screen shows `RATING_LEVELS` as large faces with words, asks for
`DISSATISFACTION_REASONS` only after "not satisfied", calls `RatingService.record`, thanks
the citizen and returns home. `kiosk ratings [--json]` prints `summary()` through
`summary_json` or `format_summary_table`.

Anonymous by construction: a rating holds a level, reason codes from a fixed list, the
language, and optionally the ticket, service and counter. No person hash, no identity and
no free text (an "other" reason has no text box), so nothing personal can be typed in.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from kiosk.i18n import N_

if TYPE_CHECKING:  # the store loads with the kiosk's services, after its first frame
    from kiosk.store.ratings import RatingRecord, RatingStore


@dataclass(frozen=True)
class RatingLevel:
    code: str  # stable: stored in the database and in the JSON summary
    vi: str  # the wording of the rule this follows
    msgid: str  # English gettext msgid; the screen shows it translated
    face: str  # icon name for the UI
    satisfied: bool  # counts towards the share of satisfied citizens


# Three levels, best first, with the wording provincial one-stop-shop systems built on the
# 2018 rules (Decree 61/2018/NĐ-CP, Circular 01/2018/TT-VPCP) use: Rất hài lòng / Hài lòng /
# Không hài lòng. Seen, for example, in the column headings of a provincial centre's rating
# report (Thanh Hóa public administration centre software, github.com/HuanVu201/
# DichVuCong_KhoaLuan_PASETO, smartkios_client/.../BaoCaoDanhGiaMau1.tsx). The text of
# Decree 118/2025/NĐ-CP and Circular 03/2025/TT-VPCP (in force for communes since
# 1 July 2025) could not be read to confirm the levels: PENDING CONFIRMATION against them.
# Codes stay stable if the wording changes; a fourth level would be a new code.
RATING_LEVELS: tuple[RatingLevel, ...] = (
    RatingLevel("very_satisfied", "Rất hài lòng", N_("Very satisfied"), "face_very_happy",
                True),
    RatingLevel("satisfied", "Hài lòng", N_("Satisfied"), "face_happy", True),
    RatingLevel("unsatisfied", "Không hài lòng", N_("Not satisfied"), "face_unhappy", False),
)
LEVEL_CODES: tuple[str, ...] = tuple(level.code for level in RATING_LEVELS)
_LEVELS = {level.code: level for level in RATING_LEVELS}


@dataclass(frozen=True)
class Reason:
    code: str
    msgid: str


# No official list of reasons for dissatisfaction was found in the texts searched, so this
# is a small neutral list of our own. Three echo criteria on a provincial rating form
# (dichvucong.thuathienhue.gov.vn "mucdo-hailong": criterion 4 staff attitude, criterion 7
# times the citizen had to come back to complete the dossier, criterion 10 publicity of
# procedures); "waiting_time" is the lobby wait this kiosk itself manages.
DISSATISFACTION_REASONS: tuple[Reason, ...] = (
    Reason("waiting_time", N_("I waited too long")),
    Reason("staff_attitude", N_("Staff attitude")),
    Reason("procedure_unclear", N_("The procedure was not explained clearly")),
    Reason("documents_again", N_("I was asked for documents again")),
    Reason("other", N_("Something else")),
)
REASON_CODES: tuple[str, ...] = tuple(r.code for r in DISSATISFACTION_REASONS)

# Table headings of the staff summary (translated by the caller).
COLUMN_DAY = N_("Day")
COLUMN_SERVICE = N_("Service")
COLUMN_TOTAL = N_("Total")
COLUMN_SHARE = N_("Share satisfied")  # very satisfied + satisfied, in %
NO_RATINGS = N_("No ratings in this period.")
NO_SERVICE = "-"  # rated from home, with no ticket or service
ALREADY_RATED = N_("This ticket has been rated. Thank you!")  # one rating per ticket

# Ticket ids are secrets.token_hex (kiosk/store/queue.py); accepting only hex keeps any
# other text scanned from a QR out of the table.
_TICKET_ID = re.compile(r"[0-9a-f]{1,32}")
_SERVICE = re.compile(r"[A-Z]")  # the config's rule for a service letter
_LANG = re.compile(r"[a-z]{2,3}")  # ISO 639 codes, as the language list uses


def rating_level(code: str) -> RatingLevel:
    try:
        return _LEVELS[code]
    except (KeyError, TypeError):
        raise ValueError(
            f"unknown rating level {code!r}; expected one of {', '.join(LEVEL_CODES)}"
        ) from None


def _check_reasons(level_code: str, reasons: Iterable[str]) -> tuple[str, ...]:
    if isinstance(reasons, str):  # a lone string would be read letter by letter
        raise ValueError("reasons must be a sequence of reason codes, not one string")
    given = list(reasons)
    unknown = [r for r in given if r not in REASON_CODES]
    if unknown:
        raise ValueError(
            f"unknown reason {unknown[0]!r}; expected some of {', '.join(REASON_CODES)}"
        )
    if given and _LEVELS[level_code].satisfied:
        raise ValueError(f"reasons are asked only when not satisfied, not for {level_code!r}")
    # One canonical order, no repeats: the same choice always stores the same text.
    return tuple(code for code in REASON_CODES if code in given)


@dataclass(frozen=True)
class SummaryRow:
    day: date
    service: str | None  # None: rated without a ticket or service
    counts: dict[str, int]  # per level code, every level present, in RATING_LEVELS order
    reasons: dict[str, int] = field(default_factory=dict)  # per reason code, only if > 0

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def satisfied(self) -> int:
        return sum(n for code, n in self.counts.items()
                   if code in _LEVELS and _LEVELS[code].satisfied)

    @property
    def satisfied_share(self) -> float | None:
        """Share of ratings that are "very satisfied" or "satisfied"; None with none."""
        return self.satisfied / self.total if self.total else None


class RatingService:
    def __init__(self, store: RatingStore, tz: tzinfo | str,
                 now: Callable[[], datetime] | None = None) -> None:
        self.store = store
        self.tz = ZoneInfo(tz) if isinstance(tz, str) else tz
        self._now = now or (lambda: datetime.now(self.tz))

    def today(self) -> date:
        return self._now().astimezone(self.tz).date()

    def record(self, level: str, reasons: Iterable[str] = (), *,
               ticket_id: str | None = None, counter: int | None = None,
               service: str | None = None, lang: str) -> RatingRecord:
        """Validates and stores one rating; raises ValueError naming what is wrong."""
        rating_level(level)
        checked = _check_reasons(level, reasons)
        if ticket_id is not None and not (isinstance(ticket_id, str)
                                          and _TICKET_ID.fullmatch(ticket_id)):
            raise ValueError(f"ticket_id must be a ticket id (hex), not {ticket_id!r}")
        if service is not None and not (isinstance(service, str)
                                        and _SERVICE.fullmatch(service)):
            raise ValueError(f"service must be one capital letter A-Z, not {service!r}")
        if counter is not None and not (isinstance(counter, int)
                                        and not isinstance(counter, bool) and counter > 0):
            raise ValueError(f"counter must be a counter number above 0, not {counter!r}")
        if not (isinstance(lang, str) and _LANG.fullmatch(lang)):
            raise ValueError(f"lang must be an ISO 639 language code, not {lang!r}")
        # Whole seconds: finer timestamps tell staff nothing and only sharpen who it was.
        # To the hour only: with the counter, a to-the-second time could tell the counter's
        # staff who gave the rating.
        rated_at = self._now().astimezone(self.tz).replace(minute=0, second=0, microsecond=0)
        return self.store.add(level, checked, rated_at, lang, ticket_id=ticket_id,
                              service=service, counter=counter)

    def summary(self, day_from: date, day_to: date) -> list[SummaryRow]:
        """One row per local day and service that has ratings, by day then service
        (ratings without a service last in each day)."""
        if day_from > day_to:
            raise ValueError(f"day_from {day_from} is after day_to {day_to}")
        rows: dict[tuple[str, str | None], SummaryRow] = {}
        for c in self.store.counts(day_from, day_to):
            key = (c.day, c.service)
            row = rows.get(key)
            if row is None:
                row = rows[key] = SummaryRow(date.fromisoformat(c.day), c.service,
                                             dict.fromkeys(LEVEL_CODES, 0))
            # A level written by a later version is kept visible, not silently dropped.
            row.counts[c.level] = row.counts.get(c.level, 0) + c.count
            for reason in c.reasons:
                row.reasons[reason] = row.reasons.get(reason, 0) + c.count
        return [rows[k] for k in sorted(rows, key=lambda k: (k[0], k[1] is None, k[1] or ""))]


def _share(part: int, total: int) -> float | None:
    return round(part / total, 4) if total else None


def summary_json(rows: list[SummaryRow], day_from: date, day_to: date) -> dict[str, Any]:
    """The JSON-ready form `kiosk ratings --json` prints (codes, not translated words)."""
    totals = dict.fromkeys(LEVEL_CODES, 0)
    reason_totals = dict.fromkeys(REASON_CODES, 0)
    for row in rows:
        for code, n in row.counts.items():
            totals[code] = totals.get(code, 0) + n
        for code, n in row.reasons.items():
            reason_totals[code] = reason_totals.get(code, 0) + n
    all_total = sum(totals.values())
    satisfied = sum(n for code, n in totals.items()
                    if code in _LEVELS and _LEVELS[code].satisfied)
    return {
        "from": day_from.isoformat(),
        "to": day_to.isoformat(),
        "levels": [{"code": lv.code, "vi": lv.vi, "satisfied": lv.satisfied}
                   for lv in RATING_LEVELS],
        "rows": [
            {
                "day": row.day.isoformat(),
                "service": row.service,
                "counts": dict(row.counts),
                "total": row.total,
                "satisfied_share": _share(row.satisfied, row.total),
                "reasons": {code: row.reasons[code] for code in sorted(row.reasons)},
            }
            for row in rows
        ],
        "totals": {
            "counts": totals,
            "total": all_total,
            "satisfied_share": _share(satisfied, all_total),
            "reasons": reason_totals,
        },
    }


def format_summary_table(rows: list[SummaryRow],
                         gettext: Callable[[str], str] = lambda s: s) -> str:
    """A plain-text table for `kiosk ratings`; `gettext` translates the headings."""
    headings = [gettext(COLUMN_DAY), gettext(COLUMN_SERVICE),
                *(gettext(lv.msgid) for lv in RATING_LEVELS),
                gettext(COLUMN_TOTAL), gettext(COLUMN_SHARE)]
    body: list[list[str]] = []
    for row in rows:
        share = row.satisfied_share
        body.append([row.day.isoformat(), row.service or NO_SERVICE,
                     *(str(row.counts.get(lv.code, 0)) for lv in RATING_LEVELS),
                     str(row.total), "-" if share is None else f"{share:.0%}"])
    widths = [max(len(cells[i]) for cells in [headings, *body]) for i in range(len(headings))]

    def line(cells: list[str]) -> str:
        # Day and service left-aligned, numbers right-aligned.
        return "  ".join(c.ljust(w) if i < 2 else c.rjust(w)
                         for i, (c, w) in enumerate(zip(cells, widths, strict=True))).rstrip()

    out = [line(headings), line(["-" * w for w in widths])]
    out += [line(cells) for cells in body]
    if not body:
        out.append(gettext(NO_RATINGS))
    return "\n".join(out) + "\n"
