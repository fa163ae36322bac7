"""Shared fixtures. UI tests live in tests/ui and run in their own process (one Kivy
window per process): see tests/test_ui_suite.py."""

from __future__ import annotations

from collections.abc import Iterator
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
