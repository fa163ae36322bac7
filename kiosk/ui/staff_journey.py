"""One walk through staff mode's screens, shared by `kiosk screenshots` (a picture of each
step) and tests/ui/test_staff_mode.py (each step's touch targets and labels checked).

It signs in a staff member of the app's database (added when missing: the screenshots'
database is thrown away), types wrong PINs up to a lock-out on another name, and shows
every tab and a confirmation dialog."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from kivy.core.window import Window

from kiosk.pins import hash_pin
from kiosk.store.staff import StaffStore, name_key

if TYPE_CHECKING:
    from kiosk.ui.app import KioskApp
    from kiosk.ui.harness import Harness

# Made-up staff: one signs in, the other is locked out (names with Vietnamese letters).
SIGNS_IN, LOCKED = ("Nguyễn Thị Lan", "4826"), ("Trần Văn Hùng", "7391")
TABS = ("devices", "settings", "reset", "updates", "languages", "studio")


def add_staff(app: KioskApp) -> None:
    store = StaffStore(app.tickets.store.engine)
    for name, pin in (SIGNS_IN, LOCKED):
        if store.get(name) is None:
            store.add(name, hash_pin(pin), None, datetime.now(UTC))
        store.clear_failures(name_key(name))


def staff_screens(h: Harness, app: KioskApp, lang: str) -> Iterator[str]:
    """Yields a name for each step once it is shown, staff screens in `lang`."""
    add_staff(app)
    control = app.staff
    control.lang = lang
    control.open()
    h.settle()
    yield "staff-names"
    pin_screen = app.screen("staff_pin")
    control.session.choose(LOCKED[0])
    for _ in range(5):
        pin_screen.sign_in("0000")
    yield "staff-pin-locked"
    control.session.back()
    control.session.choose(SIGNS_IN[0])
    pin_screen.ids.pad.pin = SIGNS_IN[1][:2]
    yield "staff-pin"
    pin_screen.sign_in(SIGNS_IN[1])
    screen = app.screen("staff")
    for key in TABS:
        screen.show_tab(key)
        h.settle()
        tab = screen.tab_widget(key)
        # What the tab looks up on a thread (devices, bundles, the report) comes in.
        h.wait_until(lambda tab=tab: not getattr(tab, "working", False), f"the {key} tab")
        h.settle(4)
        yield f"staff-{key}"
    screen.show_tab("reset")
    tab = screen.tab_widget("reset")
    tab.exported = True
    tab.wipe()  # the second PIN, before a wipe
    yield "staff-wipe"
    for view in list(Window.children):
        if view.__class__.__name__ == "ConfirmDialog":
            view.dismiss(animation=False)
    control.leave()
    store = StaffStore(app.tickets.store.engine)
    store.clear_failures(name_key(LOCKED[0]))
