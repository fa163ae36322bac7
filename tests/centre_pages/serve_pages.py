"""The centre's pages on a real uvicorn server over TLS, for the browser tests
(tests/centre_pages/conftest.py starts it in a process of its own and kills it at will).

The counter actions' API is the test's own small one calling CounterDesk directly, until
the centre's app (kiosk/centre/app.py) is in this branch.
--lose-first-answer: the first answer to each counter action is lost after the action was
applied (the client sees a 502, as from a proxy whose upstream dropped): the page must
send it again with the same request id, and the action must still happen once.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import uvicorn
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from kiosk.store.calls import CounterDesk, CounterRefused, InvalidRequest  # noqa: E402

from kiosk.centre import web  # noqa: E402
from kiosk.centre.context import CentreContext  # noqa: E402
from kiosk.centre.staff_auth import StaffRefused, check_staff  # noqa: E402
from kiosk.config import load_config  # noqa: E402
from kiosk.store import TicketStore, open_database  # noqa: E402


def counter_api(ctx: CentreContext):  # type: ignore[no-untyped-def]
    async def act(request: Request) -> JSONResponse:
        counter, action = request.path_params["counter"], request.path_params["action"]
        try:
            session = await run_in_threadpool(check_staff, ctx, request)
        except StaffRefused as exc:
            return JSONResponse({"error": str(exc)}, 401)
        if not session.member.may_use(counter):
            return JSONResponse({"error": f"you may not use counter {counter}"}, 403)
        body = await request.json()
        at, request_id = ctx.config.now(), body.get("request_id")
        desk = ctx.desk
        calls = {
            "call": lambda: desk.call_next(counter, web.services_of(ctx.config, counter),
                                           at, request_id),
            "recall": lambda: desk.recall(counter, at, request_id),
            "start": lambda: desk.start(counter, at, request_id),
            "served": lambda: desk.served(counter, at, request_id),
            "no-show": lambda: desk.no_show(counter, at, request_id),
            "transfer": lambda: desk.transfer(counter, body.get("to_service"), at, request_id),
            "pause": lambda: desk.pause(counter, at, request_id),
            "resume": lambda: desk.resume(counter, at, request_id),
        }
        if action not in calls:
            return JSONResponse({"error": f"no action {action!r}"}, 404)
        try:
            result = await run_in_threadpool(calls[action])
        except CounterRefused as exc:
            return JSONResponse({"error": str(exc)}, 409)
        except InvalidRequest as exc:
            return JSONResponse({"error": str(exc)}, 400)
        ticket = result.ticket
        return JSONResponse({"action": action, "counter": result.counter,
                             "number": ticket.number if ticket else None,
                             "service": ticket.service if ticket else None,
                             "replayed": result.replayed})

    return Route("/api/counters/{counter:int}/{action}", act, methods=["POST"])


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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--heartbeat", type=float, required=True)
    parser.add_argument("--stale-after", type=float, required=True)
    parser.add_argument("--lose-first-answer", action="store_true")
    args = parser.parse_args()
    config = load_config()
    engine = open_database(args.db)
    ctx = CentreContext(config, engine, CounterDesk(engine), TicketStore(engine))
    routes = web.page_routes(ctx, heartbeat=args.heartbeat, stale_after=args.stale_after)
    app = Starlette(routes=[counter_api(ctx), *routes])
    if args.lose_first_answer:
        app = LoseFirstAnswer(app)
    uvicorn.run(app, host="127.0.0.1", port=args.port, ssl_certfile=args.cert,
                ssl_keyfile=args.key, log_level="warning", timeout_graceful_shutdown=1)


if __name__ == "__main__":
    main()
