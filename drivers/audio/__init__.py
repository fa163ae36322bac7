"""Sound: clips and their files, speakers and microphones chosen by URL, take checks
(docs/architecture.md, Devices and Voice).

- clip.py: ``Clip`` (mono float32 in [-1, 1] at a rate), read/write .wav .ogg .flac,
  resample, silence, concat.
- output.py: ``open_output("sounddevice://" | "file:///x.wav?speed=N" | "null://")``.
- capture.py: ``open_source("sounddevice://" | "file:///x.wav?speed=N" | "sim://voice")``.
- levels.py: ``check_take``: silent, too quiet, clipped, too short, too long; trimmed and
  normalised to -20 LUFS.

Nothing heavy is imported here: the names below load their module on first use (PEP 562),
and numpy, soundfile, sounddevice and pyloudnorm load inside the functions that need them, so
importing drivers.audio costs the kiosk's first frame nothing.
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "Clip": ".clip", "AudioFileError": ".clip", "read_clip": ".clip", "write_clip": ".clip",
    "clip_bytes": ".clip", "resample": ".clip", "silence": ".clip", "concat": ".clip",
    "AudioOutput": ".output", "AudioDeviceError": ".output", "open_output": ".output",
    "AudioSource": ".capture", "open_source": ".capture",
    "TakeProblem": ".levels", "TakeCheck": ".levels", "check_take": ".levels",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_LAZY[name], __name__), name)
