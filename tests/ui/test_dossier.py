"""Dossier status in the real window: a code typed on the on-screen keyboard by touches, a
receipt scanned through the real scanner, and the reference provider over a real socket,
healthy, down, or not knowing the code."""

from __future__ import annotations

from kiosk.session import Screen

READY = "000.00.15.H42-251020-0042"  # kiosk/dossier_ref.py DEMO_DOSSIERS: ready
IN_PROGRESS = "H42.123.45-251103-AB0012"  # in progress, "Đăng ký kết hôn"
RECEIVED = "000.00.15.H42-250701-0001"  # received; looked up by no other UI test


def to_home(k, lang_name: str) -> None:  # type: ignore[no-untyped-def]
    h, app = k.harness, k.app
    h.tap(app.screen("attract"))
    h.next_frame()
    [button] = [b for b in app.screen("language").ids.choices.children if b.text == lang_name]
    h.tap(button)
    h.next_frame()
    h.tap(app.screen("identify").ids.skip)
    h.next_frame()
    assert app.manager.current == "home"


def to_code_screen(k) -> None:  # type: ignore[no-untyped-def]
    """From the attract screen to the dossier code screen, in English, by touches."""
    to_home(k, "English")
    k.harness.tap(k.app.screen("home").ids.dossier)
    k.harness.next_frame()
    assert k.app.manager.current == "dossier_code"


def key(k, text: str):  # type: ignore[no-untyped-def]
    [button] = [b for b in k.app.screen("dossier_code").ids.keyboard.children
                if b.text == text]
    return button


def type_by_touch(k, code: str) -> None:  # type: ignore[no-untyped-def]
    for char in code:
        k.harness.tap(key(k, char))
    k.harness.next_frame()


def check(k) -> None:  # type: ignore[no-untyped-def]
    """Touches Check and waits, as the citizen does, for the answer or a message."""
    session = k.session
    k.harness.tap(k.app.screen("dossier_code").ids.check)
    k.harness.wait_until(lambda: not session.data.dossier_checking and (
        session.screen is Screen.DOSSIER_STATUS or bool(session.data.dossier_message)),
        "the provider's answer")
    k.harness.settle()


def test_a_code_typed_on_the_keyboard_shows_its_status(k) -> None:  # type: ignore[no-untyped-def]
    to_home(k, "English")
    tile = k.app.screen("home").ids.dossier
    assert tile.kind == "action" and tile.subtitle == ""  # a provider is configured
    k.harness.tap(tile)
    k.harness.next_frame()
    assert k.app.manager.current == "dossier_code"
    screen = k.app.screen("dossier_code")
    assert screen.ids.check.disabled  # nothing typed yet
    type_by_touch(k, READY[:-1] + "9")
    k.harness.tap(key(k, "Delete"))  # a slip of the finger, put right
    type_by_touch(k, READY[-1])
    assert screen.ids.code.text == READY + "_"
    check(k)
    assert k.app.manager.current == "dossier_status"
    status = k.app.screen("dossier_status")
    assert status.ids.status.text == "Ready to collect"
    assert status.ids.pictogram.source.endswith("dossier_ready.png")
    assert status.ids.procedure.text == "Procedure: Chứng thực bản sao từ bản chính"
    assert status.ids.updated.text == "Last change: 28/10/2025"
    assert status.ids.as_of.text == ""  # a fresh answer has no age to tell
    k.harness.tap(status.ids.another)
    k.harness.next_frame()
    assert k.app.manager.current == "dossier_code" and screen.ids.code.text == "_"


def test_a_scanned_receipt_shows_its_status_in_the_citizens_language(k) -> None:  # type: ignore[no-untyped-def]
    to_home(k, "Tiếng Việt")
    assert k.scanner.scan(f"https://dichvucong.example.gov.vn/tra-cuu/{IN_PROGRESS}".encode())
    k.harness.wait_until(lambda: k.session.screen is Screen.DOSSIER_STATUS, "the status")
    k.harness.settle()
    status = k.app.screen("dossier_status")
    assert status.ids.status.text == "Đang giải quyết"
    assert status.ids.procedure.text == "Thủ tục: Đăng ký kết hôn"
    k.harness.tap(status.ids.done)
    k.harness.next_frame()
    assert k.app.manager.current == "home"


def test_a_receipt_scanned_on_the_attract_screen_starts_a_visit(k) -> None:  # type: ignore[no-untyped-def]
    assert k.app.manager.current == "attract"
    assert k.scanner.scan(READY.encode())
    k.harness.wait_until(lambda: k.session.screen is Screen.DOSSIER_STATUS, "the status")
    k.harness.settle()
    assert k.app.screen("dossier_status").ids.status.text == "Đã có kết quả"
    k.harness.tap(k.app.navbar.ids.back_button)
    k.harness.next_frame()
    assert k.app.manager.current == "dossier_code"


def test_with_the_provider_down_the_last_answer_shows_as_of_its_time(k) -> None:  # type: ignore[no-untyped-def]
    to_code_screen(k)
    k.app.type_dossier_code(IN_PROGRESS)
    check(k)
    asked_at = k.session.data.dossier_result.answer.fetched_at.strftime("%H:%M")
    k.dossier_provider.set_fault("down")
    k.harness.tap(k.app.screen("dossier_status").ids.another)
    k.harness.next_frame()
    type_by_touch(k, IN_PROGRESS)
    check(k)
    status = k.app.screen("dossier_status")
    assert k.app.manager.current == "dossier_status"
    assert status.ids.status.text == "Being processed"
    assert status.ids.as_of.text.startswith(f"As of {asked_at}. The dossier service cannot")
    # A code never asked before: nothing to show, and the citizen is told calmly.
    k.harness.tap(status.ids.another)
    k.harness.next_frame()
    k.app.type_dossier_code(RECEIVED)
    check(k)
    assert k.app.manager.current == "dossier_code"
    assert k.app.screen("dossier_code").ids.message.text.startswith(
        "Dossier status cannot be checked just now.")


def test_an_unknown_or_malformed_code_gets_a_calm_message(k) -> None:  # type: ignore[no-untyped-def]
    to_code_screen(k)
    screen = k.app.screen("dossier_code")
    type_by_touch(k, "000.00.15.H42-251231-9999")
    check(k)
    assert k.app.manager.current == "dossier_code"
    assert screen.ids.message.text.startswith("No dossier with this code was found.")
    k.harness.tap(key(k, "Delete"))  # typing again: the instruction is back
    k.harness.next_frame()
    assert screen.ids.message.text.startswith("Type the code on your receipt")
    k.app.type_dossier_code("")
    type_by_touch(k, "123-45")
    check(k)
    assert screen.ids.message.text == ("This is not a dossier code. Please check the code on "
                                       "your receipt.")


def test_the_status_screen_forgets_the_dossier_when_the_visit_ends(k) -> None:  # type: ignore[no-untyped-def]
    to_code_screen(k)
    k.app.type_dossier_code(READY)
    check(k)
    k.clock.now += k.app.kiosk_config.idle_timeout + 1
    k.session.tick()  # "are you still there?"
    k.clock.now += k.app.kiosk_config.idle_countdown + 1
    k.session.tick()
    k.harness.wait_until(lambda: k.app.manager.current == "attract", "the attract screen")
    assert k.session.data.dossier_result is None and k.session.data.dossier_code == ""


def test_a_slow_provider_shows_checking_then_a_calm_message(k) -> None:  # type: ignore[no-untyped-def]
    returned = "H42.123.45-251015-AB0003"  # looked up by no other UI test: nothing kept
    to_code_screen(k)
    k.dossier_provider.set_fault("slow")  # answers after 5 s; the kiosk waits 1 s
    k.app.type_dossier_code(returned)
    k.harness.settle()
    screen = k.app.screen("dossier_code")
    asked = k.dossier_provider.requests
    k.harness.tap(screen.ids.check)
    k.harness.next_frame()
    assert screen.ids.checking.text == "Checking…" and screen.ids.check.disabled
    k.harness.tap(key(k, "A"))  # the keyboard waits too
    k.app.check_dossier()  # and a second Check asks nothing more
    k.harness.wait_until(lambda: not k.session.data.dossier_checking, "the timeout")
    # The provider counts a lookup when its thread gets to it: on a loaded machine that
    # can be after the kiosk gave up waiting.
    k.harness.wait_until(lambda: k.dossier_provider.requests > asked, "the lookup to arrive")
    k.harness.settle()
    assert k.dossier_provider.requests == asked + 1
    assert screen.ids.code.text == returned + "_" and screen.ids.checking.text == ""
    assert screen.ids.message.text.startswith("Dossier status cannot be checked just now.")
