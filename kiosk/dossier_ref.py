"""A reference dossier provider: the HTTP interface kiosk/dossier.py asks, served from a JSON
file, for tests, demonstrations and a centre whose province has no provider yet.

The data file is a JSON list of dossiers as the interface gives them:
    [{"code": "000.00.15.H42-250701-0001", "status": "in_progress",
      "updated_at": "2025-07-02T09:12:00+07:00", "procedure": "Đăng ký khai sinh"}, ...]
It is read again when it changes, so staff can move a demonstration dossier along.

Faults can be switched on while it runs, as on the simulated printer: "slow" (answers after
`slow_seconds`), "500" (an internal error), "garbage" (200 with something not JSON), "down"
(the port is closed: connections are refused), and None for a healthy provider.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from pathlib import Path
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from kiosk.dossier import DossierStatus
from kiosk.scans import parse_dossier_code

FAULTS = ("slow", "500", "garbage", "down")
START_SECONDS = 10  # a server not serving by then has failed to start

# A few made-up dossiers, one per status, for `kiosk screenshots` and demonstrations.
DEMO_DOSSIERS: list[dict[str, Any]] = [
    {"code": "000.00.15.H42-250701-0001", "status": "received",
     "updated_at": "2025-07-01T08:30:00+07:00", "procedure": "Đăng ký khai sinh"},
    {"code": "H42.123.45-251103-AB0012", "status": "in_progress",
     "updated_at": "2025-11-04T14:05:00+07:00", "procedure": "Đăng ký kết hôn"},
    {"code": "H42.123.45-251110-AB0007", "status": "needs_more_papers",
     "updated_at": "2025-11-12T10:40:00+07:00",
     "procedure": "Cấp bản sao trích lục hộ tịch"},
    {"code": "000.00.15.H42-251020-0042", "status": "ready",
     "updated_at": "2025-10-28T16:00:00+07:00",
     "procedure": "Chứng thực bản sao từ bản chính"},
    {"code": "H42.123.45-251015-AB0003", "status": "returned",
     "updated_at": "2025-10-20T09:00:00+07:00"},
]


class DataFileError(ValueError):
    """A data file the provider cannot serve; str() is one line naming the problem."""


def check_dossiers(records: Any, source: str = "data") -> dict[str, dict[str, Any]]:
    """The dossiers by code, each checked as the kiosk will check it."""
    if not isinstance(records, list):
        raise DataFileError(f"{source}: expected a JSON list of dossiers")
    by_code: dict[str, dict[str, Any]] = {}
    for i, record in enumerate(records):
        where = f"{source}: dossier {i}"
        if not isinstance(record, dict):
            raise DataFileError(f"{where}: expected an object")
        code = record.get("code")
        if not isinstance(code, str) or parse_dossier_code(code) != code:
            raise DataFileError(f"{where}: code is not a dossier code in upper case")
        status = record.get("status")
        if not isinstance(status, str) or status not in set(DossierStatus):
            raise DataFileError(f"{where}: status must be one of {', '.join(DossierStatus)}")
        if not isinstance(record.get("updated_at"), str):
            raise DataFileError(f"{where}: updated_at must be an ISO 8601 time as text")
        if "procedure" in record and not isinstance(record["procedure"], str):
            raise DataFileError(f"{where}: procedure must be text")
        by_code[code] = record
    return by_code


def load_dossiers(path: Path) -> dict[str, dict[str, Any]]:
    try:
        records = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataFileError(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DataFileError(f"{path}: cannot be read ({exc})") from None
    except ValueError as exc:
        raise DataFileError(f"{path}: not valid JSON ({exc})") from None
    return check_dossiers(records, str(path))


class ReferenceProvider:
    """The interface on HOST:PORT (a free port when 0) from a data file or a list."""

    def __init__(self, data: Path | list[dict[str, Any]] = DEMO_DOSSIERS,
                 host: str = "127.0.0.1", port: int = 0, slow_seconds: float = 10.0) -> None:
        self.path = data if isinstance(data, Path) else None
        self._dossiers = load_dossiers(data) if isinstance(data, Path) else check_dossiers(data)
        self._mtime = self._data_mtime()
        self.host, self.port = host, port
        self.slow_seconds = slow_seconds
        self.fault: str | None = None
        self.requests = 0  # lookups answered or faulted, for tests
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self.app = Starlette(routes=[Route("/dossiers/{code}", self._lookup)])

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def __enter__(self) -> ReferenceProvider:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    # -- serving ----------------------------------------------------------------------
    def start(self) -> ReferenceProvider:
        with self._lock:
            if self._server is not None:
                return self
            # IPPROTO_TCP named: asyncio sets TCP_NODELAY only on sockets that say so, and
            # without it a keep-alive answer waits 40 ms for the client's delayed ACK.
            sock = socket.socket(socket.AF_INET6 if ":" in self.host else socket.AF_INET,
                                 socket.SOCK_STREAM, socket.IPPROTO_TCP)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind((self.host, self.port))
            except OSError:
                sock.close()
                raise
            sock.listen(64)
            self.port = sock.getsockname()[1]  # the same port again after "down"
            self._stopping.clear()
            config = uvicorn.Config(self.app, log_level="warning", lifespan="off",
                                    timeout_graceful_shutdown=1, access_log=False)
            server = uvicorn.Server(config)
            thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]},
                                      name="dossier-provider", daemon=True)
            thread.start()
            for _ in range(START_SECONDS * 100):
                if server.started or not thread.is_alive():
                    break
                self._stopping.wait(0.01)
            if not server.started:
                server.should_exit = True
                raise OSError(f"the provider did not start on {self.url}")
            self._server, self._thread = server, thread
        return self

    def stop(self) -> None:
        with self._lock:
            server, thread = self._server, self._thread
            self._server = self._thread = None
        if server is None or thread is None:
            return
        self._stopping.set()  # a slow answer in progress ends now
        server.should_exit = True
        thread.join(timeout=START_SECONDS)

    def set_fault(self, fault: str | None) -> None:
        if fault is not None and fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}; expected one of {', '.join(FAULTS)}")
        was_down = self.fault == "down"
        self.fault = fault
        if fault == "down":
            self.stop()
        elif was_down:
            self.start()

    # -- the interface ----------------------------------------------------------------
    def _data_mtime(self) -> float | None:
        try:
            return self.path.stat().st_mtime if self.path else None
        except OSError:
            return None

    def _current(self) -> dict[str, dict[str, Any]]:
        """The dossiers, read again if the file changed (a bad edit keeps the last good)."""
        mtime = self._data_mtime()
        if self.path is not None and mtime != self._mtime:
            self._mtime = mtime
            try:
                self._dossiers = load_dossiers(self.path)
            except DataFileError as exc:
                print(f"kiosk: dossier provider keeps its last data: {exc}", flush=True)
        return self._dossiers

    async def _lookup(self, request: Request) -> Response:
        self.requests += 1
        fault = self.fault
        if fault == "slow":
            deadline = asyncio.get_running_loop().time() + self.slow_seconds
            while not self._stopping.is_set() and asyncio.get_running_loop().time() < deadline:
                await asyncio.sleep(0.05)
        elif fault == "500":
            return Response("internal error", status_code=500)
        elif fault == "garbage":
            return Response(b"\x00<html>not a status", status_code=200,
                            media_type="application/json")
        record = self._current().get(request.path_params["code"])
        if record is None:
            return JSONResponse({"error": "unknown dossier"}, status_code=404)
        return JSONResponse(record)
