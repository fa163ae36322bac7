"""Shared fixtures. UI tests live in tests/ui and run in their own process (one Kivy
window per process): see tests/test_ui_suite.py."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import settings

from kiosk.ui.env import set_environment

set_environment(headless=True)

collect_ignore = ["ui"]

# Hypothesis' per-example deadline (200 ms) is a timed assertion: on a loaded two-core
# machine a fuzzed search once took 250 ms and failed. Examples are bounded by the test's
# own work; none is meant to measure speed (benchmarks/ do that).
settings.register_profile("kiosk", deadline=None)
settings.load_profile("kiosk")


def _temporary_files_in_memory(folder: Path = Path("/dev/shm"), room: int = 2 * 2**30) -> None:
    """The tests' temporary files (tmp_path, the PostgreSQL cluster, and through TMPDIR
    every process the tests start) go on a RAM disk when there is one with room and
    without noexec. SQLite syncs to disk on every commit: ~20 ms on this machine's disk,
    ~1 ms in memory, and the suite commits thousands of times. Nothing a test proves rests
    on a disk: their crashes are kill -9s, which the page cache outlives. A TMPDIR given
    by whoever runs the tests wins."""
    import os
    import tempfile

    if "TMPDIR" in os.environ:
        return
    try:
        usable = os.statvfs(folder)
    except OSError:
        return
    if (usable.f_bavail * usable.f_frsize < room or usable.f_flag & os.ST_NOEXEC
            or not os.access(folder, os.W_OK | os.X_OK)):
        return
    os.environ["TMPDIR"] = str(folder)
    tempfile.tempdir = None  # worked out again, from TMPDIR, at its next use


_temporary_files_in_memory()


@pytest.fixture
def sim_printer() -> Iterator:
    from drivers.sim import SimPrinter

    with SimPrinter() as printer:
        yield printer


@pytest.fixture
def config(tmp_path: Path, sim_printer):  # type: ignore[no-untyped-def]
    from kiosk.config import load_config

    return replace(load_config(), data_dir=tmp_path / "data", printer_url=sim_printer.url)


def _copy_file(source: Path, path: Path) -> Path:
    import shutil

    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, path)
    return path


@pytest.fixture(scope="session")
def new_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Callable[[Path], str]:
    """``new_sqlite(path)``: a new SQLite database at `path` with the kiosk's whole schema,
    as open_database makes one (every table of kiosk.store, at head); its sqlite:/// URL.
    It is a copy of one made once: a few ms, where making each takes ~50 ms, which adds up
    in fixtures and hypothesis examples."""
    from kiosk.store import open_database, sqlite_url

    template = tmp_path_factory.mktemp("sqlite-template") / "kiosk.sqlite3"
    open_database(sqlite_url(template)).dispose()  # the last connection folds the -wal in
    assert not Path(f"{template}-wal").exists()
    return lambda path: sqlite_url(_copy_file(template, path))


@pytest.fixture
def store(config, new_sqlite: Callable[[Path], str]):  # type: ignore[no-untyped-def]
    from kiosk.store import TicketStore, open_database

    return TicketStore(open_database(new_sqlite(config.database_path)))


def _run_bounded(fn: Callable[[], object], bound: float) -> object:
    """Run ``fn`` on a thread; fail unless it returned (or raised) within ``bound`` s, so a
    call that should be bounded cannot hang the suite. Returns its result or the exception
    it raised (the caller inspects whatever came out)."""
    done = threading.Event()
    out: list[object] = []

    def run() -> None:
        try:
            out.append(fn())
        except BaseException as e:  # handed to the caller, which checks it
            out.append(e)
        done.set()

    threading.Thread(target=run, daemon=True).start()
    assert done.wait(bound), f"{fn} did not return within {bound} s"
    return out[0]


@pytest.fixture
def run_bounded() -> Callable[[Callable[[], object], float], object]:
    """``run_bounded(fn, bound)``: see _run_bounded."""
    return _run_bounded



def _together(count: int, work: Callable[[int], object], bound: float = 120) -> list[object]:
    """Runs ``work(0)`` … ``work(count-1)`` on as many threads released at one moment (a
    barrier), as several terminals acting at once would; their results in order. The
    first exception raised by any of them is raised here; each must end within ``bound``."""
    start = threading.Barrier(count, timeout=bound)
    results: list[object] = [None] * count
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            start.wait()
            results[i] = work(i)
        except BaseException as e:  # handed to the caller below
            errors.append(e)

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(bound)
        assert not t.is_alive(), f"{work} did not return within {bound} s"
    if errors:
        raise errors[0]
    return results


@pytest.fixture
def together() -> Callable[..., list[object]]:
    """``together(count, work)``: see _together."""
    return _together


# -- PostgreSQL: a throwaway cluster per session, a fresh database per test ----------------

class PgCluster:
    """A PostgreSQL server for the tests: KIOSK_TEST_PG_URL when set, else a cluster made
    with Debian's initdb and pg_ctl in a temporary folder on a free port (run as the
    `postgres` user when the tests run as root: initdb refuses root)."""

    def __init__(self) -> None:
        self.url = ""  # postgresql+psycopg://…/postgres: for making databases
        self._folder: Path | None = None
        self._ctl: list[str] = []
        self._version: int | None = None  # server_version_num, once asked

    @property
    def restartable(self) -> bool:
        return self._folder is not None

    def start(self) -> None:
        import os

        given = os.environ.get("KIOSK_TEST_PG_URL")
        if given:
            from sqlalchemy.engine import make_url

            url = make_url(given)
            self.url = url.set(drivername="postgresql+psycopg").render_as_string(
                hide_password=False)
            return
        self._start_cluster()

    def _start_cluster(self) -> None:
        import os
        import shutil
        import subprocess
        import tempfile

        found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                       key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0)
        if not found:
            raise RuntimeError("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/"
                               "initdb): run ./setup.sh test, or set KIOSK_TEST_PG_URL")
        bindir = found[-1].parent
        folder = Path(tempfile.mkdtemp(prefix="kiosk-test-pg-"))
        self._folder = folder
        as_postgres: list[str] = []
        if os.geteuid() == 0:
            import pwd

            owner = pwd.getpwnam("postgres")
            os.chown(folder, owner.pw_uid, owner.pw_gid)
            as_postgres = ["runuser", "-u", "postgres", "--"]
        data = folder / "data"
        try:
            subprocess.run([*as_postgres, str(bindir / "initdb"), "-D", str(data), "-U",
                            "postgres", "-A", "trust", "-E", "UTF8", "--locale", "C",
                            "--no-sync"], check=True, capture_output=True, timeout=120)
            for _attempt in range(5):
                port = _free_port()
                # Durability off: a test cluster is thrown away (a clean restart still
                # keeps everything, which the restart test relies on).
                options = (f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 "
                           "-c fsync=off -c synchronous_commit=off -c full_page_writes=off")
                self._ctl = [*as_postgres, str(bindir / "pg_ctl"), "-D", str(data), "-l",
                             str(folder / "log"), "-o", options, "-w", "-t", "60"]
                if subprocess.run([*self._ctl, "start"], capture_output=True,
                                  timeout=90).returncode == 0:
                    self.url = f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
                    return
            log = (folder / "log").read_text(errors="replace")[-2000:]
            raise RuntimeError(f"the test PostgreSQL cluster did not start:\n{log}")
        except BaseException:
            self.stop()
            shutil.rmtree(folder, ignore_errors=True)
            raise

    def restart(self) -> None:
        """Stops the server (fast: connections are cut) and starts it again."""
        self.stop_server()
        self.start_server()

    def stop_server(self) -> None:
        """The server goes down (its data kept) until start_server()."""
        import subprocess

        assert self.restartable, "KIOSK_TEST_PG_URL names a server the tests cannot stop"
        subprocess.run([*self._ctl, "-m", "fast", "stop"], check=True, capture_output=True,
                       timeout=120)

    def start_server(self) -> None:
        import subprocess

        subprocess.run([*self._ctl, "start"], check=True, capture_output=True, timeout=120)

    def stop(self) -> None:
        import shutil
        import subprocess

        if self._folder is None:
            return
        if self._ctl:
            subprocess.run([*self._ctl, "-m", "immediate", "stop"], capture_output=True,
                           timeout=120)
        shutil.rmtree(self._folder, ignore_errors=True)
        self._folder = None

    def admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self.url.replace("+psycopg", ""), autocommit=True) as conn:
            conn.execute(sql)

    def new_database(self) -> str:
        import secrets

        from sqlalchemy.engine import make_url

        name = f"kiosk_test_{secrets.token_hex(6)}"
        self.admin(f'CREATE DATABASE "{name}"{self._copy_strategy()}')
        return make_url(self.url).set(database=name).render_as_string(hide_password=False)

    def _copy_strategy(self) -> str:
        """PostgreSQL 15 makes a database by writing template1 into its WAL; copying its
        files is 2-4 times faster for a database this small (~0.1 s to ~0.03 s here)."""
        if self._version is None:
            import psycopg

            with psycopg.connect(self.url.replace("+psycopg", "")) as conn:
                self._version = conn.info.server_version
        return " STRATEGY FILE_COPY" if self._version >= 150000 else ""

    def drop_database(self, url: str) -> None:
        from sqlalchemy.engine import make_url

        self.admin(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    """The session's PostgreSQL server; stopped and removed at the end, failed tests or not."""
    cluster = PgCluster()
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def pg_url(pg_cluster: PgCluster) -> str:
    """postgresql+psycopg:// URL of the session's server (its `postgres` database)."""
    return pg_cluster.url


@pytest.fixture
def db_url(pg_cluster: PgCluster) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped after it."""
    url = pg_cluster.new_database()
    try:
        yield url
    finally:
        pg_cluster.drop_database(url)


def _engine_on(url: str) -> Iterator:
    from kiosk.store import open_database

    engine = open_database(url)
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture
def pg_engine(db_url: str) -> Iterator:
    """An engine on a fresh PostgreSQL database with the kiosk's schema."""
    yield from _engine_on(db_url)


@pytest.fixture
def any_engine(any_db_url: str) -> Iterator:
    """An engine with the kiosk's schema on a fresh database of each kind."""
    yield from _engine_on(any_db_url)


@pytest.fixture(params=["sqlite", "postgresql"])
def any_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database of each kind: a SQLite file, a PostgreSQL database."""
    if request.param == "sqlite":
        from kiosk.store import sqlite_url

        return sqlite_url(tmp_path / "kiosk.sqlite3")
    return request.getfixturevalue("db_url")


# -- One browser for the session: Debian's chromium through Playwright ---------------------

@pytest.fixture(scope="session")
def browser() -> Iterator:
    """Debian's chromium (never a downloaded build), launched once: Playwright's sync API
    allows one instance per thread, so every page test shares it."""
    import os

    from playwright.sync_api import sync_playwright

    args = ["--autoplay-policy=no-user-gesture-required"]
    if os.geteuid() == 0:
        args.append("--no-sandbox")  # chromium's sandbox refuses to run as root
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path="/usr/bin/chromium", args=args)
        yield chromium
        chromium.close()



def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The tests that wait for the Kivy runs (tests/test_ui_suite.py) come after every
    other test, in their own order otherwise: a test after them would wait for all the
    Kivy runs, then run with both cores idle but its own."""
    items.sort(key=lambda item: "kivy_runs" in getattr(item, "fixturenames", ()))


def pytest_collection_finish(session: pytest.Session) -> None:
    """The Kivy runs (tests/test_ui_suite.py) start as soon as the tests are known, on
    threads of their own; this thread, which runs every other test, then gives way to
    them (KivyRuns explains why)."""
    ui_items = [item for item in session.items
                if "kivy_runs" in getattr(item, "fixturenames", ())]
    if ui_items and not session.config.option.collectonly:
        module = ui_items[0].module
        module.start_kivy_runs(session.items)
        module.lower_priority_of_this_thread()
