"""The counter page in chromium: each click changes the database once, refusals are a
clear line, and a click survives the centre going away and coming back."""

from __future__ import annotations

import pytest
from pages_helpers import CentreServer, prepare_database, sign_in
from sqlalchemy import func, select

from kiosk.config import load_config
from kiosk.store import TicketStore, open_database
from kiosk.store.calls import CounterDesk
from kiosk.store.db import ticket_events


def issue(server: CentreServer, *services: str) -> list[str]:
    store = TicketStore(open_database(server.db_url))
    return [store.allocate(s, "vi", load_config().now()).number for s in services]


def events(server: CentreServer, kind: str) -> int:
    with open_database(server.db_url).connect() as conn:
        return conn.execute(select(func.count()).select_from(ticket_events)
                            .where(ticket_events.c.kind == kind)).scalar_one()


def current(server: CentreServer, counter: int = 1):  # type: ignore[no-untyped-def]
    return CounterDesk(open_database(server.db_url)).current(counter, load_config().now().date())


def open_counter(context, server: CentreServer, counter: int = 1):  # type: ignore[no-untyped-def]
    page = context.new_page()
    sign_in(page, server, f"/counter/{counter}")
    page.wait_for_url(f"{server.url}/counter/{counter}")
    return page


def wait_idle(page) -> None:  # type: ignore[no-untyped-def]
    """Until no click is in flight (the buttons are enabled again)."""
    page.wait_for_function("() => !document.body.classList.contains('busy')")


def test_call_next_then_served_change_the_database_once(context, centre: CentreServer) -> None:  # type: ignore[no-untyped-def]
    first, second = issue(centre, "A", "A")
    centre.start()
    page = open_counter(context, centre)
    page.locator("#waiting li[data-service=A] .count").get_by_text("2").wait_for()
    page.click("button[data-action=call]")
    page.locator("#current-number").get_by_text(first).wait_for()
    wait_idle(page)
    assert events(centre, "called") == 1
    assert current(centre).number == first
    page.locator("#waiting li[data-service=A] .count").get_by_text("1").wait_for()
    page.keyboard.press("x")  # Xong / Served, from the keyboard
    page.locator("#status").get_by_text("Xong").wait_for()
    page.locator("#current-number").get_by_text("—").wait_for()
    assert events(centre, "served") == 1 and current(centre) is None
    page.keyboard.press("n")
    page.locator("#current-number").get_by_text(second).wait_for()


def test_empty_queue_is_a_clear_line(context, centre: CentreServer) -> None:  # type: ignore[no-untyped-def]
    centre.start()
    page = open_counter(context, centre)
    page.click("button[data-action=call]")
    status = page.locator("#status")
    status.get_by_text("Không còn ai chờ").wait_for()
    assert "no one waiting" in status.inner_text()
    assert events(centre, "called") == 0


def test_refusals_name_what_to_do(context, centre: CentreServer) -> None:  # type: ignore[no-untyped-def]
    issue(centre, "A", "A")
    centre.start()
    page = open_counter(context, centre)
    page.click("button[data-action=no-show]")
    page.locator("#status").get_by_text("vắng mặt chỉ sau khi gọi").wait_for()
    page.click("button[data-action=call]")
    wait_idle(page)
    page.click("button[data-action=call]")
    page.locator("#status").get_by_text("Quầy còn số chưa xong").wait_for()
    assert events(centre, "called") == 1


def test_a_click_during_an_outage_is_retried_and_applied_once(context,  # type: ignore[no-untyped-def]
                                                             centre: CentreServer) -> None:
    (number,) = issue(centre, "A")
    centre.start()
    page = open_counter(context, centre)
    centre.kill()
    page.click("button[data-action=call]")
    page.locator("#status").get_by_text("Đang thử lại").wait_for()
    # Meanwhile the buttons are disabled and the keys do nothing: no second click.
    assert page.locator("button[data-action=call]").is_disabled()
    page.keyboard.press("n")
    page.keyboard.press("r")
    centre.start()
    page.locator("#status").get_by_text(f"Đã gọi {number}").wait_for()
    wait_idle(page)
    assert events(centre, "called") == 1 and events(centre, "recalled") == 0
    assert current(centre).calls == 1


def test_an_answer_lost_after_the_change_is_not_applied_twice(context,  # type: ignore[no-untyped-def]
                                                              centre: CentreServer) -> None:
    issue(centre, "A", "A")
    centre.options = ["--lose-first-answer"]
    centre.start()
    page = open_counter(context, centre)
    page.click("button[data-action=call]")
    page.locator("#status").get_by_text("Đã gọi A001").wait_for()
    wait_idle(page)
    assert events(centre, "called") == 1
    assert current(centre).number == "A001"


def test_transfer_to_another_service_and_pause(context, centre: CentreServer) -> None:  # type: ignore[no-untyped-def]
    (number,) = issue(centre, "A")
    centre.start()
    page = open_counter(context, centre)
    page.keyboard.press("n")
    page.locator("#current-number").get_by_text(number).wait_for()
    wait_idle(page)
    page.keyboard.press("t")
    page.locator("#transfer").get_by_text("Transfer to service").wait_for()
    page.keyboard.press("2")  # the second service in the config: B
    page.locator("#status").get_by_text("Đã chuyển").wait_for()
    assert current(centre) is None and events(centre, "transferred") == 1
    wait_idle(page)
    page.keyboard.press("p")
    page.locator("#paused").wait_for()
    assert page.locator("#pause-label").inner_text().startswith("Tiếp tục")
    wait_idle(page)
    page.keyboard.press("n")
    page.locator("#status").get_by_text("Quầy đang tạm dừng").wait_for()


def test_a_click_while_postgresql_restarts_completes_once(context, pg_cluster, db_url,  # type: ignore[no-untyped-def]
                                                          tls_files, tmp_path) -> None:
    """The centre's database goes down under a click: the page says it is retrying, and
    once the database is back the ticket is called once."""
    if not pg_cluster.restartable:
        pytest.skip("KIOSK_TEST_PG_URL names a server these tests cannot stop")
    prepare_database(db_url)
    server = CentreServer(db_url, tls_files, tmp_path / "server.log")
    (number,) = issue(server, "A")
    server.start()
    try:
        page = open_counter(context, server)
        pg_cluster.stop_server()
        try:
            page.click("button[data-action=call]")
            page.locator("#status").get_by_text("Đang thử lại").wait_for()
            assert page.locator("button[data-action=call]").is_disabled()
            # A page opened meanwhile says so calmly.
            other = context.new_page()
            answer = other.goto(f"{server.url}/counter/1")
            assert answer.status == 503
            assert "cannot reach its database" in other.content()
            other.close()
        finally:
            pg_cluster.start_server()
        page.locator("#status").get_by_text(f"Đã gọi {number}").wait_for()
        wait_idle(page)
        assert events(server, "called") == 1 and current(server).calls == 1
    finally:
        server.kill()
