"""The centre's pages for people: staff sign-in, the counter page, the lobby display.

`page_routes(ctx)` is mounted by kiosk/centre/app.py beside the JSON API. The counter
page's buttons post to the API (`/api/counters/{n}/{action}`, kiosk/centre/api.py), which
accepts a staff session through kiosk/centre/staff_auth.py. What the pages show comes as
server-sent events (kiosk/centre/live.py).
"""

from __future__ import annotations

import contextlib
import html
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from kiosk.centre import live
from kiosk.centre.call_audio import CallAudio
from kiosk.centre.live import Notifier, event_stream
from kiosk.centre.pages import STATIC_DIR, page, page_route
from kiosk.centre.staff_auth import (
    SignInPages,
    StaffRefused,
    check_staff,
    set_cookie,
)
from kiosk.content import audio_dirs
from kiosk.paths import ASSETS, FONTS

if TYPE_CHECKING:
    from kiosk.centre.context import CentreContext
    from kiosk.config import Config
    from kiosk.store.staff import StaffMember, StaffSession

STALE_AFTER_SECONDS = 10.0  # the pages say "not updated since" after this long unheard
DISPLAY_COOKIE = "kiosk_display"
CHIME = ASSETS / "audio" / "chime.wav"


@contextlib.asynccontextmanager
async def lifespan(ctx: CentreContext) -> AsyncIterator[None]:
    """Beside the app (kiosk/centre/app.py): the notifier's thread watches the database
    from start-up, so the first display to connect is not the one that starts it."""
    if ctx.notifier is None:
        ctx.notifier = Notifier(ctx.engine)
    ctx.notifier.start()
    try:
        yield
    finally:
        ctx.notifier.stop()


def page_routes(ctx: CentreContext, heartbeat: float | None = None,
                stale_after: float | None = None) -> list[Route | Mount]:
    """The pages' routes. `heartbeat` and `stale_after` (seconds; default the module's
    HEARTBEAT_SECONDS and STALE_AFTER_SECONDS) are shortened by tests."""
    if ctx.notifier is None:
        ctx.notifier = Notifier(ctx.engine)
    pages = Pages(ctx, heartbeat or live.HEARTBEAT_SECONDS, stale_after or STALE_AFTER_SECONDS)
    return [
        *SignInPages(ctx).routes(),
        page_route("/counter", pages.counters),
        page_route("/counter/{counter:int}", pages.counter),
        page_route("/counter/{counter:int}/events", pages.counter_events),
        page_route("/display", pages.display),
        page_route("/display/events", pages.display_events),
        page_route("/display/enrol", pages.display_enrol),
        page_route("/audio/chime.wav", pages.chime),
        # A call spoken in one language, assembled from its segments (call_audio.py).
        page_route("/audio/call/{lang}/{number}/{counter:int}.wav", pages.call),
        Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
        Mount("/fonts", StaticFiles(directory=FONTS), name="fonts"),
    ]


# What the pages show -------------------------------------------------------------------


def services_of(config: Config, counter: int) -> list[str]:
    return [area.letter for area in config.services if counter in area.counters]


def all_counters(config: Config) -> list[int]:
    return sorted({c for area in config.services for c in area.counters})


def services_json(config: Config) -> str:
    return json.dumps([{"letter": a.letter, "vi": a.name("vi"), "en": a.name("en")}
                       for a in config.services], ensure_ascii=False)


def _call(ticket) -> dict:  # type: ignore[no-untyped-def]
    return {"number": ticket.number, "counter": ticket.counter, "calls": ticket.calls,
            "service": ticket.queue}


def display_state(ctx: CentreContext, calls: CallAudio | None = None) -> dict:
    """What GET /api/display/state answers (kiosk/centre/api.py), with the centre's clock
    (HH:MM) that the page shows and uses for "not updated since", and the languages the
    call now shown can be spoken in (`now.voices`, the config's order): those whose call
    assembles from recorded segments, which `calls` then holds ready for the page."""
    from kiosk.centre.api import display_state as api_state

    state = api_state(ctx)
    now = state["now"]
    if now is not None:
        voices = ([lang for lang in ctx.config.languages
                   if calls.wav(lang, now["number"], now["counter"]) is not None]
                  if calls is not None else [])
        state = {**state, "now": {**now, "voices": voices}}
    return {**state, "clock": f"{datetime.fromisoformat(state['at']):%H:%M}"}


def counter_state(ctx: CentreContext, counter: int) -> dict:
    now = ctx.config.now()
    ticket = ctx.desk.current(counter, now.date())
    waiting = ctx.desk.waiting_counts(now.date())
    return {
        "counter": counter,
        "paused": ctx.desk.is_paused(counter),
        "current": None if ticket is None else {**_call(ticket),
                                                "queue_state": ticket.queue_state},
        "waiting": {s: waiting.get(s, 0) for s in services_of(ctx.config, counter)},
        "clock": f"{now:%H:%M}",
    }


def refusal(status: int, vi: str, en: str, link: str = "/counter",
            link_text: tuple[str, str] = ("Chọn quầy", "Choose a counter")) -> Response:
    return page("refusal.html", status, message_vi=vi, message_en=en, link=link,
                link_vi=link_text[0], link_en=link_text[1])


# The routes ----------------------------------------------------------------------------


@dataclass
class Pages:
    ctx: CentreContext
    heartbeat: float
    stale_after: float
    calls: CallAudio = field(init=False)

    def __post_init__(self) -> None:
        self.calls = CallAudio(lambda: audio_dirs(self.ctx.config))

    async def _staff(self, request: Request) -> StaffSession | Response:
        """The session, or the response that sends the browser to sign in."""
        try:
            return await run_in_threadpool(check_staff, self.ctx, request)
        except StaffRefused as exc:
            where = f"/staff/sign-in?next={request.url.path}"
            return RedirectResponse(where + ("&expired=1" if exc.expired else ""), 303)

    def _counter_refused(self, counter: int, member: StaffMember) -> Response | None:
        if counter not in all_counters(self.ctx.config):
            return refusal(404, f"Không có quầy {counter}", f"There is no counter {counter}")
        if not member.may_use(counter):
            return refusal(403, f"Bạn không được dùng quầy {counter}",
                           f"You may not use counter {counter}")
        return None

    async def counters(self, request: Request) -> Response:
        session = await self._staff(request)
        if isinstance(session, Response):
            return session
        links = "".join(
            f'<a class="big" href="/counter/{c}">Quầy {c} <span class="en">Counter {c}</span>'
            "</a>" for c in all_counters(self.ctx.config) if session.member.may_use(c))
        return page("counters.html", raw_counters=links)

    async def counter(self, request: Request) -> Response:
        session = await self._staff(request)
        if isinstance(session, Response):
            return session
        counter = request.path_params["counter"]
        refused = self._counter_refused(counter, session.member)
        if refused:
            return refused
        cfg = self.ctx.config
        waiting = "".join(
            f'<li data-service="{a.letter}"><span>{_html(a.name("vi"))} '
            f'<span class="en">{_html(a.name("en"))}</span></span>'
            '<b class="count">0</b></li>'
            for a in cfg.services if counter in a.counters)
        transfer = "".join(
            f'<button type="button" class="big" data-service="{a.letter}" data-key="{i}">'
            f'<kbd>{i}</kbd>{a.letter} · {_html(a.name("vi"))} '
            f'<span class="en">{_html(a.name("en"))}</span></button>'
            for i, a in enumerate(cfg.services, start=1))
        return page("counter.html", counter=counter, csrf=session.csrf_token,
                    staff_name=session.member.name, services_json=services_json(cfg),
                    stale_after=self.stale_after, raw_waiting=waiting, raw_transfer=transfer)

    async def counter_events(self, request: Request) -> Response:
        counter = request.path_params["counter"]
        try:
            session = await run_in_threadpool(check_staff, self.ctx, request)
        except StaffRefused as exc:
            return Response(str(exc), 401)
        if self._counter_refused(counter, session.member):
            return Response("no such counter for you", 404)
        async def still_allowed() -> bool:
            try:
                await run_in_threadpool(check_staff, self.ctx, request, None, False)
            except StaffRefused:
                return False
            return True

        read = partial(run_in_threadpool, counter_state, self.ctx, counter)
        return self._stream(read, still_allowed)

    def _stream(self, read_state: Callable[[], Awaitable[dict]],
                still_allowed: Callable[[], Awaitable[bool]] | None = None,
                ) -> StreamingResponse:
        body = event_stream(self.ctx.notifier, read_state, self.ctx.config.now,
                            self.heartbeat, still_allowed)
        return StreamingResponse(body, media_type="text/event-stream", headers={
            "Cache-Control": "no-store", "X-Accel-Buffering": "no"})

    # The display --------------------------------------------------------------------

    def _display_allowed(self, request: Request) -> bool:
        """A display terminal's cookie, or a signed-in staff member (checking the TV)."""
        token = request.cookies.get(DISPLAY_COOKIE, "")
        if token and len(token) < 200:
            from kiosk.centre.terminals import DISPLAY, Terminals, TokenRefused

            try:
                return Terminals(self.ctx.engine).authenticate(token).kind == DISPLAY
            except TokenRefused:
                return False
        try:
            check_staff(self.ctx, request, touch=False)
        except StaffRefused:
            return False
        return True

    async def display(self, request: Request) -> Response:
        if not await run_in_threadpool(self._display_allowed, request):
            return refusal(401, "Màn hình này chưa được đăng ký với trung tâm",
                           "This display is not enrolled with the centre: open "
                           "/display/enrol?code=… with a code from `kiosk centre enrol "
                           "--kind display`", link="/staff/sign-in?next=/display",
                           link_text=("Đăng nhập nhân viên", "Staff sign-in"))
        cfg = self.ctx.config
        return page("display.html", centre_name=cfg.centre_name("vi"),
                    services_json=services_json(cfg), stale_after=self.stale_after)

    async def display_events(self, request: Request) -> Response:
        if not await run_in_threadpool(self._display_allowed, request):
            return Response("not enrolled", 401)

        async def still_allowed() -> bool:
            return await run_in_threadpool(self._display_allowed, request)

        return self._stream(partial(run_in_threadpool, display_state, self.ctx, self.calls),
                            still_allowed)

    async def display_enrol(self, request: Request) -> Response:
        from kiosk.centre.terminals import DISPLAY, EnrolmentRefused, Terminals

        code = request.query_params.get("code", "")[:100]
        try:
            enrolment = await run_in_threadpool(Terminals(self.ctx.engine).enrol, code,
                                                DISPLAY)
        except EnrolmentRefused as exc:
            return refusal(400, "Mã đăng ký không dùng được", str(exc),
                           link="/display", link_text=("Màn hình", "Display"))
        response = RedirectResponse("/display", 303)
        # Ten years: a TV is enrolled once; `kiosk centre revoke` ends it.
        set_cookie(request, response, DISPLAY_COOKIE, enrolment.token,
                   max_age=10 * 365 * 24 * 3600)
        return response

    # Sound -------------------------------------------------------------------------

    async def chime(self, request: Request) -> Response:
        return FileResponse(CHIME, media_type="audio/wav")

    async def call(self, request: Request) -> Response:
        """One language's call as a WAV; 404 when that language cannot say it whole."""
        if not await run_in_threadpool(self._display_allowed, request):
            return Response("not enrolled", 401)
        params = request.path_params
        lang, number, counter = params["lang"], params["number"], params["counter"]
        if (lang not in self.ctx.config.languages
                or counter not in all_counters(self.ctx.config)):
            return Response("no such call", 404)
        data = await run_in_threadpool(self.calls.wav, lang, number, counter)
        if data is None:
            return Response("this call is not recorded in this language", 404)
        return Response(data, media_type="audio/wav",
                        headers={"Cache-Control": "no-store"})


def _html(text: str) -> str:
    return html.escape(text, quote=True)
