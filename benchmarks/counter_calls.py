"""Counters calling at once on one database: calls per second, p95 latency of a call, and
tickets called twice (must be 0).

    python benchmarks/counter_calls.py                       # a SQLite file in a temp dir
    python benchmarks/counter_calls.py --url postgresql+psycopg://postgres@127.0.0.1/bench

The PostgreSQL database named must exist and be empty or a kiosk's (its tickets of the
benchmark's day are the queue); each counter calls and serves until no one waits.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from kiosk.store import TicketStore, open_database, sqlite_url
from kiosk.store.calls import CounterDesk, QueueEmpty

DAY = datetime(2030, 1, 2, 7, 30, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))


def run(url: str, counters: int, tickets: int) -> None:
    engine = open_database(url)
    store = TicketStore(engine)
    for i in range(tickets):
        store.allocate("AB"[i % 2], "vi", DAY + timedelta(seconds=i))
    latencies: list[float] = []
    called: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(counters)

    def counter(n: int) -> None:
        desk = CounterDesk(engine)
        start.wait()
        while True:
            began = time.perf_counter()
            try:
                result = desk.call_next(n, ["A", "B"], DAY, uuid.uuid4().hex)
            except QueueEmpty:
                return
            took = time.perf_counter() - began
            desk.served(n, DAY, uuid.uuid4().hex)
            with lock:
                latencies.append(took)
                called.append(result.ticket.id)

    threads = [threading.Thread(target=counter, args=(n,)) for n in range(1, counters + 1)]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - began
    engine.dispose()
    p95 = statistics.quantiles(latencies, n=20)[-1] * 1000
    print(f"{engine.dialect.name}: {counters} counters, {len(called)} calls (+ as many "
          f"served) in {elapsed:.2f} s: {len(called) / elapsed:.0f} calls/s, call p95 "
          f"{p95:.1f} ms, called twice {len(called) - len(set(called))}, "
          f"not called {tickets - len(set(called))}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="database URL (default: a new SQLite file)")
    parser.add_argument("--counters", type=int, default=8)
    parser.add_argument("--tickets", type=int, default=400)
    args = parser.parse_args()
    url = args.url or sqlite_url(Path(tempfile.mkdtemp()) / "bench.sqlite3")
    run(url, args.counters, args.tickets)


if __name__ == "__main__":
    main()
