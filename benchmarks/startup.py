"""Cold start to the first frame of the attract screen, and memory (PSS), of the kiosk.

    .venv/bin/python benchmarks/startup.py [--runs 5]

Each run starts `kiosk simulate --windowed` (offscreen when there is no display) with
KIOSK_BENCH_FIRST_FRAME set: the app then prints the time of its first drawn frame of the
attract screen and keeps running; the script reads the proportional set size of the
process tree, then ends it. Prints the median of the runs.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time

import psutil


def pss_mb(proc: psutil.Process) -> float:
    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            total += p.memory_full_info().pss
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            pass
    return total / 1e6


KIOSK = [sys.executable, "-m", "kiosk", "simulate", "--windowed", "--data-dir"]
MINIMAL = [sys.executable, os.path.join(os.path.dirname(__file__), "minimal_app.py")]


def one_run(command: list[str]) -> tuple[float, float]:
    env = dict(os.environ, KIOSK_BENCH_FIRST_FRAME="1", KIVY_NO_ARGS="1",
               KIVY_HOME=tempfile.mkdtemp(), KIVY_NO_FILELOG="1", KIVY_NO_CONSOLELOG="1")
    data = tempfile.mkdtemp()
    start = time.time()
    if command is KIOSK:
        command = [*KIOSK, data]
    proc = subprocess.Popen(
        command,
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env,
    )
    try:
        for line in proc.stdout:  # type: ignore[union-attr]
            if line.startswith("first-frame "):
                first_frame = float(line.split()[1])
                break
        else:
            raise RuntimeError("the kiosk exited before drawing its first frame")
        # Let lazy imports and the first prompt change settle before reading memory.
        time.sleep(3)
        memory = pss_mb(psutil.Process(proc.pid))
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
    return first_frame - start, memory


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    results = {}
    for name, command in (("minimal Kivy app", MINIMAL), ("kiosk simulate", KIOSK)):
        starts, memories = [], []
        for i in range(runs):
            s, m = one_run(command)
            starts.append(s)
            memories.append(m)
            print(f"{name} run {i + 1}: first frame {s:.3f} s, PSS {m:.1f} MB", flush=True)
        results[name] = (statistics.median(starts), statistics.median(memories))
    (ref_s, ref_m), (s, m) = results["minimal Kivy app"], results["kiosk simulate"]
    print(f"cold start to first attract frame: median {s:.3f} s (target <= 1.0 s); "
          f"minimal Kivy app {ref_s:.3f} s; ratio {s / ref_s:.2f}")
    print(f"memory PSS: median {m:.1f} MB (target <= 160 MB); minimal Kivy app "
          f"{ref_m:.1f} MB; ratio {m / ref_m:.2f}")


if __name__ == "__main__":
    main()
