"""Cold start to the first frame of the attract screen, and memory (PSS), of the kiosk.

    .venv/bin/python benchmarks/startup.py [--runs 5] [--vs-chromium]

Each run starts the kiosk (offscreen when there is no display) with KIOSK_BENCH_FIRST_FRAME
set: the app then prints the time of its first drawn frame of the attract screen and keeps
running; the script reads the proportional set size of the process tree, then ends it.
Prints the median of the runs, for two shapes of the kiosk:
- `kiosk run`, as in the lobby: the printer is a separate device (here `kiosk sim printer`
  in its own process, not counted), the kiosk talks to it over TCP. The targets apply here.
- `kiosk simulate`: the developer's all-in-one, with simulated printer and scanner inside
  the kiosk's own process (their code and threads are counted).

With --vs-chromium: `kiosk run`, headless Chromium (Debian's `chromium`) showing an
equivalent attract page (the same header, title, picture, greeting cycling through the
offered languages, navigation bar, Noto Sans, same window size) and the minimal Kivy app
(benchmarks/minimal_app.py: the floor Kivy and Mesa set), started in turn; the ratios
against the issue's goals (start <= 0.5x Chromium's, memory <= 0.45x). Chromium's first
frame is its first contentful paint (the Paint Timing API, read over the DevTools protocol
once painted), from the moment its process was started; its memory is the PSS of all its
processes, read after the same 3 s. Each run waits until every process of the one before
has exited. The kiosk has a speaker (null://), as in the lobby: 2 s after its first frame
it loads what its first prompt needs (numpy, libsndfile), which its memory includes.
"""

from __future__ import annotations

import argparse
import base64
import html
import os
import re
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


def end_tree(proc: subprocess.Popen) -> None:
    """Ends proc and waits for every process it started to be gone too, so that the next
    run does not share the machine with this one's leftovers (Chromium's renderer, GPU
    and helper processes outlive the browser process by a moment)."""
    try:
        family = psutil.Process(proc.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        family = []
    proc.send_signal(signal.SIGTERM)
    proc.wait(30)
    _gone, alive = psutil.wait_procs(family, timeout=30)
    for p in alive:
        p.kill()
    psutil.wait_procs(alive, timeout=30)


KIOSK = [sys.executable, "-m", "kiosk", "simulate", "--windowed", "--data-dir"]
MINIMAL = [sys.executable, os.path.join(os.path.dirname(__file__), "minimal_app.py")]


RUN = [sys.executable, "-m", "kiosk", "run", "--windowed", "--config"]
PRINTER_PORT = 19100


def lobby_config(folder: str) -> str:
    path = os.path.join(folder, "kiosk.toml")
    with open(path, "w", encoding="utf-8") as f:
        # The lobby's kiosk has a speaker: null:// takes clips as a sound card would.
        f.write(f'[devices]\nprinter = "tcp://127.0.0.1:{PRINTER_PORT}"\n'
                'speaker = "null://"\n')
    return path


def one_run(command: list[str]) -> tuple[float, float]:
    env = dict(os.environ, KIOSK_BENCH_FIRST_FRAME="1", KIVY_NO_ARGS="1",
               KIVY_HOME=tempfile.mkdtemp(), KIVY_NO_FILELOG="1", KIVY_NO_CONSOLELOG="1")
    # An installed kiosk has its modules compiled (pip does it); a shell that forbids
    # writing bytecode would have every start compile them again.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
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
        end_tree(proc)
    return first_frame - start, memory


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--vs-chromium", action="store_true",
                        help="kiosk run against headless Chromium on an equivalent page")
    args = parser.parse_args()
    results = {}
    printer = subprocess.Popen(
        [sys.executable, "-m", "kiosk", "sim", "printer", "--listen",
         f"127.0.0.1:{PRINTER_PORT}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        if args.vs_chromium:
            versus_chromium(args.runs)
            return
        shapes = (("minimal Kivy app", MINIMAL), ("kiosk run", RUN), ("kiosk simulate", KIOSK))
        measure(shapes, args.runs, results)
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


# -- against Chromium ---------------------------------------------------------------------
CHROMIUM = "/usr/bin/chromium"  # Debian's package, never a downloaded build
# Resolves once the page's first contentful paint is recorded: its time since the epoch, ms.
FIRST_PAINT_JS = """() => new Promise(done => {
  const look = () => {
    const paint = performance.getEntriesByName('first-contentful-paint')[0];
    if (paint) done(performance.timeOrigin + paint.startTime); else requestAnimationFrame(look);
  };
  look();
})"""


def attract_page(folder: str) -> str:
    """The attract screen as a web page, from the kiosk's own config, texts, font, colours
    and pictures (kiosk/ui/kv/attract.kv and common.kv's header and navigation bar)."""
    os.environ.setdefault("KIVY_NO_ARGS", "1")  # kiosk.ui.screens imports Kivy (no window)
    os.environ.setdefault("KIVY_NO_CONSOLELOG", "1")
    from kiosk.config import load_config
    from kiosk.i18n import translate
    from kiosk.paths import FONT_BOLD, FONT_REGULAR, ICONS
    from kiosk.ui.screens import greeting
    from kiosk.ui.theme import FONT_HUGE, FONT_SMALL, FONT_TITLE, HEADER_DP, NORMAL

    cfg = load_config()

    def css(colour: tuple[float, ...]) -> str:
        return "rgb({}, {}, {})".format(*(round(c * 255) for c in colour[:3]))

    def icon(name: str) -> str:
        # Inline: a CSS mask is fetched with CORS, which file:// pages do not pass.
        data = base64.b64encode((ICONS / f"{name}.png").read_bytes()).decode()
        return f'<div class="icon" style="--icon: url(data:image/png;base64,{data})"></div>'

    name = html.escape(cfg.centre_name("vi"))
    greetings = [greeting(lang) for lang in cfg.languages]
    buttons = "".join(
        f'<div class="nav">{icon(picture)}{html.escape(translate("vi", label))}</div>'
        for picture, label in (("home", "Home"), ("back", "Back"), ("language", "Language"),
                            ("text_size", "Text size"), ("contrast", "Contrast")))
    page = f"""<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><style>
@font-face {{ font-family: Noto; src: url("file://{FONT_REGULAR}"); }}
@font-face {{ font-family: Noto; font-weight: bold; src: url("file://{FONT_BOLD}"); }}
html, body {{ margin: 0; height: 100%; font-family: Noto; background: {css(NORMAL.paper)}; }}
body {{ display: flex; flex-direction: column; }}
header {{ background: {css(NORMAL.header)}; color: {css(NORMAL.header_ink)};
  height: {HEADER_DP}px;
  display: flex; align-items: center; justify-content: center; font-weight: bold;
  font-size: {FONT_SMALL + 4}px; }}
main {{ flex: 1; display: flex; flex-direction: column; align-items: center; padding: 48px;
  text-align: center; color: {css(NORMAL.ink)}; }}
h1 {{ font-size: {FONT_TITLE}px; margin: 0; flex: 1; }}
/* The pictures are white shapes the kiosk colours, as here. */
.icon {{ mask: var(--icon) center / contain no-repeat; width: 100%; }}
main .icon {{ height: 260px; background: {css(NORMAL.accent)}; }}
#prompt {{ font-size: {FONT_HUGE}px; font-weight: bold; color: {css(NORMAL.accent)};
  flex: 1; white-space: pre-line; }}
nav {{ display: flex; gap: 8px; padding: 8px; }}
.nav {{ flex: 1; background: {css(NORMAL.button)}; color: {css(NORMAL.button_ink)};
  border-radius: 12px; display: flex; flex-direction: column; align-items: center;
  font-weight: bold; font-size: 26px; padding: 8px; }}
.nav .icon {{ height: 48px; background: {css(NORMAL.button_ink)}; }}
</style></head><body>
<header>{name}</header>
<main><h1>{name}</h1>{icon("ticket")}<div id="prompt"></div></main>
<nav>{buttons}</nav>
<script>
const greetings = {greetings!r};
let shown = 0;
const prompt = document.getElementById("prompt");
prompt.textContent = greetings[0];
setInterval(() => {{ shown = (shown + 1) % greetings.length;
  prompt.textContent = greetings[shown]; }}, 3000);
</script></body></html>"""
    path = os.path.join(folder, "attract.html")
    with open(path, "w", encoding="utf-8") as f:
        f.write(page)
    return path


def chromium_run(page: str, size: tuple[int, int], pw) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """Chromium started on `page`: seconds to its first contentful paint, and PSS (MB).
    Its pixels per CSS pixel are the kiosk's pixels per dp (kiosk/ui/env.py density_for),
    so the page lays out as the kiosk's screen does in that window."""
    from kiosk.ui.env import density_for

    density = density_for(size)
    profile = tempfile.mkdtemp()
    args = [CHROMIUM, "--headless=new", "--no-first-run", "--no-default-browser-check",
            f"--user-data-dir={profile}", "--remote-debugging-port=0",
            # In CSS pixels: the window is `size` device pixels.
            f"--window-size={round(size[0] / density)},{round(size[1] / density)}",
            f"--force-device-scale-factor={density:.4f}", "--hide-scrollbars"]
    if os.geteuid() == 0:
        args.append("--no-sandbox")  # chromium's sandbox refuses to run as root
    start = time.time()
    proc = subprocess.Popen([*args, f"file://{page}"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    try:
        for line in proc.stderr:  # type: ignore[union-attr]
            found = re.search(r"DevTools listening on (ws://\S+)", line)
            if found:
                break
        else:
            raise RuntimeError("chromium exited before it listened for DevTools")
        browser = pw.chromium.connect_over_cdp(found.group(1))
        try:
            painted = browser.contexts[0].pages[0].evaluate(FIRST_PAINT_JS) / 1000
        finally:
            browser.close()
        time.sleep(3)  # as for the kiosk: memory once lazy work and collection have settled
        memory = pss_mb(psutil.Process(proc.pid))
    finally:
        end_tree(proc)
    return painted - start, memory


def versus_chromium(runs: int) -> None:
    from playwright.sync_api import sync_playwright

    from kiosk.ui.env import window_size

    size = window_size(fullscreen=False)  # what `kiosk run --windowed` opens here
    starts: dict[str, list[float]] = {"kiosk run": [], "chromium": [], "minimal Kivy app": []}
    memories: dict[str, list[float]] = {name: [] for name in starts}
    with tempfile.TemporaryDirectory() as folder, sync_playwright() as pw:
        page = attract_page(folder)
        for i in range(runs):  # in turn, so that all see the same machine
            for name, run in (("kiosk run", lambda: one_run(RUN)),
                              ("chromium", lambda: chromium_run(page, size, pw)),
                              ("minimal Kivy app", lambda: one_run(MINIMAL))):
                s, m = run()
                starts[name].append(s)
                memories[name].append(m)
                print(f"{name}, run {i + 1}: first frame {s:.3f} s, PSS {m:.1f} MB", flush=True)
    start = {name: statistics.median(values) for name, values in starts.items()}
    memory = {name: statistics.median(values) for name, values in memories.items()}
    ks, cs, ms = start["kiosk run"], start["chromium"], start["minimal Kivy app"]
    km, cm, mm = memory["kiosk run"], memory["chromium"], memory["minimal Kivy app"]
    print(f"window {size[0]}x{size[1]}, {runs} runs each, medians:")
    print(f"cold start to the first attract frame: kiosk run {ks:.3f} s, chromium {cs:.3f} s; "
          f"ratio {ks / cs:.2f} (goal <= 0.50)")
    print(f"memory (PSS, every screen built): kiosk run {km:.1f} MB, chromium {cm:.1f} MB; "
          f"ratio {km / cm:.2f} (goal <= 0.45)")
    # The floor under both: the same Kivy and Mesa drawing two buttons, nothing of the kiosk.
    print(f"minimal Kivy app (first frame, PSS): {ms:.3f} s, {mm:.1f} MB; ratios to chromium "
          f"{ms / cs:.2f} and {mm / cm:.2f}; kiosk run over it: +{(ks - ms) * 1000:.0f} ms, "
          f"+{km - mm:.1f} MB")


if __name__ == "__main__":
    main()
