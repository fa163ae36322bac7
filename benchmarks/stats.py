"""How long staff wait for the statistics of a day and of a month.

    .venv/bin/python benchmarks/stats.py [--per-day 400] [--days 31] [--pg URL]

Fills a store with `--days` days of `--per-day` finished tickets each (rows written in
bulk: this measures reading, not the counters), then times read_report (what `kiosk stats`
and the page do) for one day and for the whole range, and the page's HTML for one day.
On SQLite always; on PostgreSQL too with --pg (a server URL such as
postgresql+psycopg://postgres@127.0.0.1:5432/postgres: a throwaway database is made on it
and dropped after).
"""

from __future__ import annotations

import argparse
import random
import secrets
import statistics
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.testclient import TestClient

from kiosk.centre.context import CentreContext
from kiosk.centre.stats_page import stats_routes
from kiosk.config import load_config
from kiosk.stats import read_report
from kiosk.store import TicketStore, open_database, sqlite_url
from kiosk.store.calls import CounterDesk
from kiosk.store.db import tickets
from kiosk.store.queue import NO_SHOW, SERVED

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
FIRST = date(2026, 10, 1)


def fill(engine: Engine, days: int, per_day: int) -> None:
    rng = random.Random(11)
    for n in range(days):
        day = FIRST + timedelta(days=n)
        rows, seqs = [], dict.fromkeys("ABCDE", 0)
        for _ in range(per_day):
            service = rng.choices("ABCDE", weights=(5, 3, 2, 1, 1))[0]
            seqs[service] += 1
            issued = datetime(day.year, day.month, day.day, 7, 0, tzinfo=TZ) + timedelta(
                minutes=rng.uniform(0, 600))
            called = issued + timedelta(minutes=rng.uniform(0, 40))
            missed = rng.random() < 0.07
            rows.append({
                "id": secrets.token_hex(8), "day": day.isoformat(), "service": service,
                "seq": seqs[service], "number": f"{service}{seqs[service]:03d}", "lang": "vi",
                "issued_at": issued.isoformat(), "status": "printed",
                "queue_state": NO_SHOW if missed else SERVED, "counter": 1,
                "called_at": called.isoformat(), "calls": 1,
                "served_at": None if missed else (
                    called + timedelta(minutes=rng.uniform(3, 20))).isoformat()})
        with engine.begin() as conn:
            conn.execute(tickets.insert(), rows)


def timed(work, repeat: int = 5) -> float:  # type: ignore[no-untyped-def]
    """The median of `repeat` runs, in milliseconds."""
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        runs.append((time.perf_counter() - start) * 1000)
    return statistics.median(runs)


def measure(name: str, engine: Engine, days: int, per_day: int) -> None:
    fill(engine, days, per_day)
    last = FIRST + timedelta(days=days - 1)
    ctx = CentreContext(load_config(), engine, CounterDesk(engine), TicketStore(engine))
    client = TestClient(Starlette(routes=stats_routes(ctx)))
    one = timed(lambda: read_report(engine, FIRST, FIRST, TZ, "ABCDE"))
    month = timed(lambda: read_report(engine, FIRST, last, TZ, "ABCDE"))
    page = timed(lambda: client.get(f"/stats?day={FIRST}").raise_for_status())
    print(f"{name:10} one day ({per_day} tickets): {one:7.1f} ms   {days} days "
          f"({days * per_day} tickets): {month:7.1f} ms   page of one day: {page:7.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-day", type=int, default=400)
    parser.add_argument("--days", type=int, default=31)
    parser.add_argument("--pg", help="a PostgreSQL server to measure on as well")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        engine = open_database(sqlite_url(Path(folder) / "stats.sqlite3"))
        measure("SQLite", engine, args.days, args.per_day)
        engine.dispose()
    if args.pg:
        import psycopg
        from sqlalchemy.engine import make_url

        name = f"kiosk_bench_{secrets.token_hex(4)}"
        admin = args.pg.replace("+psycopg", "")
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        try:
            engine = open_database(make_url(args.pg).set(database=name)
                                   .render_as_string(hide_password=False))
            measure("PostgreSQL", engine, args.days, args.per_day)
            engine.dispose()
        finally:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
