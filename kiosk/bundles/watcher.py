"""Looking for updates while the kiosk is idle, and fetching one when staff ask.

docs/architecture.md, Getting bundles. UpdateWatcher runs a thread that, every
check_minutes, lists what USB sticks (and watched folders) and the update server offer that
is newer than what is installed. It asks is_idle() right before each step that touches a
stick or the network and stops quietly when a visit has begun: a citizen never waits on an
update check. Nothing is installed here; fetch() copies or downloads one bundle into
`<updates_dir>/downloads/` for the installer.
"""

from __future__ import annotations

import logging
import ssl
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiosk.bundles.fetch import FetchError, Progress, download, fetch_index
from kiosk.bundles.manifest import version_key
from kiosk.bundles.usb import (
    MOUNTS_FILE,
    copy_from_usb,
    find_bundles,
    peek_bundle,
    stick_mounts,
    usb_mounts,
)

log = logging.getLogger(__name__)

DEFAULT_USB_DIRS = ("/media", "/run/media", "/mnt")
BUSY_RETRY_SECONDS = 60.0  # a check put off by a visit is tried again this soon
MOUNT_POLL_SECONDS = 2.0  # how often the mount table is read for a stick just plugged in


@dataclass(frozen=True)
class Available:
    kind: str
    version: str
    source: str  # "usb" | "server"
    location: str  # a file path on the stick, or the file's URL
    size: int | None = None
    sha256: str | None = None  # from the server's index


@dataclass(frozen=True)
class FetchSettings:
    """What fetching needs from `[updates]` (kiosk/config.py, UpdateSettings)."""

    updates_dir: Path
    url: str = ""
    usb_dirs: tuple[str, ...] = DEFAULT_USB_DIRS
    bandwidth_kbps: float = 0
    check_minutes: float = 30

    @classmethod
    def from_config(cls, cfg: Any) -> FetchSettings:
        # getattr: the [updates] table arrives with the bundles branch.
        updates = getattr(cfg, "updates", None)
        updates_dir = getattr(cfg, "updates_dir", None) or Path(cfg.data_dir) / "updates"
        return cls(Path(updates_dir), getattr(updates, "url", ""),
                   tuple(getattr(updates, "usb_dirs", DEFAULT_USB_DIRS)),
                   getattr(updates, "bandwidth_kbps", 0), getattr(updates, "check_minutes", 30))

    @property
    def downloads_dir(self) -> Path:
        return self.updates_dir / "downloads"


def newer_than_installed(found: Iterable[Available],
                         installed_version: Callable[[str], str | None]) -> list[Available]:
    """The offers newer than what is installed of their kind, each kind and version once
    (a stick before the server: it is faster), newest first within a kind."""
    best: dict[tuple[str, tuple[int, ...]], Available] = {}
    installed: dict[str, tuple[int, ...] | None] = {}
    for item in found:
        if item.kind not in installed:
            installed[item.kind] = _key_or_none(installed_version(item.kind))
        key = (item.kind, version_key(item.version))
        floor = installed[item.kind]
        if (floor is None or key[1] > floor) and (key not in best or (
                item.source == "usb" and best[key].source != "usb")):
            best[key] = item
    return [best[k] for k in sorted(best, key=lambda k: (k[0], tuple(-p for p in k[1])))]


def _key_or_none(version: str | None) -> tuple[int, ...] | None:
    # None, or not a dotted version ("shipped" content): anything offered is newer.
    try:
        return version_key(version) if version else None
    except ValueError:
        return None


def fetch_available(item: Available, settings: FetchSettings, progress: Progress | None = None,
                    *, cancel: threading.Event | None = None, timeout: float = 30.0,
                    verify: bool | str | ssl.SSLContext = True) -> Path:
    """Copy (USB) or download (server) one offer into `<updates_dir>/downloads/`."""
    if item.source == "usb":
        return copy_from_usb(Path(item.location), settings.downloads_dir, progress)
    name = item.location.rstrip("/").rsplit("/", 1)[-1]
    return download(item.location, settings.downloads_dir / name, size=item.size,
                    sha256=item.sha256, bandwidth_kbps=settings.bandwidth_kbps,
                    progress=progress, timeout=timeout, verify=verify, cancel=cancel)


def offers_on_usb(usb_dirs: Iterable[str], mounts_file: Path | str = MOUNTS_FILE,
                  go_on: Callable[[], bool] = lambda: True) -> list[Available] | None:
    """What the sticks and watched folders hold; None as soon as go_on() says stop."""
    return offers_in(usb_mounts(usb_dirs, mounts_file), go_on)


def offers_in(dirs: Iterable[Path], go_on: Callable[[], bool] = lambda: True
              ) -> list[Available] | None:
    """The bundles in these folders (each file once); None as soon as go_on() says stop."""
    found: dict[Path, Available] = {}
    for folder in dirs:
        if not go_on():
            return None
        for path in find_bundles([folder]):
            if path in found:
                continue
            if not go_on():
                return None
            try:
                kind, version = peek_bundle(path)
                size = path.stat().st_size
            except (FetchError, OSError) as exc:
                log.info("skipping %s: %s", path, exc)
                continue
            found[path] = Available(kind, version, "usb", str(path), size)
    return list(found.values())


def offers_on_server(url: str, *, timeout: float = 30.0,
                     verify: bool | str | ssl.SSLContext = True) -> list[Available]:
    return [Available(e.kind, e.version, "server", e.url, e.size, e.sha256)
            for e in fetch_index(url, timeout=timeout, verify=verify)]


class UpdateWatcher:
    """A thread that lists what is available while the kiosk is idle.

    on_change(list) is called on the watcher's thread when the list changes. check_now()
    asks for a check at once (staff opened Updates; a visit just ended); wake() only makes
    the thread look at the clock again (tests with an injected clock)."""

    def __init__(self, settings: FetchSettings, *,
                 installed_version: Callable[[str], str | None],
                 is_idle: Callable[[], bool],
                 on_change: Callable[[list[Available]], None],
                 timeout: float = 30.0, verify: bool | str | ssl.SSLContext = True,
                 clock: Callable[[], float] = time.monotonic,
                 mounts_file: Path | str = MOUNTS_FILE,
                 busy_retry: float = BUSY_RETRY_SECONDS,
                 mount_poll: float = MOUNT_POLL_SECONDS) -> None:
        self.settings = settings
        self._installed = installed_version
        self._is_idle = is_idle
        self._on_change = on_change
        self._timeout, self._verify = timeout, verify
        self._clock = clock
        self._mounts_file = mounts_file
        self._busy_retry = busy_retry
        self._mount_poll = mount_poll
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._forced = False
        self._cond = threading.Condition()
        self._available: list[Available] = []
        self._checks = 0
        self.last_error: str | None = None  # the server's last failure, for the staff screen
        self._thread: threading.Thread | None = None

    @classmethod
    def from_config(cls, cfg: Any, **kwargs: Any) -> UpdateWatcher:
        return cls(FetchSettings.from_config(cfg), **kwargs)

    # -- life --------------------------------------------------------------------------

    def start(self) -> UpdateWatcher:
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name="update-watcher", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def check_now(self) -> None:
        with self._cond:
            self._forced = True
        self._wake.set()

    def wake(self) -> None:
        self._wake.set()

    @property
    def available(self) -> list[Available]:
        with self._cond:
            return list(self._available)

    @property
    def checks_done(self) -> int:
        with self._cond:
            return self._checks

    def wait_checks(self, n: int, timeout: float) -> bool:
        """Wait until n checks have completed (or were put off by a visit)."""
        with self._cond:
            return self._cond.wait_for(lambda: self._checks >= n, timeout)

    # -- work --------------------------------------------------------------------------

    def _go_on(self) -> bool:
        return not self._stopping.is_set() and self._is_idle()

    def check(self) -> list[Available] | None:
        """One check on the caller's thread: what is newer than installed, or None when a
        visit began (or stop() was called) before it was done."""
        if not self._go_on():
            return None
        found = offers_on_usb(self.settings.usb_dirs, self._mounts_file, self._go_on)
        if found is None:
            return None
        if self.settings.url:
            if not self._go_on():
                return None
            try:
                found += offers_on_server(self.settings.url, timeout=self._timeout,
                                          verify=self._verify)
                self.last_error = None
            except FetchError as exc:
                self.last_error = str(exc)
                log.info("update server: %s", exc)
            if not self._go_on():
                return None  # the answer came during a visit: keep the old list till later
        return newer_than_installed(found, self._installed)

    def _sticks(self) -> set[Path]:
        return set(stick_mounts(self.settings.usb_dirs, self._mounts_file))

    def _run(self) -> None:
        interval = max(1.0, self.settings.check_minutes * 60)
        due = self._clock()
        sticks = self._sticks()
        while not self._stopping.is_set():
            with self._cond:
                forced, self._forced = self._forced, False
            now = self._clock()
            if forced or now >= due:
                self._wake.clear()
                try:
                    result = self.check()
                except Exception:  # a bug must not end the checks for good
                    log.exception("update check failed")
                    result = None
                due = now + (self._busy_retry if result is None else interval)
                self._publish(result)
                continue
            # A stick plugged in is looked at within mount_poll, not at the next due check.
            self._wake.wait(max(0.0, min(due - now, self._mount_poll)))
            self._wake.clear()
            now_sticks = self._sticks()
            if now_sticks - sticks:
                with self._cond:
                    self._forced = True
            sticks = now_sticks

    def _publish(self, result: list[Available] | None) -> None:
        with self._cond:
            changed = result is not None and result != self._available
            if changed:
                self._available = list(result)  # type: ignore[arg-type]
            self._checks += 1
            self._cond.notify_all()
        if changed and not self._stopping.is_set():
            self._on_change(list(result))  # type: ignore[arg-type]

    def fetch(self, available: Available, progress: Progress | None = None,
              cancel: threading.Event | None = None) -> Path:
        """Copy or download `available` into `<updates_dir>/downloads/` (on the caller's
        thread: staff asked for it). FetchError with one sentence when it cannot."""
        return fetch_available(available, self.settings, progress, cancel=cancel,
                               timeout=self._timeout, verify=self._verify)
