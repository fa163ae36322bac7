"""Staff sign-in, sessions and CSRF on the centre's pages, in the browser and over HTTP."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
import pytest
from pages_helpers import PIN, STAFF, CentreServer, sign_in
from sqlalchemy import update

from kiosk.config import load_config
from kiosk.pins import hash_pin
from kiosk.store import open_database
from kiosk.store.staff import StaffStore, staff_sessions


def http_session(server: CentreServer, name: str = STAFF,
                 pin: str = PIN) -> tuple[httpx.Client, str]:
    """A client signed in over HTTP, and the page's CSRF token."""
    client = httpx.Client(base_url=server.url, verify=False, timeout=10)
    form = client.get("/staff/sign-in?next=/counter/1")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
    signed = client.post("/staff/sign-in", data={"name": name, "pin": pin, "csrf": csrf,
                                                 "next": "/counter/1"})
    assert signed.status_code == 303, signed.text
    page = client.get("/counter/1")
    token = re.search(r'name="csrf-token" content="([^"]+)"', page.text).group(1)
    return client, token


def test_wrong_pin_then_right_pin(context, centre: CentreServer) -> None:  # type: ignore[no-untyped-def]
    centre.start()
    page = context.new_page()
    sign_in(page, centre, pin="9999")
    assert page.locator("#message").inner_text().startswith("Sai tên hoặc mã PIN")
    assert page.input_value("#name") == STAFF  # kept, so only the PIN is typed again
    sign_in(page, centre, name="nguyen thi lan")  # without accents, as the keyboard types
    page.wait_for_url(f"{centre.url}/counter/1")
    assert "Quầy 1" in page.locator("h1").inner_text()
    assert STAFF in page.locator("header").inner_text()


def test_on_screen_keyboard_and_number_pad_sign_in(context, centre: CentreServer) -> None:  # type: ignore[no-untyped-def]
    centre.start()
    page = context.new_page()
    page.goto(f"{centre.url}/staff/sign-in?next=/counter/2")
    for key in "LAN":
        page.click(f"#keyboard .key:text-is('{key}')")
    assert page.input_value("#name") == "Lan"
    for digit in PIN:
        page.click(f"#numpad .key:text-is('{digit}')")
    StaffStore(open_database(centre.db_url)).add("Lan", hash_pin(PIN), None, load_config().now())
    page.click("#numpad .key:text-is('OK')")
    page.wait_for_url(f"{centre.url}/counter/2")


def test_lock_out_refuses_even_the_right_pin(context, centre: CentreServer) -> None:  # type: ignore[no-untyped-def]
    centre.start()
    page = context.new_page()
    for _ in range(4):
        sign_in(page, centre, pin="1111")
        assert "Sai tên hoặc mã PIN" in page.locator("#message").inner_text()
    sign_in(page, centre, pin="1111")
    assert "Nhập sai quá nhiều lần" in page.locator("#message").inner_text()
    centre.kill()
    centre.start()  # a restart does not lift it
    sign_in(page, centre)
    assert "Too many wrong PINs" in page.locator("#message").inner_text()
    assert "/staff/sign-in" in page.url


def test_expired_session_is_sent_to_sign_in(context, centre: CentreServer) -> None:  # type: ignore[no-untyped-def]
    centre.start()
    page = context.new_page()
    sign_in(page, centre)
    page.wait_for_url(f"{centre.url}/counter/1")
    idle = load_config().now() - timedelta(minutes=31)
    with open_database(centre.db_url).begin() as conn:
        conn.execute(update(staff_sessions).values(last_seen_at=idle.isoformat()))
    # A click on the open page is refused with a way back in; nothing is called.
    page.keyboard.press("n")
    status = page.locator("#status")
    status.get_by_text("đăng nhập lại").wait_for()
    # Opened again, the page sends the browser to sign in, saying why.
    page.reload()
    assert "/staff/sign-in" in page.url
    assert "Phiên đã hết hạn" in page.locator("#message").inner_text()


def test_a_session_ended_elsewhere_is_told_on_the_open_page(context,  # type: ignore[no-untyped-def]
                                                            centre: CentreServer) -> None:
    centre.start()
    page = context.new_page()
    sign_in(page, centre)
    page.wait_for_url(f"{centre.url}/counter/1")
    StaffStore(open_database(centre.db_url)).remove(STAFF)  # signed out everywhere
    centre.kill()
    centre.start()  # the page's event stream reconnects and is refused
    page.locator("#status").get_by_text("đăng nhập lại").wait_for()
    assert page.locator("#status a").get_attribute("href").startswith("/staff/sign-in")


def test_twelve_hours_end_a_session_however_busy(centre: CentreServer) -> None:
    centre.start()
    client, _ = http_session(centre)
    old = load_config().now() - timedelta(hours=12, minutes=1)
    with open_database(centre.db_url).begin() as conn:
        conn.execute(update(staff_sessions).values(created_at=old.isoformat()))
    assert client.get("/counter/1").status_code == 303


def test_cookies_are_http_only_strict_and_secure(centre: CentreServer) -> None:
    centre.start()
    client, _ = http_session(centre)
    client.cookies.clear()
    form = client.get("/staff/sign-in")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
    signed = client.post("/staff/sign-in", data={"name": STAFF, "pin": PIN, "csrf": csrf})
    cookie = signed.headers["set-cookie"]
    assert "kiosk_staff=" in cookie
    for attribute in ("HttpOnly", "SameSite=strict", "Secure", "Path=/"):
        assert attribute.lower() in cookie.lower()
    page = client.get("/counter/1")
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert page.headers["cache-control"] == "no-store"


@pytest.mark.parametrize("headers", [{}, {"X-CSRF-Token": "forged"}])
def test_a_post_without_the_sessions_csrf_token_changes_nothing(centre: CentreServer,  # type: ignore[no-untyped-def]
                                                                headers) -> None:
    from kiosk.store import TicketStore

    engine = open_database(centre.db_url)
    TicketStore(engine).allocate("A", "vi", load_config().now())
    centre.start()
    client, _ = http_session(centre)
    answer = client.post("/api/counters/1/call", json={"request_id": "r" * 16},
                         headers=headers)
    assert answer.status_code == 401 and answer.json()["error"]
    from kiosk.store.calls import CounterDesk

    assert CounterDesk(engine).current(1, load_config().now().date()) is None


def test_the_sessions_csrf_token_lets_the_post_through(centre: CentreServer) -> None:
    centre.start()
    client, token = http_session(centre)
    answer = client.post("/api/counters/1/call", json={"request_id": "r" * 16},
                         headers={"X-CSRF-Token": token})
    assert answer.status_code == 409 and answer.json()["error"] == "no one waiting"


def test_sign_in_form_needs_its_own_token(shared_centre: CentreServer) -> None:
    client = httpx.Client(base_url=shared_centre.url, verify=False, timeout=10)
    answer = client.post("/staff/sign-in", data={"name": STAFF, "pin": PIN, "csrf": "x"})
    assert answer.status_code == 403 and "kiosk_staff" not in answer.headers.get(
        "set-cookie", "")


@pytest.mark.parametrize("next_page", ["//evil.example/", "https://evil.example/",
                                       "/counter/1/../../x", "/\\evil.example"])
def test_sign_in_never_sends_the_browser_elsewhere(shared_centre: CentreServer,
                                                   next_page: str) -> None:
    client = httpx.Client(base_url=shared_centre.url, verify=False, timeout=10)
    form = client.get("/staff/sign-in")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
    answer = client.post("/staff/sign-in", data={"name": STAFF, "pin": PIN, "csrf": csrf,
                                                 "next": next_page})
    assert answer.headers["location"] == "/counter"


def test_counter_limits_and_unknown_counters(centre: CentreServer) -> None:
    StaffStore(open_database(centre.db_url)).add("Hùng", hash_pin("90210"), (2,),
                                                 load_config().now())
    centre.start()
    client, _ = http_session(centre)
    assert client.get("/counter/99").status_code == 404
    limited = httpx.Client(base_url=centre.url, verify=False, timeout=10)
    form = limited.get("/staff/sign-in")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
    signed = limited.post("/staff/sign-in", data={"name": "Hung", "pin": "90210",
                                                  "csrf": csrf})
    assert signed.headers["location"] == "/counter/2"  # the one counter they may use
    refused = limited.get("/counter/1")
    assert refused.status_code == 403 and "You may not use counter 1" in refused.text
    token = re.search(r'name="csrf-token" content="([^"]+)"',
                      limited.get("/counter/2").text).group(1)
    elsewhere = limited.post("/api/counters/1/pause", json={"request_id": "p" * 16},
                             headers={"X-CSRF-Token": token})
    assert elsewhere.status_code == 401
    from kiosk.store.calls import CounterDesk

    assert not CounterDesk(open_database(centre.db_url)).is_paused(1)


def test_sign_out_ends_the_session(centre: CentreServer) -> None:
    centre.start()
    client, token = http_session(centre)
    page = client.get("/counter/1")
    form_csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    assert client.post("/staff/sign-out", data={"csrf": form_csrf}).status_code == 303
    assert client.get("/counter/1").status_code == 303
    again = client.post("/api/counters/1/call", json={"request_id": "r" * 16},
                        headers={"X-CSRF-Token": token})
    assert again.status_code == 401


def test_the_statistics_ask_for_sign_in_and_come_back_to_the_day_asked(
        context, shared_centre: CentreServer) -> None:  # type: ignore[no-untyped-def]
    page = context.new_page()
    page.goto(f"{shared_centre.url}/stats?day=2026-11-30")
    assert "/staff/sign-in" in page.url  # nobody signed in: the figures are for staff
    page.fill("#name", STAFF)
    page.fill("#pin", PIN)
    page.click("#submit")
    page.wait_for_url("**/stats?day=2026-11-30")
    assert "No ratings in this period" in page.locator("body").inner_text()  # an empty day
