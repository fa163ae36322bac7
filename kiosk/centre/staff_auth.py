"""Staff sign-in for the counter pages: name + PIN, sessions, CSRF.

- A session id is 32 random bytes in an HttpOnly, SameSite=Strict cookie (Secure over
  TLS, i.e. always except `kiosk centre serve --plain`); the database keeps its SHA-256.
- A session ends after 30 minutes without a request, or 12 hours after sign-in.
- Every POST carries the session's CSRF token (header X-CSRF-Token, or the form field
  `csrf` for the pages' own forms). The sign-in form, made before any session, uses a
  double-submit token: a cookie and a form field that must agree.
- Wrong PINs lock sign-in for the name as kiosk/pins.py decides.

The JSON API (kiosk/centre/api.py) takes a staff session for the counter actions through
`staff_for_request` (kiosk/centre/app.py sets it as app.state.staff_check).
"""

from __future__ import annotations

import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from kiosk.centre.pages import page_route, render, with_page_headers
from kiosk.pins import LockedOut, PinChecker, SignInRefused
from kiosk.store.staff import StaffMember, StaffSession, StaffStore

if TYPE_CHECKING:
    from kiosk.centre.context import CentreContext

SESSION_COOKIE = "kiosk_staff"
SIGN_IN_COOKIE = "kiosk_sign_in"  # the sign-in form's double-submit token
CSRF_HEADER = "x-csrf-token"
IDLE_LIMIT = timedelta(minutes=30)
LIFE_LIMIT = timedelta(hours=12)
# last_seen_at is written at most this often: a page polling every few seconds would
# otherwise write a row per request.
TOUCH_EVERY = timedelta(seconds=30)
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
# Where sign-in may send the browser afterwards: our own pages only (no open redirect).
NEXT_PAGE = re.compile(r"/(counter(/[0-9]{1,4})?|display"
                       r"|stats(\?day=[0-9]{4}-[0-9]{2}-[0-9]{2}(&to=[0-9]{4}-[0-9]{2}-[0-9]{2})?)?)")


class StaffRefused(Exception):
    """No usable staff session; str() is one sentence (English), `vi` the Vietnamese."""

    def __init__(self, message: str, vi: str, expired: bool = False) -> None:
        super().__init__(message)
        self.vi = vi
        self.expired = expired


NOT_SIGNED_IN = ("not signed in", "chưa đăng nhập")
EXPIRED = ("the session has expired: sign in again", "phiên đã hết hạn: đăng nhập lại")
BAD_CSRF = ("missing or wrong CSRF token: reload the page",
            "thiếu hoặc sai mã chống giả mạo: tải lại trang")


def check_staff(ctx: CentreContext, request: Request, csrf: str | None = None,
                touch: bool = True) -> StaffSession:
    """The signed-in staff session of this request, or StaffRefused. A POST (or any unsafe
    method) must carry the session's CSRF token: `csrf` when the caller read it from a
    form, else the X-CSRF-Token header. `touch=False` checks without counting it as
    activity (an open event stream re-checking its session must not keep it alive)."""
    session_id = request.cookies.get(SESSION_COOKIE, "")
    if not session_id or len(session_id) > 100:
        raise StaffRefused(*NOT_SIGNED_IN)
    store = StaffStore(ctx.engine)
    session = store.session(session_id)
    if session is None:
        raise StaffRefused(*NOT_SIGNED_IN, expired=True)
    now = ctx.config.now()
    if now - session.last_seen_at > IDLE_LIMIT or now - session.created_at > LIFE_LIMIT:
        store.close_session(session_id)
        raise StaffRefused(*EXPIRED, expired=True)
    if request.method not in SAFE_METHODS:
        sent = csrf if csrf is not None else request.headers.get(CSRF_HEADER, "")
        if not hmac.compare_digest(sent.encode(), session.csrf_token.encode()):
            raise StaffRefused(*BAD_CSRF)
    if touch and now - session.last_seen_at > TOUCH_EVERY:
        store.touch_session(session_id, now)
    return session


def staff_member(ctx: CentreContext, request: Request) -> StaffMember | None:
    """The signed-in staff member (session cookie, and X-CSRF-Token on a POST), or None.
    Blocking (database): call it in a thread."""
    try:
        return check_staff(ctx, request).member
    except StaffRefused:
        return None


async def staff_for_request(request: Request) -> str | None:
    """kiosk/centre/api.py's staff check: the name of the signed-in staff member when the
    request carries a live session and, on a POST, its CSRF token, and the member may use
    the counter in the path; else None (the API then asks for a counter token)."""
    member = await run_in_threadpool(staff_member, request.app.state.ctx, request)
    if member is None:
        return None
    counter = request.path_params.get("counter")
    if isinstance(counter, int) and not member.may_use(counter):
        return None
    return member.name


def safe_next(text: str | None) -> str:
    return text if text and NEXT_PAGE.fullmatch(text) else "/counter"


def set_cookie(request: Request, response: Response, name: str, value: str,
               max_age: int | None = None) -> None:
    response.set_cookie(name, value, max_age=max_age, path="/", httponly=True,
                        samesite="strict", secure=request.url.scheme == "https")


# Pages -------------------------------------------------------------------------------


@dataclass
class SignInPages:
    ctx: CentreContext

    def routes(self) -> list[Route]:
        return [page_route("/staff/sign-in", self.form),
                page_route("/staff/sign-in", self.submit, "POST"),
                page_route("/staff/sign-out", self.sign_out, "POST")]

    def _form(self, request: Request, next_page: str, message: tuple[str, str] | None,
              status: int = 200, name: str = "") -> Response:
        token = secrets.token_urlsafe(24)
        vi, en = message if message else ("", "")
        body = render("sign_in.html", csrf=token, next=next_page, name=name,
                      message_vi=vi, message_en=en, message_hidden="" if message else "hidden")
        response = with_page_headers(Response(body, status, media_type="text/html"))
        set_cookie(request, response, SIGN_IN_COOKIE, token)
        return response

    async def form(self, request: Request) -> Response:
        message = None
        if request.query_params.get("expired"):
            message = ("Phiên đã hết hạn: đăng nhập lại", "The session has expired: sign in again")
        return self._form(request, safe_next(request.query_params.get("next")), message)

    async def submit(self, request: Request) -> Response:
        form = await request.form()
        name, pin = str(form.get("name", ""))[:100], str(form.get("pin", ""))[:20]
        next_page = safe_next(str(form.get("next", "")))
        sent, expected = str(form.get("csrf", "")), request.cookies.get(SIGN_IN_COOKIE, "")
        if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
            return self._form(request, next_page, (
                "Biểu mẫu đã cũ: hãy nhập lại", "The form was stale: please try again"),
                403, name)
        checker = PinChecker(StaffStore(self.ctx.engine))
        try:
            member = await run_in_threadpool(checker.sign_in, name, pin, self.ctx.config.now())
        except LockedOut as exc:
            until = f"{exc.until.astimezone(self.ctx.config.now().tzinfo):%H:%M:%S}"
            return self._form(request, next_page, (
                f"Nhập sai quá nhiều lần: thử lại sau {until}",
                f"Too many wrong PINs: try again after {until}"), 429, name)
        except SignInRefused:
            return self._form(request, next_page, ("Sai tên hoặc mã PIN",
                                                   "Wrong name or PIN"), 401, name)
        session_id, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        await run_in_threadpool(self._open_session, member, session_id, csrf)
        if next_page == "/counter" and member.counters and len(member.counters) == 1:
            next_page = f"/counter/{member.counters[0]}"
        response = RedirectResponse(next_page, status_code=303)
        set_cookie(request, response, SESSION_COOKIE, session_id,
                   max_age=int(LIFE_LIMIT.total_seconds()))
        response.delete_cookie(SIGN_IN_COOKIE, path="/")
        return response

    def _open_session(self, member: StaffMember, session_id: str, csrf: str) -> None:
        store, now = StaffStore(self.ctx.engine), self.ctx.config.now()
        # Sessions past their life are of no use to anyone: cleared as others begin.
        store.close_sessions_before(now - LIFE_LIMIT, now - IDLE_LIMIT)
        store.open_session(member, session_id, csrf, now)

    async def sign_out(self, request: Request) -> Response:
        form = await request.form()
        response = RedirectResponse("/staff/sign-in", status_code=303)
        try:
            await run_in_threadpool(check_staff, self.ctx, request, str(form.get("csrf", "")))
        except StaffRefused:
            return response  # a forged or stale sign-out ends nothing
        session_id = request.cookies.get(SESSION_COOKIE, "")
        await run_in_threadpool(StaffStore(self.ctx.engine).close_session, session_id)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response
