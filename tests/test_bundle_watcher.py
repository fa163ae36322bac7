"""The update watcher (kiosk/bundles/watcher.py): what is newer than installed, only while
idle, on a thread driven by an injected clock; fetching into downloads/; and
`kiosk bundle fetch` (kiosk/bundles/fetch_cli.py) in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from fetch_support import KEY, index_entry, make_bundle, write_index

from drivers.sim.file_server import FileServer
from kiosk.bundles.archive import verify_bundle
from kiosk.bundles.watcher import (
    Available,
    FetchSettings,
    UpdateWatcher,
    newer_than_installed,
)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[FileServer, Path, FetchSettings]]:
    """A server offering app 1.10 and content 2; a watched folder with app 1.9 and
    content 3 and 1.0."""
    srv, usb = tmp_path / "srv", tmp_path / "usb" / "updates"
    entries = [index_entry(make_bundle(srv / "app-1.10.kbundle", "app", "1.10",
                                       os.urandom(50_000)), "app", "1.10"),
               index_entry(make_bundle(srv / "content-2.kbundle", "content", "2"),
                           "content", "2")]
    write_index(srv, entries)
    make_bundle(usb / "app-1.9.kbundle", "app", "1.9")
    make_bundle(usb / "content-3.kbundle", "content", "3")
    make_bundle(usb / "content-1.0.kbundle", "content", "1.0")
    with FileServer(srv) as server:
        yield server, usb, FetchSettings(tmp_path / "updates", server.url,
                                         (str(tmp_path / "usb"),), 0, 30)


def _installed(versions: dict[str, str]):  # type: ignore[no-untyped-def]
    return versions.get


def _watcher(settings: FetchSettings, idle=lambda: True, changes=None,  # type: ignore[no-untyped-def]
             installed=None, **kw) -> UpdateWatcher:
    return UpdateWatcher(settings, installed_version=installed or _installed({"app": "1.2"}),
                         is_idle=idle, on_change=(changes.append if changes is not None
                                                  else lambda _: None),
                         mounts_file="/dev/null", **kw)


def _offers(items: list[Available]) -> list[tuple[str, str, str]]:
    return [(a.kind, a.version, a.source) for a in items]


def test_newer_than_installed_compares_numbers_and_prefers_the_stick() -> None:
    found = [Available("app", "1.10", "server", "u1"), Available("app", "1.9", "usb", "p1"),
             Available("app", "1.10", "usb", "p2"), Available("app", "1.2.0", "usb", "p3"),
             Available("content", "1", "server", "u2")]
    got = newer_than_installed(found, _installed({"app": "1.2", "content": "shipped"}))
    assert _offers(got) == [("app", "1.10", "usb"), ("app", "1.9", "usb"),
                            ("content", "1", "server")]


def test_a_check_lists_the_stick_and_the_server(world) -> None:  # type: ignore[no-untyped-def]
    server, usb, settings = world
    got = _watcher(settings, installed=_installed({"app": "1.2", "content": "1"})).check()
    assert got is not None
    assert _offers(got) == [("app", "1.10", "server"), ("app", "1.9", "usb"),
                            ("content", "3", "usb"), ("content", "2", "server")]
    assert got[0].location == f"{server.url}/app-1.10.kbundle" and got[0].sha256


def test_no_check_during_a_visit(world) -> None:  # type: ignore[no-untyped-def]
    server, _, settings = world
    assert _watcher(settings, idle=lambda: False).check() is None
    assert server.log == []


def test_a_visit_starting_mid_check_stops_it_before_the_network(world) -> None:  # type: ignore[no-untyped-def]
    server, _, settings = world
    answers = iter([True, True, True])  # the USB steps, then a citizen touches the screen
    assert _watcher(settings, idle=lambda: next(answers, False)).check() is None
    assert server.log == []


def test_an_unreachable_server_still_lists_the_stick(world) -> None:  # type: ignore[no-untyped-def]
    server, _, settings = world
    server.stop()
    watcher = _watcher(settings)
    got = watcher.check()
    assert got is not None and {a.source for a in got} == {"usb"}
    assert watcher.last_error and "index.json" in watcher.last_error


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_thread_checks_on_schedule_and_only_when_idle(world) -> None:  # type: ignore[no-untyped-def]
    server, usb, settings = world
    clock, changes = _Clock(), []
    idle = threading.Event()
    watcher = _watcher(settings, idle=idle.is_set, changes=changes, clock=clock,
                       busy_retry=60).start()
    try:
        assert watcher.wait_checks(1, 10)  # due at once, but a visit is on: put off
        assert server.log == [] and changes == []
        idle.set()
        clock.now += 60
        watcher.wake()
        assert watcher.wait_checks(2, 10)
        assert ("app", "1.10", "server") in _offers(changes[-1])
        make_bundle(usb / "app-2.0.kbundle", "app", "2.0")
        clock.now += 30 * 60
        watcher.wake()
        assert watcher.wait_checks(3, 10)
        assert _offers(changes[-1])[0] == ("app", "2.0", "usb")
        assert len(changes) == 2
        watcher.check_now()  # nothing new: no call
        assert watcher.wait_checks(4, 10) and len(changes) == 2
    finally:
        watcher.stop()
    assert not watcher._thread.is_alive()  # type: ignore[union-attr]


def test_a_stick_plugged_in_is_looked_at_without_waiting_for_the_schedule(
        world, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _, _, settings = world
    mounts = tmp_path / "mounts"
    mounts.write_text("/dev/sda2 / ext4 rw 0 0\n")
    stick = Path(settings.usb_dirs[0]) / "kiosk" / "NEW STICK"
    make_bundle(stick / "deep" / "app-3.0.kbundle", "app", "3.0")  # not a watched folder
    changes: list[list[Available]] = []
    watcher = UpdateWatcher(settings, installed_version=_installed({}), is_idle=lambda: True,
                            on_change=changes.append, clock=_Clock(), mounts_file=mounts,
                            mount_poll=0.05).start()
    try:
        assert watcher.wait_checks(1, 10)
        assert ("app", "3.0", "usb") not in _offers(changes[-1])
        with open(mounts, "a") as f:  # udisks mounts it (the fake clock stands still)
            f.write(f"/dev/sdb1 {str(stick).replace(' ', chr(92) + '040')} vfat rw 0 0\n")
        assert watcher.wait_checks(2, 10)
        assert _offers(changes[-1])[0] == ("app", "3.0", "usb")
    finally:
        watcher.stop()


def test_stop_returns_quickly_while_waiting(world) -> None:  # type: ignore[no-untyped-def]
    _, _, settings = world
    watcher = _watcher(settings).start()
    assert watcher.wait_checks(1, 10)
    done = threading.Event()
    threading.Thread(target=lambda: (watcher.stop(timeout=30), done.set())).start()
    assert done.wait(10)


def test_fetch_copies_from_the_stick_and_downloads_from_the_server(world) -> None:  # type: ignore[no-untyped-def]
    server, usb, settings = world
    watcher = _watcher(settings)
    offers: dict[tuple[str, str], Available] = {}
    for offer in watcher.check() or []:  # newest first: keep the first of each
        offers.setdefault((offer.kind, offer.source), offer)
    steps: list[str] = []
    copied = watcher.fetch(offers[("content", "usb")], lambda d, t, s: steps.append(s))
    downloaded = watcher.fetch(offers[("app", "server")], lambda d, t, s: steps.append(s))
    assert copied == settings.updates_dir / "downloads" / "content-3.kbundle"
    assert copied.read_bytes() == (usb / "content-3.kbundle").read_bytes()
    assert downloaded.read_bytes() == (server.root / "app-1.10.kbundle").read_bytes()
    assert {"copy", "download"} <= set(steps)
    # what was fetched is the signed bundle, whole: the installer's check passes
    assert verify_bundle(copied, (KEY.public,)).version == "3"
    assert verify_bundle(downloaded, (KEY.public,)).version == "1.10"


def test_from_config_takes_updates_settings(tmp_path: Path) -> None:
    from kiosk.config import load_config

    default = FetchSettings.from_config(load_config(data_dir=tmp_path))
    assert default == FetchSettings(tmp_path / "updates", "", ("/media", "/run/media", "/mnt"),
                                    0, 30)
    toml = tmp_path / "kiosk.toml"
    toml.write_text('[updates]\ndir = "%s"\nurl = "https://updates.example/kiosk"\n'
                    'usb_dirs = ["/srv/sticks"]\nbandwidth_kbps = 200\ncheck_minutes = 5\n'
                    % (tmp_path / "u"))
    settings = FetchSettings.from_config(load_config(toml, tmp_path))
    assert settings == FetchSettings(tmp_path / "u", "https://updates.example/kiosk",
                                     ("/srv/sticks",), 200, 5)
    assert settings.downloads_dir == tmp_path / "u" / "downloads"


# -- kiosk bundle fetch ------------------------------------------------------------------

_CLI = "import sys; from kiosk.bundles.fetch_cli import main; sys.exit(main(sys.argv[1:]))"


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", _CLI, *args], capture_output=True, text=True,
                          timeout=60)


def test_cli_fetches_the_newest_from_a_server(world, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    server, _, _ = world
    run = _cli("--data-dir", str(tmp_path / "data"), "--from", server.url, "--kind", "app")
    assert run.returncode == 0, run.stderr
    saved = Path(run.stdout.strip())
    assert saved == tmp_path / "data" / "updates" / "downloads" / "app-1.10.kbundle"
    assert saved.read_bytes() == (server.root / "app-1.10.kbundle").read_bytes()
    size = saved.stat().st_size
    assert "app 1.10 from" in run.stderr and f"download: {size} of {size} bytes" in run.stderr


def test_cli_fetches_from_a_folder(world, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _, usb, _ = world
    run = _cli("--data-dir", str(tmp_path / "data"), "--from", str(usb.parent))
    assert run.returncode == 0, run.stderr
    assert sorted(Path(p).name for p in run.stdout.split()) == ["app-1.9.kbundle",
                                                                 "content-3.kbundle"]


@pytest.mark.parametrize("source, message", [
    ("/no/such/place", "--from /no/such/place: not a URL"),
    ("http://127.0.0.1:9/", "index.json"),
])
def test_cli_failures_are_one_line_exit_2(tmp_path: Path, source: str, message: str) -> None:
    run = _cli("--data-dir", str(tmp_path), "--from", source)
    assert run.returncode == 2 and run.stdout == ""
    assert run.stderr.count("\n") == 1 and message in run.stderr
    assert run.stderr.startswith("kiosk: error: ")


def test_cli_reports_a_bad_sha256(world, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    server, _, _ = world
    (server.root / "app-1.10.kbundle").write_bytes(b"altered")
    run = _cli("--data-dir", str(tmp_path), "--from", server.url, "--kind", "app")
    assert run.returncode == 2
    assert run.stderr.splitlines()[-1].startswith("kiosk: error: ")
    assert "index says" in run.stderr or "sha256" in run.stderr
