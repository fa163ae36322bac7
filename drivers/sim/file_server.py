"""A small HTTP/1.1 file server on a real TCP socket, for download tests: single byte ranges
(`Range: bytes=a-b`, `bytes=a-`, `bytes=-n`), a strong ETag and Last-Modified per file
(from its size and mtime, as nginx makes them), `If-Range`, 416 for a range past the end.

Faults for tests: `ignore_range` (answers 200 with the whole file, as some servers do),
`cuts` (absolute file offsets: an answer that would carry the byte at a cut sends the
bytes before it and then closes the connection, each cut once), `ignore_if_range` (a range
even when the file changed, as a broken cache would). `certfile`: HTTPS with that
certificate chain and key (one PEM file). Every request is logged (`log`) with its
Range and If-Range headers, the status and the bytes of body sent, so a test can tell
which bytes were sent twice. No kiosk imports.

    python -m drivers.sim.file_server --root DIR [--port N]
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import ssl
import sys
import threading
from dataclasses import dataclass
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

_RANGE = re.compile(r"bytes=(\d*)-(\d*)")
_CHUNK = 16 * 1024


@dataclass
class Served:
    """One request, logged when its answer begins (so in the order requests came)."""

    path: str
    range: str | None
    if_range: str | None
    status: int = 0
    start: int = 0  # first byte offset of the body sent
    sent: int = 0  # body bytes written before the answer ended (or was cut)
    finished: bool = False


class FileServer(ThreadingHTTPServer):
    """Serves the files under `root` at `/<relative path>`; port 0 takes a free one."""

    daemon_threads = True

    def __init__(self, root: Path, host: str = "127.0.0.1", port: int = 0,
                 certfile: Path | None = None) -> None:
        super().__init__((host, port), _Handler)
        self.scheme = "http"
        if certfile is not None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(certfile)
            self.socket = context.wrap_socket(self.socket, server_side=True)
            self.scheme = "https"
        self.root = Path(root)
        self.ignore_range = False
        self.cuts: list[int] = []
        self.ignore_if_range = False
        self.log: list[Served] = []
        self.cond = threading.Condition()
        self._thread: threading.Thread | None = None

    def start(self) -> FileServer:
        self._thread = threading.Thread(target=self.serve_forever, args=(0.05,),
                                        name="file-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()

    def __enter__(self) -> FileServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"{self.scheme}://{host}:{port}"

    def handle_error(self, request: object, client_address: object) -> None:
        if not isinstance(sys.exc_info()[1], OSError):  # a client gone is no news
            super().handle_error(request, client_address)  # type: ignore[arg-type]

    def begin(self, served: Served) -> Served:
        with self.cond:
            self.log.append(served)
            self.cond.notify_all()
        return served

    def end(self, served: Served, status: int, start: int = 0, sent: int = 0) -> None:
        with self.cond:
            served.status, served.start, served.sent, served.finished = status, start, sent, True
            self.cond.notify_all()

    def settled(self, timeout: float = 30) -> bool:
        """Wait until every logged answer has ended (a cut one ends a moment after the
        client saw it end)."""
        with self.cond:
            return self.cond.wait_for(lambda: all(s.finished for s in self.log), timeout)

    def take_cut(self, start: int, end: int) -> int | None:
        """The first cut inside [start, end), removed from the list (it happens once)."""
        with self.cond:
            inside = [c for c in self.cuts if start <= c < end]
            if not inside:
                return None
            self.cuts.remove(min(inside))
            return min(inside)

    def body_bytes(self, path: str) -> int:
        """How many body bytes of `path` were sent in all (cut answers included)."""
        self.settled()
        with self.cond:
            return sum(s.sent for s in self.log if s.path == path)


def etag_of(stat: os.stat_result) -> str:
    return f'"{stat.st_mtime_ns:x}-{stat.st_size:x}"'


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: FileServer

    def do_HEAD(self) -> None:  # noqa: N802 (http.server's naming)
        self._answer(body=False)

    def do_GET(self) -> None:  # noqa: N802
        self._answer(body=True)

    def _answer(self, *, body: bool) -> None:
        server = self.server
        rel = self.path.split("?", 1)[0].lstrip("/")
        target = (server.root / rel).resolve()
        range_header = self.headers.get("Range")
        if_range = self.headers.get("If-Range")
        served = server.begin(Served(self.path, range_header, if_range))
        if server.root.resolve() not in target.parents or not target.is_file():
            self._small(404, b"not found\n")
            server.end(served, 404)
            return
        stat = target.stat()
        size = stat.st_size
        etag = etag_of(stat)
        modified = formatdate(stat.st_mtime, usegmt=True)
        start, end, status = 0, size, 200
        use_range = (range_header is not None and not server.ignore_range
                     and (if_range is None or server.ignore_if_range
                          or if_range in (etag, modified)))
        if use_range:
            match = _RANGE.fullmatch(range_header.strip())
            if match and (match[1] or match[2]):
                first, last = match[1], match[2]
                if first:
                    start = int(first)
                    end = min(size, int(last) + 1) if last else size
                else:  # a suffix: the last n bytes
                    start = max(0, size - int(last))
                if start >= size or start >= end:
                    self.send_response(416)
                    self.send_header("Content-Range", f"bytes */{size}")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    server.end(served, 416)
                    return
                status = 206
        self.send_response(status)
        self.send_header("Content-Length", str(end - start))
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("ETag", etag)
        self.send_header("Last-Modified", modified)
        self.send_header("Accept-Ranges", "bytes")
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{end - 1}/{size}")
        self.end_headers()
        sent = 0
        if body:
            cut = server.take_cut(start, end)
            stop = end if cut is None else cut
            with open(target, "rb") as f:
                f.seek(start)
                try:
                    while start + sent < stop:
                        data = f.read(min(_CHUNK, stop - start - sent))
                        if not data:
                            break
                        self.wfile.write(data)
                        sent += len(data)
                    if cut is not None:
                        self.wfile.flush()
                        self.connection.shutdown(socket.SHUT_RDWR)
                        self.close_connection = True
                except OSError:
                    self.close_connection = True  # the client went away
        server.end(served, status, start, sent)

    def _small(self, status: int, text: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(len(text)))
        self.end_headers()
        self.wfile.write(text)

    def log_message(self, *args: object) -> None:
        pass  # the log list is the record


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m drivers.sim.file_server",
                                     description="A file server with byte ranges.")
    parser.add_argument("--root", type=Path, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    server = FileServer(args.root, args.host, args.port)
    print(f"serving {args.root} at {server.url}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
