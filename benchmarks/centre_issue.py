"""Issue rate through the centre's API: 1, 4 and 16 enrolled kiosks issuing at once over
HTTPS (the centre's own CA, a token each) against a real centre service on loopback,
on PostgreSQL or SQLite; and a single kiosk's SQLite issuing by itself, for comparison.

    .venv/bin/python benchmarks/centre_issue.py [--tickets 200] [--pg postgresql+psycopg://postgres@127.0.0.1:5432/postgres]

Prints tickets/s, p50/p95 latency of one issue as the kiosk sees it, and the duplicate
numbers found in the database afterwards (must be 0). With --pg, a throwaway database is
made on that server and dropped at the end.
"""

from __future__ import annotations

import argparse
import secrets
import statistics
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from figures import percentile  # benchmarks/figures.py (the scripts run from this folder)
from sqlalchemy import create_engine, text

from kiosk.centre.app import make_app
from kiosk.centre.client import CentreClient, new_request_id
from kiosk.centre.pki import init_pki
from kiosk.centre.serve import open_centre, serving
from kiosk.centre.terminals import Terminals
from kiosk.config import load_config
from kiosk.store import TicketStore, open_database, sqlite_url


@contextmanager
def throwaway_pg(server_url: str) -> Iterator[str]:
    name = f"kiosk_bench_{secrets.token_hex(4)}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


def duplicates(engine) -> int:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return conn.execute(text(
            "SELECT count(*) FROM (SELECT day, service, seq FROM tickets "
            "GROUP BY day, service, seq HAVING count(*) > 1) d")).scalar_one()


def through_the_centre(db_url: str, folder: Path, kiosks: int, per_kiosk: int) -> str:
    base = load_config()
    cfg = replace(base, data_dir=folder / "data", centre_service=replace(
        base.centre_service, database=db_url, state_dir=str(folder / "state")))
    pki = init_pki(cfg.centre_state_dir, cfg.centre_service.hostnames)
    ctx = open_centre(cfg)
    app = make_app(ctx, ca_pem=pki.files.ca_cert.read_text())
    latencies: list[float] = []
    lock = threading.Lock()
    with serving(app, pki.files) as url:
        clients = []
        for i in range(kiosks):
            code, _ = Terminals(ctx.engine).new_code("kiosk", f"kiosk-{i}")
            client = CentreClient(url, ca_pem=pki.files.ca_cert.read_text())
            client.enrol(code, "kiosk")
            client.get("/api/health")  # the TLS connection made before the clock starts
            clients.append(client)
        start = threading.Barrier(kiosks + 1)

        def kiosk(client: CentreClient, index: int) -> None:
            mine = []
            start.wait()
            for n in range(per_kiosk):
                began = time.perf_counter()
                client.post("/api/tickets", {"request_id": new_request_id(),
                                             "service": "ABCDE"[(index + n) % 5], "lang": "vi"})
                mine.append(time.perf_counter() - began)
            with lock:
                latencies.extend(mine)

        threads = [threading.Thread(target=kiosk, args=(c, i)) for i, c in enumerate(clients)]
        for t in threads:
            t.start()
        start.wait()
        began = time.perf_counter()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - began
        for client in clients:
            client.close()
    found = duplicates(ctx.engine)
    ctx.engine.dispose()
    total = kiosks * per_kiosk
    return (f"{kiosks:>2} kiosks: {total / elapsed:7.1f} tickets/s, "
            f"p50 {statistics.median(latencies) * 1000:6.1f} ms, "
            f"p95 {percentile(latencies, 0.95) * 1000:6.1f} ms, duplicates {found}")


def single_kiosk_sqlite(folder: Path, count: int) -> str:
    cfg = load_config()
    store = TicketStore(open_database(sqlite_url(folder / "kiosk.sqlite3")))
    latencies = []
    began = time.perf_counter()
    for n in range(count):
        t0 = time.perf_counter()
        store.allocate("ABCDE"[n % 5], "vi", cfg.now())
        latencies.append(time.perf_counter() - t0)
    elapsed = time.perf_counter() - began
    found = duplicates(store.engine)
    return (f"single kiosk, its own SQLite: {count / elapsed:7.1f} tickets/s, "
            f"p50 {statistics.median(latencies) * 1000:6.1f} ms, "
            f"p95 {percentile(latencies, 0.95) * 1000:6.1f} ms, duplicates {found}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=200, help="tickets per run")
    parser.add_argument("--pg", help="a PostgreSQL server's URL (postgresql+psycopg://…)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        print(single_kiosk_sqlite(Path(tmp), args.tickets))
    for kiosks in (1, 4, 16):
        per_kiosk = max(1, args.tickets // kiosks)
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            if args.pg:
                with throwaway_pg(args.pg) as url:
                    print("PostgreSQL centre,", through_the_centre(url, folder, kiosks,
                                                                  per_kiosk))
            else:
                url = sqlite_url(folder / "centre.sqlite3")
                print("SQLite centre,", through_the_centre(url, folder, kiosks, per_kiosk))


if __name__ == "__main__":
    main()
