"""Double taps: the second touch of a double tap must not act on the screen the first one
opened (a service never chosen, "Done" on a number never seen, English on the attract
screen). Real touches at one window position; the time between them is the session's
hand-moved clock, so nothing sleeps."""

from __future__ import annotations

import sqlite3

import pytest
from kivy.uix.behaviors import ButtonBehavior

from kiosk.session import Screen
from kiosk.ui.harness import Finger, dispatch_input, visible
from kiosk.ui.journey import Choices, every_screen

INTERVALS = (0.06, 0.15, 0.3, 0.5, 0.8)  # seconds between the two taps, as measured


def window_pos(widget) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    return widget.to_window(*widget.center)


def touch_at(pos: tuple[float, float], began_ago: float = 0.0) -> None:
    """A finger down and up at `pos`; `began_ago`: it came down that many seconds before
    Kivy got it (queued behind a slow frame)."""
    touch = Finger(*pos)
    touch.time_start -= began_ago
    touch.touch_down()
    dispatch_input()
    touch.touch_up()
    dispatch_input()


def double_tap(k, widget, interval: float, drawn_between: bool = True) -> None:  # type: ignore[no-untyped-def]
    """Taps `widget` (which changes the screen), then again at the same place `interval`
    seconds later; `drawn_between`: the new screen reached the glass before the second."""
    h = k.harness
    h.until_touches_count()
    pos = window_pos(widget)
    touch_at(pos)
    if drawn_between:
        h.next_frame()
    k.clock.now += interval
    touch_at(pos)
    h.settle()


def state(k) -> tuple:  # type: ignore[no-untyped-def]
    """What a touch that acted would have changed."""
    s = k.session
    with sqlite3.connect(k.app.kiosk_config.database_path) as db:
        tickets = db.execute("SELECT count(*) FROM tickets").fetchone()[0]
        ratings = db.execute("SELECT count(*) FROM ratings").fetchone()[0]
    return (s.screen, s.lang, s.data.service, s.data.text_size, s.data.high_contrast,
            s.data.issuing, getattr(s.data.ticket, "id", None), tickets, ratings)


def to_home(k) -> None:  # type: ignore[no-untyped-def]
    h = k.harness
    h.tap(k.app.screen("attract"))
    [vi] = [b for b in k.app.screen("language").ids.choices.children if b.lang == "vi"]
    h.tap(vi)
    h.tap(k.app.screen("identify").ids.skip)
    h.settle()
    assert k.session.screen is Screen.HOME


@pytest.mark.parametrize("interval", INTERVALS)
@pytest.mark.parametrize("drawn_between", [True, False])
def test_double_tap_on_take_a_number_issues_nothing(k, interval, drawn_between) -> None:  # type: ignore[no-untyped-def]
    to_home(k)
    before = state(k)
    double_tap(k, k.app.screen("home").ids.take_number, interval, drawn_between)
    assert k.session.screen is Screen.SERVICES
    assert k.app.manager.current == "services"
    assert state(k)[1:] == before[1:], "the second tap chose a service"


@pytest.mark.parametrize("interval", INTERVALS)
def test_double_tap_on_attract_does_not_choose_a_language(k, interval) -> None:  # type: ignore[no-untyped-def]
    h = k.harness
    h.tap(k.app.screen("attract"))  # where English is on the language screen
    h.settle()
    [en] = [b for b in k.app.screen("language").ids.choices.children if b.lang == "en"]
    pos = window_pos(en)
    k.session.end()
    h.settle()
    h.until_touches_count()
    touch_at(pos)  # the attract screen: a touch anywhere starts
    h.next_frame()
    k.clock.now += interval
    touch_at(pos)
    h.settle()
    assert k.session.screen is Screen.LANGUAGE and k.session.lang == "vi"


@pytest.mark.parametrize("interval", INTERVALS)
def test_double_tap_for_a_number_with_no_paper_leaves_the_number_on_screen(k, interval) -> None:  # type: ignore[no-untyped-def]
    k.printer.set_fault("paper-out")
    h = k.harness
    to_home(k)
    k.app.open_feature("procedures")
    k.app.choose_category("civil_status")
    k.app.choose_procedure("HT-01")
    h.settle()
    h.until_touches_count()
    pos = window_pos(k.app.screen("procedure").ids.take_number)
    touch_at(pos)
    h.wait_until(lambda: k.session.screen is Screen.TICKET, "the ticket screen")
    h.wait_until(lambda: not k.app.last_ticket.pending, "the printer's outcome")
    h.next_frame()
    k.clock.now += interval
    touch_at(pos)  # where "Done" is now
    h.settle()
    assert k.session.screen is Screen.TICKET and k.app.manager.current == "ticket"
    assert not k.app.last_ticket.printed
    # Once the number has been on the screen a while, Done works.
    k.clock.now += 1.5
    touch_at(window_pos(k.app.screen("ticket").ids.done))
    h.settle()
    assert k.session.screen is Screen.ATTRACT


def test_a_touch_that_began_before_the_screen_changed_does_not_act(k) -> None:  # type: ignore[no-untyped-def]
    """A finger that came down on the attract screen, delivered late (behind a slow frame),
    does not choose on the language screen, however long after it is delivered."""
    h = k.harness
    h.tap(k.app.screen("attract"))
    h.settle()
    k.clock.now += 5
    [en] = [b for b in k.app.screen("language").ids.choices.children if b.lang == "en"]
    touch_at(window_pos(en), began_ago=6)
    h.settle()
    assert k.session.screen is Screen.LANGUAGE and k.session.lang == "vi"
    touch_at(window_pos(en))  # a touch of its own: it chooses
    h.settle()
    assert k.session.lang == "en"


def test_no_button_on_any_screen_acts_in_the_screen_s_first_moments(k) -> None:  # type: ignore[no-untyped-def]
    """Every screen the walk shows, every button on it (the navigation bar's too), touched
    60-800 ms after the screen appeared, as the end of a double tap: nothing changes. A
    screen with a number also holds Done and Home at 1.4 s."""
    touched = 0
    passed_by: list[str] = []
    for name in every_screen(k.harness, k.app, k.printer, k.clock, "en",
                             choices=Choices(procedure="HT-02")):
        if name == "idle":
            continue  # not a screen: any touch answers "are you still there?"
        k.harness.next_frame()
        shown_at = k.app.touch_guard.drawn_at
        if k.clock.now > shown_at:
            passed_by.append(name)  # the walk itself touched it: its first moments are gone
            continue
        before = state(k)
        intervals = INTERVALS + ((1.4,) if k.session.screen in (Screen.TICKET,
                                                                Screen.TICKET_STATUS) else ())
        buttons = [w for w in k.app.root.walk(restrict=True) if isinstance(w, ButtonBehavior)
                   and w.get_root_window() and visible(w) and w.width > 0 and w.height > 0]
        assert buttons, name
        for interval in intervals:
            k.clock.now = shown_at + interval
            for button in buttons:
                touch_at(window_pos(button))
                touched += 1
            k.harness.next_frame()
            assert state(k) == before, f"{name}: a touch {interval * 1000:.0f} ms in acted"
            assert k.app.manager.current == k.session.screen.value
    # Passed by: three steps that stay on the screen before (an unknown dossier's message
    # on the code screen, a larger text, a message over the ticket's status), and one the
    # walk taps in.
    assert passed_by == ["dossier-code-unknown", "rating-reasons", "services-xl",
                         "unknown-code"], passed_by
    assert touched > 300, touched
