"""Checks a take before it is kept, and makes it ready to play (docs/architecture.md, Voice).

``check_take`` measures the take in 10 ms frames (RMS, dBFS) and says what is wrong with it,
in words the studio turns into sentences for staff:

- SILENT: no frame stands out of the room's noise (nobody spoke, or the microphone is muted).
- TOO_QUIET: something was said, but too softly, or barely above the room's noise: raising it
  to the target loudness would raise the lobby's hubbub with it.
- CLIPPED: a run of samples at full scale: the microphone or its gain was overdriven and the
  voice is distorted; no later gain can undo that.
- TOO_SHORT: under 0.1 s of voice: a click or a tap, not a word.
- TOO_LONG: the spoken part (after trimming) is longer than ``max_seconds``.

The clip it returns is trimmed to the voice (80 ms kept either side, so soft onsets and
endings survive) and normalised to -20 LUFS (ITU-R BS.1770-4, pyloudnorm), its gain limited so
that the peak stays at or below -1 dBFS: prompts and number segments then play equally loud
one after another. pyloudnorm needs at least one 0.4 s gating block, so a shorter clip is
measured repeated to that length (the same mean square, the same loudness).

Pure numpy (scipy through pyloudnorm), imported inside the function; fuzzed by the tests.
"""

from __future__ import annotations

import enum
import functools
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .clip import Clip

if TYPE_CHECKING:
    import numpy as np

# Thresholds, chosen for a USB microphone on a desk in a commune lobby, its gain set so that a
# normal voice at 20-40 cm (65-70 dB SPL) reads -30..-18 dBFS RMS; the lobby's noise (people
# talking, a fan, traffic: 50-60 dB SPL) then reads 10-25 dB lower, around -55..-40 dBFS.
# Tried on synthetic Vietnamese (espeak-ng, not shipped) at -35..-18 dBFS: sentences in pink
# noise plus babble at -60..-40 dBFS, single digits in white noise at -50..-40 dBFS. All pass
# except a voice under ~10 dB above the noise (TOO_QUIET, or TOO_SHORT for a lone digit drowned
# in it) and peaks pushed past full scale (CLIPPED).
FRAME_SECONDS = 0.010
FLOOR_PERCENTILE = 10     # the room's noise: the quietest tenth of the take's frames
VOICE_ABOVE_FLOOR = 12.0  # dB: syllables stand 15-30 dB above lobby noise; a noise's own
                          # frame-to-frame wobble stays within a few dB
VOICE_MIN_DBFS = -55.0    # a frame quieter than this is never voice (a digital-silence or
                          # very quiet room would otherwise count its hiss)
QUIET_DBFS = -40.0        # the voice's RMS below this: more than +20 dB of gain needed, which
                          # lifts the room's noise into hearing; a normal voice is 10-20 dB above
QUIET_SNR_DB = 15.0       # voice less than this above the room's noise: the noise would be as
                          # audible as the words after normalising
FULL_SCALE = 0.999        # a 16-bit converter saturates at 32767/32768 = 0.99997
CLIP_RUN = 3              # consecutive samples at full scale: one can be a true peak; a run
                          # means the waveform's top was cut flat
MIN_VOICED_SECONDS = 0.10 # a digit said alone ("một", "ba") lasts 0.25-0.35 s, of which
                          # ~0.15 s stands clear of a busy lobby's noise; a click, a tap on
                          # the microphone or a door is under 0.05 s
MARGIN_SECONDS = 0.080    # kept before the first and after the last voiced frame
TARGET_LUFS = -20.0       # speech prompts on a kiosk speaker: clear without shouting, and
                          # leaves headroom under the -1 dBFS peak for a voice's peaks
PEAK_LIMIT_DBFS = -1.0
MAX_GAIN_DB = 40.0        # never lift a near-silent take further than this
FLOOR_DBFS = -120.0       # what "nothing" reads as (not -inf: the figures go into JSON)
METER_BLOCK = 0.4         # s, BS.1770's gating block
METER_MIN_RATE = 8_000    # the K-weighting filters need this much sample rate


class TakeProblem(enum.Enum):
    SILENT = "silent"
    TOO_QUIET = "too_quiet"
    CLIPPED = "clipped"
    TOO_SHORT = "too_short"
    TOO_LONG = "too_long"


@dataclass(frozen=True)
class TakeCheck:
    problems: tuple[TakeProblem, ...]  # empty: the take may be kept
    clip: Clip | None                  # trimmed and normalised; None when SILENT
    peak_dbfs: float                   # of the take as recorded (FLOOR_DBFS for nothing)
    loudness_lufs: float | None        # of the trimmed take before normalising
    voiced_seconds: float

    @property
    def ok(self) -> bool:
        return not self.problems


def _db(x: float) -> float:
    return max(FLOOR_DBFS, 20.0 * math.log10(x)) if x > 0 else FLOOR_DBFS


@functools.lru_cache(maxsize=8)
def _meter(rate: int) -> Any:
    import pyloudnorm

    return pyloudnorm.Meter(rate)


def loudness(samples: np.ndarray, rate: int) -> float | None:
    """Integrated loudness (LUFS) of mono ``samples``; None when unmeasurable (empty, or
    below BS.1770's -70 LUFS absolute gate)."""
    import numpy as np

    if len(samples) == 0 or not np.any(samples):
        return None
    if rate < METER_MIN_RATE:
        # The K-weighting filters' corners (38 Hz, 1.5 kHz) need this bandwidth; no microphone
        # records below it, so such a clip gets BS.1770's formula without weighting or gates.
        ms = float(np.mean(np.square(samples, dtype=np.float64)))
        return -0.691 + 10.0 * math.log10(ms) if ms > 0 else None
    need = int(math.ceil(METER_BLOCK * rate)) + 1
    if len(samples) < need:  # shorter than one gating block: repeat it (same mean square)
        samples = np.tile(samples, need // len(samples) + 1)[:need]
    value = float(_meter(rate).integrated_loudness(samples.astype(np.float64)))
    return value if math.isfinite(value) else None


def _clipped(samples: np.ndarray) -> bool:
    import numpy as np

    hot = np.abs(samples) >= FULL_SCALE
    if int(hot.sum()) < CLIP_RUN:
        return False
    # Longest run of True: the distance between a run's falling and rising edges.
    edges = np.diff(np.concatenate(([0], hot.view(np.int8), [0])))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    return bool(np.max(ends - starts) >= CLIP_RUN)


def check_take(clip: Clip, max_seconds: float = 30.0) -> TakeCheck:
    """What is wrong with a take (nothing: it may be kept) and the take made ready to play.
    Never raises for any samples; the clip it returns is within [-1, 1] and no longer than
    the take."""
    import numpy as np

    rate = clip.rate
    raw = np.nan_to_num(clip.samples.astype(np.float64), nan=0.0, posinf=1.0, neginf=-1.0)
    raw = np.clip(raw, -1.0, 1.0)
    n = len(raw)
    peak = float(np.max(np.abs(raw))) if n else 0.0
    peak_dbfs = _db(peak)
    clipped = _clipped(raw)
    # Cheap microphones add a DC offset; it carries no sound but counts in RMS and peaks.
    x = raw - raw.mean() if n else raw

    flen = max(1, int(round(rate * FRAME_SECONDS)))
    nframes = max(1, -(-n // flen)) if n else 0
    if nframes == 0:
        return TakeCheck((TakeProblem.SILENT,), None, peak_dbfs, None, 0.0)
    padded = np.zeros(nframes * flen)
    padded[:n] = x
    ms = np.mean(padded.reshape(nframes, flen) ** 2, axis=1)
    frame_db = np.where(ms > 0, 10.0 * np.log10(np.maximum(ms, 1e-30)), FLOOR_DBFS)
    frame_db = np.maximum(frame_db, FLOOR_DBFS)
    floor = float(np.percentile(frame_db, FLOOR_PERCENTILE))
    voiced = frame_db >= max(VOICE_MIN_DBFS, floor + VOICE_ABOVE_FLOOR)
    voiced_seconds = float(voiced.sum()) * flen / rate
    if not voiced.any():
        return TakeCheck((TakeProblem.SILENT,), None, peak_dbfs, None, 0.0)

    problems: list[TakeProblem] = []
    voice_db = 10.0 * math.log10(float(np.mean(ms[voiced])) or 1e-30)
    if voice_db < QUIET_DBFS or voice_db - floor < QUIET_SNR_DB:
        problems.append(TakeProblem.TOO_QUIET)
    if clipped:
        problems.append(TakeProblem.CLIPPED)
    if voiced_seconds < MIN_VOICED_SECONDS:
        problems.append(TakeProblem.TOO_SHORT)

    idx = np.flatnonzero(voiced)
    margin = int(round(MARGIN_SECONDS * rate))
    first = max(0, int(idx[0]) * flen - margin)
    last = min(n, (int(idx[-1]) + 1) * flen + margin)
    trimmed = x[first:last]
    if len(trimmed) / rate > max_seconds:
        problems.append(TakeProblem.TOO_LONG)

    lufs = loudness(trimmed, rate)
    gain_db = MAX_GAIN_DB if lufs is None else min(MAX_GAIN_DB, TARGET_LUFS - lufs)
    tpeak = float(np.max(np.abs(trimmed))) if len(trimmed) else 0.0
    if tpeak > 0:
        gain_db = min(gain_db, PEAK_LIMIT_DBFS - 20.0 * math.log10(tpeak))
    out = np.clip(trimmed * 10.0 ** (gain_db / 20.0), -1.0, 1.0).astype(np.float32)
    order = list(TakeProblem)
    problems.sort(key=order.index)
    return TakeCheck(tuple(problems), Clip(out, rate), peak_dbfs, lufs, voiced_seconds)


__all__ = ["TakeCheck", "TakeProblem", "check_take", "loudness"]
