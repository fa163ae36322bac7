"""Speakers: the file:// test speaker writes what a listener would hear (the clip times the
volume, cut where stopped), null:// takes the clip's time, sounddevice:// without a sound card
is one clean AudioDeviceError. Real files and real threads; waits are on events."""

from __future__ import annotations

import json
import threading
import wave
from pathlib import Path

import numpy as np
import pytest

from drivers.audio.clip import Clip, read_clip, resample
from drivers.audio.output import AudioDeviceError, AudioOutput, open_output, sounddevice_module
from drivers.sim.voice import speech_like

WAIT = 10.0  # s: only a broken driver takes this long


class Done:
    """Collects on_done results; ``wait(n)`` waits for n of them."""

    def __init__(self) -> None:
        self.results: list[bool] = []
        self.threads: list[str] = []
        self._cond = threading.Condition()

    def __call__(self, finished: bool) -> None:
        with self._cond:
            self.results.append(finished)
            self.threads.append(threading.current_thread().name)
            self._cond.notify_all()

    def wait(self, n: int = 1) -> list[bool]:
        with self._cond:
            assert self._cond.wait_for(lambda: len(self.results) >= n, WAIT)
            return list(self.results)


def log_lines(path: Path) -> list[dict]:
    text = path.with_name(path.name + ".log.jsonl").read_text()
    return [json.loads(line) for line in text.splitlines()]


def wav_frames(path: Path) -> np.ndarray:
    with wave.open(str(path), "rb") as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, 48000)
        return np.frombuffer(w.readframes(w.getnframes()), "<i2").astype(np.float32) / 32767


def test_file_speaker_writes_the_clip_times_the_volume(tmp_path: Path) -> None:
    path = tmp_path / "speaker.wav"
    out = open_output(f"file://{path}?speed=50")
    assert isinstance(out, AudioOutput)
    clip = speech_like(0.8, seed=3)
    done = Done()
    out.play(clip, volume=0.4, on_done=done)
    assert out.playing
    assert done.wait() == [True]
    assert not out.playing
    assert done.threads[0] != threading.current_thread().name  # on the driver thread
    heard = wav_frames(path)
    assert len(heard) == clip.frames
    assert np.max(np.abs(heard - clip.samples * 0.4)) < 1.5 / 32767
    assert log_lines(path) == [
        {"event": "start", "seconds": clip.seconds, "frames": clip.frames, "volume": 0.4},
        {"event": "end", "seconds": clip.seconds, "frames": clip.frames}]
    out.close()


def test_file_speaker_plays_other_rates_at_48k(tmp_path: Path) -> None:
    path = tmp_path / "speaker.wav"
    out = open_output(f"file://{path}?speed=100")
    clip = resample(speech_like(0.5, seed=4), 16000)
    done = Done()
    out.play(clip, on_done=done)
    done.wait()
    assert abs(len(wav_frames(path)) / 48000 - clip.seconds) < 1e-3
    out.close()


def test_stop_mid_clip_cuts_it(tmp_path: Path) -> None:
    path = tmp_path / "speaker.wav"
    out = open_output(f"file://{path}")  # real time: a 10 s clip is far from over
    clip = speech_like(9.0, seed=5)
    done = Done()
    out.play(clip, volume=0.8, on_done=done)
    assert out.wait_frames(2 * 960, WAIT)  # two 20 ms blocks heard
    out.stop()
    assert not out.playing
    assert done.wait() == [False]
    heard = wav_frames(path)
    assert 2 * 960 <= len(heard) < clip.frames
    assert np.max(np.abs(heard - clip.samples[:len(heard)] * 0.8)) < 1.5 / 32767
    lines = log_lines(path)
    assert [x["event"] for x in lines] == ["start", "stopped"]
    assert lines[1]["frames"] == len(heard)
    assert lines[1]["seconds"] == pytest.approx(len(heard) / 48000)
    out.close()


def test_the_file_is_a_valid_wav_while_it_plays(tmp_path: Path) -> None:
    path = tmp_path / "speaker.wav"
    out = open_output(f"file://{path}")
    clip = speech_like(9.0, seed=6)
    out.play(clip)
    assert out.wait_frames(5 * 960, WAIT)
    so_far = read_clip(path)  # libsndfile reads it, header and all
    assert so_far.rate == 48000 and so_far.frames >= 5 * 960
    assert np.max(np.abs(so_far.samples - clip.samples[:so_far.frames])) < 1.5 / 32767
    out.close()


def test_play_stops_the_previous_clip(tmp_path: Path) -> None:
    path = tmp_path / "speaker.wav"
    out = open_output(f"file://{path}")
    first, second = speech_like(9.0, seed=7), speech_like(0.2, seed=8, lead=0, tail=0)
    done_first, done_second = Done(), Done()
    out.play(first, on_done=done_first)
    assert out.wait_frames(960, WAIT)
    out.play(second, on_done=done_second)
    assert out.playing
    assert done_first.wait() == [False]
    assert done_second.wait() == [True]
    assert not out.playing
    events = [x["event"] for x in log_lines(path)]
    assert events == ["start", "stopped", "start", "end"]
    heard = wav_frames(path)
    cut = log_lines(path)[1]["frames"]
    assert len(heard) == cut + second.frames
    assert np.max(np.abs(heard[cut:] - second.samples)) < 1.5 / 32767
    out.close()


def test_on_done_may_play_the_next_clip(tmp_path: Path) -> None:
    """A number call chains its parts from on_done, on the driver thread itself."""
    path = tmp_path / "speaker.wav"
    out = open_output(f"file://{path}?speed=100")
    a, b = speech_like(0.2, seed=9, lead=0, tail=0), speech_like(0.3, seed=10, lead=0, tail=0)
    done_b = Done()

    def after_a(finished: bool) -> None:
        assert finished
        out.play(b, on_done=done_b)

    out.play(a, on_done=after_a)
    assert done_b.wait() == [True]
    assert len(wav_frames(path)) == a.frames + b.frames
    out.close()


def test_a_failing_listener_does_not_end_the_speaker(tmp_path: Path) -> None:
    out = open_output(f"file://{tmp_path / 's.wav'}?speed=100")

    def broken(finished: bool) -> None:
        raise RuntimeError("listener bug")

    out.play(speech_like(0.1, lead=0, tail=0), on_done=broken)
    done = Done()
    out.play(speech_like(0.1, lead=0, tail=0), on_done=done)
    assert done.wait() == [True]
    out.close()


def test_null_speaker_takes_the_time_and_can_be_stopped() -> None:
    out = open_output("null://")
    done = Done()
    out.play(speech_like(30.0, lead=0, tail=0), on_done=done)
    assert out.playing  # a 30 s clip: still speaking until stopped
    out.stop()
    assert done.wait() == [False] and not out.playing
    short = Done()
    out.play(Clip(np.zeros(480, np.float32), 48000), on_done=short)  # 10 ms
    assert short.wait() == [True]
    out.close()


def test_stop_and_close_when_idle_are_harmless(tmp_path: Path) -> None:
    out = open_output(f"file://{tmp_path / 's.wav'}")
    out.stop()
    assert not out.playing
    out.close()
    out.close()
    with pytest.raises(RuntimeError, match="closed"):
        out.play(speech_like(0.1))


def test_close_cuts_what_plays(tmp_path: Path) -> None:
    out = open_output(f"file://{tmp_path / 's.wav'}")
    done = Done()
    out.play(speech_like(9.0), on_done=done)
    out.close()
    assert done.wait() == [False]


@pytest.mark.parametrize("volume", [-0.1, 1.5, float("nan")])
def test_volume_out_of_range_is_refused(tmp_path: Path, volume: float) -> None:
    out = open_output("null://")
    with pytest.raises(ValueError, match="volume"):
        out.play(speech_like(0.1), volume=volume)
    out.close()


def test_many_threads_playing_and_stopping_get_one_answer_each(tmp_path: Path) -> None:
    path = tmp_path / "speaker.wav"
    out = open_output(f"file://{path}?speed=20")
    done = Done()
    clip = speech_like(0.1, lead=0, tail=0)
    start = threading.Barrier(4)

    def worker(i: int) -> None:
        start.wait()
        for k in range(15):
            out.play(clip, volume=0.5, on_done=done)
            if (i + k) % 3 == 0:
                out.stop()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out.stop()
    results = done.wait(60)  # every play answered exactly once
    assert len(results) == 60 and not out.playing
    out.close()
    lines = log_lines(path)
    assert len(lines) % 2 == 0  # each start closed by an end or stopped
    assert [x["event"] for x in lines[0::2]] == ["start"] * (len(lines) // 2)
    assert sum(x["frames"] for x in lines[1::2]) == len(wav_frames(path))


def test_unwritable_test_speaker_is_a_device_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    with pytest.raises(AudioDeviceError, match="cannot be written"):
        open_output(f"file://{tmp_path / 'file' / 'speaker.wav'}")


def _portaudio() -> object:
    try:
        return sounddevice_module()
    except AudioDeviceError as e:  # setup.sh installs libportaudio2; a bare machine may not
        pytest.skip(str(e))


def test_no_such_sound_device_is_one_sentence() -> None:
    _portaudio()
    for url in ("sounddevice://no-such-speaker-here", "sounddevice://9999"):
        with pytest.raises(AudioDeviceError) as e:
            open_output(url)
        assert "\n" not in str(e.value) and "speaker" in str(e.value)


def test_default_device_without_a_sound_card_is_one_sentence() -> None:
    sd = _portaudio()
    try:
        sd.query_devices(None, "output")  # type: ignore[attr-defined]
    except Exception:
        with pytest.raises(AudioDeviceError) as e:
            open_output("sounddevice://")
        assert "no sound output device" in str(e.value) and "\n" not in str(e.value)
    else:
        out = open_output("sounddevice://")  # a machine with a speaker: it opens
        out.close()
