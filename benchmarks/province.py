"""Events to the province through a lossy network: how many arrive, how many twice, how long.

    .venv/bin/python benchmarks/province.py [--events 10000] [--drop 0.3] [--batch 200]
        [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres]

The centre's database (SQLite in a temp folder, or a new database made for each run on the
PostgreSQL server of --postgres, dropped after) holds `--events` events: ticket events and,
one in twenty, ratings. The outbox (kiosk/centre/province.py) runs its real loop, with the
shipped back-off (full jitter from 0.5 s), and pushes them through the fault proxy
(drivers/sim/net_proxy.py) to the reference receiver (`kiosk centre receiver`, its own
process, as the province is another machine). The proxy drops `--drop` of the requests,
half before forwarding them and half after (the receiver kept the batch, the outbox saw a
failure). A run with no faults is measured first, for comparison.
"""

from __future__ import annotations

import argparse
import logging
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from drivers.sim.net_proxy import Faults, NetProxy
from kiosk.centre.province import ProvinceOutbox
from kiosk.centre.receiver import Receiver
from kiosk.config import ProvinceSettings
from kiosk.store import sqlite_url
from kiosk.store.db import ratings

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from province_world import DAY_START, World, ticket_events  # noqa: E402

CENTRE = "bench01"
KINDS = ("issued", "called", "served")


def fill(world: World, events: int) -> None:
    """`events` rows in one transaction: 19 ticket events to 1 rating."""
    at, day = DAY_START.isoformat(), DAY_START.date().isoformat()
    n_ratings = events // 20
    rows = [dict(ticket_id=f"{i // 3:016x}", day=day, number=f"A{i // 3 + 1:03d}", service="A",
                 kind=KINDS[i % 3], at=at, counter=1 + i % 6, terminal="kiosk-1")
            for i in range(events - n_ratings)]
    rated = [dict(day=day, rated_at=at, level="satisfied", reasons="", service="A", counter=1,
                  lang="vi") for _ in range(n_ratings)]
    with world.engine.begin() as conn:
        conn.execute(ticket_events.insert(), rows)
        if rated:
            conn.execute(ratings.insert(), rated)


def _wait_until_kept(stats_url: str, events: int, bound: float) -> tuple[bool, float]:
    """Asks the receiver every 20 ms: (all kept, when in perf_counter seconds)."""
    deadline = time.perf_counter() + bound
    with httpx.Client() as client:
        while time.perf_counter() < deadline:
            if client.get(stats_url).json()["events"] >= events:
                return True, time.perf_counter()
            time.sleep(0.02)
    return False, time.perf_counter()


@contextmanager
def centre_database(tmp: Path, postgres: str | None) -> Iterator[str]:
    """The URL of an empty database for one run."""
    if postgres is None:
        yield sqlite_url(tmp / "centre.sqlite3")
        return
    from sqlalchemy import create_engine, make_url, text

    name = f"province_bench_{os.getpid()}"
    admin = create_engine(postgres, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    try:
        yield make_url(postgres).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE {name} WITH (FORCE)"))
        admin.dispose()


def run(events: int, drop: float, batch: int, seed: int,
        postgres: str | None) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp, centre_database(Path(tmp), postgres) as url:
        world = World(url)
        fill(world, events)
        data = Path(tmp) / "province.sqlite3"
        server = subprocess.Popen(
            [sys.executable, "-m", "kiosk", "centre", "receiver", "--listen", "127.0.0.1:0",
             "--data", str(data)], stdout=subprocess.PIPE, text=True)
        try:
            assert server.stdout is not None
            url = server.stdout.readline().split("POST ", 1)[1].split(",", 1)[0]
            host, port = url.split("//", 1)[1].split("/", 1)[0].split(":")
            faults = Faults(drop_before=drop / 2, drop_after=drop / 2)
            with NetProxy((host, int(port)), faults, seed=seed) as proxy:
                settings = ProvinceSettings(url=proxy.url + "/events", centre_id=CENTRE,
                                            batch=batch, timeout=10)
                outbox = ProvinceOutbox(world.engine, settings)
                stop = threading.Event()
                thread = threading.Thread(target=outbox.run, args=(stop,), daemon=True)
                start = time.perf_counter()
                thread.start()
                done, end = _wait_until_kept(url.replace("/events", "/stats"), events, 1800)
                elapsed = end - start
                stop.set()
                thread.join(30)
                counts = proxy.counts()
        finally:
            server.terminate()
            server.wait(30)
        receiver = Receiver(data)
        stats = receiver.stats()
        expected = world.uids(CENTRE)
        delivered = set(receiver.uids())
        receiver.close()
        world.engine.dispose()
    return {"complete": float(done), "events": events, "delivered": len(delivered & expected),
            "missing": len(expected - delivered), "duplicates": stats["duplicates"],
            "redelivered": stats["redelivered"],
            "replayed": stats["accepted_requests"] - stats["keys"],
            "requests": sum(counts.values()),
            "dropped_before": counts["drop_before"], "dropped_after": counts["drop_after"],
            "seconds": elapsed, "per_second": events / elapsed}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--drop", type=float, default=0.3)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--postgres", metavar="URL",
                        help="a PostgreSQL server (a database its user may create databases "
                             "in) for the centre; default: SQLite in a temp folder")
    args = parser.parse_args()
    # The outbox's retries are counted below, not logged one by one.
    logging.getLogger("kiosk.centre.province").setLevel(logging.ERROR)
    where = "PostgreSQL" if args.postgres else "SQLite"
    print(f"{args.events} events, batches of {args.batch}, {where} centre, loopback")
    for label, drop in (("no faults", 0.0), (f"{args.drop:.0%} dropped", args.drop)):
        r = run(args.events, drop, args.batch, args.seed, args.postgres)
        print(f"{label:>12}: delivered {r['delivered']:.0f}/{r['events']:.0f} "
              f"(missing {r['missing']:.0f}), duplicates at the receiver {r['duplicates']:.0f}, "
              f"batches resent {r['replayed']:.0f} (answered from the key), events resent "
              f"{r['redelivered']:.0f} (kept once); "
              f"{r['requests']:.0f} requests ({r['dropped_before']:.0f} dropped before, "
              f"{r['dropped_after']:.0f} after forwarding); {r['seconds']:.1f} s, "
              f"{r['per_second']:.0f} events/s")
        if not r["complete"] or r["missing"] or r["duplicates"]:
            print("FAILED: not every event exactly once", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
