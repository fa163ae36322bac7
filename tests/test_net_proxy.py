"""The fault-injecting HTTP proxy (drivers/sim/net_proxy.py) between a real client and a
real server on loopback sockets."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.sim.net_proxy import FAULTS, Faults, NetProxy, ProtocolError, parse_message


class Backend(ThreadingHTTPServer):
    """Answers POST / with the body's length; /chunked answers in chunks. Counts requests."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.bodies: list[bytes] = []
        self.cond = threading.Condition()

    def wait_for(self, n: int, timeout: float = 10) -> bool:
        with self.cond:
            return self.cond.wait_for(lambda: len(self.bodies) >= n, timeout)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as httpx uses it

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        server: Backend = self.server  # type: ignore[assignment]
        with server.cond:
            server.bodies.append(body)
            server.cond.notify_all()
        if self.path == "/chunked":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for part in (b"first,", b"second"):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
            self.wfile.write(b"0\r\n\r\n")
            return
        answer = f"got {len(body)}".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args: object) -> None:
        pass  # quiet tests


@pytest.fixture
def backend() -> Iterator[Backend]:
    server = Backend()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _proxy(backend: Backend, faults: Faults | None = None, seed: int = 0,
           **kw: object) -> NetProxy:
    return NetProxy(backend.server_address[:2], faults, seed=seed, **kw)  # type: ignore[arg-type]


def test_requests_pass_on_one_kept_alive_connection(backend: Backend) -> None:
    with _proxy(backend, keep_requests=True) as proxy, httpx.Client(timeout=5) as client:
        answers = [client.post(proxy.url, content=b"x" * n) for n in (1, 10, 1000)]
        chunked = client.post(proxy.url + "/chunked", content=b"abc")
    assert [a.text for a in answers] == ["got 1", "got 10", "got 1000"]
    assert chunked.text == "first,second"
    assert backend.bodies == [b"x", b"x" * 10, b"x" * 1000, b"abc"]
    assert proxy.outcomes == ["pass"] * 4
    assert proxy.requests[2].endswith(b"x" * 1000)


def test_drop_before_forwarding_never_reaches_the_server(backend: Backend) -> None:
    with _proxy(backend, Faults(drop_before=1)) as proxy, httpx.Client(timeout=5) as client:
        with pytest.raises(httpx.TransportError):
            client.post(proxy.url, content=b"batch")
    assert backend.bodies == []
    assert proxy.outcomes == ["drop_before"]


def test_drop_after_forwarding_reaches_the_server_but_not_the_answer(backend: Backend) -> None:
    with _proxy(backend, Faults(drop_after=1)) as proxy, httpx.Client(timeout=5) as client:
        with pytest.raises(httpx.TransportError):
            client.post(proxy.url, content=b"batch")
    assert backend.bodies == [b"batch"]  # the server acted; the client saw a failure


def test_reset_is_a_tcp_reset(backend: Backend) -> None:
    with _proxy(backend, Faults(reset=1)) as proxy:
        with socket.create_connection(proxy.address, timeout=5) as sock:
            sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi")
            with pytest.raises(ConnectionResetError):
                sock.recv(100)
    assert backend.bodies == []


def test_http_500_answers_without_forwarding(backend: Backend) -> None:
    with _proxy(backend, Faults(http_500=1)) as proxy, httpx.Client(timeout=5) as client:
        answer = client.post(proxy.url, content=b"batch")
    assert answer.status_code == 500
    assert backend.bodies == []


def test_a_delay_longer_than_the_client_waits_still_delivers(backend: Backend) -> None:
    faults = Faults(delay=1, delay_seconds=1.0)
    with _proxy(backend, faults) as proxy, httpx.Client(timeout=0.2) as client:
        with pytest.raises(httpx.ReadTimeout):
            client.post(proxy.url, content=b"late")
        assert backend.wait_for(1)  # forwarded after the delay, the client long gone
    assert backend.bodies == [b"late"]


def test_faults_switch_while_running(backend: Backend) -> None:
    with _proxy(backend) as proxy, httpx.Client(timeout=5) as client:
        assert client.post(proxy.url, content=b"1").status_code == 200
        proxy.set_faults(http_500=1.0)
        assert client.post(proxy.url, content=b"2").status_code == 500
        proxy.set_faults(Faults())
        assert client.post(proxy.url, content=b"3").status_code == 200
    assert backend.bodies == [b"1", b"3"]


def _outcomes(backend: Backend, seed: int) -> list[str]:
    faults = Faults(drop_before=0.2, drop_after=0.2, http_500=0.2)
    with _proxy(backend, faults, seed=seed) as proxy, httpx.Client(timeout=5) as client:
        for _ in range(40):
            try:
                client.post(proxy.url, content=b"x")
            except httpx.TransportError:
                pass  # a dropped request: what is compared is the sequence of faults
        return proxy.outcomes


def test_the_same_seed_gives_the_same_faults(backend: Backend) -> None:
    first, again, other = (_outcomes(backend, s) for s in (7, 7, 8))
    assert first == again
    assert first != other
    assert {"pass", "drop_before", "drop_after", "http_500"} <= set(first)


@pytest.mark.parametrize("bad", [dict(drop_before=0.6, drop_after=0.6), dict(reset=1.5),
                                 dict(delay=-0.1), dict(http_500=True)])
def test_impossible_faults_are_refused(bad: dict) -> None:
    with pytest.raises(ValueError):
        Faults(**bad)


def test_every_fault_is_drawn_somewhere() -> None:
    faults = Faults(drop_before=0.1, drop_after=0.2, reset=0.1, http_500=0.1, delay=0.1,
                    cut=0.1)
    seen = {faults.outcome(i / 100) for i in range(100)}
    assert seen == {*FAULTS, "pass"}


@settings(max_examples=300)
@given(st.binary(max_size=300), st.booleans())
def test_any_bytes_parse_as_a_message_or_a_protocol_error(data: bytes, response: bool) -> None:
    try:
        message = parse_message(data, response=response)
    except ProtocolError:
        return
    assert message is None or data.startswith(message.raw)


_TOKEN = st.text(alphabet="abcdefghijklmnopqrstuvwxyz-", min_size=1, max_size=12)


@given(st.lists(st.tuples(_TOKEN, _TOKEN), max_size=5), st.binary(max_size=200),
       st.booleans())
def test_well_framed_requests_are_read_whole(headers: list[tuple[str, str]], body: bytes,
                                             chunked: bool) -> None:
    head = "".join(f"X-{k}: {v}\r\n" for k, v in headers).encode()
    if chunked:
        framed = (b"%x\r\n%s\r\n" % (len(body), body) if body else b"") + b"0\r\n\r\n"
        raw = b"POST /e HTTP/1.1\r\n" + head + b"Transfer-Encoding: chunked\r\n\r\n" + framed
    else:
        raw = b"POST /e HTTP/1.1\r\n" + head + b"Content-Length: %d\r\n\r\n" % len(body) + body
    message = parse_message(raw + b"GET /next HTTP/1.1\r\n\r\n", response=False)
    assert message is not None
    assert message.raw == raw
    assert message.method == "POST"


def test_the_proxy_runs_on_its_own(backend: Backend) -> None:
    import subprocess
    import sys

    host, port = backend.server_address[:2]
    proxy = subprocess.Popen([sys.executable, "-m", "drivers.sim.net_proxy", "--target",
                              f"{host}:{port}", "--http-500", "1"], stdout=subprocess.PIPE,
                             text=True)
    try:
        assert proxy.stdout is not None
        url = proxy.stdout.readline().split()[1]
        assert httpx.post(url, content=b"x", timeout=5).status_code == 500
    finally:
        proxy.terminate()
        proxy.wait(10)
        proxy.stdout.close()  # type: ignore[union-attr]
    assert backend.bodies == []
    bad = subprocess.run([sys.executable, "-m", "drivers.sim.net_proxy", "--target",
                          f"{host}:{port}", "--reset", "2"], capture_output=True, text=True)
    assert bad.returncode == 2 and "fraction" in bad.stderr
