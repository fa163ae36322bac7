"""The centre's app (kiosk/centre/app.py: the API and the pages) on a real uvicorn server
over TLS, for the browser tests (tests/centre_pages/pages_helpers.py starts it in a process
of its own and kills it at will). The heartbeat, the "not updated since" delay and the
event stream's reconnection delay are shortened so that tests wait seconds, not minutes.
--lose-first-answer: the first answer to each counter action is lost after the action was
applied (the client sees a 502, as from a proxy whose upstream dropped): the page must
send it again with the same request id, and the action must still happen once.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sys
import threading
import traceback

import uvicorn

from kiosk.centre import live, web
from kiosk.centre.app import make_app
from kiosk.centre.context import CentreContext
from kiosk.config import load_config
from kiosk.store import TicketStore, open_database
from kiosk.store.calls import CounterDesk


class LoseFirstAnswer:
    """ASGI middleware: the first answer to each counter action never reaches the client."""

    def __init__(self, app) -> None:  # type: ignore[no-untyped-def]
        self.app = app
        self.seen: set[str] = set()

    async def __call__(self, scope, receive, send) -> None:  # type: ignore[no-untyped-def]
        if scope["type"] != "http" or not scope["path"].startswith("/api/counters/"):
            return await self.app(scope, receive, send)
        chunks = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        body = b"".join(chunks)
        request_id = json.loads(body or b"{}").get("request_id", "")

        async def replay():  # type: ignore[no-untyped-def]
            return {"type": "http.request", "body": body, "more_body": False}

        if request_id in self.seen:
            return await self.app(scope, replay, send)
        self.seen.add(request_id)

        async def swallow(message) -> None:  # type: ignore[no-untyped-def]
            pass  # the action was applied; its answer is lost on the way

        await self.app(scope, replay, swallow)
        await send({"type": "http.response.start", "status": 502,
                    "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": b"upstream connection lost"})


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--heartbeat", type=float, required=True)
    parser.add_argument("--stale-after", type=float, required=True)
    parser.add_argument("--retry-ms", type=int, required=True)
    parser.add_argument("--lose-first-answer", action="store_true")
    parser.add_argument("--data-dir", help="the config's data folder (content updates)")
    args = parser.parse_args(argv)
    live.HEARTBEAT_SECONDS = args.heartbeat
    web.STALE_AFTER_SECONDS = args.stale_after
    live.RETRY_MS = args.retry_ms
    config = load_config(data_dir=args.data_dir)
    engine = open_database(args.db)
    ctx = CentreContext(config, engine, CounterDesk(engine), TicketStore(engine))
    app = make_app(ctx)
    if args.lose_first_answer:
        app = LoseFirstAnswer(app)
    uvicorn.run(app, host="127.0.0.1", port=args.port, ssl_certfile=args.cert,
                ssl_keyfile=args.key, log_level="warning", timeout_graceful_shutdown=1)


def fork_server() -> None:
    """`serve_pages.py --fork-server`: with everything above imported once, each line read
    from stdin (a JSON list: the log file, then main's arguments) becomes a server in a
    fork of this process, whose pid is written back; a fresh interpreter took ~1.5 s of
    each start under load. The forks are reaped as they end; at the end of stdin those
    still running are killed, and this process exits."""
    children: set[int] = set()

    def reap(*_: object) -> None:
        while True:
            try:
                pid, _status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            children.discard(pid)

    signal.signal(signal.SIGCHLD, reap)
    print("ready", flush=True)
    for line in sys.stdin:
        log, *argv = json.loads(line)
        # A fork copies only the thread that calls it: there must be no other.
        assert threading.active_count() == 1, threading.enumerate()
        pid = os.fork()
        if pid == 0:
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            out = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            os.dup2(out, 1)
            os.dup2(out, 2)
            os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
            code = 0
            try:
                main(argv)
            except BaseException:
                traceback.print_exc()
                code = 1
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)  # never this process's own exit code paths
        children.add(pid)
        print(pid, flush=True)
    for pid in list(children):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


if __name__ == "__main__":
    if sys.argv[1:] == ["--fork-server"]:
        fork_server()
    else:
        main()
