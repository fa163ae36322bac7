"""A terminal's side of the centre's JSON API: HTTPS pinned to the centre's own CA, a
bearer token, timeouts, and retries of the requests that are safe to repeat
(docs/architecture.md, Centre).

A terminal is given the CA's fingerprint by staff (printed by `kiosk centre init`). With
only the fingerprint, the client fetches the CA once from `GET /api/ca`, keeps it if its
SHA-256 matches and refuses the centre otherwise; `ca_pem` then holds it for the terminal
to store. Every request after that trusts this CA alone.
"""

from __future__ import annotations

import logging
import random
import ssl
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

import httpx

from kiosk.centre.pki import fingerprint, normalise_fingerprint

log = logging.getLogger(__name__)

TIMEOUT = httpx.Timeout(10.0, connect=3.0)
RETRIES = 3  # after the first attempt: a stutter, not an outage
RETRY_STATUSES = {502, 503, 504}  # a proxy or the service restarting


class CentreError(Exception):
    """Base of the client's errors; str() is one sentence for staff."""


class CentreUnreachable(CentreError):
    """No answer from the centre (network down, timeouts, the service restarting), after
    retrying what was safe to retry. The kiosk carries on by itself."""


class CentreUntrusted(CentreError):
    """The centre's certificate is not from the pinned CA, or does not name the host the
    terminal was given: someone else may be answering."""


class CentreRefused(CentreError):
    """The centre answered with a refusal (4xx): `status` and the centre's own sentence."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Enrolment:
    token: str
    name: str
    kind: str


def new_request_id() -> str:
    return uuid.uuid4().hex


class CentreClient:
    """One centre, one terminal. `ca_pem` or `ca_fingerprint` (or both, which must agree)
    is required for https://; a plain http:// URL (development only) needs neither."""

    def __init__(self, base_url: str, *, ca_pem: str | None = None,
                 ca_fingerprint: str | None = None, token: str | None = None,
                 timeout: httpx.Timeout = TIMEOUT, retries: int = RETRIES) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self.retries = retries
        self._pin = normalise_fingerprint(ca_fingerprint) if ca_fingerprint else None
        self._tls = self.base_url.startswith("https://")
        if self._tls and not (ca_pem or ca_fingerprint):
            raise ValueError("an https:// centre needs its CA (ca_pem) or its fingerprint")
        self.ca_pem: str | None = None
        if ca_pem:
            self._check_pin(ca_pem)
            self.ca_pem = ca_pem
        self._http: httpx.Client | None = None
        self._making = threading.Lock()  # one connection pool, whichever thread asks first

    def __enter__(self) -> CentreClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None

    # --- the API ------------------------------------------------------------------------

    def enrol(self, code: str, kind: str, name: str | None = None) -> Enrolment:
        """Exchanges a one-time code for this terminal's token (kept in `self.token`)."""
        body: dict[str, Any] = {"code": code, "kind": kind, "request_id": new_request_id()}
        if name is not None:
            body["name"] = name
        answer = self.post("/api/enrol", body)
        self.token = answer["token"]
        return Enrolment(answer["token"], answer["name"], answer["kind"])

    def get(self, path: str) -> dict[str, Any]:
        return self._request("GET", path, None, idempotent=True)

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """A POST is retried only when it carries a `request_id`: the centre then applies
        it once however often it arrives."""
        return self._request("POST", path, body, idempotent="request_id" in body)

    # --- transport ----------------------------------------------------------------------

    def _check_pin(self, ca_pem: str) -> None:
        if self._pin is not None and fingerprint(ca_pem) != self._pin:
            raise CentreUntrusted("the centre's certificate authority does not match the "
                                  "fingerprint this terminal was given")

    def _client(self) -> httpx.Client:
        with self._making:
            if self._http is None:
                verify: ssl.SSLContext | bool = False
                if self._tls:
                    if self.ca_pem is None:
                        self.ca_pem = self._fetch_ca()
                    verify = ssl.create_default_context(cadata=self.ca_pem)
                self._http = httpx.Client(base_url=self.base_url, verify=verify,
                                          timeout=self.timeout)
            return self._http

    def _fetch_ca(self) -> str:
        # Unverified on purpose: what comes back is trusted only if its fingerprint is the
        # one staff gave; a stranger's CA fails _check_pin.
        try:
            with httpx.Client(verify=False, timeout=self.timeout) as http:
                reply = http.get(f"{self.base_url}/api/ca")
        except httpx.HTTPError as exc:
            raise CentreUnreachable(f"the centre at {self.base_url} cannot be reached "
                                    f"({type(exc).__name__})") from None
        if reply.status_code != 200 or "BEGIN CERTIFICATE" not in reply.text:
            raise CentreUntrusted(f"the centre at {self.base_url} did not hand out its "
                                  "certificate authority")
        try:
            self._check_pin(reply.text)
        except ValueError:
            raise CentreUntrusted("the centre's certificate authority cannot be read") from None
        return reply.text

    def _request(self, method: str, path: str, body: dict[str, Any] | None, *,
                 idempotent: bool) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        attempts = 1 + (self.retries if idempotent else 0)
        problem = ""
        for attempt in range(attempts):
            if attempt:
                # Exponential back-off with full jitter: terminals that lost the centre
                # together do not all come back in the same instant.
                time.sleep(random.uniform(0, min(2.0, 0.2 * 2 ** attempt)))
            try:
                reply = self._client().request(method, path, json=body, headers=headers)
            except httpx.ConnectError as exc:
                if isinstance(exc.__context__, ssl.SSLCertVerificationError) or \
                        "CERTIFICATE_VERIFY_FAILED" in str(exc):
                    raise CentreUntrusted(_untrusted(self.base_url, exc)) from None
                problem = "cannot connect"
                continue
            except httpx.TransportError as exc:  # timeouts, resets, a closed connection
                problem = type(exc).__name__
                continue
            if reply.status_code in RETRY_STATUSES:
                problem = f"HTTP {reply.status_code}"
                continue
            return _answer(reply)
        log.info("centre %s %s failed after %d attempt(s): %s", method, path, attempts, problem)
        raise CentreUnreachable(f"the centre at {self.base_url} cannot be reached ({problem})")


def _untrusted(base_url: str, exc: Exception) -> str:
    if "match" in str(exc).lower() or "hostname" in str(exc).lower():
        return (f"the centre's certificate does not name {httpx.URL(base_url).host}; add it to "
                "[centre_service] hostnames and run `kiosk centre init` again")
    return "the centre's certificate is not from the certificate authority this terminal pinned"


def _answer(reply: httpx.Response) -> dict[str, Any]:
    try:
        data = reply.json()
    except ValueError:
        data = None
    if reply.status_code >= 400:
        message = data.get("error") if isinstance(data, dict) else None
        raise CentreRefused(reply.status_code, message if isinstance(message, str)
                            else f"the centre refused the request (HTTP {reply.status_code})")
    if not isinstance(data, dict):
        raise CentreError("the centre's answer is not a JSON object")
    return data
