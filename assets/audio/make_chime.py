"""Writes chime.wav: the lobby display's two-tone chime before a number is called
(kiosk/centre/pages/static/display.js). A plain "ding-dong" made from two decaying bell
tones, no speech. Run from anywhere: `python assets/audio/make_chime.py`.
"""

from __future__ import annotations

import math
import struct
import wave
from pathlib import Path

RATE = 22050  # Hz, mono, 16-bit: small, and every browser plays it
TONES = ((880.0, 0.0), (659.25, 0.55))  # (frequency in Hz, start in s): A5 then E5
LENGTH = 1.8  # seconds
DECAY = 2.6  # per second: each tone fades out over about a second
VOLUME = 0.45  # of full scale, so two overlapping tones never clip


def sample(t: float) -> float:
    total = 0.0
    for frequency, start in TONES:
        if t < start:
            continue
        age = t - start
        attack = min(age / 0.008, 1.0)  # 8 ms rise: no click at the start
        envelope = attack * math.exp(-DECAY * age)
        # A bell: the fundamental with a little of its octave.
        total += envelope * (math.sin(2 * math.pi * frequency * age)
                             + 0.25 * math.sin(4 * math.pi * frequency * age))
    return total * VOLUME / 1.25


def write(path: Path) -> None:
    frames = bytearray()
    count = int(RATE * LENGTH)
    for i in range(count):
        fade = min((count - i) / (0.05 * RATE), 1.0)  # last 50 ms to silence
        value = max(-1.0, min(1.0, sample(i / RATE) * fade))
        frames += struct.pack("<h", round(value * 32767))
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(bytes(frames))


if __name__ == "__main__":
    write(Path(__file__).resolve().parent / "chime.wav")
