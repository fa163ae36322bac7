"""The centre's JSON API over HTTPS as the kiosk's link calls it (kiosk/centre_link.py
CentreApi): one small class, so the transport can change in one place."""

from __future__ import annotations

import ssl
from pathlib import Path

import httpx

from kiosk.centre_link import CentreRefused, CentreUnreachable


class HttpCentreApi:
    def __init__(self, url: str, token: str, ca_file: Path | None) -> None:
        verify: ssl.SSLContext | bool = (ssl.create_default_context(cafile=str(ca_file))
                                         if ca_file is not None else True)
        self._client = httpx.Client(base_url=url.rstrip("/"), verify=verify,
                                    headers={"Authorization": f"Bearer {token}"})

    def close(self) -> None:
        self._client.close()

    def _call(self, method: str, path: str, timeout: float, body: dict | None = None,
              missing_ok: bool = False) -> dict | None:
        try:
            response = self._client.request(method, path, json=body, timeout=timeout)
        except httpx.HTTPError as exc:  # connect, read, TLS, timeout: no answer
            raise CentreUnreachable(f"{type(exc).__name__}: {exc}") from None
        if response.status_code == 404 and missing_ok:
            return None
        if response.status_code >= 500:
            raise CentreUnreachable(f"HTTP {response.status_code}")
        if response.status_code >= 400:
            try:
                message = str(response.json().get("error") or response.reason_phrase)
            except ValueError:
                message = response.reason_phrase
            raise CentreRefused(response.status_code, message)
        try:
            return response.json()
        except ValueError:
            raise CentreUnreachable("the centre's answer is not JSON") from None

    def issue(self, body: dict, timeout: float) -> dict:
        return self._call("POST", "/api/tickets", timeout, body)  # type: ignore[return-value]

    def ticket(self, ticket_id: str, timeout: float) -> dict | None:
        return self._call("GET", f"/api/tickets/{ticket_id}", timeout, missing_ok=True)

    def lease(self, body: dict, timeout: float) -> dict:
        return self._call("POST", "/api/leases", timeout, body)  # type: ignore[return-value]

    def import_tickets(self, tickets: list[dict], timeout: float) -> dict:
        return self._call("POST", "/api/tickets/import", timeout,  # type: ignore[return-value]
                          {"tickets": tickets})
