"""A citizen's journey through the real window, by touches, checked against what the
database holds and what the printer received."""

from __future__ import annotations

from kivy.base import EventLoop
from kivy.core.window import Window
from kivy.metrics import dp
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.label import Label

from drivers.printer import decode_job
from kiosk.i18n import translate
from kiosk.ui import theme
from kiosk.ui.harness import visible
from kiosk.ui.journey import Choices, every_screen, service_button, take_number


def shown(k) -> str:  # type: ignore[no-untyped-def]
    return k.app.manager.current


def tap_through_to_services(k, lang_name: str) -> None:  # type: ignore[no-untyped-def]
    h, app = k.harness, k.app
    h.tap(app.screen("attract"))
    h.next_frame()
    assert shown(k) == "language"
    buttons = [b for b in app.screen("language").ids.choices.children if b.text == lang_name]
    assert len(buttons) == 1, f"no language button reads {lang_name!r}"
    h.tap(buttons[0])
    h.next_frame()
    assert shown(k) == "identify"  # offered because a scanner is configured
    h.tap(app.screen("identify").ids.skip)
    h.next_frame()
    assert shown(k) == "home"
    h.tap(app.screen("home").ids.take_number)
    h.next_frame()
    assert shown(k) == "services"


def take_ticket(k, letter: str):  # type: ignore[no-untyped-def]
    """Touches a service, then waits, as the citizen does, until the printer is done."""
    jobs_before = len(k.printer.jobs)
    take_number(k.harness, k.app, letter)
    k.harness.next_frame()
    return jobs_before


def test_attract_to_ticket_number_on_screen_equals_database_equals_print(k) -> None:
    tap_through_to_services(k, "English")
    jobs_before = take_ticket(k, "A")
    screen = k.app.screen("ticket")
    number_on_screen = screen.ids.number.text
    ticket = k.app.last_ticket
    record = k.store.get(ticket.id)
    assert record.number == number_on_screen and record.status == "printed"
    assert k.printer.wait_for_jobs(jobs_before + 1, timeout=10)
    job = decode_job(k.printer.jobs[-1])
    assert number_on_screen in [t.strip() for t in job.texts]
    assert job.qr_payloads == [ticket.id.encode()]
    assert screen.ids.outcome_text.text == "Please take your ticket below."
    assert k.app.printer_mark == "ok"
    assert screen.ids.ahead.text == f"People ahead: {k.store.people_ahead(record)}"


def test_next_ticket_counts_the_one_before_as_ahead(k) -> None:
    tap_through_to_services(k, "English")
    take_ticket(k, "C")
    first = k.app.last_ticket
    k.harness.tap(k.app.screen("ticket").ids.done)
    k.harness.next_frame()
    assert shown(k) == "attract"
    tap_through_to_services(k, "Tiếng Việt")
    take_ticket(k, "C")
    second = k.app.last_ticket
    assert int(second.number[1:]) == int(first.number[1:]) + 1
    assert second.people_ahead == first.people_ahead + 1
    ahead = k.app.screen("ticket").ids.ahead.text
    assert ahead == translate("vi", "People ahead: {count}").format(count=second.people_ahead)


def test_kho_ticket_falls_back_to_vietnamese_and_prints_raster_text(k) -> None:
    tap_through_to_services(k, "Kơho")
    assert k.app.lang == "kpm"
    jobs_before = take_ticket(k, "B")
    screen = k.app.screen("ticket")
    assert screen.ids.service.text == k.app.kiosk_config.service("B").name("vi")
    assert k.printer.wait_for_jobs(jobs_before + 1, timeout=10)
    job = decode_job(k.printer.jobs[-1])
    assert screen.ids.number.text in [t.strip() for t in job.texts]
    assert job.images, "Vietnamese text must be printed as raster"
    assert all(img.width <= 576 for img in job.images)


def test_printer_out_of_paper_shows_the_number_with_advice(k) -> None:
    k.printer.set_fault("paper-out")
    tap_through_to_services(k, "English")
    jobs_before = take_ticket(k, "A")
    screen = k.app.screen("ticket")
    record = k.store.get(k.app.last_ticket.id)
    assert screen.ids.number.text == record.number
    assert record.status == "shown_not_printed" and "paper" in record.print_error.lower()
    assert screen.ids.outcome_text.text.startswith("Please note your number.")
    assert len(k.printer.jobs) == jobs_before, "nothing may be printed into an empty printer"
    assert k.app.printer_mark == "fault"  # the discreet mark for staff


def test_language_button_retranslates_every_visible_label(k) -> None:
    tap_through_to_services(k, "English")
    assert k.app.screen("services").children  # services shown in English
    nav = k.app.navbar.ids
    assert nav.home_button.text == "Home"
    k.harness.tap(nav.language_button)
    k.harness.next_frame()
    assert shown(k) == "language"
    vi = [b for b in k.app.screen("language").ids.choices.children if b.text == "Tiếng Việt"]
    k.harness.tap(vi[0])
    k.harness.next_frame()
    k.harness.tap(k.app.screen("identify").ids.skip)
    k.harness.next_frame()
    assert shown(k) == "home"
    assert nav.home_button.text == translate("vi", "Home")
    assert k.app.screen("home").ids.take_number.text == translate("vi", "Take a number")


def test_back_and_home_buttons(k) -> None:
    tap_through_to_services(k, "English")
    nav = k.app.navbar.ids
    k.harness.tap(nav.back_button)
    k.harness.next_frame()
    assert shown(k) == "home"
    k.harness.tap(k.app.screen("home").ids.dossier)
    k.harness.next_frame()
    assert shown(k) == "dossier_code"  # this kiosk has a dossier provider
    k.harness.tap(nav.home_button)
    k.harness.next_frame()
    assert shown(k) == "home"


def test_idle_warning_then_back_to_attract(k) -> None:
    tap_through_to_services(k, "English")
    k.clock.now += k.app.kiosk_config.idle_timeout
    k.harness.wait_until(lambda: k.app.idle_view.parent is not None, "the idle warning")
    k.harness.next_frame()
    assert k.app.idle_view.seconds == 10
    k.clock.now += k.app.kiosk_config.idle_countdown
    k.harness.wait_until(lambda: shown(k) == "attract", "the attract screen")
    assert k.app.idle_view.parent is None and k.app.lang == "vi"


def test_a_touch_during_the_idle_warning_keeps_the_visit(k) -> None:
    tap_through_to_services(k, "English")
    k.clock.now += k.app.kiosk_config.idle_timeout
    k.harness.wait_until(lambda: k.app.idle_view.parent is not None, "the idle warning")
    k.harness.next_frame()
    k.harness.tap(k.app.idle_view.ids.still_here)
    k.harness.next_frame()
    assert k.app.idle_view.parent is None and shown(k) == "services"


def test_escape_and_window_close_do_nothing_in_kiosk_mode(k) -> None:
    assert Window.dispatch("on_request_close") is True  # close vetoed
    assert Window.dispatch("on_keyboard", 27, 0, None, []) is True  # Esc swallowed
    EventLoop.idle()
    assert EventLoop.status not in ("stopped", "closed") and EventLoop.window is Window
    from kivy.config import Config

    assert "disable_multitouch" in Config.get("input", "mouse")


def walk(widget):  # type: ignore[no-untyped-def]
    yield widget
    for child in widget.children:
        yield from walk(child)


def visible_top(widget) -> float | None:  # type: ignore[no-untyped-def]
    """The window y of the top of what can be seen of `widget` (None if nothing can):
    a scrolling list shows only what lies inside its window."""
    from kivy.uix.scrollview import ScrollView

    bottom, top = widget.to_window(widget.x, widget.y)[1], widget.to_window(widget.x, widget.top)[1]
    parent = widget.parent
    while parent is not None and parent is not parent.parent:
        if isinstance(parent, ScrollView):
            s_bottom = parent.to_window(parent.x, parent.y)[1]
            s_top = parent.to_window(parent.x, parent.top)[1]
            bottom, top = max(bottom, s_bottom), min(top, s_top)
        parent = parent.parent
    return top if top > bottom else None


# This test's own choices on the shared walk: a procedure with a long checklist, a
# two-word search, the last service area.
CHOICES = Choices(procedure="HT-02", search="dang ky", service="D")


def test_touch_targets_are_big_reachable_and_no_label_is_clipped(k) -> None:
    """Every screen, every language, normal and extra large text, and high contrast.

    Reachable: every button a citizen can see lies in the lower two thirds of the
    window, within reach from a wheelchair."""
    from kiosk.ui.widgets import IconButton

    buttons_checked = labels_checked = 0
    reach_line = Window.height * 2 / 3
    passes = [(steps, lang, False) for steps in (0, 2) for lang in ("vi", "en", "kpm")]
    passes.append((2, "en", True))  # high contrast: its outlines take room from the words
    for steps, lang, high_contrast in passes:
        k.session.end()
        for name in every_screen(k.harness, k.app, k.printer, k.clock, lang, high_contrast,
                                 steps, CHOICES, provider=k.dossier_provider):
            if name == "attract":
                continue  # the whole screen is its button: a touch anywhere starts
            k.harness.settle()
            where = f"{name}/{lang}/x{k.app.text_scale}/{k.app.palette.name}"
            for w in walk(k.app.root):
                if not w.get_root_window() or not visible(w):
                    continue
                if isinstance(w, ButtonBehavior) and w.opacity > 0 and w.width > 0:
                    # In dp: on a screen other than the kiosk's, dp are scaled to fit it.
                    assert min(w.size) >= dp(theme.TOUCH_MIN_DP) - 0.01, (where, w, w.size)
                    top = visible_top(w)
                    assert top is None or top <= reach_line + 1, (
                        f"{where}: {getattr(w, 'text', w)!r} reaches up to y={top:.0f}, "
                        f"above the lower two thirds (y <= {reach_line:.0f})")
                    buttons_checked += 1
                if isinstance(w, IconButton) and w.opacity > 0 and w.width > 0:
                    assert w.text.strip(), f"{where}: a button with a picture and no words"
                    content = w.children[0]  # icon and words, centred in the button
                    assert content.height <= w.height - 2 * w.padding[1] + 1, (
                        f"{where}: {w.text!r} needs {content.height}, has {w.height}")
                if isinstance(w, Label) and w.text and w.opacity > 0:
                    tw, th = w.texture_size
                    assert tw <= w.width + 1 and th <= w.height + 1, (
                        f"{where}: {w.text!r} needs {w.texture_size}, has {w.size}")
                    labels_checked += 1
        k.session.end()
    assert buttons_checked > 80 and labels_checked > 120, (buttons_checked, labels_checked)


def test_the_window_has_the_size_this_run_is_for(k) -> None:
    """tests/test_ui_suite.py runs the layout check again on other screens (KIOSK_UI_SIZE)."""
    from tests.ui.conftest import UI_SIZE

    assert tuple(Window.size) == UI_SIZE


def test_text_size_button_cycles_and_a_new_visit_starts_normal(k) -> None:
    tap_through_to_services(k, "English")
    nav = k.app.navbar.ids
    title_size = k.app.screen("services").ids.title.font_size
    k.harness.tap(nav.text_size_button)
    k.harness.next_frame()
    assert k.app.text_scale == 1.25
    assert k.app.screen("services").ids.title.font_size == title_size * 1.25
    k.harness.tap(nav.text_size_button)
    k.harness.tap(nav.text_size_button)
    k.harness.next_frame()
    assert k.app.text_scale == 1.0
    k.harness.tap(nav.text_size_button)
    k.session.end()
    k.harness.next_frame()
    assert k.app.text_scale == 1.0


def drawn_words(screen) -> dict[str, tuple[float, float]]:  # type: ignore[no-untyped-def]
    """What `screen` shows of each label with words: the size of its drawn text, and
    checks that the drawing is whole (not clipped by the label) and is the one its text,
    size and language make now (drawn anew, as a label just made would be)."""
    drawn = {}
    for w in walk(screen):
        if not isinstance(w, Label) or not w.text or not visible(w) or w.opacity == 0:
            continue
        fresh = Label(text=w.text, font_size=w.font_size, bold=w.bold,
                      font_name=w.font_name, text_size=w.text_size, halign=w.halign,
                      padding=w.padding, line_height=w.line_height)
        fresh.texture_update()
        assert tuple(w.texture_size) == tuple(fresh.texture_size), (
            f"{w.text!r} is drawn {w.texture_size}, at its size now {fresh.texture_size}")
        tw, th = w.texture_size
        assert tw <= w.width + 1 and th <= w.height + 1, (
            f"{w.text!r} needs {w.texture_size}, has {w.size}")
        drawn[w.text] = (tw, th)
    return drawn


def test_after_a_text_size_or_language_switch_the_next_screens_are_drawn_anew(k) -> None:
    """A switch redraws the screen it is made on at once; the screens not shown are
    redrawn when they are next shown (kiosk/ui/widgets.py FreshLabel): each must then
    show its words at the new size, in the new language, whole."""
    h, app, nav = k.harness, k.app, k.app.navbar.ids
    tap_through_to_services(k, "English")
    normal = drawn_words(app.screen("services"))
    h.tap(nav.back_button)
    h.next_frame()
    assert shown(k) == "home"
    h.tap(nav.text_size_button)
    h.next_frame()
    assert app.text_scale == 1.25
    drawn_words(app.screen("home"))
    h.tap(app.screen("home").ids.take_number)
    h.next_frame()
    assert shown(k) == "services"
    large = drawn_words(app.screen("services"))
    assert normal.keys() == large.keys() and len(large) >= 5, (normal, large)
    for words, (_w, height) in large.items():
        assert height > normal[words][1] * 1.15, f"{words!r} is no larger: {height}"
    # The idle warning, a dialog off the window until now: at the large size too.
    k.clock.now += app.kiosk_config.idle_timeout
    h.wait_until(lambda: app.idle_view.parent is not None, "the idle warning")
    h.next_frame()
    assert drawn_words(app.idle_view)
    h.tap(app.idle_view.ids.still_here)
    h.next_frame()
    # A language switch: the services screen in Vietnamese, at the size chosen.
    h.tap(nav.language_button)
    h.next_frame()
    vi = [b for b in app.screen("language").ids.choices.children if b.text == "Tiếng Việt"]
    h.tap(vi[0])
    h.next_frame()
    h.tap(app.screen("identify").ids.skip)
    h.next_frame()
    h.tap(app.screen("home").ids.take_number)
    h.next_frame()
    assert shown(k) == "services" and app.text_scale == 1.25
    assert translate("vi", "Choose a service") in drawn_words(app.screen("services"))


def try_a_number_that_fails(k):  # type: ignore[no-untyped-def]
    """From attract to a service, whose number cannot be issued: the services screen stays
    and says so. Returns the label that says it."""
    tap_through_to_services(k, "English")
    k.harness.tap(service_button(k.app, "A"))
    k.harness.wait_until(lambda: k.app.issue_problem, "the failure message")
    k.harness.next_frame()
    assert shown(k) == "services"
    problem = k.app.screen("services").ids.problem
    assert problem.opacity == 1
    return problem


def test_a_database_that_cannot_take_a_number_says_so_and_recovers(k) -> None:
    import sqlite3

    from kiosk.store import TicketStore, open_database, sqlite_url

    tickets = k.app.tickets
    path = k.app.kiosk_config.database_path
    real_store = tickets.store
    tickets.store = TicketStore(open_database(sqlite_url(path), busy_timeout=0.2))
    blocker = sqlite3.connect(path, isolation_level=None)
    try:
        blocker.execute("BEGIN EXCLUSIVE")  # another process holds the write lock
        assert try_a_number_that_fails(k).text.startswith("Sorry, no number")
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
        tickets.store = real_store
    take_ticket(k, "A")  # the citizen tries again and gets a number
    assert k.store.get(k.app.last_ticket.id).status == "printed"


def test_contrast_button_turns_the_screen_black_white_and_yellow(k, tmp_path) -> None:
    from PIL import Image

    def pixel(png, widget, dx: float, dy: float):  # type: ignore[no-untyped-def]
        """The colour drawn at (dx, dy) from `widget`'s lower left corner."""
        x, y = widget.to_window(widget.x + dx, widget.y + dy)
        with Image.open(png) as im:
            return im.convert("RGB").getpixel((int(x), int(Window.height - 1 - y)))

    tap_through_to_services(k, "English")
    k.harness.tap(k.app.navbar.ids.home_button)
    k.harness.settle()
    home = k.app.screen("home")
    tile = home.ids.take_number
    normal = k.harness.screenshot(tmp_path / "normal.png")
    assert pixel(normal, home, 4, home.height - 4) == (245, 247, 250)  # the pale paper
    assert pixel(normal, tile, 30, 30) == (11, 46, 89)  # a navy tile

    k.harness.tap(k.app.navbar.ids.contrast_button)
    high = k.harness.screenshot(tmp_path / "high.png")
    assert k.app.palette is theme.HIGH_CONTRAST
    assert pixel(high, home, 4, home.height - 4) == (0, 0, 0)  # black screen
    assert pixel(high, tile, 30, 30) == (255, 219, 0)  # a yellow tile
    assert pixel(high, tile, 1, tile.height / 2) == (255, 255, 255)  # with a white edge

    k.harness.tap(home.ids.take_number)  # the choice lasts while the visit goes on
    k.harness.settle()
    assert shown(k) == "services" and k.app.palette is theme.HIGH_CONTRAST
    k.session.end()
    k.harness.next_frame()
    assert k.app.palette is theme.NORMAL  # the next citizen starts with normal colours


def test_between_citizens_the_kiosk_collects_its_garbage_and_freezes_the_rest(k) -> None:
    import gc
    import weakref

    class Cycle:
        pass

    tap_through_to_services(k, "English")
    left_behind = Cycle()
    left_behind.me = left_behind  # garbage only a full collection finds
    gone = weakref.ref(left_behind)
    del left_behind
    gc.disable()  # no automatic collection may find it first
    try:
        settled = k.app.garbage_settled
        k.session.end()
        k.harness.wait_until(lambda: k.app.garbage_settled > settled, "the collection",
                             max_frames=100_000)
    finally:
        gc.enable()
    assert gone() is None  # the visit's garbage was freed...
    assert gc.get_freeze_count() > 10_000  # ...and what lives on is left out of collections
    # A citizen who comes in before the kiosk gets to it is not made to wait for it.
    settled = k.app.garbage_settled
    k.session.end()
    k.session.start()
    k.app.housekeeping.settle_garbage()
    assert k.app.garbage_settled == settled


def test_what_earlier_visits_left_in_the_frozen_objects_is_collected_once_the_kiosk_is_idle(
        k) -> None:  # type: ignore[no-untyped-def]
    import gc
    import weakref

    from kiosk.ui.housekeeping import FULL_COLLECTION_IDLE_SECONDS

    class Cycle:
        pass

    lived_on = Cycle()
    lived_on.me = lived_on
    gone = weakref.ref(lived_on)
    gc.freeze()  # it lived through a settle: frozen with the rest
    del lived_on  # and is garbage now
    gc.disable()  # no automatic collection may find it first
    try:
        k.session.end()
        k.app.housekeeping.settle_garbage()  # between two citizens: the young objects only
        k.app.housekeeping.look_for_content()  # the kiosk has not stood idle yet
        assert gone() is not None
        k.clock.now += FULL_COLLECTION_IDLE_SECONDS
        k.app.housekeeping.look_for_content()  # nobody for a while: everything
    finally:
        gc.enable()
    assert gone() is None
    assert gc.get_freeze_count() > 10_000  # what lives on is frozen again


def test_the_number_shows_at_once_and_the_printer_outcome_follows(k) -> None:
    """The ticket service hands the number over as soon as it is committed (on the
    issuing thread; tests/test_tickets.py checks the order); the screen shows it with
    "Printing…", then what the printer did. Both states come from the real service."""
    tap_through_to_services(k, "English")
    visit = k.session.visit
    committed: list = []
    final = k.app.tickets.issue_ticket("C", "en", on_number=committed.append)
    k.app.ticket_issuing.number_ready(committed[0], visit)
    k.harness.next_frame()
    screen = k.app.screen("ticket")
    assert shown(k) == "ticket" and screen.ids.number.text == final.number
    assert screen.ids.outcome_text.text == "Printing your ticket…"
    k.app.ticket_issuing.ticket_ready(final, visit)
    k.harness.next_frame()
    assert screen.ids.outcome_text.text == "Please take your ticket below."
    assert k.store.get(final.id).status == "printed"
    # Back before the printer finished: the outcome does not pull the citizen back.
    k.harness.tap(k.app.navbar.ids.home_button)
    k.harness.next_frame()
    k.app.ticket_issuing.ticket_ready(final, visit)
    k.harness.next_frame()
    assert shown(k) == "home"


def test_a_stale_or_late_printer_outcome_stays_out_of_the_way(k) -> None:
    """Outcomes come from the real ticket service; the issuing thread's hand-over to the
    Kivy clock is replaced by calling its two callbacks in the order under test."""
    h, app = k.harness, k.app
    tap_through_to_services(k, "English")
    visit = k.session.visit
    first_number: list = []
    first = app.tickets.issue_ticket("A", "en", on_number=first_number.append)
    app.ticket_issuing.number_ready(first_number[0], visit)
    h.next_frame()
    # Back home and a second number while the first one still prints.
    h.tap(app.navbar.ids.home_button)
    h.settle()
    h.tap(app.screen("home").ids.take_number)
    h.settle()
    second_number: list = []
    second = app.tickets.issue_ticket("B", "en", on_number=second_number.append)
    app.ticket_issuing.number_ready(second_number[0], visit)
    h.next_frame()
    app.ticket_issuing.ticket_ready(first, visit)  # the first ticket's outcome arrives late
    h.next_frame()
    screen = app.screen("ticket")
    assert screen.ids.number.text == second.number and app.last_ticket.id == second.id
    assert screen.ids.outcome_text.text == "Printing your ticket…"
    app.ticket_issuing.ticket_ready(second, visit)
    h.next_frame()
    assert screen.ids.outcome_text.text == "Please take your ticket below."
    # The citizen leaves; the next one is choosing a service when an old number arrives.
    k.session.end()
    h.next_frame()
    tap_through_to_services(k, "English")
    app.ticket_issuing.number_ready(first_number[0], visit)
    app.ticket_issuing.ticket_ready(first, visit)
    h.next_frame()
    assert shown(k) == "services" and app.last_ticket is None
    assert k.session.data.ticket is None and screen.ids.number.text == second.number
