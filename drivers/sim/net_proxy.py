"""A fault-injecting HTTP/1.1 proxy on real TCP sockets, between a client and one server.

It reads each request whole (Content-Length or chunked framing), then, per request, either
forwards it and relays the answer, or injects one fault:

- ``drop_before``: closes the client's connection without forwarding (the server never
  sees the request);
- ``drop_after``: forwards the request, reads the server's whole answer, then closes the
  client's connection without it: the server acted on the request, the client saw a
  failure. This is the case that makes an at-least-once sender send something twice;
- ``reset``: closes the client's connection with SO_LINGER 0 (a TCP RST), not forwarding;
- ``http_500``: answers 500 itself, not forwarding;
- ``delay``: waits ``delay_seconds`` before forwarding (a client with a shorter timeout gives
  up, while the server still gets the request);
- ``cut``: forwards the request, then relays the answer's head and only part of its body (a
  random point inside it) and closes the connection: a download dropped mid-body.

Faults are drawn per request, not per connection, so a kept-alive connection is not a way
around them; the draws come from ``random.Random(seed)`` in the order requests arrive, so a
client sending one request at a time meets the same faults on every run. Faults can be
changed while it runs (``set_faults``), and ``plan`` names the outcomes of the next requests
outright (a test that wants exactly five cuts). No kiosk imports: any HTTP client and
server will do.

    python -m drivers.sim.net_proxy --listen 127.0.0.1:8081 --target 127.0.0.1:8080 \\
        --drop-after 0.15 --drop-before 0.15 --seed 1
"""

from __future__ import annotations

import argparse
import io
import random
import socket
import struct
import sys
import threading
from collections import Counter, deque
from dataclasses import dataclass, fields, replace
from typing import BinaryIO

# The order in which one random draw is cut into outcomes (changing it changes the sequence
# a seed gives).
FAULTS = ("drop_before", "drop_after", "reset", "http_500", "delay", "cut")
PASS = "pass"

_MAX_LINE = 8192  # one start line or header line
_MAX_HEADERS = 100
_BODY_500 = b"fault injected: 500\n"
_ANSWER_500 = (b"HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/plain\r\n"
               b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(_BODY_500), _BODY_500))


class ProtocolError(ValueError):
    """Bytes that are not one well-framed HTTP/1.x message."""


@dataclass(frozen=True)
class Faults:
    """Fractions of requests (0…1, summing to at most 1) that meet each fault."""

    drop_before: float = 0.0
    drop_after: float = 0.0
    reset: float = 0.0
    http_500: float = 0.0
    delay: float = 0.0
    delay_seconds: float = 0.0
    cut: float = 0.0

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise ValueError(f"{f.name} must be a number from 0, got {value!r}")
        if any(getattr(self, name) > 1 for name in FAULTS):
            raise ValueError("each fault is a fraction of requests, from 0 to 1")
        if sum(getattr(self, name) for name in FAULTS) > 1 + 1e-9:
            raise ValueError("the fault fractions add up to more than 1")

    def outcome(self, draw: float) -> str:
        """The fault (or PASS) that a uniform draw in [0, 1) falls on."""
        edge = 0.0
        for name in FAULTS:
            edge += getattr(self, name)
            if draw < edge:
                return name
        return PASS


@dataclass(frozen=True)
class Message:
    raw: bytes  # exactly the bytes read, to be forwarded as they came
    start_line: str
    close: bool  # the sender will close the connection after it

    @property
    def method(self) -> str:
        return self.start_line.split(" ", 1)[0]

    @property
    def status(self) -> int:
        return int(self.start_line.split(" ", 2)[1])

    @property
    def body(self) -> bytes:
        return self.raw.split(b"\r\n\r\n", 1)[1] if b"\r\n\r\n" in self.raw else b""


def _line(reader: BinaryIO, out: bytearray) -> bytes:
    line = reader.readline(_MAX_LINE + 1)
    if len(line) > _MAX_LINE:
        raise ProtocolError("line too long")
    if not line.endswith(b"\n"):
        raise ProtocolError("connection closed inside the message head")
    out += line
    return line.rstrip(b"\r\n")


def _exactly(reader: BinaryIO, n: int, out: bytearray) -> None:
    data = reader.read(n)
    if len(data) != n:
        raise ProtocolError("connection closed inside the message body")
    out += data


def read_message(reader: BinaryIO, *, response: bool, method: str = "GET") -> Message | None:
    """One HTTP/1.x message from `reader`; None if it ends cleanly before the first byte.

    `method` is the request's, for a response (HEAD answers have no body). Raises
    ProtocolError for anything else that is not one complete, well-framed message."""
    raw = bytearray()
    first = reader.readline(_MAX_LINE + 1)
    if not first:
        return None
    raw += first
    if len(first) > _MAX_LINE or not first.endswith(b"\n"):
        raise ProtocolError("no complete start line")
    try:
        start = first.rstrip(b"\r\n").decode("ascii")
    except UnicodeDecodeError:
        raise ProtocolError("start line is not ASCII") from None
    parts = start.split(" ", 2)
    if response:
        if (len(parts) < 2 or not parts[0].startswith("HTTP/1.")
                or not (parts[1].isdigit() and len(parts[1]) == 3)):
            raise ProtocolError(f"not an HTTP/1.x status line: {start[:40]!r}")
    elif len(parts) != 3 or not parts[2].startswith("HTTP/1.") or not parts[0].isalpha():
        raise ProtocolError(f"not an HTTP/1.x request line: {start[:40]!r}")
    version = parts[0] if response else parts[2]
    headers: dict[str, str] = {}
    for _ in range(_MAX_HEADERS + 1):
        line = _line(reader, raw)
        if not line:
            break
        name, sep, value = line.partition(b":")
        if not sep or not name or name != name.strip():
            raise ProtocolError("malformed header line")
        key = name.decode("latin-1").lower()
        text = value.strip().decode("latin-1")
        if key == "content-length" and key in headers and headers[key] != text:
            raise ProtocolError("conflicting Content-Length headers")
        headers[key] = text
    else:
        raise ProtocolError("too many header lines")
    connection = headers.get("connection", "").lower()
    close = "close" in connection or (version == "HTTP/1.0" and "keep-alive" not in connection)
    status = int(parts[1]) if response else 0
    if response and (status < 200 or status in (204, 304) or method == "HEAD"):
        if 100 <= status < 200:  # an interim answer: the final one follows it
            rest = read_message(reader, response=True, method=method)
            if rest is None:
                raise ProtocolError("connection closed after an interim answer")
            return Message(bytes(raw) + rest.raw, rest.start_line, rest.close)
        return Message(bytes(raw), start, close)
    if "chunked" in headers.get("transfer-encoding", "").lower():
        _read_chunks(reader, raw)
    elif "content-length" in headers:
        length = headers["content-length"]
        if not length.isdigit() or len(length) > 12:
            raise ProtocolError("bad Content-Length")
        _exactly(reader, int(length), raw)
    elif response:  # no framing: the body runs to the end of the connection
        raw += reader.read()
        close = True
    return Message(bytes(raw), start, close)


def _read_chunks(reader: BinaryIO, raw: bytearray) -> None:
    while True:
        size_text = _line(reader, raw).split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            raise ProtocolError("bad chunk size") from None
        if size < 0 or len(size_text) > 12:
            raise ProtocolError("bad chunk size")
        if size == 0:
            while _line(reader, raw):  # trailer fields, then the empty line
                pass
            return
        _exactly(reader, size, raw)
        if _line(reader, raw):
            raise ProtocolError("chunk not followed by CRLF")


def parse_message(data: bytes, *, response: bool) -> Message | None:
    """read_message over bytes in memory (for tests and fuzzing)."""
    return read_message(io.BytesIO(data), response=response)


class NetProxy:
    """Listens on `host:port` (0: a free port) and forwards to `target` (host, port)."""

    def __init__(self, target: tuple[str, int], faults: Faults | None = None, *,
                 seed: int = 0, host: str = "127.0.0.1", port: int = 0,
                 upstream_timeout: float = 30.0, keep_requests: bool = False) -> None:
        self.target = target
        self._faults = faults or Faults()
        self._rng = random.Random(seed)
        self._host, self._port = host, port
        self._upstream_timeout = upstream_timeout
        self._keep = keep_requests
        self._cond = threading.Condition()
        self._outcomes: list[str] = []
        self._requests: list[bytes] = []
        self._plan: deque[str] = deque()
        self._stopping = threading.Event()
        self._listener: socket.socket | None = None
        self._accept_thread: threading.Thread | None = None
        self._open: set[socket.socket] = set()

    # -- life ------------------------------------------------------------------------

    def start(self) -> NetProxy:
        self._stopping.clear()
        self._listener = socket.create_server((self._host, self._port))
        self._port = self._listener.getsockname()[1]  # the same port again after a restart
        self._accept_thread = threading.Thread(target=self._accept_loop, args=(self._listener,),
                                               name="net-proxy-accept", daemon=True)
        self._accept_thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        listener, self._listener = self._listener, None
        if listener is not None:
            _shut(listener)  # wakes accept()
        with self._cond:
            open_now = list(self._open)
        for sock in open_now:
            _shut(sock)
        if self._accept_thread is not None:
            self._accept_thread.join(10)

    def __enter__(self) -> NetProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def address(self) -> tuple[str, int]:
        return self._host, self._port

    @property
    def url(self) -> str:
        return f"http://{self._host}:{self._port}"

    # -- faults and what happened ----------------------------------------------------

    @property
    def faults(self) -> Faults:
        return self._faults

    def set_faults(self, faults: Faults | None = None, **changes: float) -> None:
        """Replaces the faults (or changes some fields) for the requests that follow."""
        with self._cond:
            self._faults = replace(faults or self._faults, **changes)

    def plan(self, *outcomes: str) -> None:
        """The next requests meet these outcomes, in order (fault names or "pass"); the
        random draws take over again after them."""
        unknown = set(outcomes) - {*FAULTS, PASS}
        if unknown:
            raise ValueError(f"unknown outcomes: {sorted(unknown)}")
        with self._cond:
            self._plan.extend(outcomes)

    @property
    def outcomes(self) -> list[str]:
        """What each request met, in arrival order (a fault's name or "pass")."""
        with self._cond:
            return list(self._outcomes)

    def counts(self) -> Counter[str]:
        return Counter(self.outcomes)

    @property
    def requests(self) -> list[bytes]:
        """Every request read from clients, whole (only with keep_requests=True)."""
        with self._cond:
            return list(self._requests)

    def wait_for_requests(self, n: int, timeout: float) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: len(self._outcomes) >= n, timeout)

    # -- work --------------------------------------------------------------------------

    def _accept_loop(self, listener: socket.socket) -> None:
        while not self._stopping.is_set():
            try:
                client, _ = listener.accept()
            except OSError:
                break  # stop() shut the listener
            client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._cond:
                self._open.add(client)
            threading.Thread(target=self._serve, args=(client,), name="net-proxy-conn",
                             daemon=True).start()
        listener.close()

    def _draw(self, request: Message) -> tuple[str, Faults, float]:
        with self._cond:
            faults = self._faults
            outcome = self._plan.popleft() if self._plan else faults.outcome(self._rng.random())
            where = self._rng.random() if outcome == "cut" else 0.0
            self._outcomes.append(outcome)
            if self._keep:
                self._requests.append(request.raw)
            self._cond.notify_all()
        return outcome, faults, where

    def _serve(self, client: socket.socket) -> None:
        upstream: socket.socket | None = None
        upstream_reader: BinaryIO | None = None
        reader = client.makefile("rb")
        try:
            while not self._stopping.is_set():
                request = read_message(reader, response=False)
                if request is None:
                    return
                outcome, faults, where = self._draw(request)
                if outcome == "drop_before":
                    return
                if outcome == "reset":
                    client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                      struct.pack("ii", 1, 0))
                    return
                if outcome == "http_500":
                    client.sendall(_ANSWER_500)
                    return
                if outcome == "delay" and self._stopping.wait(faults.delay_seconds):
                    return
                if upstream is None:
                    upstream = socket.create_connection(self.target, self._upstream_timeout)
                    upstream.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                    with self._cond:
                        self._open.add(upstream)
                    upstream_reader = upstream.makefile("rb")
                upstream.sendall(request.raw)
                assert upstream_reader is not None
                response = read_message(upstream_reader, response=True, method=request.method)
                if response is None or outcome == "drop_after":
                    return
                if outcome == "cut":
                    head = response.raw.index(b"\r\n\r\n") + 4 if b"\r\n\r\n" in response.raw \
                        else len(response.raw)
                    client.sendall(response.raw[:head + int(where * (len(response.raw) - head))])
                    return
                client.sendall(response.raw)
                if request.close or response.close:
                    return
        except (OSError, ProtocolError):
            return  # either side went away or spoke nonsense: the connection ends
        finally:
            for sock in (client, upstream):
                if sock is not None:
                    with self._cond:
                        self._open.discard(sock)
                    sock.close()


def _shut(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # not connected (any more): closing is all that is left
    sock.close()


def _address(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r}: expected HOST:PORT")
    return host, int(port)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m drivers.sim.net_proxy",
                                     description="A fault-injecting HTTP proxy.")
    parser.add_argument("--listen", type=_address, default=("127.0.0.1", 0))
    parser.add_argument("--target", type=_address, required=True)
    parser.add_argument("--seed", type=int, default=0)
    for name in FAULTS:
        parser.add_argument(f"--{name.replace('_', '-')}", type=float, default=0.0,
                            metavar="FRACTION")
    parser.add_argument("--delay-seconds", type=float, default=0.0)
    args = parser.parse_args(argv)
    try:
        faults = Faults(**{name: getattr(args, name) for name in (*FAULTS, "delay_seconds")})
    except ValueError as exc:
        parser.error(str(exc))
    proxy = NetProxy(args.target, faults, seed=args.seed, host=args.listen[0],
                     port=args.listen[1]).start()
    print(f"proxy {proxy.url} -> {args.target[0]}:{args.target[1]}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        proxy.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
