"""The staff and lobby pages' files: HTML templates here, scripts and styles in static/.

Templates are plain HTML with `$name` placeholders (string.Template): values are
HTML-escaped, except those whose name starts with `raw_` (markup built by our own code).
Pages load no inline script (the Content-Security-Policy forbids it): what a script needs
from the server is in data- attributes.
"""

from __future__ import annotations

import functools
import html
import logging
from collections.abc import Awaitable, Callable
from functools import cache
from pathlib import Path
from string import Template

from sqlalchemy.exc import SQLAlchemyError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

log = logging.getLogger(__name__)

PAGES_DIR = Path(__file__).resolve().parent
STATIC_DIR = PAGES_DIR / "static"

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "media-src 'self'; connect-src 'self'; font-src 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'self'")


@cache
def _template(name: str) -> Template:
    return Template((PAGES_DIR / name).read_text(encoding="utf-8"))


def render(template: str, /, **values: object) -> str:
    return _template(template).substitute({
        key: value if key.startswith("raw_") else html.escape(str(value), quote=True)
        for key, value in values.items()})


def with_page_headers(response: Response) -> Response:
    """Headers every page carries: no caching of staff data, no framing, no sniffing."""
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response


def page(template: str, status: int = 200, /, **values: object) -> Response:
    return with_page_headers(Response(render(template, **values), status,
                                      media_type="text/html"))


Endpoint = Callable[[Request], Awaitable[Response]]


def page_route(path: str, endpoint: Endpoint, method: str = "GET") -> Route:
    """A route whose page, when the database cannot be used (PostgreSQL restarting), is a
    calm "try again in a moment" with status 503 rather than the service's failure."""

    @functools.wraps(endpoint)
    async def surviving(request: Request) -> Response:
        try:
            return await endpoint(request)
        except SQLAlchemyError as exc:
            log.warning("%s %s: the database cannot be used: %s", request.method,
                        request.url.path, exc)
            if request.url.path.endswith("/events"):
                return Response("the centre's database cannot be reached", 503)
            return page("refusal.html", 503,
                        message_vi="Trung tâm chưa kết nối được cơ sở dữ liệu: thử lại sau "
                                   "ít phút",
                        message_en="The centre cannot reach its database: try again in a "
                                   "moment",
                        link=request.url.path, link_vi="Thử lại", link_en="Try again")

    return Route(path, surviving, methods=[method])
