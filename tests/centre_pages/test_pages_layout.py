"""The pages laid out on the screens they are for: nothing clipped, nothing overlapping,
no scrolling. Screenshots go to $PAGES_SHOTS when it is set (to look at them)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from kiosk.store.calls import CounterDesk
from pages_helpers import CentreServer, sign_in

from kiosk.config import load_config
from kiosk.store import TicketStore, open_database

# Every element that must be whole on screen, per page.
DISPLAY_PARTS = ("header h1", "#clock", ".now .label", "#now-number", "#now-counter-line",
                 ".recent", ".waiting")
COUNTER_PARTS = ("header h1", "#current-number", "#current-detail", ".waiting",
                 *(f"button[data-action={a}]" for a in ("call", "recall", "start", "served",
                                                         "no-show", "transfer", "pause")))

# Measured in the page: parts outside the window, parts whose text overflows its box,
# and pairs of parts that overlap.
CHECK = """(selectors) => {
  const out = [];
  const boxes = selectors.map((s) => [s, document.querySelector(s).getBoundingClientRect()]);
  for (const [s, r] of boxes) {
    if (r.left < 0 || r.top < 0 || r.right > innerWidth + 0.5 || r.bottom > innerHeight + 0.5)
      out.push(s + " outside the window");
    const e = document.querySelector(s);
    if (e.scrollWidth > e.clientWidth + 1 || e.scrollHeight > e.clientHeight + 1)
      out.push(s + " clips its content");
  }
  for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
    const [a, p] = boxes[i], [b, q] = boxes[j];
    if (p.left < q.right - 1 && q.left < p.right - 1 && p.top < q.bottom - 1 && q.top < p.bottom - 1
        && !document.querySelector(a).contains(document.querySelector(b))
        && !document.querySelector(b).contains(document.querySelector(a)))
      out.push(a + " overlaps " + b);
  }
  if (document.documentElement.scrollHeight > innerHeight + 1) out.push("the page scrolls");
  return out;
}"""


def busy_day(server: CentreServer) -> None:
    """Tickets in every service, eight calls made: a full display."""
    engine = open_database(server.db_url)
    store, desk = TicketStore(engine), CounterDesk(engine)
    for service in "ABCDE" * 3:
        store.allocate(service, "vi", load_config().now())
    for i in range(8):
        counter = 1 + i % 6
        desk.call_next(counter, ["A", "B", "C", "D", "E"], load_config().now(), f"layout-call-{i}")
        desk.served(counter, load_config().now(), f"layout-served-{i}")
    desk.call_next(2, ["A"], load_config().now(), "layout-call-last")


def shoot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    folder = os.environ.get("PAGES_SHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"))


@contextmanager
def screen(browser, server: CentreServer, width: int, height: int, where: str) -> Iterator:  # type: ignore[no-untyped-def]
    """A page of a busy day on a screen of this size, signed in, at `where`."""
    busy_day(server)
    server.start()
    context = browser.new_context(ignore_https_errors=True,
                                  viewport={"width": width, "height": height})
    try:
        page = context.new_page()
        sign_in(page, server, where)
        page.wait_for_url(f"{server.url}{where}")
        yield page
    finally:
        context.close()


@pytest.mark.parametrize("width, height", [(1920, 1080), (1080, 1920), (1366, 768)])
def test_display_fits_the_screen(browser, centre: CentreServer, width: int, height: int) -> None:  # type: ignore[no-untyped-def]
    with screen(browser, centre, width, height, "/display") as page:
        page.locator("#now-number").get_by_text("A").wait_for()
        page.evaluate("document.fonts.ready")
        assert page.evaluate("document.fonts.check('700 40px \"Noto Sans\"', 'Mời số')")
        assert page.evaluate(CHECK, list(DISPLAY_PARTS)) == []
        shoot(page, f"display-{width}x{height}")


@pytest.mark.parametrize("width, height", [(1366, 768), (1920, 1080)])
def test_counter_page_fits_the_screen(browser, centre: CentreServer, width: int,  # type: ignore[no-untyped-def]
                                      height: int) -> None:
    with screen(browser, centre, width, height, "/counter/2") as page:
        page.locator("#current-number").get_by_text("A").wait_for()
        page.evaluate("document.fonts.ready")
        assert page.evaluate(CHECK, list(COUNTER_PARTS)) == []
        shoot(page, f"counter-{width}x{height}")
        page.keyboard.press("t")
        shoot(page, f"counter-transfer-{width}x{height}")
        page.keyboard.press("Escape")
        page.goto(f"{centre.url}/staff/sign-in")
        shoot(page, f"sign-in-{width}x{height}")
