"""Rating the service by touch: faces, reasons, thanks, stored anonymously."""

from __future__ import annotations

import sqlite3

from kiosk.session import Screen


def shown(k) -> str:  # type: ignore[no-untyped-def]
    return k.app.manager.current


def go_home(k, language: str) -> None:  # type: ignore[no-untyped-def]
    h = k.harness
    h.settle()
    h.tap(k.app.screen("attract"))
    h.settle()  # a person taps only what has been drawn
    [b] = [b for b in k.app.screen("language").ids.choices.children if b.text == language]
    h.tap(b)
    h.settle()
    h.tap(k.app.screen("identify").ids.skip)
    h.settle()
    assert shown(k) == "home"


def rows(k) -> list[tuple]:  # type: ignore[no-untyped-def]
    with sqlite3.connect(k.app.kiosk_config.database_path) as db:
        return db.execute("SELECT level, reasons, service, ticket_id FROM ratings "
                          "ORDER BY id").fetchall()


def level_button(k, level: str):  # type: ignore[no-untyped-def]
    [b] = [b for b in k.app.screen("rating").ids.levels.children if b.level == level]
    return b


def test_a_happy_citizen_rates_from_home(k) -> None:  # type: ignore[no-untyped-def]
    before = len(rows(k))
    go_home(k, "Tiếng Việt")
    k.harness.tap(k.app.screen("home").ids.rating)
    k.harness.settle()
    assert shown(k) == "rating"
    faces = [b.text for b in reversed(k.app.screen("rating").ids.levels.children)]
    assert faces == ["Rất hài lòng", "Hài lòng", "Không hài lòng"]
    k.harness.tap(level_button(k, "very_satisfied"))
    k.harness.next_frame()
    assert shown(k) == "home" and k.app.banner == "Cảm ơn Ông/Bà đã đánh giá!"
    assert rows(k)[before:] == [("very_satisfied", "", None, None)]


def test_an_unhappy_citizen_gives_reasons_for_the_scanned_ticket(k) -> None:  # type: ignore[no-untyped-def]
    before = len(rows(k))
    ticket = k.app.tickets.issue_ticket("D", "en")
    go_home(k, "English")
    assert k.scanner.scan(ticket.id.encode())
    k.harness.wait_until(lambda: k.session.screen is Screen.TICKET_STATUS, "ticket status")
    k.harness.settle()
    k.harness.tap(k.app.screen("ticket_status").ids.rate)
    k.harness.settle()
    k.harness.tap(level_button(k, "unsatisfied"))
    k.harness.settle()
    assert shown(k) == "rating_reasons"
    reasons = {b.code: b for b in k.app.screen("rating_reasons").ids.reasons.children}
    k.harness.tap(reasons["waiting_time"])
    k.harness.tap(reasons["staff_attitude"])
    k.harness.tap(reasons["staff_attitude"])  # changed their mind
    k.harness.next_frame()
    k.harness.tap(k.app.screen("rating_reasons").ids.send)
    k.harness.next_frame()
    assert shown(k) == "home" and k.app.banner == "Thank you for your rating!"
    # Anonymous: the service is kept, the ticket (which may link to a person) is not.
    assert rows(k)[before:] == [("unsatisfied", "waiting_time", "D", None)]


def test_a_recorded_prompt_plays_in_its_own_language_only(k) -> None:  # type: ignore[no-untyped-def]
    import shutil
    import wave

    from kiosk.content import content_dir

    # A content update brings a K'Ho recording of the home screen.
    folder = content_dir(k.app.kiosk_config) / "audio" / "kpm"
    folder.mkdir(parents=True)
    recording = folder / "home.wav"
    with wave.open(str(recording), "wb") as w:  # a silent stand-in, not a voice
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\x00\x00" * 800)
    try:
        go_home(k, "Kơho")
        assert k.app.prompt_playing == recording
        listen = k.app.root.children[1].ids.listen  # the Listen bar above the navigation
        assert k.app.prompt_available and listen.get_root_window() is not None
        k.app.prompts.playing = None
        k.harness.settle()
        k.harness.tap(listen)
        assert k.app.prompt_playing == recording  # played again
        k.session.end()
        go_home(k, "Tiếng Việt")  # no Vietnamese recording: nothing plays, no Listen
        assert k.app.prompt_playing is None and not k.app.prompt_available
    finally:
        shutil.rmtree(content_dir(k.app.kiosk_config))


def scan_ticket(k, ticket_id: str) -> None:  # type: ignore[no-untyped-def]
    """The ticket's QR read (straight to the app: the scanner reports a paper held up
    again within seconds only once, tests/drivers check that)."""
    from kiosk.scans import classify

    k.app.on_scan(classify(ticket_id.encode()))
    k.harness.settle()
    assert k.session.screen is Screen.TICKET_STATUS


def rate_offered(k) -> bool:  # type: ignore[no-untyped-def]
    rate = k.app.screen("ticket_status").ids.rate
    return rate.opacity > 0 and not rate.disabled and rate.height > 0


def test_a_scanned_ticket_is_rated_once(k) -> None:  # type: ignore[no-untyped-def]
    before = len(rows(k))
    ticket = k.app.tickets.issue_ticket("B", "en")
    go_home(k, "English")
    scan_ticket(k, ticket.id)
    assert rate_offered(k)
    k.harness.tap(k.app.screen("ticket_status").ids.rate)
    k.harness.settle()
    k.harness.tap(level_button(k, "satisfied"))
    k.harness.settle()
    assert shown(k) == "home"
    scan_ticket(k, ticket.id)  # the same paper again, in the same visit or the next
    screen = k.app.screen("ticket_status")
    assert not rate_offered(k)
    assert screen.ids.rated.text == "This ticket has been rated. Thank you!"
    k.session.end()
    k.harness.settle()
    scan_ticket(k, ticket.id)
    assert not rate_offered(k)
    k.app.rate_scanned_ticket()  # even if a rating were started, it is not stored twice
    k.harness.settle()
    k.app.rate("very_satisfied")
    k.harness.settle()
    assert rows(k)[before:] == [("satisfied", "", "B", None)]


def test_a_rating_from_home_after_a_ticket_counts_for_its_service(k) -> None:  # type: ignore[no-untyped-def]
    from kiosk.ui.journey import take_number

    before = len(rows(k))
    go_home(k, "English")
    k.harness.tap(k.app.screen("home").ids.take_number)
    take_number(k.harness, k.app, "C")
    ticket = k.app.last_ticket
    k.harness.tap(k.app.navbar.ids.home_button)
    k.harness.settle()
    k.harness.tap(k.app.screen("home").ids.rating)
    k.harness.settle()
    k.harness.tap(level_button(k, "very_satisfied"))
    k.harness.settle()
    assert rows(k)[before:] == [("very_satisfied", "", "C", None)]
    scan_ticket(k, ticket.id)  # that ticket has had its rating
    assert not rate_offered(k)
