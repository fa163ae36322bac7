"""Kiosks issuing through a centre (docs/architecture.md, Kiosks in a centre).

    .venv/bin/python benchmarks/centre.py [--tickets 400] [--outage 60] [--no-outage]

1. Issue rate with 1, 4 and 16 simulated kiosks (threads, each with its own SQLite and its
   CentreLink, enrolled like a real kiosk) against `kiosk centre serve` on PostgreSQL, and
   the same number of threads on one kiosk's SQLite with no centre: tickets/s, p95
   latency, duplicate numbers (must be 0).
2. PostgreSQL stopped for --outage seconds while 4 kiosks issue: numbers issued during the
   outage (from the kiosks' leases), the time to drain their outboxes once it is back, and
   duplicates and losses at the centre (both must be 0).

PostgreSQL is a throwaway cluster (Debian's initdb and pg_ctl, as tests/conftest.py makes
it); the centre service runs as its own process, as in a centre.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.figures import percentile  # noqa: E402
from kiosk.centre_link import CentreLink, LinkSettings, NoNumberLeft  # noqa: E402
from kiosk.store import TicketStore, open_database, sqlite_url  # noqa: E402
from kiosk.store.db import tickets  # noqa: E402
from tests.centre_server import SERVICES, free_port  # noqa: E402

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
KIOSK = [sys.executable, "-m", "kiosk"]


class CentreProcess:
    """`kiosk centre serve` on its own config and PostgreSQL database."""

    def __init__(self, folder: Path, db_url: str) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.config = folder / "centre.toml"
        self.config.write_text(
            f'[kiosk]\ndata_dir = "{folder / "data"}"\n'
            f'[centre_service]\ndatabase = "{db_url}"\nlisten = "127.0.0.1:{self.port}"\n'
            f'state_dir = "{folder / "state"}"\nhostnames = ["127.0.0.1"]\n', encoding="utf-8")
        out = self._kiosk("centre", "init")
        self.fingerprint = re.search(r"CA fingerprint \(SHA-256\): (\S+)", out)[1]  # type: ignore[index]
        self.url = f"https://127.0.0.1:{self.port}"
        # Its log goes to a file: a pipe nobody reads fills up and stops the service.
        self.log = folder / "centre.log"
        with open(self.log, "w", encoding="utf-8") as log:
            self.proc = subprocess.Popen([*KIOSK, "centre", "serve", "--config",
                                          str(self.config)], stdout=log, stderr=log)
        self._wait_listening()

    def _kiosk(self, *args: str) -> str:
        return subprocess.run([*KIOSK, *args, "--config", str(self.config)], check=True,
                              capture_output=True, text=True).stdout

    def _wait_listening(self) -> None:
        from kiosk.centre.client import CentreClient, CentreUnreachable

        deadline = time.monotonic() + 60
        with CentreClient(self.url, ca_fingerprint=self.fingerprint) as client:
            while True:
                try:
                    client.get("/api/health")
                    return
                except CentreUnreachable:
                    if time.monotonic() > deadline or self.proc.poll() is not None:
                        raise RuntimeError("the centre did not start: "
                                           + self.log.read_text()[-2000:]) from None

    def link(self, folder: Path, name: str, settings: LinkSettings) -> CentreLink:
        """A kiosk enrolled as staff do it (a code from `kiosk centre enrol`)."""
        from kiosk.centre.client import CentreClient
        from kiosk.link_http import ClientCentreApi

        out = self._kiosk("centre", "enrol", "--kind", "kiosk", "--name", name)
        code = re.search(r"Enrolment code for kiosk '[^']+': (\S+)", out)[1]  # type: ignore[index]
        with CentreClient(self.url, ca_fingerprint=self.fingerprint) as client:
            token = client.enrol(code, "kiosk").token
            ca_pem = client.ca_pem
        folder.mkdir(parents=True, exist_ok=True)
        engine = open_database(sqlite_url(folder / "kiosk.sqlite3"))
        api = ClientCentreApi(self.url, token, ca_pem=ca_pem, timeout=settings.timeout)
        return CentreLink(engine, api, SERVICES, lambda: datetime.now(TZ), settings)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(60)


def duplicates(engine) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """(numbers held twice in a day and service, ticket rows) in a database."""
    from sqlalchemy import select

    with engine.connect() as conn:
        rows = conn.execute(select(tickets.c.day, tickets.c.service, tickets.c.seq)).all()
    return sum(n - 1 for n in Counter(rows).values() if n > 1), len(rows)


def run_threads(count: int, work) -> float:  # type: ignore[no-untyped-def]
    """Runs work(i) on `count` threads started together; the wall time they took."""
    start = threading.Barrier(count + 1)

    def run(i: int) -> None:
        start.wait()
        work(i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    start.wait()
    began = time.perf_counter()
    for t in threads:
        t.join()
    return time.perf_counter() - began


def report(label: str, kiosks: int, issued: int, seconds: float, latencies: list[float],
           dups: int) -> None:
    print(f"{label:<22} {kiosks:>3} kiosk(s): {issued / seconds:8.1f} tickets/s, "
          f"p95 {percentile(latencies, 0.95) * 1000:7.1f} ms, duplicates {dups}", flush=True)


def bench_centre(centre: CentreProcess, folder: Path, kiosks: int, total: int,
                 centre_engine) -> None:  # type: ignore[no-untyped-def]
    settings = LinkSettings(lease_size=20, low_water=5, timeout=5.0)
    links = [centre.link(folder / f"rate-{kiosks}-{i}", f"rate-{kiosks}-{i}", settings)
             for i in range(kiosks)]
    for link in links:
        link.sync_once()  # leased ahead, as a running kiosk is: a slow answer has a fallback
    latencies: list[float] = []
    lock = threading.Lock()
    each = max(1, total // kiosks)
    leased = [0]
    failed = [0]

    def work(i: int) -> None:
        mine = []
        for n in range(each):
            began = time.perf_counter()
            try:
                issued = links[i].issue(SERVICES[n % len(SERVICES)], "vi", datetime.now(TZ))
            except NoNumberLeft:
                failed[0] += 1
                continue
            mine.append(time.perf_counter() - began)
            if issued.from_lease:
                leased[0] += 1
        with lock:
            latencies.extend(mine)

    seconds = run_threads(kiosks, work)
    for link in links:  # what fell back on a lease reaches the centre before counting
        link.start()
        link.wait_synced(lambda link=link: link.links.outbox_size() == 0, 300)
        link.stop()
    dups, _ = duplicates(centre_engine)
    report("centre (PostgreSQL)", kiosks, len(latencies), seconds, latencies, dups)
    if leased[0] or failed[0]:
        print(f"  ({leased[0]} from leases: the centre did not answer within "
              f"{settings.timeout:g} s; {failed[0]} not issued)", flush=True)


def bench_sqlite(folder: Path, kiosks: int, total: int) -> None:
    """The same threads on one kiosk's SQLite, no centre: the single kiosk of today."""
    store = TicketStore(open_database(sqlite_url(folder / f"alone-{kiosks}.sqlite3")))
    latencies: list[float] = []
    lock = threading.Lock()
    each = max(1, total // kiosks)

    def work(i: int) -> None:
        mine = []
        for n in range(each):
            began = time.perf_counter()
            store.allocate(SERVICES[n % len(SERVICES)], "vi", datetime.now(TZ))
            mine.append(time.perf_counter() - began)
        with lock:
            latencies.extend(mine)

    seconds = run_threads(kiosks, work)
    report("one kiosk's SQLite", kiosks, each * kiosks, seconds, latencies,
           duplicates(store.engine)[0])


def bench_outage(centre: CentreProcess, folder: Path, pg, outage: float,
                 centre_engine) -> None:  # type: ignore[no-untyped-def]
    """4 kiosks issue a ticket every 0.25 s each; PostgreSQL stops for `outage` s."""
    settings = LinkSettings(lease_size=100, low_water=60, timeout=2.0, retry_min=0.5,
                            retry_max=2.0)
    links = [centre.link(folder / f"outage-{i}", f"outage-{i}", settings) for i in range(4)]
    for link in links:
        link.sync_once()
        link.start()
    ids: list[list[str]] = [[] for _ in links]
    during = [0] * len(links)
    stop = threading.Event()
    pg_down = threading.Event()

    def work(i: int) -> None:
        n = 0
        while not stop.is_set():
            issued = links[i].issue(SERVICES[n % len(SERVICES)], "vi", datetime.now(TZ))
            ids[i].append(issued.record.id)
            if pg_down.is_set() and issued.from_lease:
                during[i] += 1
            n += 1
            stop.wait(0.25)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(links))]
    for t in threads:
        t.start()
    stop.wait(5)
    pg.stop_server()
    pg_down.set()
    print(f"PostgreSQL stopped for {outage:g} s with 4 kiosks issuing ...", flush=True)
    stop.wait(outage)
    pg.start_server()
    back = time.perf_counter()
    pg_down.clear()
    # The kiosks go on issuing (through the centre again) while their outboxes drain.
    for link in links:
        link.wait_synced(lambda link=link: link.links.outbox_size() == 0, 300)
    drained = time.perf_counter() - back
    stop.wait(max(0.0, back + 5 - time.perf_counter()))
    stop.set()
    for t in threads:
        t.join()
    for link in links:  # a ticket that fell back on the lease at the very end, if any
        link.wait_synced(lambda link=link: link.links.outbox_size() == 0, 300)
    for link in links:
        link.stop()
    from sqlalchemy import select

    with centre_engine.connect() as conn:
        held = Counter(conn.execute(select(tickets.c.id)).scalars())
    issued = [i for mine in ids for i in mine]
    lost = sum(1 for i in issued if i not in held)
    twice = sum(1 for i in issued if held.get(i, 0) > 1)
    dups, _ = duplicates(centre_engine)
    print(f"outage {outage:g} s: {sum(during)} numbers issued from leases during it, "
          f"{len(issued)} in all; outboxes drained {drained:.1f} s after PostgreSQL was back "
          f"(the kiosks still issuing); duplicate numbers {dups}, tickets twice {twice}, "
          f"lost {lost}", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=400,
                        help="tickets per issue-rate run, shared by its kiosks")
    parser.add_argument("--outage", type=float, default=60.0,
                        help="seconds PostgreSQL stays stopped (default 60)")
    parser.add_argument("--no-outage", action="store_true", help="skip the outage run")
    parser.add_argument("--only-outage", action="store_true", help="skip the issue rates")
    args = parser.parse_args()
    from sqlalchemy import create_engine

    from tests.conftest import PgCluster

    pg = PgCluster()
    pg.start()
    try:
        pg.admin("CREATE DATABASE bench")
        db_url = pg.url.rsplit("/", 1)[0] + "/bench"
        with tempfile.TemporaryDirectory(prefix="kiosk-bench-centre-") as tmp:
            folder = Path(tmp)
            centre = CentreProcess(folder / "centre", db_url)
            centre_engine = create_engine(db_url, pool_pre_ping=True)
            try:
                for kiosks in () if args.only_outage else (1, 4, 16):
                    bench_centre(centre, folder, kiosks, args.tickets, centre_engine)
                for kiosks in () if args.only_outage else (1, 4, 16):
                    bench_sqlite(folder, kiosks, args.tickets)
                if not args.no_outage:
                    bench_outage(centre, folder, pg, args.outage, centre_engine)
            finally:
                centre.stop()
                centre_engine.dispose()
    finally:
        pg.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
