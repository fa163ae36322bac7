"""Reading a JSON request: the body, its fields, the terminal's token. Every refusal is an
ApiError whose message is one sentence; the app turns it into `{"error": "…"}`."""

from __future__ import annotations

import json
import logging
import re
from datetime import datetime
from typing import Any

from starlette.requests import ClientDisconnect, Request

log = logging.getLogger(__name__)

REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{8,64}")


class ApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def parse_body(raw: bytes, content_type: str | None) -> dict[str, Any]:
    """The JSON object of a request body, or ApiError 400/415."""
    if (content_type or "").split(";")[0].strip().lower() != "application/json":
        raise ApiError(415, "expected a JSON body (Content-Type: application/json)")
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
        raise ApiError(400, "the request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise ApiError(400, "expected a JSON object")
    return body


async def json_body(request: Request, limit: int = 64 * 1024) -> dict[str, Any]:
    """The request's JSON object, read up to `limit` bytes (413 beyond: a terminal never
    sends more, and the centre's memory is not for strangers to fill)."""
    too_large = ApiError(413, f"the request body is larger than {limit // 1024} KiB")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    raw = bytearray()
    try:
        async for chunk in request.stream():
            raw += chunk
            if len(raw) > limit:
                raise too_large
    except ClientDisconnect:
        # The terminal went away mid-request (killed, its network cut): nothing was applied
        # and nobody reads the answer. A refusal, not a failure with a traceback in the log
        # (found by tests/test_centre_chaos.py).
        log.info("%s %s: the terminal went away before its request was read; nothing was "
                 "applied", request.method, request.url.path)
        raise ApiError(400, "the request ended before its body was read") from None
    return parse_body(bytes(raw), request.headers.get("content-type"))


def text(body: dict[str, Any], key: str, *, required: bool = True, max_len: int = 64,
         pattern: re.Pattern[str] | None = None, expected: str = "") -> str | None:
    """The text field `key`: absent or null is None unless required; anything else that
    is not printable text of at most `max_len` characters (matching `pattern`) is refused."""
    value = body.get(key)
    if value is None:
        if required:
            raise ApiError(400, f"{key} is missing")
        return None
    expected = expected or f"text of at most {max_len} characters"
    if (not isinstance(value, str) or not value or len(value) > max_len
            or not value.isprintable() or (pattern and not pattern.fullmatch(value))):
        raise ApiError(400, f"{key}: expected {expected}")
    return value


def request_id(body: dict[str, Any]) -> str:
    value = text(body, "request_id", max_len=64, pattern=REQUEST_ID,
                 expected="8 to 64 letters, digits or . _ : -, the same on every retry")
    assert value is not None
    return value


def integer(body: dict[str, Any], key: str, low: int, high: int) -> int:
    value = body.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ApiError(400, f"{key}: expected a whole number from {low} to {high}")
    return value


def moment(body: dict[str, Any], key: str) -> datetime | None:
    """An ISO 8601 time with its UTC offset, or None when absent."""
    value = text(body, key, required=False, max_len=40,
                 expected="an ISO 8601 time with its UTC offset")
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise ApiError(400, f"{key}: expected an ISO 8601 time with its UTC offset, "
                            "like 2026-11-30T08:15:00+07:00")
    return parsed


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()
