"""The staff and lobby pages' files: HTML templates here, scripts and styles in static/.

Templates are plain HTML with `$name` placeholders (string.Template): values are
HTML-escaped, except those whose name starts with `raw_` (markup built by our own code).
Pages load no inline script (the Content-Security-Policy forbids it): what a script needs
from the server is in data- attributes.
"""

from __future__ import annotations

import html
from functools import cache
from pathlib import Path
from string import Template

from starlette.responses import Response

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
