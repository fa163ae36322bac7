"""The pages laid out on the screens they are for: nothing clipped, nothing overlapping,
no scrolling. Screenshots go to $PAGES_SHOTS when it is set (to look at them)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from pages_helpers import CentreServer, sign_in

from kiosk.config import load_config
from kiosk.store import TicketStore, open_database
from kiosk.store.calls import CounterDesk

# Every element that must be whole on screen, per page.
DISPLAY_PARTS = ("header h1", "#clock", ".now .label", "#now-number", "#now-counter-line",
                 ".recent", ".recent li:last-child", ".waiting", ".waiting li:last-child")
COUNTER_PARTS = ("header h1", "header .who", "#current-number", "#current-detail", ".waiting",
                 *(f"button[data-action={a}]" for a in ("call", "recall", "start", "served",
                                                         "no-show", "transfer", "pause")))

# Measured in the page: parts outside the window, parts cut by a container that hides
# overflow (or wider than their own box), and pairs of parts that overlap.
CHECK = """(selectors) => {
  const out = [];
  const parts = selectors.map((s) => [s, document.querySelector(s)]);
  const inside = (r, c) => r.left >= c.left - 0.5 && r.top >= c.top - 0.5
    && r.right <= c.right + 0.5 && r.bottom <= c.bottom + 0.5;
  for (const [s, e] of parts) {
    const r = e.getBoundingClientRect();
    if (!inside(r, {left: 0, top: 0, right: innerWidth, bottom: innerHeight}))
      out.push(s + " outside the window");
    if (e.scrollWidth > e.clientWidth + 1) out.push(s + " is wider than its box");
    for (let a = e.parentElement; a; a = a.parentElement) {
      if (getComputedStyle(a).overflow !== "visible" && !inside(r, a.getBoundingClientRect()))
        out.push(s + " is cut by its container");
    }
  }
  for (let i = 0; i < parts.length; i++) for (let j = i + 1; j < parts.length; j++) {
    const [a, e] = parts[i], [b, f] = parts[j];
    const p = e.getBoundingClientRect(), q = f.getBoundingClientRect();
    if (p.left < q.right - 1 && q.left < p.right - 1 && p.top < q.bottom - 1
        && q.top < p.bottom - 1 && !e.contains(f) && !f.contains(e))
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
        shoot(page, f"display-{width}x{height}")
        assert page.evaluate(CHECK, list(DISPLAY_PARTS)) == []


@pytest.mark.parametrize("width, height", [(1366, 768), (1920, 1080)])
def test_counter_page_fits_the_screen(browser, centre: CentreServer, width: int,  # type: ignore[no-untyped-def]
                                      height: int) -> None:
    with screen(browser, centre, width, height, "/counter/2") as page:
        page.locator("#current-number").get_by_text("A").wait_for()
        page.evaluate("document.fonts.ready")
        shoot(page, f"counter-{width}x{height}")
        assert page.evaluate(CHECK, list(COUNTER_PARTS)) == []
        page.keyboard.press("t")
        shoot(page, f"counter-transfer-{width}x{height}")
        page.keyboard.press("Escape")
        page.goto(f"{centre.url}/staff/sign-in")
        shoot(page, f"sign-in-{width}x{height}")
