"""kiosk/centre/live.py: the Notifier wakes waiting streams after a change made by any
connection (SQLite: polling the events table; PostgreSQL: LISTEN/NOTIFY), and the event
stream sends state, then heartbeats, and goes quiet while the database is unreadable."""

from __future__ import annotations

import asyncio
import json
from concurrent.futures import ThreadPoolExecutor

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pages_helpers import STAFF, CentreServer
from sqlalchemy.exc import OperationalError

from kiosk.centre.live import Notifier, event_stream
from kiosk.centre.staff_auth import NEXT_PAGE, safe_next
from kiosk.config import load_config
from kiosk.store import TicketStore, open_database
from kiosk.store.calls import CounterDesk

BOUND = 10.0  # seconds; a wake-up is expected within about one poll (0.5 s)


def run_async(coroutine):  # type: ignore[no-untyped-def]
    """asyncio.run on a thread of its own: Playwright's sync API (the session's browser)
    keeps an event loop running on the main thread."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result(timeout=3 * BOUND)


def test_a_change_by_another_connection_wakes_the_waiter(any_db_url) -> None:  # type: ignore[no-untyped-def]
    engine = open_database(any_db_url)
    notifier = Notifier(engine).start()
    other = open_database(any_db_url)  # as another process would: its own engine
    TicketStore(other).allocate("A", "vi", load_config().now())

    async def scenario() -> tuple[int, int]:
        # Let the watcher see the state before the call (first poll / LISTEN set up).
        await notifier.wait_change(0, BOUND)
        await asyncio.sleep(0)
        before = notifier.version
        await asyncio.to_thread(CounterDesk(other).call_next, 1, ["A"], load_config().now(),
                                "live-test-call")
        after = await notifier.wait_change(before, BOUND)
        return before, after

    try:
        before, after = run_async(scenario())
    finally:
        notifier.stop()
    assert after > before


def test_stream_sends_state_then_heartbeats_and_nothing_while_unreadable(tmp_path) -> None:  # type: ignore[no-untyped-def]
    notifier = Notifier(open_database(f"sqlite:///{tmp_path / 'c.sqlite3'}"))
    readable = [True]
    reads = []

    async def read_state() -> dict:
        reads.append(1)
        if not readable[0]:
            raise OperationalError("SELECT 1", {}, Exception("database is down"))
        return {"waiting": {"A": len(reads)}}

    async def scenario() -> list[str]:
        stream = event_stream(notifier, read_state, load_config().now, heartbeat=0.05)
        seen = [await anext(stream) for _ in range(3)]  # retry, state, heartbeat
        readable[0] = False
        notifier.bump()  # a change it cannot read: no state, and no heartbeat either
        nothing = asyncio.ensure_future(anext(stream))
        done, _ = await asyncio.wait({nothing}, timeout=0.3)
        seen.append("nothing" if not done else "something")
        readable[0] = True
        seen.append((await asyncio.wait_for(nothing, BOUND)).decode())
        await stream.aclose()
        return [s if isinstance(s, str) else s.decode() for s in seen]

    try:
        retry, state, heartbeat, quiet, back = run_async(scenario())
    finally:
        notifier.stop()
    assert retry.startswith("retry: ")
    assert state.startswith("event: state") and json.loads(state.split("data: ")[1])
    assert heartbeat.startswith("event: heartbeat") and '"clock"' in heartbeat
    assert quiet == "nothing"
    assert back.startswith("event: state")


def test_stream_ends_when_no_longer_allowed(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A display revoked (or a session ended) while its stream is open stops getting
    updates at the next check."""
    notifier = Notifier(open_database(f"sqlite:///{tmp_path / 'c.sqlite3'}"))
    allowed: list[bool | None] = [True]

    async def read_state() -> dict:
        return {"waiting": {}}

    async def still_allowed() -> bool:
        if allowed[0] is None:
            raise OperationalError("SELECT 1", {}, Exception("database is down"))
        return allowed[0]

    async def scenario() -> list[bytes]:
        stream = event_stream(notifier, read_state, load_config().now, heartbeat=0.05,
                              still_allowed=still_allowed, recheck=0.1)
        first = [await anext(stream) for _ in range(3)]
        allowed[0] = None  # cannot be told for a while: the stream goes on
        first += [await anext(stream) for _ in range(4)]
        allowed[0] = False
        return first + [m async for m in stream]  # ends by itself

    try:
        messages = run_async(scenario())
    finally:
        notifier.stop()
    assert messages[1].startswith(b"event: state")
    assert len(messages) < 30  # a few heartbeats until the check, then the end


def test_display_events_over_http(centre: CentreServer) -> None:
    """The SSE response as a browser gets it: content type, a state, then heartbeats."""
    centre.start()
    from test_pages_auth import http_session

    client, _ = http_session(centre)
    with client.stream("GET", "/display/events") as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        events = []
        for line in response.iter_lines():
            if line.startswith("event: "):
                events.append(line.removeprefix("event: "))
            if events.count("heartbeat") == 2:
                break
    assert events[0] == "state"


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_sign_in_goes_only_to_our_pages(text: str) -> None:
    target = safe_next(text)
    assert NEXT_PAGE.fullmatch(target) and not target.startswith("//")


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(name=st.text(max_size=80), pin=st.text(max_size=12), next_page=st.text(max_size=30),
       csrf=st.text(max_size=40))
def test_fuzzed_sign_in_forms_get_a_page_never_a_failure(shared_centre, name: str, pin: str,  # type: ignore[no-untyped-def]
                                                         next_page: str, csrf: str) -> None:
    with httpx.Client(base_url=shared_centre.url, verify=False, timeout=10) as client:
        form = client.get("/staff/sign-in")
        token = form.cookies.get("kiosk_sign_in") if csrf == "" else csrf
        answer = client.post("/staff/sign-in", data={"name": name, "pin": pin,
                                                     "next": next_page, "csrf": token})
    assert answer.status_code in (303, 401, 403, 429), answer.text
    if answer.status_code == 303:
        assert name.strip() and NEXT_PAGE.fullmatch(answer.headers["location"])
    assert STAFF not in answer.text or name


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(lang=st.text(max_size=12), name=st.text(max_size=24),
       counter=st.integers(min_value=0, max_value=10**6))
def test_fuzzed_page_addresses_get_an_answer_never_a_failure(shared_centre, lang: str,  # type: ignore[no-untyped-def]
                                                             name: str, counter: int) -> None:
    from urllib.parse import quote

    with httpx.Client(base_url=shared_centre.url, verify=False, timeout=10) as client:
        sound = client.get(f"/audio/call/{quote(lang, safe='')}/{quote(name, safe='')}/"
                           f"{counter}.wav")
        desk = client.get(f"/counter/{counter}")
        code = client.get("/display/enrol", params={"code": name})
    assert sound.status_code in (401, 404)  # not a display: refused, or no such address
    assert desk.status_code == 303  # not signed in: to the sign-in page
    assert code.status_code == 400 and "Mã đăng ký không dùng được" in code.text
