"""`kiosk install-service`: the systemd unit (assets/systemd/lobby-kiosk.service) with this
machine's paths, installed and enabled (docs/architecture.md, Running unattended)."""

from __future__ import annotations

import argparse
import os
import pwd
import shutil
import subprocess
import sys
from pathlib import Path

from kiosk.commands import EXIT_FAILED, UsageError
from kiosk.config import load_config
from kiosk.lifecycle import write_atomically
from kiosk.paths import ASSETS

UNIT_NAME = "lobby-kiosk.service"
UNIT_TEMPLATE = ASSETS / "systemd" / UNIT_NAME
SYSTEM_UNIT_DIR = Path("/etc/systemd/system")
# The screen session the kiosk runs in: a Wayland kiosk compositor (Kivy's SDL draws
# through its XWayland), or a bare X server without a window manager or screen blanking.
SESSIONS = {
    "cage": ("cage", ["-d", "--"], []),
    "x11": ("xinit", [], ["--", ":0", "vt1", "-keeptty", "-nolisten", "tcp", "-s", "0",
                          "-dpms"]),
}


def systemd_word(arg: str) -> str:
    """One command-line word as systemd reads it in ExecStart= (quoted if needed; its own
    specifiers % and variables $ escaped)."""
    word = arg.replace("%", "%%").replace("$", "$$")
    if any(c in word for c in ' \t"\'\\;') or not word:
        word = '"' + word.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return word


def kiosk_command(config: Path | None) -> list[str]:
    """`kiosk launch` from this installation (its venv), with the config."""
    script = Path(sys.executable).parent / "kiosk"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "kiosk"]
    return command + ["launch"] + (["--config", str(config)] if config else [])


def render_unit(user: str, exec_start: list[str]) -> str:
    text = UNIT_TEMPLATE.read_text(encoding="utf-8")
    return (text.replace("@USER@", user)
            .replace("@EXEC_START@", " ".join(systemd_word(a) for a in exec_start)))


def cmd_install_service(args: argparse.Namespace) -> int:
    config = getattr(args, "config", None)
    if config is not None:
        config = config.resolve()
        load_config(config)  # a config that would not start the kiosk is refused now
    program, before, after = SESSIONS[args.session]
    found = shutil.which(program)
    if found is None and not args.dry_run:
        raise UsageError(f"{program} is not installed (Debian: apt install "
                         f"{'cage xwayland' if program == 'cage' else 'xinit xserver-xorg'})")
    exec_start = [found or f"/usr/bin/{program}", *before, *kiosk_command(config), *after]
    unit = render_unit(args.user, exec_start)
    if args.dry_run:
        print(unit, end="")
        return 0
    try:
        pwd.getpwnam(args.user)
    except KeyError:
        raise UsageError(f"user {args.user!r} does not exist: make it first, e.g. useradd "
                         f"--create-home --groups video,input,render {args.user}") from None
    unit_dir = args.unit_dir or SYSTEM_UNIT_DIR
    if args.unit_dir is None:
        # The system's unit folder: only root may write there, and only systemd reads it.
        if os.geteuid() != 0:
            raise UsageError("run as root (sudo kiosk install-service …), or give --unit-dir")
        if not Path("/run/systemd/system").is_dir():
            raise UsageError("this machine is not running systemd: nothing installed "
                             "(--dry-run shows the unit)")
    path = unit_dir / UNIT_NAME
    try:
        write_atomically(path, unit)
    except OSError as exc:
        raise UsageError(f"{path}: {exc.strerror or exc}") from None
    print(f"unit written to {path}")
    if args.unit_dir is not None:
        return 0
    for step in (["daemon-reload"], ["enable", UNIT_NAME]):
        done = subprocess.run(["systemctl", *step], capture_output=True, text=True)
        if done.returncode != 0:
            line = (done.stderr.strip().splitlines() or ["failed"])[-1]
            print(f"kiosk: systemctl {' '.join(step)}: {line}", file=sys.stderr)
            return EXIT_FAILED
    print(f"enabled: it starts at the next boot, or now with: systemctl start {UNIT_NAME}")
    return 0
