"""Speakers, chosen by URL like printers (docs/architecture.md, Devices and Voice).

``open_output(url)``:

- ``sounddevice://`` or ``sounddevice://<device name or index>``: PortAudio through
  sounddevice's blocking OutputStream, fed in 20 ms blocks by a driver thread, so ``stop()``
  cuts within a block and the stream is aborted (its buffer dropped, not played out).
- ``file:///path/out.wav?speed=N``: the test speaker. Each played block, volume applied, is
  appended to a 48 kHz mono PCM16 WAV at N x real time; the header is rewritten after every
  block, so a test may read the file while a clip plays. ``<path>.log.jsonl`` gets one line
  per event: ``{"event": "start"|"end"|"stopped", "seconds": float, "frames": int, ...}``
  (start: the clip's length; end/stopped: what was played). Both files are emptied on open.
- ``null://``: plays nothing but takes the clip's time, so a speaking indicator behaves as
  with a real speaker.

Every output plays on its own driver thread: ``play()`` returns at once, ends what was
playing (its ``on_done(False)``) and calls ``on_done(True)`` on the driver thread when the
clip ended by itself. The UI moves those calls onto its clock (docs/architecture.md, Layers).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import struct
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from .clip import Clip, resample
from .urls import OUTPUT_SCHEMES, AudioUrl, parse_audio_url

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)

WHAT = "speaker URL"
TEST_SPEAKER_RATE = 48_000
BLOCK_SECONDS = 0.02  # 20 ms: how late stop() may be, and the test speaker's write size
STOP_WAIT = 2.0       # s stop() waits for the driver thread to let go of the clip


class AudioDeviceError(Exception):
    """No such sound device, PortAudio missing, or the device refused to open: one sentence
    for staff and the log."""


@runtime_checkable
class AudioOutput(Protocol):
    def play(self, clip: Clip, volume: float = 1.0,
             on_done: Callable[[bool], None] | None = None) -> None: ...
    def stop(self) -> None: ...
    @property
    def playing(self) -> bool: ...
    def close(self) -> None: ...


# -- PortAudio ------------------------------------------------------------------------------
def sounddevice_module() -> ModuleType:
    """sounddevice, imported on first use; AudioDeviceError when PortAudio is missing
    (sounddevice's import raises OSError then). Importing it needs no sound card."""
    try:
        import sounddevice
    except OSError as e:
        raise AudioDeviceError(f"PortAudio is not installed (Debian package libportaudio2): "
                               f"{e}") from None
    return sounddevice


def device_info(device: int | str | None, kind: str) -> dict[str, Any]:
    """PortAudio's description of the ``kind`` ("input" or "output") device, the default one
    for None; AudioDeviceError when there is none (no sound card, a wrong name or index)."""
    sd = sounddevice_module()
    which = "microphone" if kind == "input" else "speaker"
    try:
        info = sd.query_devices(device, kind)
    except (ValueError, sd.PortAudioError) as e:
        if device is None:
            raise AudioDeviceError(f"no sound {kind} device for the {which} "
                                   f"(PortAudio: {str(e).strip()})") from None
        raise AudioDeviceError(f"no sound {kind} device {device!r} for the {which} "
                               f"(PortAudio: {str(e).strip()})") from None
    return dict(info)


# -- sinks: where a driver thread's blocks go -------------------------------------------------
class _Sink:
    """One kind of speaker. ``begin`` gets a clip and returns its samples at the rate the
    sink plays, and that rate; ``write`` plays a block (blocking for its time, or until
    ``cancel`` is set); ``end`` finishes the clip."""

    def begin(self, clip: Clip, volume: float) -> tuple[np.ndarray, int]:
        return clip.samples, clip.rate

    def write(self, block: np.ndarray, cancel: threading.Event) -> None:
        raise NotImplementedError

    def end(self, finished: bool, frames: int) -> None:
        pass

    def close(self) -> None:
        pass


class _Paced(_Sink):
    """Takes each block's time (divided by ``speed``), waking early when cancelled. The
    schedule is kept from the clip's start, so waits do not add up to drift."""

    def __init__(self, speed: float, rate: int | None) -> None:
        self.speed = speed
        self.fixed_rate = rate  # None: the clip's own
        self.rate = rate or TEST_SPEAKER_RATE
        self._t0 = 0.0
        self._frames = 0

    def begin(self, clip: Clip, volume: float) -> tuple[np.ndarray, int]:
        self._t0 = time.monotonic()
        self._frames = 0
        self.rate = self.fixed_rate or clip.rate
        return resample(clip, self.rate).samples, self.rate

    def write(self, block: np.ndarray, cancel: threading.Event) -> None:
        self._frames += len(block)
        due = self._t0 + self._frames / self.rate / self.speed
        cancel.wait(max(0.0, due - time.monotonic()))
        if not cancel.is_set():
            self.played(block)

    def played(self, block: np.ndarray) -> None:
        pass


class _NullSink(_Paced):
    pass


class _WavSink(_Paced):
    """The test speaker: a 48 kHz mono PCM16 WAV that grows by each played block."""

    def __init__(self, path: Path, speed: float) -> None:
        super().__init__(speed, TEST_SPEAKER_RATE)
        self.path = path
        self.log_path = path.with_name(path.name + ".log.jsonl")
        self._data_bytes = 0
        self._clip_frames = 0
        self._played = 0
        self._cond = threading.Condition()
        self._total = 0  # frames in the file
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._f = open(path, "w+b")  # noqa: SIM115 - kept open while the output lives
            self.log_path.write_text("")
        except OSError as e:
            raise AudioDeviceError(f"test speaker file {path} cannot be written "
                                   f"({e.strerror or e})") from None
        self._header()

    def _header(self) -> None:
        # RIFF/WAVE, fmt (PCM, 1 channel, 48000 Hz, 16 bit), data; sizes as written so far.
        n = self._data_bytes
        rate = self.rate
        head = (b"RIFF" + struct.pack("<I", 36 + n) + b"WAVE"
                + b"fmt " + struct.pack("<IHHIIHH", 16, 1, 1, rate, rate * 2, 2, 16)
                + b"data" + struct.pack("<I", n))
        self._f.seek(0)
        self._f.write(head)
        self._f.flush()

    def _log(self, event: str, frames: int, volume: float | None = None) -> None:
        line: dict[str, Any] = {"event": event, "seconds": round(frames / self.rate, 6),
                                "frames": int(frames)}
        if volume is not None:
            line["volume"] = volume
        with open(self.log_path, "a", encoding="utf-8") as f:
            f.write(json.dumps(line) + "\n")

    def begin(self, clip: Clip, volume: float) -> tuple[np.ndarray, int]:
        samples, rate = super().begin(clip, volume)
        self._played = 0
        self._log("start", len(samples), volume)
        return samples, rate

    def played(self, block: np.ndarray) -> None:
        import numpy as np

        pcm = np.round(np.clip(block, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()
        # Data first, then the header that counts it: a reader never sees a size the file
        # does not hold yet.
        self._f.seek(44 + self._data_bytes)
        self._f.write(pcm)
        self._f.flush()
        self._data_bytes += len(pcm)
        self._header()
        self._played += len(block)
        with self._cond:
            self._total += len(block)
            self._cond.notify_all()

    def end(self, finished: bool, frames: int) -> None:
        self._log("end" if finished else "stopped", self._played)

    def wait_frames(self, frames: int, timeout: float) -> bool:
        """Test hook: wait until the file holds at least ``frames`` frames."""
        with self._cond:
            return self._cond.wait_for(lambda: self._total >= frames, timeout)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._f.close()


class _SoundDeviceSink(_Sink):
    """PortAudio's blocking stream, opened per clip at the clip's rate (else the device's
    own rate, the clip resampled to it)."""

    def __init__(self, device: int | str | None) -> None:
        self.device = device
        self.info = device_info(device, "output")
        self._stream: Any = None

    def begin(self, clip: Clip, volume: float) -> tuple[np.ndarray, int]:
        sd = sounddevice_module()
        block = max(1, int(clip.rate * BLOCK_SECONDS))
        try:
            self._stream = sd.OutputStream(samplerate=clip.rate, channels=1, dtype="float32",
                                           device=self.device, blocksize=block)
            samples, rate = clip.samples, clip.rate
        except (sd.PortAudioError, ValueError):
            rate = int(self.info.get("default_samplerate") or 48_000)
            try:
                self._stream = sd.OutputStream(samplerate=rate, channels=1, dtype="float32",
                                               device=self.device)
            except (sd.PortAudioError, ValueError) as e:
                raise AudioDeviceError(f"the speaker {self.info.get('name', self.device)!r} "
                                       f"did not open ({str(e).strip()})") from None
            samples = resample(clip, rate).samples
        self._stream.start()
        return samples, rate

    def write(self, block: np.ndarray, cancel: threading.Event) -> None:
        import numpy as np

        # Blocks until PortAudio takes it; the stream was opened for float32, one channel.
        self._stream.write(np.ascontiguousarray(block, np.float32).reshape(-1, 1))

    def end(self, finished: bool, frames: int) -> None:
        stream, self._stream = self._stream, None
        if stream is None:
            return
        with contextlib.suppress(Exception):
            # stop() lets the buffered end play out; abort() drops it (a cut).
            (stream.stop if finished else stream.abort)()
        with contextlib.suppress(Exception):
            stream.close()


# -- the driver thread ----------------------------------------------------------------------
@dataclass(eq=False)
class _Request:
    clip: Clip
    volume: float
    on_done: Callable[[bool], None] | None
    cancel: threading.Event = field(default_factory=threading.Event)


class BlockOutput:
    """An AudioOutput over a sink, played by one driver thread in ``BLOCK_SECONDS`` blocks.
    Thread-safe: play/stop/close may come from any thread, including an on_done callback."""

    def __init__(self, sink: _Sink, name: str) -> None:
        self._sink = sink
        self.name = name
        self.last_error: str | None = None  # the latest failure, for staff (device unplugged)
        self._cond = threading.Condition()
        self._queue: deque[_Request] = deque()
        self._current: _Request | None = None   # on the driver thread now
        self._wanted: _Request | None = None    # what `playing` reports
        self._closed = False
        self._thread = threading.Thread(target=self._run, name=f"audio-out {name}",
                                        daemon=True)
        self._thread.start()

    @property
    def playing(self) -> bool:
        with self._cond:
            return self._wanted is not None

    def play(self, clip: Clip, volume: float = 1.0,
             on_done: Callable[[bool], None] | None = None) -> None:
        if not 0.0 <= volume <= 1.0:  # also refuses NaN
            raise ValueError(f"volume must be 0..1, not {volume!r}")
        req = _Request(clip, float(volume), on_done)
        with self._cond:
            if self._closed:
                raise RuntimeError(f"{self.name} is closed")
            for old in self._queue:
                old.cancel.set()
            if self._current is not None:
                self._current.cancel.set()
            self._queue.append(req)
            self._wanted = req
            self._cond.notify_all()

    def stop(self) -> None:
        """Cuts what plays; returns once the driver has let go of it (unless called on the
        driver thread itself, from an on_done)."""
        with self._cond:
            for old in self._queue:
                old.cancel.set()
            if self._current is not None:
                self._current.cancel.set()
            self._wanted = None
            self._cond.notify_all()
            if threading.current_thread() is not self._thread:
                self._cond.wait_for(lambda: self._current is None and not self._queue,
                                    STOP_WAIT)

    def close(self) -> None:
        self.stop()
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        if threading.current_thread() is not self._thread:
            self._thread.join(STOP_WAIT)  # the thread closes the sink on its way out

    def _run(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._queue or self._closed)
                if not self._queue:  # closed, nothing left to tell
                    break
                req = self._queue.popleft()
                self._current = req
            finished = False
            if not req.cancel.is_set():
                finished = self._play(req)
            with self._cond:
                self._current = None
                if self._wanted is req:
                    self._wanted = None
                self._cond.notify_all()
            if req.on_done is not None:
                try:
                    req.on_done(finished)
                except Exception:  # a listener's bug must not end the speaker
                    log.exception("%s: on_done callback failed", self.name)
        self._sink.close()

    def _play(self, req: _Request) -> bool:
        sink = self._sink
        pos = 0
        finished = False
        started = False
        try:
            samples, rate = sink.begin(req.clip, req.volume)
            started = True
            if req.volume != 1.0:
                samples = samples * req.volume
            step = max(1, int(rate * BLOCK_SECONDS))
            while pos < len(samples) and not req.cancel.is_set():
                block = samples[pos:pos + step]
                sink.write(block, req.cancel)
                if req.cancel.is_set():
                    break
                pos += len(block)
            finished = pos >= len(samples) and not req.cancel.is_set()
        except AudioDeviceError as e:
            self.last_error = str(e)
            log.warning("%s: %s", self.name, e)
        except Exception as e:  # PortAudio errors mid-clip (device unplugged), disk full ...
            self.last_error = f"{type(e).__name__}: {e}"
            log.warning("%s: playing failed: %s", self.name, self.last_error)
        finally:
            if started:
                try:
                    sink.end(finished, pos)
                except Exception as e:
                    log.warning("%s: ending a clip failed: %s", self.name, e)
        return finished

    # test hook of the file:// speaker
    def wait_frames(self, frames: int, timeout: float) -> bool:
        """file:// only: wait until the WAV holds ``frames`` frames (a test's event, not a
        sleep). False on time-out."""
        if not isinstance(self._sink, _WavSink):
            raise TypeError("wait_frames is for the file:// test speaker")
        return self._sink.wait_frames(frames, timeout)


def parse_output_url(url: str) -> AudioUrl:
    """ValueError naming the scheme or key for a bad speaker URL; nothing is opened."""
    return parse_audio_url(url, WHAT, OUTPUT_SCHEMES)


def open_output(url: str) -> BlockOutput:
    """The speaker ``url`` names. ValueError for a bad URL; AudioDeviceError when the device
    is not there (no sound card, PortAudio missing) or the test file cannot be written."""
    u = parse_output_url(url)
    if u.scheme == "sounddevice":
        sink: _Sink = _SoundDeviceSink(u.device)
        name = f"speaker {u.device if u.device is not None else 'default'}"
    elif u.scheme == "file":
        assert u.path is not None
        sink = _WavSink(u.path, u.speed)
        name = f"test speaker {os.fspath(u.path)}"
    else:
        sink = _NullSink(1.0, None)
        name = "null speaker"
    return BlockOutput(sink, name)


__all__ = ["WHAT", "AudioDeviceError", "AudioOutput", "BlockOutput", "device_info",
           "open_output", "parse_output_url", "sounddevice_module"]
