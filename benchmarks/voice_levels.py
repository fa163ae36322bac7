"""What checking and keeping a studio take costs: check_take on a 3 s take, and encoding the
kept clip to Ogg Vorbis (docs/architecture.md, Voice).

    .venv/bin/python benchmarks/voice_levels.py [--runs 20] [--seconds 3]

The take is drivers/sim/voice.py's test signal (3 s of bursts, 0.4 s of room either side) at
48 kHz. The first call of each is reported on its own: it imports numpy, scipy (through
pyloudnorm) and soundfile, which the studio pays once, on its first take. Then the median
and worst of --runs calls, and the Ogg Vorbis size against PCM16 WAV.
"""

from __future__ import annotations

import argparse
import statistics
import time


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()

    t = time.perf_counter()
    from drivers.audio.clip import clip_bytes
    from drivers.audio.levels import check_take
    from drivers.sim.voice import speech_like
    imports = time.perf_counter() - t

    take = speech_like(args.seconds, -24.0, seed=1)

    def timed(fn):  # noqa: ANN001, ANN202 - a local helper
        t0 = time.perf_counter()
        value = fn()
        return time.perf_counter() - t0, value

    first_check, check = timed(lambda: check_take(take))
    assert check.clip is not None and check.ok, check.problems
    first_ogg, ogg = timed(lambda: clip_bytes(check.clip, "ogg"))
    checks = [timed(lambda: check_take(take))[0] for _ in range(args.runs)]
    oggs = [timed(lambda: clip_bytes(check.clip, "ogg"))[0] for _ in range(args.runs)]
    wav = clip_bytes(check.clip, "wav")

    def ms(x: float) -> str:
        return f"{x * 1000:7.1f} ms"

    print(f"take: {take.seconds:.1f} s at {take.rate} Hz, kept {check.clip.seconds:.2f} s "
          f"({check.loudness_lufs:.1f} LUFS -> -20)")
    print(f"  {'import drivers.audio, drivers.sim':37}{ms(imports)}")
    print(f"  check_take, first call (imports)     {ms(first_check)}")
    print(f"  check_take, median of {args.runs:<3}          {ms(statistics.median(checks))}"
          f"   worst {ms(max(checks))}")
    print(f"  Ogg Vorbis encode, first call        {ms(first_ogg)}")
    print(f"  Ogg Vorbis encode, median of {args.runs:<3}   {ms(statistics.median(oggs))}"
          f"   worst {ms(max(oggs))}")
    print(f"  size: Ogg Vorbis {len(ogg) / 1024:.1f} KiB, PCM16 WAV {len(wav) / 1024:.1f} KiB")


if __name__ == "__main__":
    main()
