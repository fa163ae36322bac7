"""Cold start to the first frame of the attract screen, and memory (PSS), of the kiosk.

    .venv/bin/python benchmarks/startup.py [--runs 5]

Each run starts the kiosk (offscreen when there is no display) with KIOSK_BENCH_FIRST_FRAME
set: the app then prints the time of its first drawn frame of the attract screen and keeps
running; the script reads the proportional set size of the process tree, then ends it.
Prints the median of the runs, for two shapes of the kiosk:
- `kiosk run`, as in the lobby: the printer is a separate device (here `kiosk sim printer`
  in its own process, not counted), the kiosk talks to it over TCP. The targets apply here.
- `kiosk simulate`: the developer's all-in-one, with simulated printer and scanner inside
  the kiosk's own process (their code and threads are counted).
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


RUN = [sys.executable, "-m", "kiosk", "run", "--windowed", "--config"]
PRINTER_PORT = 19100


def lobby_config(folder: str) -> str:
    path = os.path.join(folder, "kiosk.toml")
    with open(path, "w", encoding="utf-8") as f:
        f.write(f'[devices]\nprinter = "tcp://127.0.0.1:{PRINTER_PORT}"\n')
    return path


def one_run(command: list[str]) -> tuple[float, float]:
    env = dict(os.environ, KIOSK_BENCH_FIRST_FRAME="1", KIVY_NO_ARGS="1",
               KIVY_HOME=tempfile.mkdtemp(), KIVY_NO_FILELOG="1", KIVY_NO_CONSOLELOG="1")
    data = tempfile.mkdtemp()
    start = time.time()
    if command is KIOSK:
        command = [*KIOSK, data]
    elif command is RUN:
        command = [*RUN, lobby_config(data), "--data-dir", data]
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
        if command is not MINIMAL:
            # The other screens are built after the first frame: memory is read once
            # they all are, as a visit finds them.
            for line in proc.stdout:  # type: ignore[union-attr]
                if line.startswith("screens-built "):
                    break
            else:
                raise RuntimeError("the kiosk exited before building its screens")
        # Let lazy imports and the garbage collection settle before reading memory.
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
    printer = subprocess.Popen(
        [sys.executable, "-m", "kiosk", "sim", "printer", "--listen",
         f"127.0.0.1:{PRINTER_PORT}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        shapes = (("minimal Kivy app", MINIMAL), ("kiosk run", RUN), ("kiosk simulate", KIOSK))
        measure(shapes, runs, results)
    finally:
        printer.terminate()
        printer.wait(30)
    ref_s, ref_m = results["minimal Kivy app"]
    for shape in ("kiosk run", "kiosk simulate"):
        s, m = results[shape]
        print(f"{shape}: cold start to first attract frame: median {s:.3f} s "
              f"(target <= 1.0 s); minimal Kivy app {ref_s:.3f} s; ratio {s / ref_s:.2f}")
        print(f"{shape}: memory PSS: median {m:.1f} MB (target <= 160 MB); minimal Kivy app "
              f"{ref_m:.1f} MB; ratio {m / ref_m:.2f}")


def measure(shapes, runs: int, results: dict) -> None:  # type: ignore[no-untyped-def]
    for name, command in shapes:
        starts, memories = [], []
        for i in range(runs):
            s, m = one_run(command)
            starts.append(s)
            memories.append(m)
            print(f"{name} run {i + 1}: first frame {s:.3f} s, PSS {m:.1f} MB", flush=True)
        results[name] = (statistics.median(starts), statistics.median(memories))


if __name__ == "__main__":
    main()
