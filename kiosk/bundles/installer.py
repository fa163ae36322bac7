"""Installing a verified bundle beside the running version, switching to it atomically, and
going back.

    <updates_dir>/<kind>/versions/<v>/     one complete version (content: the content tree;
                                           app: lib/ for PYTHONPATH)
    <updates_dir>/<kind>/versions/<v>.partial   being made; removed at the next apply/status
    <updates_dir>/<kind>/current, previous  symlinks, each replaced by rename (atomic)
    <updates_dir>/<kind>/state.json         the app's trial: version, starts, healthy
    <updates_dir>/<kind>/history.jsonl      applied, rolled back, trial passed, and why

`current` only ever names a folder that was complete and synced to disk before it was
renamed into place, so a power cut at any step leaves the old version or the new one.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiosk import __version__
from kiosk.bundles.archive import DEFAULT_SIZE_CAP, Policy, Progress, scan
from kiosk.bundles.manifest import KINDS, BundleRefused, Manifest, parse_version
from kiosk.bundles.paths import content_root  # noqa: F401 (re-exported)
from kiosk.durable import switch_link, sync_folder, sync_tree, write_atomic

if TYPE_CHECKING:
    from kiosk.config import Config

# Tests cut the power here: the process SIGKILLs itself when it reaches the named step.
KILL_ENV = "KIOSK_BUNDLE_KILL_AT"
APPLY_STEPS = ("verified", "unpacked", "overlaid", "compiled", "synced", "renamed",
               "trial-set", "previous-linked", "switched", "recorded")
ROLLBACK_STEPS = ("rollback-start", "rollback-switched", "rollback-unlinked",
                  "rollback-recorded")
MANIFEST_COPY = ".manifest.json"  # in each version folder: what was installed


def _step(name: str) -> None:
    if os.environ.get(KILL_ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)


def compile_locales(root: Path) -> int:
    """Each locales/<lang>/LC_MESSAGES/kiosk.po under `root` compiled to .mo, written to a
    new file and renamed (an inherited .mo may be a hard link into the running version)."""
    from babel.messages.pofile import read_po

    from kiosk.i18n import compile_po

    count = 0
    for po in sorted(root.glob("locales/*/LC_MESSAGES/kiosk.po")):
        try:
            with open(po, "rb") as fh:  # strictly: Babel alone would skip a broken entry
                read_po(fh, abort_invalid=True)
            data = compile_po(po)
        except Exception as exc:  # Babel raises many kinds for a broken .po
            raise BundleRefused("bad-content", f"{po.relative_to(root)} cannot be compiled: "
                                f"{exc}.") from None
        write_atomic(po.with_suffix(".mo"), data)
        count += 1
    return count


class Installer:
    def __init__(self, updates_dir: Path | str, trusted_keys: tuple[str, ...] | list[str],
                 size_cap: int = DEFAULT_SIZE_CAP, trial_seconds: float = 120,
                 trial_starts: int = 3, base_version: str = __version__) -> None:
        self.root = Path(updates_dir)
        self.trusted_keys = tuple(trusted_keys)
        self.size_cap = size_cap
        self.trial_seconds = trial_seconds
        self.trial_starts = trial_starts
        self.base_version = base_version  # the app installed without a bundle

    @classmethod
    def from_config(cls, cfg: Config) -> Installer:
        u = cfg.updates
        return cls(cfg.updates_dir, u.trusted_keys, u.size_cap_mb * 1024 * 1024,
                   u.trial_seconds, u.trial_starts)

    # -- where things are -------------------------------------------------------------------

    def kind_dir(self, kind: str) -> Path:
        if kind not in KINDS:
            raise ValueError(f"kind {kind!r} is neither app nor content")
        return self.root / kind

    def _link_version(self, kind: str, name: str) -> str | None:
        """The version a link names, if it names a complete version folder."""
        link = self.kind_dir(kind) / name
        try:
            target = os.readlink(link)
        except OSError:
            return None
        version = Path(target).name
        try:
            parse_version(version)
        except ValueError:
            return None
        return version if (link.parent / "versions" / version).is_dir() else None

    def current_version(self, kind: str) -> str | None:
        return self._link_version(kind, "current")

    def installed_version(self, kind: str) -> str | None:
        """The version in use: the current bundle's, else the base install's (app) or None
        (the shipped content)."""
        return self.current_version(kind) or (self.base_version if kind == "app" else None)

    def current_dir(self, kind: str) -> Path | None:
        """The current version's folder (resolved: a later switch does not move it)."""
        version = self.current_version(kind)
        return self.kind_dir(kind) / "versions" / version if version else None

    # -- locking and leftovers --------------------------------------------------------------

    @contextmanager
    def _lock(self, name: str = ".lock", wait: bool = False) -> Iterator[None]:
        """One apply or rollback at a time, in any process (flock: released by the kernel
        when the holder dies, so a killed apply never blocks the next one)."""
        self.root.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.root / name, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                raise BundleRefused("busy", "Another update is being applied or rolled back "
                                    "right now; try again when it has finished.") from None
            yield
        finally:
            os.close(fd)

    def _clean(self, kind: str) -> None:
        """What a killed apply or rollback left: half-made versions, temporary links, a
        `previous` that is the current one or names nothing."""
        kdir = self.kind_dir(kind)
        versions = kdir / "versions"
        if versions.is_dir():
            for path in versions.iterdir():
                if path.name.endswith((".partial", ".stale")):
                    shutil.rmtree(path, ignore_errors=True)
        if kdir.is_dir():
            for path in kdir.glob(".*.tmp-*"):
                path.unlink(missing_ok=True)
        current, previous = self.current_version(kind), self._link_version(kind, "previous")
        link = kdir / "previous"
        if link.is_symlink() and (previous is None or previous == current):
            link.unlink()
        if (kdir / "current").is_symlink() and current is None:
            (kdir / "current").unlink()  # names nothing usable: the base is used anyway

    def _prune(self, kind: str) -> None:
        """Versions neither current nor previous take disk space for nothing."""
        keep = {self.current_version(kind), self._link_version(kind, "previous")}
        versions = self.kind_dir(kind) / "versions"
        for path in versions.iterdir():
            if path.is_dir() and path.name not in keep:
                shutil.rmtree(path, ignore_errors=True)

    # -- apply --------------------------------------------------------------------------------

    def _policy(self, kind: str | None, allow_downgrade: bool) -> Policy:
        return Policy(self.trusted_keys, kind, None, allow_downgrade, self.size_cap,
                      installed_of=self.installed_version)

    def verify(self, path: Path | str, kind: str | None = None, allow_downgrade: bool = False,
               progress: Progress | None = None) -> Manifest:
        """verify_bundle against what is installed here; touches nothing."""
        return scan(Path(path), self._policy(kind, allow_downgrade), None, progress)

    def apply(self, path: Path | str, kind: str | None = None, allow_downgrade: bool = False,
              progress: Progress | None = None) -> Manifest:
        """Verify, unpack beside the running version, switch `current` to it (keeping the
        old one as `previous`). BundleRefused when it must not be installed or another
        apply runs; then nothing in use has changed."""
        path = Path(path)
        policy = self._policy(kind, allow_downgrade)
        try:
            return self._apply(path, policy, progress)
        except OSError as exc:  # a full or failing disk: the version in use is untouched
            raise BundleRefused("disk-error", f"The update could not be written: "
                                f"{exc.strerror or exc} ({exc.filename}).") from None

    def _apply(self, path: Path, policy: Policy, progress: Progress | None) -> Manifest:
        with self._lock():
            for k in KINDS:
                self._clean(k)
            manifest = scan(path, policy, None, progress)
            _step("verified")
            kdir = self.kind_dir(manifest.kind)
            versions = kdir / "versions"
            versions.mkdir(parents=True, exist_ok=True)
            partial = versions / f"{manifest.version}.partial"
            _check_space(versions, manifest)
            partial.mkdir()
            try:
                self._make_version(path, policy, manifest, partial, progress)
            except BaseException:
                shutil.rmtree(partial, ignore_errors=True)  # no need to wait for the next apply
                raise
            _step("synced")
            final = versions / manifest.version
            if final.exists():  # a downgrade to a version kept as `previous`: set aside
                final.rename(versions / f"{manifest.version}.stale")
            os.rename(partial, final)
            sync_folder(versions)
            _step("renamed")
            if manifest.kind == "app":
                # Before the switch: a cut right after it still finds the version on trial.
                self._write_state("app", {"version": manifest.version, "healthy": False,
                                          "starts": 0, "failures": []})
            _step("trial-set")
            old = self.current_version(manifest.kind)
            if old is not None:
                switch_link(kdir / "previous", f"versions/{old}")
            _step("previous-linked")
            _report(progress, 0, 1, "switch")
            switch_link(kdir / "current", f"versions/{manifest.version}")
            _report(progress, 1, 1, "switch")
            _step("switched")
            self._history(manifest.kind, "apply", version=manifest.version,
                          replaced=old or "base", source=path.name)
            _step("recorded")
            self._prune(manifest.kind)
        return manifest

    def _make_version(self, path: Path, policy: Policy, manifest: Manifest, partial: Path,
                      progress: Progress | None) -> None:
        """The new version, whole and on disk, in its .partial folder."""
        if manifest.kind == "content":
            scan(path, policy, partial, progress)
            _check_catalogue(partial)
            _step("unpacked")
            self._inherit_content(partial)
            _step("overlaid")
            _report(progress, 0, 1, "compile")
            compile_locales(partial)
        else:
            stage = partial / "bundle"
            scan(path, policy, stage, progress)
            _step("unpacked")
            self._install_app(stage, partial / "lib", progress)
            _step("overlaid")
            compile_locales(partial / "lib")
            shutil.rmtree(stage)
        _step("compiled")
        (partial / MANIFEST_COPY).write_bytes(manifest.to_bytes())
        sync_tree(partial)

    def _inherit_content(self, partial: Path) -> None:
        """The new content version = the current one with the bundle's files laid over it.
        Unchanged files are hard links (versions are never written in place)."""
        base = self.current_dir("content")
        if base is None:
            return
        # Folders whose .po the bundle brings: their .mo is compiled anew, not inherited.
        new_po = {p.parent.relative_to(partial)
                  for p in partial.glob("locales/*/LC_MESSAGES/kiosk.po")}
        for src in sorted(base.rglob("*")):
            rel = src.relative_to(base)
            dst = partial / rel
            if rel.name == MANIFEST_COPY or src.is_dir() or dst.exists():
                continue
            if src.suffix == ".mo" and rel.parent in new_po:
                continue
            dst.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(src, dst)
            except OSError:
                shutil.copy2(src, dst)

    def _install_app(self, stage: Path, lib: Path, progress: Progress | None) -> None:
        """The wheels installed offline into lib/, plus the assets and translations beside
        the packages, where kiosk/paths.py looks for them (the bundle's, else this
        install's)."""
        from kiosk.paths import ASSETS, LOCALES

        wheels = sorted(str(p) for p in (stage / "wheels").glob("*.whl"))
        _report(progress, 0, 1, "install")
        env = {**os.environ, "PIP_CONFIG_FILE": os.devnull}
        env.pop("PYTHONPATH", None)
        proc = subprocess.run(
            [sys.executable, "-m", "pip", "install", "--no-index", "--no-deps", "--target",
             str(lib), "--disable-pip-version-check", "--no-warn-script-location", "-q",
             *wheels], capture_output=True, text=True, env=env, check=False)
        if proc.returncode != 0:
            last = (proc.stderr.strip().splitlines() or ["no message"])[-1]
            raise BundleRefused("bad-content", f"pip could not install the wheels: {last}")
        for name, shipped in (("assets", ASSETS), ("locales", LOCALES)):
            if (stage / name).is_dir():
                shutil.copytree(stage / name, lib / name)
            elif shipped.is_dir():
                shutil.copytree(shipped, lib / name, symlinks=False)
        _report(progress, 1, 1, "install")

    # -- rollback -----------------------------------------------------------------------------

    def rollback(self, kind: str, reason: str = "asked by staff") -> str:
        """Back to `previous` (or to the base install / shipped content when there is none);
        the version now current. BundleRefused("no-previous") when nothing is installed."""
        with self._lock():
            self._clean(kind)
            kdir = self.kind_dir(kind)
            current = self.current_version(kind)
            if current is None:
                raise BundleRefused("no-previous", f"No {kind} bundle is installed: there is "
                                    "nothing to roll back.")
            previous = self._link_version(kind, "previous")
            _step("rollback-start")
            if previous is not None:
                switch_link(kdir / "current", f"versions/{previous}")
            else:
                (kdir / "current").unlink()
                sync_folder(kdir)
            _step("rollback-switched")
            if (kdir / "previous").is_symlink():
                (kdir / "previous").unlink()
                sync_folder(kdir)
            _step("rollback-unlinked")
            if kind == "app":
                self._write_state("app", {"version": None, "healthy": True, "starts": 0,
                                          "failures": []})
            now = previous or ("base" if kind == "app" else "shipped")
            self._history(kind, "rollback", version=now, replaced=current, reason=reason)
            _step("rollback-recorded")
        return previous or (self.base_version if kind == "app" else "shipped")

    # -- the trial (kiosk/bundles/launcher.py) ------------------------------------------------

    def _read_state(self, kind: str) -> dict[str, Any]:
        try:
            state = json.loads((self.kind_dir(kind) / "state.json").read_text("utf-8"))
        except (OSError, ValueError):
            return {}
        return state if isinstance(state, dict) else {}

    def _write_state(self, kind: str, state: dict[str, Any]) -> None:
        self.kind_dir(kind).mkdir(parents=True, exist_ok=True)
        write_atomic(self.kind_dir(kind) / "state.json",
                      json.dumps(state, sort_keys=True).encode())

    def trial(self) -> dict[str, Any] | None:
        """The app's trial when the current version has not yet reported healthy."""
        current = self.current_version("app")
        state = self._read_state("app")
        if current is None or state.get("version") != current or state.get("healthy"):
            return None
        return state

    def update_trial(self, change: Callable[[dict[str, Any]], None]) -> dict[str, Any] | None:
        """Change the trial's state (read, change, write under its own lock, so that an
        apply's new trial is never overwritten by a stale one)."""
        with self._lock(".state.lock", wait=True):
            state = self.trial()
            if state is None:
                return None
            change(state)
            self._write_state("app", state)
            return state

    def record(self, kind: str, action: str, **detail: str) -> None:
        """A line in history.jsonl (the launcher's trial outcomes)."""
        self._history(kind, action, **detail)

    def _history(self, kind: str, action: str, **detail: Any) -> None:
        entry = {"at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), "action": action,
                 **detail}
        path = self.kind_dir(kind) / "history.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, (json.dumps(entry, ensure_ascii=False) + "\n").encode())
            os.fsync(fd)
        finally:
            os.close(fd)

    def history(self, kind: str, limit: int = 20) -> list[dict[str, Any]]:
        try:
            lines = (self.kind_dir(kind) / "history.jsonl").read_text("utf-8").splitlines()
        except OSError:
            return []
        entries = []
        for line in lines[-limit * 2:]:
            try:
                entry = json.loads(line)
            except ValueError:
                continue  # a line cut by a power failure
            if isinstance(entry, dict):
                entries.append(entry)
        return entries[-limit:]

    # -- status -------------------------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        """Per kind: current, previous, trial, the last history entries. Leftovers of a
        killed apply are cleaned first, unless an apply is running now."""
        try:
            with self._lock():
                for kind in KINDS:
                    self._clean(kind)
        except BundleRefused:
            pass  # an apply runs: its .partial is not a leftover
        except OSError:
            pass  # a read-only or missing folder: report what is there
        out: dict[str, Any] = {}
        for kind in KINDS:
            out[kind] = {"current": self.current_version(kind),
                         "previous": self._link_version(kind, "previous"),
                         "installed": self.installed_version(kind),
                         "trial": self.trial() if kind == "app" else None,
                         "history": self.history(kind, 10)}
        out["app"]["base"] = self.base_version
        return out


SPACE_MARGIN = 32 * 1024 * 1024


def _check_space(folder: Path, manifest: Manifest) -> None:
    """Room for the new version (an app's wheels are unpacked and installed: twice and
    more), refused before a byte is written rather than half-way."""
    need = manifest.total_size * (3 if manifest.kind == "app" else 1) + SPACE_MARGIN
    free = shutil.disk_usage(folder).free
    if free < need:
        raise BundleRefused("no-space", f"The update needs {need // 2**20} MB free and only "
                            f"{free // 2**20} MB are left.")


def _check_catalogue(folder: Path) -> None:
    """A bundle's procedure catalogue must at least be one (the kiosk checks it against
    its own services and languages when it loads it, and keeps the last good one)."""
    import string

    from kiosk.catalogue import CatalogueError, load_catalogue

    path = folder / "procedures.toml"
    if path.exists():
        try:
            load_catalogue(path, services=string.ascii_uppercase)
        except CatalogueError as exc:
            raise BundleRefused("bad-content", f"procedures.toml is not a valid catalogue: "
                                f"{exc}.") from None


def _report(progress: Progress | None, done: int, total: int, step: str) -> None:
    if progress is not None:
        progress(done, total, step)
