"""The centre service as one ASGI app: the JSON API, the staff and lobby pages, the
statistics, and the events outbox to the province (docs/architecture.md, Centre)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from http import HTTPStatus

from sqlalchemy.exc import InterfaceError, OperationalError
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from kiosk.centre import web
from kiosk.centre.api import api_routes
from kiosk.centre.context import CentreContext
from kiosk.centre.day_end import closing_days
from kiosk.centre.issuing import TicketIssuer
from kiosk.centre.offline import offline_routes
from kiosk.centre.province import start_outbox
from kiosk.centre.requests import ApiError
from kiosk.centre.staff_auth import staff_for_request
from kiosk.centre.stats_page import stats_routes
from kiosk.centre.terminals import Terminals

log = logging.getLogger(__name__)

_SENTENCES = {
    404: "there is nothing at this address",
    405: "this address does not take this method",
}


def _refusal(request: Request, status: int, message: str) -> Response:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    if request.url.path.startswith("/api/"):
        return JSONResponse({"error": message}, status_code=status, headers=headers)
    return PlainTextResponse(message, status_code=status, headers=headers)


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return _refusal(request, exc.status, str(exc))


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    default = HTTPStatus(exc.status_code).phrase.lower()
    return _refusal(request, exc.status_code, _SENTENCES.get(exc.status_code, default))


async def _database_down(request: Request, exc: Exception) -> Response:
    # The database restarting, unreachable or locked: nothing was applied (the transaction
    # did not commit), so the terminal may send the same request again, and should.
    log.warning("%s %s: the database failed (%s)", request.method, request.url.path,
                type(getattr(exc, "orig", None) or exc).__name__)
    response = _refusal(request, 503, "the centre's database cannot be reached just now; "
                                      "try again in a moment")
    response.headers["Retry-After"] = "1"
    return response


async def _failure(request: Request, exc: Exception) -> Response:
    # The traceback goes to the service's log for the maintainer; the terminal gets one
    # sentence. Request bodies are never logged: they may name a service a citizen chose.
    log.error("%s %s failed", request.method, request.url.path, exc_info=exc)
    return _refusal(request, 500, "the centre failed to handle this request; staff can find "
                                  "why in its log")


def make_app(ctx: CentreContext, *, ca_pem: str | None = None) -> Starlette:
    """The app over `ctx`. `ca_pem`: the CA handed out at /api/ca (None when serving
    without TLS, for development)."""
    routes = api_routes() + offline_routes() + web.page_routes(ctx) + stats_routes(ctx)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # Beside the app: the display's notifier, the events outbox to the province
        # (which does nothing without [province] url), and the end of each day's leases.
        with start_outbox(ctx.config, ctx.engine), closing_days(ctx):
            async with web.lifespan(ctx):
                yield

    app = Starlette(
        routes=routes,
        exception_handlers={ApiError: _api_error, HTTPException: _http_error,
                            OperationalError: _database_down, InterfaceError: _database_down,
                            Exception: _failure},
        lifespan=lifespan,
    )
    app.state.ctx = ctx
    app.state.terminals = Terminals(ctx.engine)
    app.state.issuer = TicketIssuer(ctx.engine, ctx.store)
    app.state.ca_pem = ca_pem
    app.state.staff_check = staff_for_request
    return app
