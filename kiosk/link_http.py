"""The centre's JSON API as the kiosk's link calls it (kiosk/centre_link.py CentreApi), over
the centre's own client (kiosk/centre/client.py: HTTPS pinned to the centre's CA, a bearer
token): one small adapter, so the transport changes in one place."""

from __future__ import annotations

import logging
from typing import Any

import httpx

from kiosk.centre.client import CentreClient, CentreError, CentreUntrusted
from kiosk.centre.client import CentreRefused as ClientRefused
from kiosk.centre.client import CentreUnreachable as ClientUnreachable
from kiosk.centre_link import CentreRefused, CentreUnreachable

log = logging.getLogger(__name__)

# Leases and imports are not a citizen waiting: they may take longer and be retried.
PATIENT_TIMEOUT = 10.0


class ClientCentreApi:
    """Two clients of one centre: a quick one for what a citizen waits on (a number, a
    scanned ticket: one try within `timeout`, then the lease), a patient one for the
    background work (leases, the outbox: retried, longer timeout)."""

    def __init__(self, url: str, token: str, *, ca_pem: str | None = None,
                 ca_fingerprint: str | None = None, timeout: float = 2.0) -> None:
        def client(seconds: float, retries: int) -> CentreClient:
            return CentreClient(url, ca_pem=ca_pem, ca_fingerprint=ca_fingerprint or None,
                                token=token, retries=retries,
                                timeout=httpx.Timeout(seconds, connect=min(seconds, 3.0)))

        self._quick = client(timeout, 0)
        self._patient = client(max(timeout, PATIENT_TIMEOUT), 2)

    def close(self) -> None:
        self._quick.close()
        self._patient.close()

    @staticmethod
    def _call(client: CentreClient, method: str, path: str,
              body: dict[str, Any] | None = None) -> dict[str, Any]:
        try:
            return client.get(path) if method == "GET" else client.post(path, body or {})
        except ClientRefused as exc:
            if exc.status >= 500:  # the centre is there but its database is not (restarting)
                raise CentreUnreachable(f"HTTP {exc.status}: {exc}") from None
            raise CentreRefused(exc.status, str(exc)) from None
        except CentreUntrusted as exc:
            # Someone else may be answering: never trusted, loudly logged; the kiosk goes on
            # from its lease as if the centre were down.
            log.error("centre link: %s", exc)
            raise CentreUnreachable(f"untrusted: {exc}") from None
        except (ClientUnreachable, CentreError) as exc:
            raise CentreUnreachable(str(exc)) from None

    def issue(self, body: dict) -> dict:
        return self._call(self._quick, "POST", "/api/tickets", body)

    def ticket(self, ticket_id: str) -> dict | None:
        try:
            return self._call(self._quick, "GET", f"/api/tickets/{ticket_id}")
        except CentreRefused as exc:
            if exc.status == 404:
                return None
            raise

    def outcome(self, ticket_id: str, body: dict) -> dict:
        return self._call(self._patient, "POST", f"/api/tickets/{ticket_id}/outcome", body)

    def health(self) -> None:
        self._call(self._quick, "GET", "/api/health")

    def lease(self, body: dict) -> dict:
        return self._call(self._patient, "POST", "/api/leases", body)

    def import_tickets(self, tickets: list[dict]) -> dict:
        return self._call(self._patient, "POST", "/api/tickets/import", {"tickets": tickets})
