"""The kiosk's speaker (kiosk/ui/speaker.py) and its warm-up (kiosk/ui/prompts_player.py):
a kiosk without a sound card reads no clip; one with a speaker loads what its first
prompt needs before the first citizen, not while they wait for their number."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

from kivy.clock import Clock

from kiosk.ui.speaker import Speaker


def no_speaker(tmp_path: Path) -> str:
    """A test speaker whose file cannot be written (its folder is a file): the output does
    not open, as with no sound card."""
    (tmp_path / "a-file").write_text("")
    return f"file://{tmp_path / 'a-file' / 'out.wav'}"


def test_without_a_speaker_no_clip_is_read_and_the_play_ends_unplayed(tmp_path: Path) -> None:
    speaker = Speaker(no_speaker(tmp_path), lambda _on: None)
    read: list[bool] = []
    ended = threading.Event()
    outcome: list[bool] = []

    def done(finished: bool) -> None:
        outcome.append(finished)
        ended.set()

    speaker.play_later(lambda: read.append(True), on_done=done)  # type: ignore[func-returns-value]
    for _ in range(10_000):
        Clock.tick()  # the worker hands its result to the Kivy clock
        if ended.wait(0.01):
            break
    assert outcome == [False]
    assert read == []


WARM_UP = """
import sys
from pathlib import Path
from kiosk.ui.prompts_player import PromptPlayer
from kiosk.ui.speaker import Speaker

speaker = Speaker(sys.argv[1], lambda _on: None)
player = PromptPlayer(Path(sys.argv[2]), lambda: "vi", lambda _available: None, speaker)
before = {name for name in ("numpy", "soundfile", "kiosk.voice") if name in sys.modules}
player.warm_up().join(60)
after = {name for name in ("numpy", "soundfile", "kiosk.voice") if name in sys.modules}
print(sorted(before), sorted(after))
"""


def warm_up(url: str, tmp_path: Path) -> str:
    env = dict(os.environ, KIVY_NO_ARGS="1", KIVY_NO_CONSOLELOG="1",
               KIVY_HOME=str(tmp_path / "kivy"))
    result = subprocess.run([sys.executable, "-c", WARM_UP, url, str(tmp_path / "audio")],
                            capture_output=True, text=True, env=env, timeout=120, check=True)
    return result.stdout.strip()


def test_warm_up_loads_the_decoders_of_the_first_prompt_when_there_is_a_speaker(
        tmp_path: Path) -> None:
    assert warm_up(f"file://{tmp_path / 'out.wav'}", tmp_path) == \
        "[] ['kiosk.voice', 'numpy', 'soundfile']"


def test_warm_up_loads_nothing_more_without_a_speaker(tmp_path: Path) -> None:
    assert warm_up(no_speaker(tmp_path), tmp_path) == "[] []"
