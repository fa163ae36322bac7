"""The lobby display in chromium: a call made at the counter page shows up through the
event stream with its chime, "not updated since" when the centre goes away, and the page
finds the centre again by itself."""

from __future__ import annotations

import wave

import httpx
import pytest
from pages_helpers import STALE_AFTER, CentreServer, prepare_database, sign_in

from kiosk.config import load_config
from kiosk.store import TicketStore, open_database

CHIMES = "window.chimesPlayed"
PLAYED = "document.getElementById('chime').played.length"


def issue(server: CentreServer, *services: str) -> list[str]:
    store = TicketStore(open_database(server.db_url))
    return [store.allocate(s, "vi", load_config().now()).number for s in services]


def open_display(context, server: CentreServer):  # type: ignore[no-untyped-def]
    """The display page, opened by a signed-in staff member (a display terminal's cookie
    is tested in test_display_enrolment)."""
    page = context.new_page()
    sign_in(page, server, "/display")
    page.wait_for_url(f"{server.url}/display")
    page.locator("#waiting li").first.wait_for()  # the first state has arrived
    return page


def open_counter(context, server: CentreServer, counter: int = 1):  # type: ignore[no-untyped-def]
    page = context.new_page()
    page.goto(f"{server.url}/counter/{counter}")
    page.wait_for_url(f"{server.url}/counter/{counter}")
    return page


@pytest.fixture
def any_centre(any_db_url, tmp_path, tls_files):  # type: ignore[no-untyped-def]
    """A centre on SQLite (events polled) or PostgreSQL (LISTEN/NOTIFY)."""
    prepare_database(any_db_url)
    server = CentreServer(any_db_url, tls_files, tmp_path / "server.log")
    yield server
    server.kill()


def test_a_call_at_the_counter_shows_on_the_display_with_its_chime(context, any_centre) -> None:  # type: ignore[no-untyped-def]
    first, _ = issue(any_centre, "A", "A")
    any_centre.start()
    display = open_display(context, any_centre)
    display.locator("#waiting li[data-service=A] b").get_by_text("2").wait_for()
    assert display.locator("#now-number").inner_text() == "—"
    assert display.evaluate(CHIMES) == 0  # the state found on arrival is not announced
    counter = open_counter(context, any_centre)
    counter.click("button[data-action=call]")
    display.locator("#now-number").get_by_text(first).wait_for()
    assert display.locator("#now-counter").inner_text() == "1"
    display.locator("#waiting li[data-service=A] b").get_by_text("1").wait_for()
    display.wait_for_function(f"() => {CHIMES} === 1 && {PLAYED} > 0")
    # No recordings for any language today: the number flashes instead.
    assert "flash" in display.locator("#now-number").get_attribute("class")
    # A recall is announced again; it is the same number, called twice.
    counter.locator("body:not(.busy)").wait_for()
    counter.click("button[data-action=recall]")
    display.wait_for_function(f"() => {CHIMES} === 2")
    assert display.locator("#now-number").inner_text() == first


def test_not_updated_since_then_back_by_itself(context, centre: CentreServer) -> None:  # type: ignore[no-untyped-def]
    issue(centre, "A")
    centre.start()
    display = open_display(context, centre)
    clock = display.locator("#clock").inner_text()
    stale = display.locator("#stale")
    assert stale.is_hidden()
    centre.kill()
    # Waits (bounded by the page timeout) for the page's own STALE_AFTER to pass.
    stale.get_by_text(f"Chưa cập nhật từ {clock}").wait_for()
    assert f"Not updated since {clock}" in stale.inner_text()
    assert STALE_AFTER < 15
    centre.start()
    stale.wait_for(state="hidden")
    # The new stream carries calls made after the restart.
    counter = open_counter(context, centre)
    counter.click("button[data-action=call]")
    display.locator("#now-number").get_by_text("A001").wait_for()
    display.wait_for_function(f"() => {CHIMES} === 1")


def test_a_call_made_while_the_display_was_cut_off_is_announced(context,  # type: ignore[no-untyped-def]
                                                                centre: CentreServer) -> None:
    issue(centre, "A")
    centre.start()
    display = open_display(context, centre)
    centre.kill()
    display.locator("#stale").wait_for()
    from kiosk.store.calls import CounterDesk

    CounterDesk(open_database(centre.db_url)).call_next(1, ["A"], load_config().now(),
                                                        "outage-call-1")
    centre.start()
    display.locator("#now-number").get_by_text("A001").wait_for()
    display.wait_for_function(f"() => {CHIMES} === 1")


def test_the_display_needs_enrolment_or_staff(centre: CentreServer) -> None:
    centre.start()
    client = httpx.Client(base_url=centre.url, verify=False, timeout=10)
    page = client.get("/display")
    assert page.status_code == 401 and "not enrolled" in page.text
    assert client.get("/display/events").status_code == 401


def test_display_enrolment_sets_its_cookie(context, centre: CentreServer) -> None:  # type: ignore[no-untyped-def]
    from kiosk.centre.terminals import Terminals

    code, _ = Terminals(open_database(centre.db_url)).new_code("display", "lobby-tv")
    centre.start()
    page = context.new_page()
    page.goto(f"{centre.url}/display/enrol?code={code}")
    page.wait_for_url(f"{centre.url}/display")
    page.locator("#waiting li").first.wait_for()
    cookie = next(c for c in context.cookies() if c["name"] == "kiosk_display")
    assert cookie["httpOnly"] and cookie["secure"] and cookie["sameSite"] == "Strict"
    # The code was for one use.
    again = context.browser.new_context(ignore_https_errors=True).new_page()
    again.goto(f"{centre.url}/display/enrol?code={code}")
    assert "already been used" in again.content()
    again.context.close()
    # Revoked: the open page finds out when its stream reconnects, and says so.
    Terminals(open_database(centre.db_url)).revoke("lobby-tv")
    centre.kill()
    centre.start()
    page.get_by_text("not enrolled").wait_for()


def test_the_chime_is_a_short_wav() -> None:
    from kiosk.centre.web import CHIME

    with wave.open(str(CHIME)) as chime:
        seconds = chime.getnframes() / chime.getframerate()
        assert chime.getnchannels() == 1 and 0.5 < seconds < 3


def record_segments(data_dir, lang: str, names: set[str]) -> None:  # type: ignore[no-untyped-def]
    """Speech-like takes (drivers/sim/voice.py) where the voice studio keeps them."""
    from drivers.audio.clip import write_clip
    from drivers.sim.voice import speech_like

    folder = data_dir / "content" / "audio" / lang / "segments"
    folder.mkdir(parents=True, exist_ok=True)
    for i, name in enumerate(sorted(names)):
        write_clip(folder / f"{name}.ogg", speech_like(seconds=0.15, seed=i, lead=0.02,
                                                      tail=0.02))


def test_each_language_with_its_segments_calls_after_the_chime(context, centre: CentreServer,  # type: ignore[no-untyped-def]
                                                               tmp_path) -> None:
    """The centre assembles the call in each language whose segments are all recorded
    (one WAV each) and the page plays them after the chime, in the config's order; a
    language missing a segment is not heard at all, and the number does not flash."""
    import io

    import soundfile

    data = tmp_path / "data"
    record_segments(data, "vi", {"invite", "a", "1", "to_counter"})  # mời số A một … một
    record_segments(data, "kpm", {"invite", "a", "0", "1", "to_counter"})  # A 0 0 1 … 1
    record_segments(data, "en", {"invite", "a", "0", "1"})  # "to counter" not recorded
    centre.options = ["--data-dir", str(data)]
    issue(centre, "A")
    centre.start()
    display = open_display(context, centre)
    open_counter(context, centre).click("button[data-action=call]")
    display.wait_for_function("() => window.callsPlayed.length === 2")
    assert display.evaluate("window.callsPlayed") == ["/audio/call/vi/A001/1.wav",
                                                      "/audio/call/kpm/A001/1.wav"]
    assert display.evaluate(CHIMES) == 1
    assert "flash" not in (display.locator("#now-number").get_attribute("class") or "")
    # What the page fetched: one WAV per language, the segments and their pauses.
    vi = display.request.get(f"{centre.url}/audio/call/vi/A001/1.wav")
    assert vi.status == 200 and vi.headers["content-type"] == "audio/wav"
    samples, rate = soundfile.read(io.BytesIO(vi.body()))
    from drivers.audio.clip import read_clip

    folder = data / "content" / "audio" / "vi" / "segments"
    parts = [read_clip(folder / f"{n}.ogg") for n in ("invite", "a", "1", "to_counter", "1")]
    assert len(samples) == sum(p.frames for p in parts) + 4 * round(0.15 * rate)
    assert display.request.get(f"{centre.url}/audio/call/en/A001/1.wav").status == 404
    assert display.request.get(f"{centre.url}/audio/call/vi/A001/9.wav").status == 404
    # Only a display or staff may have calls made.
    anonymous = httpx.get(f"{centre.url}/audio/call/vi/A001/1.wav", verify=False, timeout=10)
    assert anonymous.status_code == 401
