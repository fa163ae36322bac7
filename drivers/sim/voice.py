"""Test audio for the studio and the speakers: NOT a voice.

``speech_like`` makes harmonic bursts (a 110-220 Hz fundamental gliding a little, its
harmonics falling off with two formant-like bumps) shaped by a syllable envelope (4-6
syllables a second, short gaps, a longer pause every few syllables), between stretches of a
very quiet room. It has the level, rhythm and pauses the take checks look at
(drivers/audio/levels.py), so tests and ``kiosk simulate`` exercise them; it says nothing,
in no language: a recording of a real speaker is the only voice the kiosk plays.

``write_test_takes`` writes the takes the tests feed to the file:// microphone.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from drivers.audio.clip import Clip, write_clip

ROOM_DBFS = -75.0  # a quiet room's hiss under the bursts (a 16-bit file keeps it: ~6 LSB)


def speech_like(seconds: float = 1.2, level_dbfs: float = -18.0, rate: int = 48000,
                seed: int = 0, lead: float = 0.4, tail: float = 0.4) -> Clip:
    """``lead`` s of room, ``seconds`` of syllable-shaped harmonic bursts whose RMS over the
    bursts is ``level_dbfs``, then ``tail`` s of room. Deterministic for a seed."""
    import numpy as np

    if not (seconds >= 0 and lead >= 0 and tail >= 0):
        raise ValueError("seconds, lead and tail must be >= 0")
    rng = np.random.default_rng(seed)
    n_voice = int(round(seconds * rate))
    voice = np.zeros(n_voice)
    pos = 0
    syllable = 0
    while pos < n_voice:
        dur = int(rng.uniform(0.12, 0.24) * rate)
        seg = min(dur, n_voice - pos)
        t = np.arange(seg) / rate
        f0 = rng.uniform(110.0, 220.0)
        glide = f0 * (1.0 + rng.uniform(-0.15, 0.15) * t / max(dur / rate, 1e-3))
        phase = 2.0 * math.pi * np.cumsum(glide) / rate
        burst = np.zeros(seg)
        f1, f2 = rng.uniform(400, 900), rng.uniform(1100, 2500)  # formant-like bumps
        for k in range(1, 25):
            fk = k * f0
            if fk > rate / 2.2:
                break
            amp = (1.0 / k) * (1.0 + 3.0 * math.exp(-((fk - f1) / 200.0) ** 2)
                               + 2.0 * math.exp(-((fk - f2) / 300.0) ** 2))
            burst += amp * np.sin(k * phase + rng.uniform(0, 2 * math.pi))
        # Syllable envelope: a quick rise, a slower fall (raised-cosine edges).
        env = np.ones(seg)
        rise, fall = max(1, int(0.025 * rate)), max(1, int(0.06 * rate))
        rise, fall = min(rise, seg // 2 or 1), min(fall, seg // 2 or 1)
        env[:rise] = 0.5 - 0.5 * np.cos(np.linspace(0, math.pi, rise))
        env[seg - fall:] *= 0.5 + 0.5 * np.cos(np.linspace(0, math.pi, fall))
        voice[pos:pos + seg] = burst * env * rng.uniform(0.6, 1.0)
        syllable += 1
        gap = rng.uniform(0.03, 0.08) if syllable % 4 else rng.uniform(0.15, 0.25)
        pos += dur + int(gap * rate)
    rms = math.sqrt(float(np.mean(voice[voice != 0] ** 2))) if np.any(voice) else 0.0
    if rms > 0:
        voice *= 10.0 ** (level_dbfs / 20.0) / rms
    n_lead, n_tail = int(round(lead * rate)), int(round(tail * rate))
    out = np.concatenate([np.zeros(n_lead), voice, np.zeros(n_tail)])
    out += rng.standard_normal(len(out)) * 10.0 ** (ROOM_DBFS / 20.0)
    return Clip(np.clip(out, -1.0, 1.0).astype(np.float32), rate)


def write_test_takes(folder: Path) -> dict[str, Path]:
    """48 kHz PCM16 WAV takes, one per outcome of drivers/audio/levels.check_take:
    good (kept as it is), quiet (TOO_QUIET), clipped (CLIPPED), silence (SILENT) and long
    (TOO_LONG: 31 s of bursts against the default 30 s)."""
    import numpy as np

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    good = speech_like(1.2, -18.0, seed=1)
    hot = speech_like(1.2, -18.0, seed=2)
    takes = {
        "good": good,
        "quiet": speech_like(1.2, -48.0, seed=3),
        # +18 dB into a converter that stops at full scale: the tops are cut flat.
        "clipped": Clip(np.clip(hot.samples * 8.0, -1.0, 1.0), hot.rate),
        "silence": speech_like(0.0, seed=4, lead=1.0, tail=1.0),
        "long": speech_like(31.0, -18.0, seed=5, lead=0.3, tail=0.3),
    }
    paths: dict[str, Path] = {}
    for name, clip in takes.items():
        path = folder / f"{name}.wav"
        write_clip(path, clip, fmt="wav")
        paths[name] = path
    return paths


__all__ = ["speech_like", "write_test_takes"]


def open_microphone(url: str) -> Any:
    """drivers.audio.capture.open_source, with sim://voice served by speech_like: what the
    kiosk calls to open any microphone URL, the simulated one included."""
    from drivers.audio.capture import open_source

    return open_source(url, simulated=speech_like)
