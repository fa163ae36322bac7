"""A power cut (SIGKILL) at every step of apply and of rollback: what is left always has a
complete version as `current` (or none: the shipped one), the leftovers go at the next
status, and the next apply or rollback works."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.bundles import BundleRefused, Installer
from kiosk.bundles.installer import APPLY_STEPS, KILL_ENV, ROLLBACK_STEPS
from tests.bundle_kit import app_files, build, content_files, new_key

KEY = new_key()


def run_killed(action: list[str], updates: Path, step: str) -> None:
    cfg = updates.parent / "kiosk.toml"
    cfg.write_text(f'[updates]\ntrusted_keys = ["{KEY.public}"]\ndir = "{updates}"\n')
    proc = subprocess.run([sys.executable, "-m", "kiosk", "bundle", *action, "--config",
                           str(cfg)], env={**os.environ, KILL_ENV: step},
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == -9, (step, proc.returncode, proc.stderr)


def in_use(inst: Installer, kind: str) -> str | None:
    """The version the kiosk would start with, after checking it is whole."""
    kdir = inst.kind_dir(kind)
    link = kdir / "current"
    if not link.is_symlink():
        return None
    target = link.resolve(strict=True)  # never a dangling link
    assert target.parent == kdir / "versions" and not target.name.endswith(".partial")
    assert (target / ".manifest.json").is_file()
    if kind == "content":
        version = target.name
        assert (target / "audio/kpm/home.ogg").read_bytes() == f"OggS kpm {version}".encode()
        assert (target / "locales/kpm/LC_MESSAGES/kiosk.mo").is_file()
    else:
        assert (target / "lib/kiosk/__main__.py").is_file()
        assert (target / "lib/assets/fonts").is_dir()
    return target.name


def no_leftovers(inst: Installer, kind: str) -> None:
    inst.status()  # cleans
    kdir = inst.kind_dir(kind)
    assert not [p for p in (kdir / "versions").iterdir() if not p.is_dir()
                or p.name.endswith((".partial", ".stale"))]
    assert not list(kdir.glob(".*.tmp-*"))


@pytest.fixture(scope="module")
def bundles(tmp_path_factory) -> dict[str, Path]:  # type: ignore[no-untyped-def]
    tmp = tmp_path_factory.mktemp("bundles")
    return {"content-1": build(tmp, KEY, "content", "1.0.0", content_files("1.0.0")),
            "content-2": build(tmp, KEY, "content", "1.1.0", content_files("1.1.0")),
            "app-1": build(tmp, KEY, "app", "1.0.0", app_files(tmp, "1.0.0")),
            "app-2": build(tmp, KEY, "app", "1.1.0", app_files(tmp, "1.1.0"))}


@pytest.mark.parametrize("step", APPLY_STEPS)
def test_kill_during_a_content_apply(step: str, tmp_path: Path, bundles) -> None:
    updates = tmp_path / "updates"
    inst = Installer(updates, [KEY.public])
    inst.apply(bundles["content-1"])
    run_killed(["apply", str(bundles["content-2"])], updates, step)
    now = in_use(inst, "content")
    # Up to the switch the old version is in use; from it on, the new one.
    switched = APPLY_STEPS.index(step) >= APPLY_STEPS.index("switched")
    assert now == ("1.1.0" if switched else "1.0.0")
    no_leftovers(inst, "content")
    if switched:
        assert inst.rollback("content") == "1.0.0"
    else:
        assert inst.apply(bundles["content-2"]).version == "1.1.0"
    in_use(inst, "content")


@pytest.fixture(scope="module")
def app_installed(tmp_path_factory, bundles) -> Path:  # type: ignore[no-untyped-def]
    """An updates folder with app 1.0.0 installed and proven healthy, copied by each test."""
    updates = tmp_path_factory.mktemp("app") / "updates"
    inst = Installer(updates, [KEY.public])
    inst.apply(bundles["app-1"])
    inst.update_trial(lambda s: s.update(healthy=True))
    return updates


# Every step is cut in the content tests; an app's apply differs in what it does between
# "unpacked" and "overlaid" (pip) and in its trial.
@pytest.mark.parametrize("step", ["overlaid", "trial-set", "switched"])
def test_kill_during_an_app_apply(step: str, tmp_path: Path, bundles, app_installed) -> None:
    updates = tmp_path / "updates"
    shutil.copytree(app_installed, updates, symlinks=True)
    inst = Installer(updates, [KEY.public])
    run_killed(["apply", str(bundles["app-2"])], updates, step)
    now = in_use(inst, "app")
    switched = APPLY_STEPS.index(step) >= APPLY_STEPS.index("switched")
    assert now == ("1.1.0" if switched else "1.0.0")
    # A version switched to is on trial even when the cut came right after the switch.
    assert (inst.trial() or {}).get("version") == ("1.1.0" if switched else None)
    no_leftovers(inst, "app")
    if not switched:
        assert inst.apply(bundles["app-2"]).version == "1.1.0"
    assert inst.rollback("app") == "1.0.0" and in_use(inst, "app") == "1.0.0"


@pytest.mark.parametrize("step", ROLLBACK_STEPS)
def test_kill_during_a_rollback(step: str, tmp_path: Path, bundles) -> None:
    updates = tmp_path / "updates"
    inst = Installer(updates, [KEY.public])
    inst.apply(bundles["content-1"])
    inst.apply(bundles["content-2"])
    run_killed(["rollback", "--kind", "content"], updates, step)
    now = in_use(inst, "content")
    assert now == ("1.1.0" if step == "rollback-start" else "1.0.0")
    no_leftovers(inst, "content")
    try:
        after = inst.rollback("content")
    except BundleRefused as refused:  # pragma: no cover - only when nothing is installed
        pytest.fail(str(refused))
    # From 1.1.0: back to 1.0.0; from 1.0.0 (the cut came after the switch): the shipped.
    assert after == ("1.0.0" if now == "1.1.0" else "shipped")
    assert in_use(inst, "content") == (None if after == "shipped" else after)
