"""Microphones: the file:// test microphone and sim://voice deliver a take in real time (times
N) with a moving level, then silence; the test takes pass or fail the checks as a listener
would judge them; sounddevice:// without a sound card is one clean AudioDeviceError."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from drivers.audio.capture import AudioSource, open_source
from drivers.audio.clip import AudioFileError, read_clip
from drivers.audio.levels import TakeProblem, check_take
from drivers.audio.output import AudioDeviceError, open_output, sounddevice_module
from drivers.sim.voice import open_microphone, write_test_takes

WAIT = 20.0


@pytest.fixture(scope="module")
def takes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return write_test_takes(tmp_path_factory.mktemp("takes"))


def record(url: str, extra: float = 0.0) -> tuple[np.ndarray, list[float], list[str]]:
    """The whole file spoken into the microphone, plus ``extra`` seconds of the room."""
    src = open_microphone(url)
    assert isinstance(src, AudioSource)
    levels: list[float] = []
    threads: list[str] = []

    def on_level(peak: float) -> None:
        levels.append(peak)
        threads.append(threading.current_thread().name)

    src.start(on_level)
    assert src.wait_end(WAIT)
    if extra:
        assert src.wait_captured(src._clip.seconds + extra, WAIT)
    clip = src.stop()
    src.close()
    return clip, levels, threads


@pytest.mark.parametrize(("name", "problems"), [
    ("good", ()),
    ("quiet", (TakeProblem.TOO_QUIET,)),
    ("clipped", (TakeProblem.CLIPPED,)),
    ("silence", (TakeProblem.SILENT,)),
    ("long", (TakeProblem.TOO_LONG,)),
])
def test_test_takes_through_the_file_microphone(takes: dict[str, Path], name: str,
                                                problems: tuple[TakeProblem, ...]) -> None:
    clip, levels, threads = record(f"file://{takes[name]}?speed=100")
    check = check_take(clip)
    assert check.problems == problems
    assert (check.clip is None) == (TakeProblem.SILENT in problems)
    assert all(0.0 <= x <= 1.0 for x in levels)
    assert threading.current_thread().name not in threads


def test_the_microphone_hears_the_file_then_the_quiet_room(takes: dict[str, Path]) -> None:
    original = read_clip(takes["good"])
    clip, levels, _ = record(f"file://{takes['good']}?speed=50", extra=0.3)
    assert clip.rate == 48000
    assert clip.seconds >= original.seconds + 0.3
    n = original.frames
    assert np.array_equal(clip.samples[:n], original.samples)
    assert not clip.samples[n:].any()
    # About 20 levels a second of audio, and the loudest is the file's peak.
    assert abs(len(levels) - clip.seconds * 20) <= 1
    assert max(levels) == pytest.approx(float(np.max(np.abs(original.samples))))
    assert levels[-1] == 0.0


def test_each_take_starts_the_file_again(takes: dict[str, Path]) -> None:
    src = open_source(f"file://{takes['good']}?speed=100")
    src.start()
    assert src.wait_end(WAIT)
    first = src.stop()
    src.start()
    assert src.wait_captured(0.5, WAIT)
    second = src.stop()
    src.close()
    n = min(first.frames, second.frames)
    assert np.array_equal(first.samples[:n], second.samples[:n])


def test_stop_without_start_is_an_empty_clip(takes: dict[str, Path]) -> None:
    src = open_source(f"file://{takes['good']}")
    assert src.stop().frames == 0
    src.close()
    with pytest.raises(RuntimeError, match="closed"):
        src.start()


def test_the_file_microphone_takes_another_rate(takes: dict[str, Path]) -> None:
    src = open_source(f"file://{takes['good']}?speed=100&rate=16000")
    assert src.rate == 16000
    src.start()
    assert src.wait_end(WAIT)
    clip = src.stop()
    assert clip.rate == 16000 and check_take(clip).ok


def test_sim_voice_is_a_good_take() -> None:
    clip, levels, _ = record("sim://voice?speed=100&seed=3")
    assert check_take(clip).ok and max(levels) > 0.1


def test_a_garbage_take_file_is_a_file_error(tmp_path: Path) -> None:
    bad = tmp_path / "take.wav"
    bad.write_bytes(b"RIFF....WAVEjunk")
    with pytest.raises(AudioFileError, match="take.wav"):
        open_source(f"file://{bad}")


def test_recorded_checked_and_played_back(takes: dict[str, Path], tmp_path: Path) -> None:
    """The studio's path: record, check, listen: the speaker plays the normalised take."""
    clip, _, _ = record(f"file://{takes['good']}?speed=100")
    check = check_take(clip)
    assert check.ok and check.clip is not None
    out = open_output(f"file://{tmp_path / 'speaker.wav'}?speed=100")
    done = threading.Event()
    out.play(check.clip, volume=1.0, on_done=lambda finished: done.set())
    assert done.wait(WAIT)
    out.close()
    heard = read_clip(tmp_path / "speaker.wav")
    assert heard.frames == check.clip.frames
    assert np.max(np.abs(heard.samples - check.clip.samples)) < 1.5 / 32767


def test_no_microphone_is_one_sentence() -> None:
    try:
        sd = sounddevice_module()
    except AudioDeviceError as e:
        pytest.skip(str(e))
    with pytest.raises(AudioDeviceError) as e:
        open_source("sounddevice://no-such-microphone-here")
    assert "\n" not in str(e.value) and "microphone" in str(e.value)
    try:
        sd.query_devices(None, "input")
    except Exception:
        with pytest.raises(AudioDeviceError, match="no sound input device"):
            open_source("sounddevice://")
