"""Kivy set-up that must happen before the first Kivy import.

Kivy reads its environment and config at import time, so the CLI calls prepare() first.
"""

from __future__ import annotations

import os
import tempfile


def set_environment(headless: bool) -> None:
    """Kivy's environment variables; headless also isolates it from ~/.kivy (tests, CI)."""
    os.environ.setdefault("KIVY_NO_ARGS", "1")  # our CLI owns the command line
    os.environ.setdefault("KIVY_NO_FILELOG", "1")
    os.environ.setdefault("KIVY_LOG_MODE", "MIXED")
    os.environ.setdefault("KIVY_WINDOW", "sdl2")
    if headless:
        # No sound card in CI or when rendering screenshots: SDL's silent audio driver
        # lets recorded prompts load and "play" the same way.
        os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
        os.environ.setdefault("KIVY_USE_DEFAULTCONFIG", "1")
        os.environ.setdefault("KIVY_HOME", tempfile.mkdtemp(prefix="kiosk-kivy-"))
        os.environ.setdefault("KIVY_METRICS_DENSITY", "1")


def prepare(fullscreen: bool, size: tuple[int, int] = (720, 1280), headless: bool = False) -> None:
    set_environment(headless)
    if not fullscreen and not headless:
        # A 1080x1920 kiosk layout shown at two thirds on a desktop screen.
        os.environ.setdefault("KIVY_METRICS_DENSITY", str(size[0] / 1080))

    from kivy.config import Config

    Config.set("kivy", "exit_on_escape", "0")
    # Right click would otherwise leave a red multitouch-emulation dot on the screen.
    Config.set("input", "mouse", "mouse,disable_multitouch")
    Config.set("kivy", "keyboard_mode", "system")
    Config.set("graphics", "resizable", "1")
    if fullscreen:
        Config.set("graphics", "fullscreen", "auto")
        Config.set("graphics", "borderless", "1")
        Config.set("graphics", "show_cursor", "0")
    else:
        Config.set("graphics", "fullscreen", "0")
        Config.set("graphics", "width", str(size[0]))
        Config.set("graphics", "height", str(size[1]))

    from kivy.core.text import DEFAULT_FONT, LabelBase

    from kiosk.paths import FONT_BOLD, FONT_REGULAR

    # Kivy's bundled Roboto lacks ƀ and the combining breve; every label uses Noto Sans.
    LabelBase.register(DEFAULT_FONT, str(FONT_REGULAR), fn_bold=str(FONT_BOLD))
