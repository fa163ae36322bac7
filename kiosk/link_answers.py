"""What the centre's answers mean to a kiosk (kiosk/centre_link.py): a ticket, its state
in the queue, a leased block. An answer that lacks what the kiosk needs raises
MalformedAnswer, which counts as no answer at all (docs/architecture.md, Kiosks in a centre).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kiosk.store.queue import TicketRecord

# Queue states as the centre names them (kiosk/store/queue.py on the centre).
WAITING, CALLED, SERVING, SERVED, NO_SHOW, VOID = (
    "waiting", "called", "serving", "served", "no_show", "void")

class CentreUnreachable(Exception):
    """No answer from the centre in time (down, network cut, timeout, a 5xx)."""




@dataclass(frozen=True)
class TicketState:
    """Where a ticket stands: live from the centre, or what this kiosk knew `as_of`."""

    number: str
    service: str
    queue_state: str
    counter: int | None
    people_ahead: int
    wait_minutes: int | None
    live: bool
    as_of: datetime | None = None  # not live: when the kiosk last heard from the centre
    day: str = ""


class MalformedAnswer(CentreUnreachable):
    """The centre's answer lacks what the kiosk needs: as good as no answer."""


def record_from_answer(answer: Any, lang: str, person_hash: str | None) -> TicketRecord:
    """The ticket in POST /api/tickets' answer; MalformedAnswer if it is not one."""
    # Here, not at the top: the screens import this module before the store is loaded.
    from kiosk.store.queue import ALLOCATED, TicketRecord

    try:
        issued_at = datetime.fromisoformat(str(answer["issued_at"]))
        ticket_id, service, number = (str(answer[key]) for key in ("id", "service", "number"))
        seq = answer["seq"]
        if (issued_at.tzinfo is None or isinstance(seq, bool) or not isinstance(seq, int)
                or seq < 1 or not ticket_id or not number or not service):
            raise ValueError("a field out of range")
    except (KeyError, TypeError, ValueError) as exc:
        raise MalformedAnswer(f"the centre's ticket cannot be read ({exc})") from None
    return TicketRecord(ticket_id, issued_at.date().isoformat(), service, seq, number, lang,
                        issued_at, ALLOCATED, person_hash=person_hash)


def state_from_answer(answer: Any, at: datetime | None) -> TicketState:
    """The ticket in GET /api/tickets/{id}'s answer; MalformedAnswer if it is not one."""
    try:
        counter = answer.get("counter")
        ahead = count(answer.get("people_ahead"))
        return TicketState(
            number=str(answer["number"]), service=str(answer["service"]),
            queue_state=str(answer.get("queue_state") or WAITING),
            counter=counter if isinstance(counter, int) and not isinstance(counter, bool)
            else None,
            people_ahead=ahead, wait_minutes=estimate(answer.get("wait_minutes"), ahead),
            live=True, as_of=at,
            day=str(answer.get("issued_at") or "")[:10])
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise MalformedAnswer(f"the centre's ticket state cannot be read ({exc})") from None


def block_from_answer(answer: Any) -> tuple[int, int]:
    try:
        first, last = answer["first"], answer["last"]
        if not all(isinstance(n, int) and not isinstance(n, bool) for n in (first, last)) \
                or not 0 < first <= last:
            raise ValueError("not a block of numbers")
    except (KeyError, TypeError, ValueError) as exc:
        raise MalformedAnswer(f"the centre's lease cannot be read ({exc})") from None
    return first, last


def count(value: object) -> int:
    """People ahead as the centre gave them; 0 for anything that is not a count."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def estimate(minutes: object, ahead: int) -> int | None:
    """The wait to show: the centre's minutes, or None when there is nothing honest to say
    (no estimate yet, nobody ahead, or less than a minute)."""
    value = minutes_from(minutes)
    return value if value and ahead > 0 else None


def minutes_from(value: object) -> int | None:
    """Whole minutes from the centre's estimate; None for none, or one that is no number."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None
    if value != value or value in (float("inf"), float("-inf")):  # NaN, infinities
        return None
    return max(0, round(value))
