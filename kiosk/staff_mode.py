"""Staff mode on the touch screen, without Kivy: the signed-in session.

Once the hidden gesture is made (kiosk/staff_entry.py `EntryGesture`), `StaffSession`
asks for a name and a PIN (kiosk/pins.py: scrypt hashes, a lock-out that grows with wrong
PINs, kept in the database), leaves by itself after IDLE_LOGOUT seconds untouched, and
writes every staff action to the audit log (kiosk/store/audit.py) with who did it and
when. The Kivy screens (kiosk/ui/staff_*.py) feed touches in and follow the session
through its listeners.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from kiosk.pins import LockedOut, PinChecker, SignInRefused
from kiosk.staff_entry import (  # noqa: F401 (kiosk.staff_mode's names too)
    HOLD_SECONDS,
    TAPS_WITHIN,
    EntryGesture,
    State,
)
from kiosk.store.audit import AuditEntry, StaffAudit
from kiosk.store.staff import StaffStore

log = logging.getLogger(__name__)

IDLE_LOGOUT = 120.0  # seconds untouched before staff mode leaves by itself
CONFIRM_VALID = timedelta(minutes=2)  # a second PIN entry allows a wipe this long

__all__ = ["IDLE_LOGOUT", "EntryGesture", "LockedOut", "NotSignedIn", "SignInRefused",
           "StaffSession", "State"]


class NotSignedIn(Exception):
    """A staff action asked for while no one is signed in."""


@dataclass(frozen=True)
class Export:
    """An export of the local data made in this session (kiosk/local_data.py)."""

    paths: tuple[Path, ...]
    at: datetime
    counts: dict[str, int]  # rows per table exported: a wipe checks nothing came since


Listener = Callable[["StaffSession"], None]


class StaffSession:
    """One staff visit at the screen: CLOSED → CHOOSING → PIN → OPEN → CLOSED.

    `clock` returns an aware datetime (the PIN lock-out and the audit log need wall time).
    `tick()` is called often (the UI's clock); it ends the visit after IDLE_LOGOUT seconds
    without `touched()`. Listeners are called after every change of state or of the
    signed-in person, on the caller's thread."""

    def __init__(self, staff_store: StaffStore, audit: StaffAudit,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC),
                 idle_logout: float = IDLE_LOGOUT) -> None:
        self.staff_store, self.audit, self.clock = staff_store, audit, clock
        self.checker = PinChecker(staff_store)
        self.idle_logout = idle_logout
        self.state = State.CLOSED
        self.who: str | None = None  # the signed-in staff member's name
        self.chosen: str | None = None  # the name whose PIN is being typed
        self.export: Export | None = None  # the last export made in this session
        self.confirmed_at: datetime | None = None  # the last right second PIN entry
        self.last_touch = clock()
        self.listeners: list[Listener] = []

    # -- listeners ---------------------------------------------------------------------
    def add_listener(self, listener: Listener) -> None:
        self.listeners.append(listener)

    def remove_listener(self, listener: Listener) -> None:
        if listener in self.listeners:
            self.listeners.remove(listener)

    def _changed(self) -> None:
        for listener in list(self.listeners):
            listener(self)

    # -- the way in --------------------------------------------------------------------
    def names(self) -> list[str]:
        """The staff names to choose from, in alphabetical order (without accents)."""
        return [member.name for member in self.staff_store.all()]

    def start(self) -> None:
        """The gesture was made: show the list of names."""
        self.last_touch = self.clock()
        if self.state is State.CLOSED:
            self.state = State.CHOOSING
            self._changed()

    def choose(self, name: str) -> None:
        """A name was tapped: ask for its PIN."""
        self.last_touch = self.clock()
        self.chosen = name
        self.state = State.PIN
        self._changed()

    def back(self) -> None:
        """From the PIN pad back to the names."""
        self.last_touch = self.clock()
        if self.state is State.PIN:
            self.chosen = None
            self.state = State.CHOOSING
            self._changed()

    def sign_in(self, name: str, pin: str) -> str:
        """Signs `name` in (state OPEN); the name as stored. Raises SignInRefused, or
        LockedOut (a SignInRefused) with `.until` after repeated wrong PINs. Both are
        audited, under the name when it is a staff member's (else "?")."""
        now = self.clock()
        self.last_touch = now
        try:
            member = self.checker.sign_in(name, pin, now)
        except LockedOut as exc:
            self._audit_refusal(name, "sign_in_locked", f"until {exc.until.isoformat()}", now)
            raise
        except SignInRefused:
            self._audit_refusal(name, "sign_in_refused", "", now)
            raise
        self.who, self.chosen = member.name, None
        self.export, self.confirmed_at = None, None
        self.state = State.OPEN
        self.audit.record(member.name, "sign_in", at=now)
        log.info("staff mode: %s signed in", member.name)
        self._changed()
        return member.name

    def _audit_refusal(self, name: str, action: str, detail: str, at: datetime) -> None:
        # Whatever was typed as a name is not recorded unless it is a staff member's.
        member = self.staff_store.get(name)
        self.audit.record(member.name if member else "?", action, detail, at=at)

    # -- while open ----------------------------------------------------------------------
    def touched(self) -> None:
        """Any touch on a staff screen: the idle logout starts over."""
        self.last_touch = self.clock()

    def idle_seconds(self) -> float:
        return (self.clock() - self.last_touch).total_seconds()

    def tick(self) -> bool:
        """Leaves (back to the citizen screens) once untouched for idle_logout seconds;
        True when it just did."""
        if self.state is State.CLOSED or self.idle_seconds() < self.idle_logout:
            return False
        self.leave(reason="idle")
        return True

    def act(self, action: str, detail: str = "") -> AuditEntry:
        """Records a staff action (an action code, a technical detail: never a citizen's
        data) under the signed-in name; call it for everything staff do. NotSignedIn when
        no one is."""
        if self.state is not State.OPEN or self.who is None:
            raise NotSignedIn(action)
        now = self.clock()
        self.last_touch = now
        entry = self.audit.record(self.who, action, detail, at=now)
        log.info("staff mode: %s: %s %s", self.who, entry.action, entry.detail)
        return entry

    def confirm_pin(self, pin: str) -> bool:
        """The second PIN entry before a wipe: the signed-in person's PIN again. Wrong ones
        count towards the same lock-out as signing in."""
        if self.state is not State.OPEN or self.who is None:
            raise NotSignedIn("confirm_pin")
        now = self.clock()
        self.last_touch = now
        try:
            self.checker.sign_in(self.who, pin, now)
        except SignInRefused as exc:
            locked = isinstance(exc, LockedOut)
            self.audit.record(self.who, "confirm_pin_refused", "locked" if locked else "",
                              at=now)
            return False
        self.confirmed_at = now
        self.audit.record(self.who, "confirm_pin", at=now)
        return True

    def pin_confirmed(self) -> bool:
        """Whether a second PIN entry was made in the last CONFIRM_VALID."""
        return (self.confirmed_at is not None
                and self.clock() - self.confirmed_at <= CONFIRM_VALID)

    def note_export(self, paths: list[Path], counts: dict[str, int]) -> None:
        """An export of the local data succeeded (kiosk/local_data.py): a wipe may follow."""
        self.export = Export(tuple(paths), self.clock(), dict(counts))
        rows = ", ".join(f"{name} {count}" for name, count in counts.items())
        self.act("export", f"{len(paths)} files to {paths[0].parent if paths else '-'}: {rows}")

    def leave(self, reason: str = "leave") -> None:
        """Back to the citizen screens; `reason`: "leave" (the button) or "idle"."""
        if self.state is State.CLOSED:
            return
        if self.who is not None:
            self.audit.record(self.who, "sign_out", reason, at=self.clock())
            log.info("staff mode: %s left (%s)", self.who, reason)
        self.state, self.who, self.chosen = State.CLOSED, None, None
        self.export, self.confirmed_at = None, None
        self._changed()
