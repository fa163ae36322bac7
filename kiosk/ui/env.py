"""Kivy set-up that must happen before the first Kivy import.

Kivy reads its environment and config at import time, so the CLI calls prepare() first.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import importlib.util
import logging
import os
import tempfile
from pathlib import Path

log = logging.getLogger("kiosk")

# The portrait kiosk screen the layouts are drawn for, in dp at density 1.
KIOSK_SIZE = (1080, 1920)
# The least room, in dp, every screen's layout needs: on any screen dp are scaled so that
# it holds at least this much, landscape or portrait, on a tablet as on the kiosk (a
# landscape screen gets more width and the lists fill it).
LEAST_DP = (1080, 1440)
WINDOW_SHARE = 0.9  # of the display's free area a window takes: room for title bar and panel


def set_environment(headless: bool) -> None:
    """Kivy's environment variables; headless also isolates it from ~/.kivy (tests, CI)."""
    os.environ.setdefault("KIVY_NO_ARGS", "1")  # our CLI owns the command line
    os.environ.setdefault("KIVY_NO_FILELOG", "1")
    os.environ.setdefault("KIVY_LOG_MODE", "MIXED")
    os.environ.setdefault("KIVY_WINDOW", "sdl2")
    # Images (the icons, PNG) through SDL2_image only: Kivy would otherwise also load its
    # Pillow provider, ~40 ms before the first frame for nothing (docs/architecture.md,
    # "Start-up"); "tex" and "dds" are Kivy's own cached-texture formats.
    os.environ.setdefault("KIVY_IMAGE", "tex,dds,sdl2")
    # SDL would turn SIGTERM and SIGINT into a window close, which a fullscreen kiosk
    # refuses: kiosk/ui/lifecycle.py handles them instead.
    os.environ.setdefault("SDL_NO_SIGNAL_HANDLERS", "1")
    if headless:
        # No sound card in CI or when rendering screenshots: SDL's silent audio driver
        # lets recorded prompts load and "play" the same way.
        os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
        os.environ.setdefault("KIVY_USE_DEFAULTCONFIG", "1")
        os.environ.setdefault("KIVY_HOME", tempfile.mkdtemp(prefix="kiosk-kivy-"))


def parse_size(text: str) -> tuple[int, int]:
    """'WIDTHxHEIGHT' in pixels, e.g. '1080x1920'; ValueError for anything else."""
    width, sep, height = text.lower().partition("x")
    if not (sep and width.isdigit() and height.isdigit()
            and 320 <= int(width) <= 7680 and 320 <= int(height) <= 7680):
        raise ValueError(f"expected WIDTHxHEIGHT in pixels like 1080x1920, got {text!r}")
    return int(width), int(height)


def density_for(size: tuple[int, int]) -> float:
    """Pixels per dp on a window of `size` pixels (see LEAST_DP): 1 on the kiosk."""
    return min(size[0] / LEAST_DP[0], size[1] / LEAST_DP[1])


def windowed_size(display: tuple[int, int]) -> tuple[int, int]:
    """A window filling most of the display's free area, in its orientation."""
    return round(display[0] * WINDOW_SHARE), round(display[1] * WINDOW_SHARE)


def _sdl_library() -> ctypes.CDLL | None:
    """The SDL2 Kivy draws with: the copy its wheel bundles, else the system's."""
    spec = importlib.util.find_spec("kivy")  # found, not imported: Kivy reads env on import
    if spec is not None and spec.origin is not None:
        for path in sorted((Path(spec.origin).parent.parent / "Kivy.libs").glob("libSDL2-*.so*")):
            return ctypes.CDLL(str(path))
    name = ctypes.util.find_library("SDL2")
    return ctypes.CDLL(name) if name else None


class _Rect(ctypes.Structure):
    _fields_ = [("x", ctypes.c_int), ("y", ctypes.c_int), ("w", ctypes.c_int),
                ("h", ctypes.c_int)]


def display_size(usable: bool = True) -> tuple[int, int] | None:
    """The first display's size in pixels as SDL sees it (without task bars if `usable`);
    None when SDL cannot say (then the caller keeps its default)."""
    try:
        sdl = _sdl_library()
    except OSError as exc:
        log.warning("no SDL library to ask the display size: %s", exc)
        return None
    if sdl is None:
        return None
    sdl_init_video = 0x20
    if sdl.SDL_InitSubSystem(sdl_init_video) != 0:
        return None
    try:
        rect = _Rect()
        ask = sdl.SDL_GetDisplayUsableBounds if usable else sdl.SDL_GetDisplayBounds
        if ask(0, ctypes.byref(rect)) != 0 or rect.w <= 0 or rect.h <= 0:
            return None
        return rect.w, rect.h
    finally:
        sdl.SDL_QuitSubSystem(sdl_init_video)


def window_size(fullscreen: bool) -> tuple[int, int]:
    """The size the kiosk's window will have on this display: all of it in fullscreen,
    most of its free area when windowed; the kiosk's own size when SDL cannot say."""
    display = display_size(usable=not fullscreen)
    if display is None:
        return KIOSK_SIZE if fullscreen else (720, 1280)
    return display if fullscreen else windowed_size(display)


def prepare(fullscreen: bool, size: tuple[int, int] | None = None,
            headless: bool = False) -> None:
    """Kivy's environment and config for a window of `size` pixels (None: as the display
    allows, see window_size); layouts are scaled to it (density_for)."""
    set_environment(headless)
    if size is None:
        size = window_size(fullscreen)
    os.environ.setdefault("KIVY_METRICS_DENSITY", f"{density_for(size):.4f}")

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
        Config.set("graphics", "position", "custom")
        Config.set("graphics", "left", "0")
        Config.set("graphics", "top", "0")
    else:
        Config.set("graphics", "fullscreen", "0")
    Config.set("graphics", "width", str(size[0]))
    Config.set("graphics", "height", str(size[1]))

    from kivy.core.text import DEFAULT_FONT, LabelBase

    from kiosk.paths import FONT_BOLD, FONT_REGULAR

    # Kivy's bundled Roboto lacks ƀ and the combining breve; every label uses Noto Sans.
    LabelBase.register(DEFAULT_FONT, str(FONT_REGULAR), fn_bold=str(FONT_BOLD))
