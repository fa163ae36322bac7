"""How long applying a signed bundle takes, and how long the kiosk is unavailable for it.

    .venv/bin/python benchmarks/bundle_apply.py [--runs N] [--recordings N]

- content: a bundle of the catalogue, N recordings (--recordings, 100 kB each: a spoken
  prompt in Ogg Vorbis is 30-150 kB) and the four .po files; applied over the previous
  content version. The kiosk stays up: the switch, then the catalogue and translations
  reloaded between citizens, is all a citizen could notice.
- app: the kiosk's own wheel (`pip wheel --no-deps --no-index --no-build-isolation .`;
  built with build isolation from the configured index when setuptools here cannot),
  installed offline by pip into a new version folder. The kiosk is unavailable for the
  switch plus a restart; the restart (crash to first frame) is measured by
  benchmarks of the unattended work, so only the switch is measured here.

Each figure is wall time on this machine, with the disk syncs the installer makes.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from kiosk.bundles import Installer
from kiosk.bundles.build import build_bundle
from kiosk.bundles.manifest import load_private_key, new_private_key_pem
from kiosk.catalogue import DEFAULT_CATALOGUE
from kiosk.config import load_config
from kiosk.content import load_content_catalogue
from kiosk.i18n import use_content_locales
from kiosk.paths import LOCALES, ROOT

LANGS = ("vi", "en", "kpm", "rad")


def kiosk_wheel(out: Path) -> Path:
    base = [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out)]
    proc = subprocess.run([*base, "--no-index", "--no-build-isolation", str(ROOT)],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        print("(no bdist_wheel in this setuptools: building with isolation)", flush=True)
        subprocess.run([*base, str(ROOT)], check=True, capture_output=True)
    return next(out.glob("lobby_kiosk-*.whl"))


def content_folder(root: Path, recordings: int, version: int) -> Path:
    (root / "audio").mkdir(parents=True)
    (root / "procedures.toml").write_bytes(DEFAULT_CATALOGUE.read_bytes())
    for i in range(recordings):
        lang = LANGS[i % len(LANGS)]
        path = root / "audio" / lang / f"prompt{i:03d}.ogg"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"OggS" + os.urandom(100_000) + str(version).encode())
    for lang in LANGS:
        po = root / "locales" / lang / "LC_MESSAGES" / "kiosk.po"
        po.parent.mkdir(parents=True)
        po.write_bytes((LOCALES / lang / "LC_MESSAGES" / "kiosk.po").read_bytes())
    return root


class Timed:
    """The progress callback, keeping when the switch began and ended."""

    def __init__(self) -> None:
        self.switch_start = self.switch_end = 0.0

    def __call__(self, done: int, total: int, step: str) -> None:
        if step == "switch":
            if done == 0:
                self.switch_start = time.perf_counter()
            else:
                self.switch_end = time.perf_counter()


def apply_timed(installer: Installer, bundle: Path, applied: list[float],
                switched: list[float]) -> None:
    """One apply: its whole time and its switch's, in ms."""
    timed = Timed()
    start = time.perf_counter()
    installer.apply(bundle, progress=timed)
    applied.append((time.perf_counter() - start) * 1000)
    switched.append((timed.switch_end - timed.switch_start) * 1000)


def report(what: str, times: list[float]) -> None:
    p95 = sorted(times)[min(len(times) - 1, int(len(times) * 0.95))]
    print(f"{what:<52} n={len(times):<3} median {statistics.median(times):9.1f} ms"
          f"   p95 {p95:9.1f} ms", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--recordings", type=int, default=50)
    args = parser.parse_args()
    pem, public = new_private_key_pem()
    key = load_private_key(pem)
    expires = datetime.now(UTC) + timedelta(days=30)
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        cfg = replace(load_config(), data_dir=tmp / "data")
        installer = Installer(cfg.updates_dir, [public])

        applied, switched, reloaded = [], [], []
        for run in range(args.runs):
            src = content_folder(tmp / f"content-{run}", args.recordings, run)
            bundle = tmp / f"content-{run}.kbundle"
            build_bundle(src, bundle, "content", f"1.{run}", "0", expires, [key])
            apply_timed(installer, bundle, applied, switched)
            start = time.perf_counter()
            load_content_catalogue(cfg)  # what the kiosk does between citizens after a switch
            reloaded.append((time.perf_counter() - start) * 1000)
        size = bundle.stat().st_size / 1e6
        use_content_locales(None)
        print(f"content bundle: {args.recordings} recordings + catalogue + {len(LANGS)} .po, "
              f"{size:.1f} MB")
        report("content apply (verify, unpack, compile, switch)", applied)
        report("content switch (current -> new version)", switched)
        report("content reload between citizens (catalogue)", reloaded)

        wheel = kiosk_wheel(tmp / "wheel")
        applied, switched = [], []
        for run in range(args.runs):
            src = tmp / f"app-{run}"
            (src / "wheels").mkdir(parents=True)
            (src / "wheels" / wheel.name).write_bytes(wheel.read_bytes())
            bundle = tmp / f"app-{run}.kbundle"
            build_bundle(src, bundle, "app", f"1.{run}", "0", expires, [key])
            apply_timed(installer, bundle, applied, switched)
        print(f"app bundle: {wheel.name}, {bundle.stat().st_size / 1e6:.1f} MB")
        report("app apply (verify, unpack, pip install, compile, switch)", applied)
        report("app switch (the kiosk's part of unavailability)", switched)
        print("app unavailable = switch + restart (restart: crash-to-first-frame benchmark)")


if __name__ == "__main__":
    main()
