"""Clips: mono float32 samples in [-1, 1] at a sample rate, and their files.

Recordings are read with soundfile (libsndfile, bundled in its wheel with Ogg Vorbis and
Opus): .wav, .ogg (Vorbis or Opus) and .flac, stereo mixed down to mono. The studio writes
Ogg Vorbis (a spoken prompt is 30-150 kB); the test speaker and the centre's assembled calls
are PCM16 WAV, which every browser plays (docs/architecture.md, Voice).

numpy and soundfile are imported inside the functions: the kiosk's first frame must not pay
for them (issue 14 counts the import set).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

# A file longer than this is refused on reading: a prompt or a number segment is seconds long,
# and a garbage header must not make the kiosk allocate gigabytes.
MAX_FILE_SECONDS = 600.0
FORMATS = {"ogg": ("OGG", "VORBIS"), "wav": ("WAV", "PCM_16"), "flac": ("FLAC", "PCM_16")}
RATE_RANGE = (1, 768_000)


class AudioFileError(Exception):
    """A file that cannot be read or written as audio; the message is one sentence naming
    the file, for staff and the log."""


@dataclass(frozen=True, eq=False)  # eq: comparing numpy arrays with == is element-wise
class Clip:
    """Mono float32 samples in [-1, 1] (shape (n,)), at ``rate`` samples per second.

    The samples are made read-only: a clip is shared between threads (the studio, the
    speaker's driver thread), so nobody may change it in place."""

    samples: np.ndarray
    rate: int

    def __post_init__(self) -> None:
        import numpy as np

        rate = self.rate
        if isinstance(rate, bool) or not isinstance(rate, int | np.integer):
            raise ValueError(f"a clip's rate must be an integer, not {rate!r}")
        if not RATE_RANGE[0] <= int(rate) <= RATE_RANGE[1]:
            raise ValueError(f"a clip's rate must be {RATE_RANGE[0]}..{RATE_RANGE[1]}, "
                             f"not {rate}")
        samples = np.asarray(self.samples, dtype=np.float32)
        if samples.ndim != 1:
            raise ValueError(f"a clip is mono: samples of shape (n,), not {samples.shape}")
        if samples.flags.writeable:
            samples = samples.copy() if samples is self.samples else samples
            samples.setflags(write=False)
        object.__setattr__(self, "samples", samples)
        object.__setattr__(self, "rate", int(rate))

    @property
    def seconds(self) -> float:
        return len(self.samples) / self.rate

    @property
    def frames(self) -> int:
        return len(self.samples)


def clean_samples(data: Any) -> np.ndarray:
    """float32, mono, finite, within [-1, 1] (a float WAV may hold NaN or 3.0)."""
    import numpy as np

    a = np.asarray(data, dtype=np.float32)
    if a.ndim == 2:
        a = a.mean(axis=1, dtype=np.float32) if a.shape[1] != 1 else a[:, 0]
    a = np.nan_to_num(a, nan=0.0, posinf=1.0, neginf=-1.0)
    return np.clip(a, -1.0, 1.0).astype(np.float32, copy=False)


def read_clip(path: Path, max_seconds: float = MAX_FILE_SECONDS) -> Clip:
    """A .wav, .ogg (Vorbis or Opus) or .flac file as a mono clip at its own rate.
    AudioFileError (one sentence naming the file) for anything else: a missing file, a
    truncated or garbage one, one longer than ``max_seconds``."""
    import soundfile as sf

    path = Path(path)
    try:
        with sf.SoundFile(str(path)) as f:
            if f.samplerate <= 0 or f.channels <= 0:
                raise AudioFileError(f"{path.name} has no sample rate or channels")
            if f.frames > max_seconds * f.samplerate:
                raise AudioFileError(f"{path.name} is longer than {max_seconds:g} s "
                                     f"({f.frames / f.samplerate:.0f} s)")
            rate = int(f.samplerate)
            data = f.read(dtype="float32", always_2d=True)
    except AudioFileError:
        raise
    except FileNotFoundError:
        raise AudioFileError(f"{path.name}: no such file ({path})") from None
    except (RuntimeError, OSError, ValueError, TypeError, EOFError, MemoryError) as e:
        # sf.LibsndfileError is a RuntimeError; its text is libsndfile's one-liner.
        why = getattr(e, "error_string", None) or str(e) or type(e).__name__
        raise AudioFileError(f"{path.name} is not a readable audio file "
                             f"({why.strip().rstrip('.')})") from None
    if not RATE_RANGE[0] <= rate <= RATE_RANGE[1]:
        raise AudioFileError(f"{path.name} has an unusable sample rate ({rate} Hz)")
    return Clip(clean_samples(data), rate)


def _format(fmt: str) -> tuple[str, str]:
    try:
        return FORMATS[fmt]
    except KeyError:
        raise ValueError(f"unknown audio format {fmt!r}; expected one of "
                         f"{', '.join(FORMATS)}") from None


def _write(target: Any, clip: Clip, fmt: str, name: str) -> None:
    import numpy as np
    import soundfile as sf

    major, subtype = _format(fmt)
    data = np.clip(clip.samples, -1.0, 1.0)
    try:
        sf.write(target, data, clip.rate, format=major, subtype=subtype)
    except (RuntimeError, TypeError, ValueError) as e:  # e.g. a rate Vorbis cannot take
        why = getattr(e, "error_string", None) or str(e) or type(e).__name__
        raise AudioFileError(f"{name} could not be written as {fmt} "
                             f"({why.strip().rstrip('.')})") from None


def write_clip(path: Path, clip: Clip, fmt: str = "ogg") -> None:
    """Write ``clip`` to ``path``: "ogg" = Ogg Vorbis, "wav" = PCM16, "flac". Not atomic:
    callers that replace a file people hear write to a temporary name first (the studio uses
    kiosk.durable.write_atomic with ``clip_bytes``)."""
    path = Path(path)
    _write(str(path), clip, fmt, path.name)


def clip_bytes(clip: Clip, fmt: str = "wav") -> bytes:
    """The file ``write_clip`` would write, in memory."""
    buf = io.BytesIO()
    _write(buf, clip, fmt, f"a {fmt} clip")
    return buf.getvalue()


def resample(clip: Clip, rate: int) -> Clip:
    """``clip`` at ``rate``, by linear interpolation (enough for speech prompts going to a
    speaker that wants another rate; not a studio-grade resampler). The same rate returns
    the same clip."""
    import numpy as np

    rate = int(rate)
    if rate == clip.rate:
        return clip
    if not RATE_RANGE[0] <= rate <= RATE_RANGE[1]:
        raise ValueError(f"sample rate must be {RATE_RANGE[0]}..{RATE_RANGE[1]}, not {rate}")
    n = len(clip.samples)
    out_n = int(round(n * rate / clip.rate))
    if n == 0 or out_n == 0:
        return Clip(np.zeros(0, np.float32), rate)
    # Sample k of the output sits at time k / rate; np.interp holds the last value past the end.
    t = np.arange(out_n, dtype=np.float64) * (clip.rate / rate)
    out = np.interp(t, np.arange(n, dtype=np.float64), clip.samples.astype(np.float64))
    return Clip(out.astype(np.float32), rate)


def silence(seconds: float, rate: int) -> Clip:
    import numpy as np

    if not seconds >= 0:  # also refuses NaN
        raise ValueError(f"silence of {seconds!r} seconds")
    return Clip(np.zeros(int(round(seconds * rate)), np.float32), rate)


def concat(clips: Sequence[Clip], pause: float = 0.0, rate: int | None = None) -> Clip:
    """The clips one after another with ``pause`` seconds of silence between them, all at
    ``rate`` (default: the first clip's; 48000 when there is none)."""
    import numpy as np

    if not pause >= 0:
        raise ValueError(f"pause of {pause!r} seconds")
    rate = int(rate if rate is not None else (clips[0].rate if clips else 48000))
    gap = np.zeros(int(round(pause * rate)), np.float32)
    parts: list[np.ndarray] = []
    for i, c in enumerate(clips):
        if i and len(gap):
            parts.append(gap)
        parts.append(resample(c, rate).samples)
    return Clip(np.concatenate(parts) if parts else np.zeros(0, np.float32), rate)


__all__ = ["FORMATS", "AudioFileError", "Clip", "clean_samples", "clip_bytes", "concat",
           "read_clip", "resample", "silence", "write_clip"]
