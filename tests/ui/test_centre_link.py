"""The kiosk in a centre, on the real window: the link's staff mark beside the printer's,
numbers by touch through the centre and from the lease when it is down, and a scanned
ticket's state as the centre (or, offline, the kiosk) knows it."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from kiosk.session import Screen
from kiosk.ui import theme

REPEAT_WINDOW = 1.1  # drivers/scanner: open_scanner's dedupe_window, and a little
LAST_SCAN: dict[str, float] = {}
LANGS = {"vi": "Tiếng Việt", "en": "English", "kpm": "Kơho", "rad": "Klei Êđê"}


def link_mark_colour(k) -> tuple:  # type: ignore[no-untyped-def]
    """The colour of the dot on the header's centre-link mark, as drawn."""
    from kivy.graphics import Color

    [mark] = [w.ids.link_mark for w in k.app.root.walk() if "link_mark" in w.ids]
    return tuple([i for i in mark.canvas.children if isinstance(i, Color)][-1].rgba)


def shots_dir(tmp_path: Path) -> Path:
    """Where the pictures of the changed screens go: KIOSK_LINK_SHOTS, else a temp folder."""
    folder = Path(os.environ.get("KIOSK_LINK_SHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def size_tag() -> str:
    return os.environ.get("KIOSK_UI_SIZE", "1080x1920")


def choose_language(k, lang: str) -> None:  # type: ignore[no-untyped-def]
    h, app = k.harness, k.app
    h.tap(app.screen("attract"))
    h.next_frame()
    [button] = [b for b in app.screen("language").ids.choices.children if b.text == LANGS[lang]]
    h.tap(button)
    h.next_frame()
    h.tap(app.screen("identify").ids.skip)
    h.next_frame()


def take_number_by_touch(k, lang: str, letter: str):  # type: ignore[no-untyped-def]
    from kiosk.ui.journey import take_number

    k.session.end()  # the previous citizen has gone
    k.harness.settle(2)
    choose_language(k, lang)
    k.harness.tap(k.app.screen("home").ids.take_number)
    k.harness.next_frame()
    take_number(k.harness, k.app, letter)
    k.harness.next_frame()
    return k.app.last_ticket


def scan(k, ticket_id: str, lang: str | None = None):  # type: ignore[no-untyped-def]
    """The citizen (having chosen `lang` by touch, if given) holds the ticket's QR under the
    real scanner; the status screen."""
    k.session.end()
    k.harness.settle(2)
    if lang is not None:
        choose_language(k, lang)
    # The scanner reports a code held under it again only after its repeat window (1 s).
    since = LAST_SCAN.get(ticket_id)
    if since is not None:
        k.harness.wait_until(lambda: time.monotonic() > since + REPEAT_WINDOW,
                             "the scanner's repeat window", max_frames=100_000)
    assert k.scanner.scan(ticket_id.encode())
    LAST_SCAN[ticket_id] = time.monotonic()
    k.harness.wait_until(lambda: k.session.screen is Screen.TICKET_STATUS, "ticket status")
    k.harness.settle()
    return k.app.screen("ticket_status")


@pytest.fixture
def linked(k, tmp_path):  # type: ignore[no-untyped-def]
    """The session's kiosk given a centre link; alone again afterwards."""
    holder: dict = {}

    def attach(link) -> None:  # type: ignore[no-untyped-def]
        holder["link"] = link
        k.app.tickets.link = link
        k.app.centre_status.watch()

    yield attach
    link = holder.get("link")
    k.app.tickets.link = None
    k.app.centre_status.watch()
    if link is not None:
        link.stop()
    # The kiosk leaves that centre: its blocks and outbox were that centre's business (a
    # made-up lease must not serve the next test's centre).
    from sqlalchemy import delete

    from kiosk.store.link import link_leases, link_outbox, link_refused

    with k.store.engine.begin() as conn:
        for table in (link_leases, link_outbox, link_refused):
            conn.execute(delete(table))


def test_offline_the_mark_turns_red_and_a_number_comes_from_the_lease(k, linked, tmp_path):  # type: ignore[no-untyped-def]
    from tests.centre_server import offline_link

    assert link_mark_colour(k) is not None and k.app.link_mark == "none"
    link = offline_link(k.store.engine, k.app.tickets.today())
    linked(link)
    jobs = len(k.printer.jobs)
    ticket = take_number_by_touch(k, "vi", "B")
    assert ticket.from_lease and ticket.number.startswith("B5") and ticket.printed
    assert k.printer.wait_for_jobs(jobs + 1, timeout=10)
    k.harness.wait_until(lambda: k.app.link_mark == "fault", "the mark to turn red")
    k.harness.settle()
    assert link_mark_colour(k) == theme.PRINTER_MARK["fault"]
    assert k.app.link_detail.startswith("offline since ")
    folder = shots_dir(tmp_path)
    k.harness.screenshot(folder / f"ticket-offline-vi-{size_tag()}.png")
    screen = scan(k, ticket.id)
    assert screen.ids.number.text == ticket.number
    assert screen.ids.ahead.text.startswith("Số người chờ trước: ")
    assert screen.ids.as_of.text.startswith("Hiện không kết nối được với trung tâm.")
    for lang in LANGS:
        scan(k, ticket.id, lang)
        k.harness.screenshot(folder / f"ticket-status-offline-{lang}-{size_tag()}.png")
    assert link.links.outbox_size() == 1  # waiting for the centre, kept in the kiosk's SQLite


def serve_some(centre, service: str, count: int, minutes: int) -> None:  # type: ignore[no-untyped-def]
    """`count` tickets of `service` issued at the centre earlier today, each called and
    served `minutes` later: enough for the centre to estimate waits."""
    from datetime import datetime, timedelta

    from kiosk.store import TicketStore
    from kiosk.store.calls import CounterDesk

    store, desk = TicketStore(centre.engine), CounterDesk(centre.engine)
    now = datetime.now(centre_tz())
    start = max(now.replace(hour=0, minute=1, second=0, microsecond=0),
                now - timedelta(minutes=minutes * (count + 1)))
    for i in range(count):
        at = start + timedelta(seconds=i)
        store.allocate(service, "vi", at)
        desk.call_next(9, [service], at, f"early-call-{service}-{i}")
        desk.served(9, at + timedelta(minutes=minutes), f"early-served-{service}-{i}")


def centre_tz():  # type: ignore[no-untyped-def]
    from tests.centre_server import TZ

    return TZ


def test_online_the_mark_is_green_and_a_scan_follows_the_ticket_at_the_centre(
        k, linked, tmp_path):  # type: ignore[no-untyped-def]
    from datetime import datetime

    from kiosk.store.calls import CounterDesk
    from tests.centre_server import make_centre

    centre = make_centre(tmp_path / "centre")
    centre.start()
    try:
        link = centre.kiosk_link(k.store.engine, "lobby-1")
        linked(link)
        assert link.sync_once()
        k.harness.wait_until(lambda: k.app.link_mark == "ok", "the mark to turn green")
        k.harness.settle()
        assert link_mark_colour(k) == theme.PRINTER_MARK["ok"]
        folder = shots_dir(tmp_path)
        serve_some(centre, "C", 5, 6)  # today's service times: about 6 min each
        ticket = take_number_by_touch(k, "en", "C")
        assert not ticket.from_lease and ticket.number == "C006" and ticket.printed
        k.harness.screenshot(folder / f"ticket-online-en-{size_tag()}.png")
        behind = take_number_by_touch(k, "vi", "C")
        assert behind.people_ahead == 1 and behind.wait_minutes is not None
        screen = scan(k, behind.id, "en")
        assert screen.ids.ahead.text.startswith("People ahead: 1\nEstimated wait: about ")
        assert screen.ids.as_of.text == ""  # live
        for lang in LANGS:
            scan(k, behind.id, lang)
            k.harness.screenshot(folder / f"ticket-status-waiting-{lang}-{size_tag()}.png")
        desk = CounterDesk(centre.engine)
        now = datetime.now(centre_tz())
        assert desk.call_next(4, ["C"], now, "call-mine-1").ticket.id == ticket.id
        screen = scan(k, ticket.id, "vi")
        assert screen.ids.ahead.text == "Số của Ông/Bà đã được gọi: mời đến quầy 4."
        for lang in LANGS:
            scan(k, ticket.id, lang)
            k.harness.screenshot(folder / f"ticket-status-called-{lang}-{size_tag()}.png")
        desk.served(4, now, "served-mine-1")
        assert scan(k, ticket.id, "en").ids.ahead.text == "This ticket has been served."
        desk.call_next(4, ["C"], now, "call-behind")
        desk.no_show(4, now, "no-show-behind")
        screen = scan(k, behind.id, "en")
        assert screen.ids.ahead.text.startswith("This number was called and nobody came.")
        k.harness.screenshot(folder / f"ticket-status-missed-en-{size_tag()}.png")
        centre.stop()  # the network goes down: the lease serves, the mark turns red
        leased = take_number_by_touch(k, "vi", "C")
        assert leased.from_lease and leased.number == "C500"
        k.harness.wait_until(lambda: k.app.link_mark == "fault", "the mark to turn red")
        centre.start()
        assert link.sync_once() and link.links.outbox_size() == 0
        k.harness.wait_until(lambda: k.app.link_mark == "ok", "the mark to turn green again")
        assert scan(k, leased.id, "vi").ids.as_of.text == ""  # the centre has it now
    finally:
        centre.stop()
        centre.engine.dispose()
