"""Speaker and microphone URLs (docs/architecture.md, Devices: a URL chooses the transport).

    sounddevice://                 the default device (PortAudio)
    sounddevice://<name or index>  a device by index or by (part of) its name, %-encoded
    file:///path/x.wav?speed=N     the test speaker or test microphone (N x real time)
    null://                        a speaker that plays nothing but takes the clip's time
    sim://voice?speed=N&seed=S     a microphone that hears drivers/sim/voice.py's test signal

Parsing raises ValueError only, naming the scheme or key and the URL; a URL that parses opens
without a ValueError (a missing device or file is AudioDeviceError or AudioFileError then).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from drivers.serial_url import parse_int, split_device_url, url_params

SPEED_RANGE = (0.01, 10_000.0)
RATE_RANGE = (8_000, 192_000)

# scheme -> the query keys it takes, for speakers and for microphones.
OUTPUT_SCHEMES: dict[str, tuple[str, ...]] = {"sounddevice": (), "file": ("speed",),
                                              "null": ()}
SOURCE_SCHEMES: dict[str, tuple[str, ...]] = {"sounddevice": ("rate",),
                                              "file": ("speed", "rate"),
                                              "sim": ("speed", "rate", "seed")}


@dataclass(frozen=True)
class AudioUrl:
    url: str
    scheme: str
    device: int | str | None = None  # sounddevice: None = the default device
    path: Path | None = None         # file
    speed: float = 1.0               # file, sim
    rate: int | None = None          # sources: None = 48000 (or the device's own)
    seed: int = 0                    # sim


def _speed(value: str, url: str, what: str) -> float:
    try:
        speed = float(value)
    except ValueError:
        speed = math.nan
    if not (math.isfinite(speed) and SPEED_RANGE[0] <= speed <= SPEED_RANGE[1]):
        raise ValueError(f"speed={value!r} in {what} {url!r} is not a number "
                         f"{SPEED_RANGE[0]:g}..{SPEED_RANGE[1]:g}")
    return speed


def parse_audio_url(url: str, what: str, schemes: dict[str, tuple[str, ...]]) -> AudioUrl:
    """``url`` read for a speaker (``what`` = "speaker URL", ``OUTPUT_SCHEMES``) or a
    microphone ("microphone URL", ``SOURCE_SCHEMES``). Syntax only: nothing is opened."""
    if isinstance(url, str) and url.strip() and "://" not in url:
        raise ValueError(f"{what} {url!r} has no scheme; expected e.g. "
                         f"{', '.join(s + '://' for s in schemes)}")
    url, parts = split_device_url(url, what)
    if parts is None:  # not reached: "://" is in it
        raise ValueError(f"{what} {url!r} has no scheme")
    scheme = parts.scheme.lower()
    if scheme not in schemes:
        raise ValueError(f"unknown {what} scheme {scheme!r} in {url!r}; expected one of "
                         f"{', '.join(s + '://' for s in schemes)}")
    params = url_params(parts, url, what, schemes[scheme])
    speed = _speed(params["speed"], url, what) if "speed" in params else 1.0
    rate = (parse_int(params["rate"], "rate", url, what, *RATE_RANGE)
            if "rate" in params else None)
    seed = parse_int(params["seed"], "seed", url, what, 0, 2**32 - 1) if "seed" in params else 0
    where = parts.netloc + parts.path
    if scheme == "sounddevice":
        name = unquote(where).strip().rstrip("/").strip()
        device: int | str | None = None
        if name:
            device = int(name) if name.isascii() and name.isdigit() else name
            if isinstance(device, int) and device > 10_000:
                raise ValueError(f"device index {device} in {what} {url!r} is out of range")
        return AudioUrl(url, scheme, device=device, rate=rate)
    if scheme == "file":
        if parts.netloc not in ("", "localhost"):
            raise ValueError(f"file {what} {url!r} must have an absolute path: "
                             f"file:///path/x.wav (three slashes)")
        path = unquote(parts.path)
        if not path.startswith("/") or path.rstrip("/") == "" or path.endswith("/"):
            raise ValueError(f"file {what} {url!r} has no file path; expected "
                             f"file:///path/x.wav")
        return AudioUrl(url, scheme, path=Path(path), speed=speed, rate=rate)
    if scheme == "null":
        if where not in ("", "/"):
            raise ValueError(f"null {what} {url!r} takes no device or path: null://")
        return AudioUrl(url, scheme)
    # sim: the only simulated microphone is the voice-like test signal.
    if parts.netloc.lower() != "voice" or parts.path not in ("", "/"):
        raise ValueError(f"sim {what} {url!r}: the simulated microphone is sim://voice")
    return AudioUrl(url, scheme, speed=speed, rate=rate, seed=seed)


__all__ = ["OUTPUT_SCHEMES", "SOURCE_SCHEMES", "AudioUrl", "parse_audio_url"]
