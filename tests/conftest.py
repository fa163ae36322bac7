"""Shared fixtures. UI tests live in tests/ui and run in their own process (one Kivy
window per process): see tests/test_ui_suite.py."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from kiosk.ui.env import set_environment

set_environment(headless=True)

collect_ignore = ["ui"]


@pytest.fixture
def sim_printer() -> Iterator:
    from drivers.sim import SimPrinter

    with SimPrinter() as printer:
        yield printer


@pytest.fixture
def config(tmp_path: Path, sim_printer):  # type: ignore[no-untyped-def]
    from kiosk.config import load_config

    return replace(load_config(), data_dir=tmp_path / "data", printer_url=sim_printer.url)


@pytest.fixture
def store(config):  # type: ignore[no-untyped-def]
    from kiosk.store import TicketStore, open_database, sqlite_url

    config.data_dir.mkdir(parents=True, exist_ok=True)
    return TicketStore(open_database(sqlite_url(config.database_path)))


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

