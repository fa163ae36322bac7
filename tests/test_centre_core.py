"""The centre service as terminals meet it: its CA and certificate, enrolment and tokens,
the JSON API over real TLS on a loopback port (docs/architecture.md, Centre)."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from centre_support import RunningCentre, centre_config, running_centre
from cryptography import x509

from kiosk.centre.client import CentreClient, CentreRefused, CentreUnreachable, CentreUntrusted
from kiosk.centre.pki import fingerprint, init_pki, normalise_fingerprint, server_files
from kiosk.centre.terminals import Terminals, normalise_code


@pytest.fixture
def centre(tmp_path: Path) -> Iterator[RunningCentre]:
    with running_centre(centre_config(tmp_path)) as running:
        yield running


# --- the CA and the server's certificate --------------------------------------------------

def test_init_makes_a_private_ca_and_a_certificate_for_the_configured_names(
        tmp_path: Path) -> None:
    state = tmp_path / "state"
    done = init_pki(state, ["centre.lan", "192.168.1.10"])
    assert done.ca_created and done.server_issued
    assert state.stat().st_mode & 0o777 == 0o700
    assert done.files.ca_key.stat().st_mode & 0o777 == 0o600
    assert done.files.server_key.stat().st_mode & 0o777 == 0o600
    cert = x509.load_pem_x509_certificate(done.files.server_cert.read_bytes())
    sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sans.get_values_for_type(x509.DNSName) == ["centre.lan"]
    assert [str(ip) for ip in sans.get_values_for_type(x509.IPAddress)] == ["192.168.1.10"]
    # What staff read out is what `openssl x509 -fingerprint -sha256` shows for ca.pem.
    assert done.ca_fingerprint == fingerprint(done.files.ca_cert.read_text())
    assert len(done.ca_fingerprint.split(":")) == 32


def test_init_again_keeps_the_ca_and_reissues_only_what_changed(tmp_path: Path) -> None:
    state = tmp_path / "state"
    first = init_pki(state, ["localhost"])
    server_pem = first.files.server_cert.read_bytes()
    again = init_pki(state, ["localhost"])
    assert not again.ca_created and not again.server_issued
    assert again.ca_fingerprint == first.ca_fingerprint
    assert first.files.server_cert.read_bytes() == server_pem
    # A new LAN address: a new server certificate, the same CA (terminals keep their pin).
    moved = init_pki(state, ["localhost", "10.0.0.7"])
    assert moved.server_issued and not moved.ca_created
    assert moved.ca_fingerprint == first.ca_fingerprint
    # Near its end, the server certificate is renewed by the same run.
    later = init_pki(state, ["localhost", "10.0.0.7"], now=datetime.now(UTC)
                     + timedelta(days=380))
    assert later.server_issued and later.ca_fingerprint == first.ca_fingerprint
    renewed = init_pki(state, ["localhost", "10.0.0.7"], force=True)
    assert renewed.ca_created and renewed.ca_fingerprint != first.ca_fingerprint


def test_init_refuses_a_state_folder_it_cannot_trust(tmp_path: Path) -> None:
    from kiosk.centre.pki import PkiError

    state = tmp_path / "state"
    done = init_pki(state, ["localhost"])
    done.files.ca_key.unlink()
    with pytest.raises(PkiError, match="ca.key: missing"):
        init_pki(state, ["localhost"])
    (tmp_path / "file").write_text("x")
    with pytest.raises(PkiError, match="is a file"):
        init_pki(tmp_path / "file", ["localhost"])
    with pytest.raises(PkiError, match="kiosk centre init"):
        server_files(tmp_path / "empty")


def test_a_fingerprint_is_read_however_staff_type_it() -> None:
    canonical = ":".join(["AB"] * 32)
    assert normalise_fingerprint("ab" * 32) == canonical
    assert normalise_fingerprint(" ".join(["ab"] * 32)) == canonical
    with pytest.raises(ValueError):
        normalise_fingerprint("AB" * 31)


# --- TLS and pinning over a real server ----------------------------------------------------

def test_a_terminal_pinning_the_fingerprint_gets_the_ca_and_talks_to_the_centre(
        centre: RunningCentre) -> None:
    with centre.client() as client:
        assert client.get("/api/health")["status"] == "ok"
        assert client.ca_pem == centre.pki.files.ca_cert.read_text()  # kept for next time
    with CentreClient(centre.url, ca_pem=client.ca_pem) as pinned:
        assert pinned.get("/api/health")["status"] == "ok"


def test_a_centre_with_another_ca_is_refused(centre: RunningCentre, tmp_path: Path) -> None:
    other = init_pki(tmp_path / "other", ["localhost", "127.0.0.1"])
    with CentreClient(centre.url, ca_fingerprint=other.ca_fingerprint) as client, \
            pytest.raises(CentreUntrusted, match="does not match the fingerprint"):
        client.get("/api/health")
    with CentreClient(centre.url, ca_pem=other.files.ca_cert.read_text()) as client, \
            pytest.raises(CentreUntrusted, match="not from the certificate authority"):
        client.get("/api/health")
    # And a plain TLS client that trusts only the other CA fails the handshake too.
    context = ssl.create_default_context(cafile=str(other.files.ca_cert))
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{centre.url}/api/health", verify=context)


def test_a_certificate_not_naming_the_address_used_is_refused_with_the_remedy(
        tmp_path: Path) -> None:
    with running_centre(centre_config(tmp_path, hostnames=("centre.lan",))) as centre, \
            centre.client() as client, pytest.raises(CentreUntrusted, match="hostnames"):
        client.get("/api/health")


def test_no_centre_at_the_address_is_unreachable_after_bounded_retries(
        centre: RunningCentre) -> None:
    with CentreClient("https://127.0.0.1:9", ca_pem=centre.pki.files.ca_cert.read_text(),
                      retries=1) as client, pytest.raises(CentreUnreachable, match="cannot"):
        client.get("/api/health")


# --- enrolment and tokens -----------------------------------------------------------------

def test_a_code_enrols_once_and_the_token_opens_the_api(centre: RunningCentre) -> None:
    code, expires = centre.terminals.new_code("display", "tv-1")
    assert expires - datetime.now(UTC) > timedelta(hours=23)
    with centre.client() as tv:
        enrolled = tv.enrol(code.lower(), "display")  # typed in lower case: still the code
        assert (enrolled.name, enrolled.kind) == ("tv-1", "display")
        state = tv.get("/api/display/state")
        assert state["now"] is None and set(state["waiting"]) == {"A", "B", "C", "D", "E"}
    with centre.client() as thief, pytest.raises(CentreRefused, match="already been used"):
        thief.enrol(code, "display")
    # Only digests are stored: the database holds neither the code nor the token.
    with centre.ctx.engine.connect() as conn:
        dump = "\n".join(str(r) for table in ("terminals", "enrolment_codes")
                         for r in conn.exec_driver_sql(f"SELECT * FROM {table}"))
    assert enrolled.token not in dump and normalise_code(code) not in dump


def test_a_retried_enrolment_gets_a_token_and_only_the_last_one_works(
        centre: RunningCentre) -> None:
    code, _ = centre.terminals.new_code("kiosk", "kiosk-1")
    body = {"code": code, "kind": "kiosk", "request_id": "enrol-0001-retry"}
    with centre.client() as kiosk:
        first = kiosk.post("/api/enrol", body)
        again = kiosk.post("/api/enrol", body)  # the first answer was lost on the way
        assert again["replayed"] and again["token"] != first["token"]
        with pytest.raises(CentreRefused, match="already been used"):
            kiosk.post("/api/enrol", {**body, "request_id": "someone-else-0002"})
    with centre.client(first["token"]) as stale, pytest.raises(CentreRefused) as refused:
        stale.get("/api/tickets/0123456789abcdef")
    assert refused.value.status == 401


def test_an_expired_code_is_refused(centre: RunningCentre) -> None:
    yesterday = Terminals(centre.ctx.engine,
                          clock=lambda: datetime.now(UTC) - timedelta(hours=25))
    code, _ = yesterday.new_code("counter", "counter-1")
    with centre.client() as desk, pytest.raises(CentreRefused, match="expired") as refused:
        desk.enrol(code, "counter")
    assert refused.value.status == 403


def test_a_code_for_another_kind_or_name_is_refused(centre: RunningCentre) -> None:
    code, _ = centre.terminals.new_code("counter", "counter-1")
    with centre.client() as client:
        with pytest.raises(CentreRefused, match="enrols counter 'counter-1'"):
            client.enrol(code, "kiosk")
        with pytest.raises(CentreRefused, match="enrols counter"):
            client.enrol(code, "counter", name="counter-2")
        with pytest.raises(CentreRefused, match="unknown enrolment code"):
            client.enrol("AAAA-BBBB-CCCC-DDDD", "counter")
        assert client.enrol(code, "counter", name="counter-1").name == "counter-1"


def test_a_revoked_token_is_refused_at_once(centre: RunningCentre) -> None:
    tv = centre.enrolled("display", "tv-1")
    assert tv.get("/api/display/state")["recent"] == []
    centre.terminals.revoke("tv-1")
    with pytest.raises(CentreRefused, match="revoked") as refused:
        tv.get("/api/display/state")
    assert refused.value.status == 401
    tv.close()


def test_a_token_opens_only_its_own_kind_of_request(centre: RunningCentre) -> None:
    with centre.enrolled("display", "tv-1") as tv:
        with pytest.raises(CentreRefused, match="needs a kiosk token") as refused:
            tv.post("/api/tickets", {"request_id": "display-issue-1", "service": "A",
                                     "lang": "vi"})
        assert refused.value.status == 403
    with centre.client() as anonymous, pytest.raises(CentreRefused, match="Bearer") as refused:
        anonymous.get("/api/display/state")
    assert refused.value.status == 401
    with centre.client("not-a-token") as forged, pytest.raises(CentreRefused, match="unknown"):
        forged.get("/api/display/state")


def test_an_enrolled_name_is_not_given_a_second_code_until_revoked(
        centre: RunningCentre) -> None:
    from kiosk.centre.terminals import TerminalExists

    centre.enrolled("kiosk", "kiosk-1").close()
    with pytest.raises(TerminalExists, match="revoke it first"):
        centre.terminals.new_code("kiosk", "kiosk-1")
    centre.terminals.revoke("kiosk-1")
    code, _ = centre.terminals.new_code("kiosk", "kiosk-1")
    states = {t.name: t.state for t in centre.terminals.list()}
    assert states == {"kiosk-1": "revoked"}
    with centre.client() as kiosk:
        kiosk.enrol(code, "kiosk")
    assert [t.state for t in centre.terminals.list()] == ["active"]


# --- errors are JSON sentences --------------------------------------------------------------

def test_refusals_are_one_json_sentence(centre: RunningCentre) -> None:
    with centre.client() as client:
        http = client._client()
        for method, path, kwargs, status in [
            ("GET", "/api/nothing-here", {}, 404),
            ("GET", "/api/enrol", {}, 405),
            ("POST", "/api/enrol", {"content": b"{", "headers": {
                "content-type": "application/json"}}, 400),
            ("POST", "/api/enrol", {"content": b"code=1"}, 415),
            ("POST", "/api/enrol", {"json": ["a", "list"]}, 400),
            ("POST", "/api/enrol", {"json": {"code": "x" * 5000, "kind": "kiosk"}}, 400),
            ("POST", "/api/enrol", {"content": b"{" + b" " * 70_000 + b"}", "headers": {
                "content-type": "application/json"}}, 413),
        ]:
            reply = http.request(method, path, **kwargs)
            assert reply.status_code == status, (path, reply.text)
            error = reply.json()["error"]
            assert isinstance(error, str) and "\n" not in error and "Traceback" not in error


def test_the_client_retries_only_what_is_safe_to_repeat(tmp_path: Path) -> None:
    """A service restarting answers 503 for a moment: a GET or a POST with a request_id is
    sent again; a POST without one is not (it might be applied twice)."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    from kiosk.centre.serve import serving

    seen: list[str] = []

    async def flaky(request: Request) -> JSONResponse:
        seen.append(request.method)
        if len(seen) % 3:  # two failures, then an answer
            return JSONResponse({"error": "restarting"}, status_code=503)
        return JSONResponse({"ok": True})

    pki = init_pki(tmp_path / "state", ["127.0.0.1"])
    app = Starlette(routes=[Route("/x", flaky, methods=["GET", "POST"])])
    with serving(app, pki.files) as url, \
            CentreClient(url, ca_pem=pki.files.ca_cert.read_text()) as client:
        assert client.get("/x") == {"ok": True} and seen == ["GET"] * 3
        assert client.post("/x", {"request_id": "once-only-0001"}) == {"ok": True}
        seen.clear()
        with pytest.raises(CentreUnreachable, match="HTTP 503"):
            client.post("/x", {"no": "request id"})
        assert seen == ["POST"]


def test_one_code_raced_by_several_terminals_enrols_exactly_one(
        tmp_path: Path, any_db_url: str, together) -> None:  # type: ignore[no-untyped-def]
    from kiosk.centre.terminals import EnrolmentRefused

    with running_centre(centre_config(tmp_path, db_url=any_db_url)) as centre:
        code, _ = centre.terminals.new_code("kiosk", "kiosk-1")

        def attempt(i: int) -> str | None:
            try:
                return centre.terminals.enrol(code, "kiosk", request_id=f"racer-{i:04d}").token
            except EnrolmentRefused:
                return None

        tokens = [t for t in together(4, attempt) if t is not None]
        assert len(tokens) == 1
        assert centre.terminals.authenticate(tokens[0]).name == "kiosk-1"
