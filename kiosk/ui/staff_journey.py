"""One walk through staff mode's screens, shared by `kiosk screenshots` (a picture of each
step) and tests/ui/test_staff_mode.py (each step's touch targets and labels checked).

It signs in a staff member of the app's database (added when missing: the screenshots'
database is thrown away), types wrong PINs up to a lock-out on another name, and shows
every tab and a confirmation dialog; then the Voice tab's pages (a take recorded from a
test microphone, good then clipped; a text's page, then the typing panel with K'Ho
letters typed: letters only, no word)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
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
    yield from studio_screens(h, app)
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


# Keys typed on the studio's keyboard for the picture: K'Ho letters (ƀ, ơ with a breve and
# a grave, ñ) and a placeholder, not a word.
TYPED_KEYS = (("letter", "ƀ"), ("letter", "ơ\u0306"), ("mark", "\u0300"), ("space", ""),
              ("letter", "ñ"), ("space", ""), ("text", "{date}"))
# The longest sentence citizens see (121 characters in Vietnamese).
LONG_SENTENCE = ("Here is who it is for, the papers to bring, the fee and the steps. Touch the "
                 "button below to take a number for it.")


def studio_screens(h: Harness, app: KioskApp) -> Iterator[str]:
    """The Voice tab (on the staff screen, signed in): an item with the speaker's hint,
    recording with the level meter, a good take, a clipped one, the kiosk without a
    microphone, the interface strings, a text's page and the typing panel."""
    from drivers.sim.voice import write_test_takes
    from kiosk.keyboards import Key

    screen = app.screen("staff")
    screen.show_tab("studio")
    tab = screen.tab_widget("studio")
    if "kpm" in app.kiosk_config.known_languages:
        tab.choose_language("kpm")
    original = app.kiosk_config
    folder = Path(tempfile.mkdtemp(prefix="kiosk-takes-"))
    takes = write_test_takes(folder)

    def take(name: str, speed: float) -> None:
        app.kiosk_config = replace(original, microphone_url=f"file://{takes[name]}?speed={speed}")
        tab.record()

    try:
        take_url = f"file://{takes['good']}?speed=1"
        app.kiosk_config = replace(original, microphone_url=take_url)
        tab.shown()
        tab.open_item("segments/1")  # a segment: what sources write, for the speaker
        h.settle()
        yield "staff-studio-item"
        take("good", 1)
        h.wait_until(lambda: tab.level > 0.1, "the voice in the level meter")
        h.settle()
        yield "staff-studio-recording"
        tab.stop()
        h.wait_until(lambda: tab.state == "checked", "the take's check")
        h.settle()
        yield "staff-studio-take"
        take("clipped", 20)
        h.wait_until(lambda: tab.levels_seen >= 50, "the clipped take")
        tab.stop()
        h.wait_until(lambda: tab.state == "checked", "the take's check")
        h.settle()
        yield "staff-studio-problems"
        app.kiosk_config = replace(original, microphone_url="")
        tab.back_to_list()
        tab.shown()
        h.settle()
        yield "staff-studio-no-microphone"
    finally:
        app.kiosk_config = original
        shutil.rmtree(folder, ignore_errors=True)
    tab.shown()
    tab.show_part("texts")
    h.settle()
    yield "staff-studio-texts"
    tab.open_text("Last change: {date}")
    h.settle()
    yield "staff-studio-text"
    tab.open_typing()  # the typing panel, over the whole window
    for kind, value in TYPED_KEYS:
        tab.panel.ids.keyboard.press(Key(kind, value))
    h.settle()
    yield "staff-studio-keyboard"
    tab.panel.cancel()
    # The longest sentence, and a long text typed: both wrap, the keys keep their room.
    tab.open_text(LONG_SENTENCE)
    tab.open_typing()
    for _ in range(16):
        for kind, value in TYPED_KEYS[:-1]:
            tab.panel.ids.keyboard.press(Key(kind, value))
    h.settle()
    yield "staff-studio-keyboard-long"
    tab.panel.cancel()
    tab.show_part("voice")
