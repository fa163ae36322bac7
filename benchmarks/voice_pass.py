"""A full recording pass for one language through `kiosk voice record`, with test audio.

    .venv/bin/python benchmarks/voice_pass.py [--lang kpm] [--speed 50]

On a throwaway data folder: `kiosk i18n report` before, then `kiosk voice record --lang L`
on a pseudo-terminal with the test microphone (file://, drivers/sim/voice.py's "good" take,
a speech-like signal, not a voice, at --speed x real time): every prompt and number-call
segment is recorded, checked, kept (Ogg Vorbis, written atomically, audited) as a person
pressing Enter, Enter, k would; then the report again. Prints both reports, the number of
items and the time the pass took (wall time, the command's start included; the takes
themselves last take-length / speed each).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from drivers.audio.clip import read_clip  # noqa: E402
from drivers.sim.voice import write_test_takes  # noqa: E402
from tests.voice_terminal import Terminal, kiosk, record_all  # noqa: E402


def _report(data: Path) -> str:
    done = subprocess.run(kiosk("i18n", "report", "--data-dir", str(data)),
                          capture_output=True, text=True, check=True)
    return done.stdout.rstrip("\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lang", default="kpm", help="the language to record (default kpm)")
    parser.add_argument("--speed", type=float, default=50.0,
                        help="the test microphone's speed, x real time (default 50)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="voice-pass-") as folder:
        root = Path(folder)
        good = write_test_takes(root / "takes")["good"]
        take_seconds = read_clip(good).seconds
        data = root / "data"
        before = _report(data)
        start = time.monotonic()
        term = Terminal(kiosk("voice", "record", "--lang", args.lang, "--data-dir", str(data),
                              "--source", f"file://{good}?speed={args.speed:g}",
                              "--speaker", "null://"))
        try:
            kept, (recorded, total, kept_now) = record_all(term, take_seconds)
            code = term.wait()
        finally:
            term.close()
        elapsed = time.monotonic() - start
        after = _report(data)
        size = sum(p.stat().st_size for p in (data / "content" / "audio").rglob("*.ogg"))

    print(f"kiosk i18n report, before a full recording pass of {args.lang}:")
    print(before)
    print(f"\nkiosk i18n report, after it ({kept_now} kept of {total} items: "
          f"{sum(k.startswith('segments/') for k in kept)} number-call segments, "
          f"{sum(not k.startswith('segments/') for k in kept)} prompts):")
    print(after)
    print(f"\npass: {elapsed:.1f} s wall for {len(kept)} items ({elapsed / max(1, len(kept)):.2f} s"
          f" each), takes of {take_seconds:.1f} s test audio at {args.speed:g} x real time; "
          f"{size / 1000:.0f} kB of Ogg Vorbis; exit code {code}")
    return 0 if code == 0 and recorded == total else 1


if __name__ == "__main__":
    sys.exit(main())
