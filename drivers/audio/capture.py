"""Microphones, chosen by URL (docs/architecture.md, Devices and Voice).

``open_source(url)``:

- ``sounddevice://`` or ``sounddevice://<device>?rate=48000``: PortAudio's InputStream; its
  callback keeps the samples and reports the peak level.
- ``file:///path/take.wav?speed=N``: the test microphone. Each ``start()`` plays the WAV
  from its beginning as if spoken into a microphone, at N x real time, then silence (a
  microphone in a quiet room), until ``stop()``.
- ``sim://voice?speed=N&seed=S``: the same with drivers/sim/voice.py's test signal (harmonic
  bursts with a syllable envelope, not a voice), for ``kiosk simulate``.

``start(on_level)`` calls ``on_level(peak)`` (0..1, the largest sample of the last 50 ms)
about 20 times a second on a driver thread; ``stop()`` returns the clip captured since
``start()``. A source is reused take after take.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from .clip import Clip, clean_samples, read_clip, resample
from .output import AudioDeviceError, device_info, sounddevice_module
from .urls import SOURCE_SCHEMES, AudioUrl, parse_audio_url

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)

WHAT = "microphone URL"
DEFAULT_RATE = 48_000
LEVEL_SECONDS = 0.05  # on_level about 20 times a second: a meter that moves, cheaply
# A take is cut off here (later audio is dropped): staff who forget to press Stop must not
# fill the memory; any take this long is TOO_LONG anyway (levels.py).
MAX_TAKE_SECONDS = 120.0
JOIN_WAIT = 2.0


@runtime_checkable
class AudioSource(Protocol):
    rate: int
    def start(self, on_level: Callable[[float], None] | None = None) -> None: ...
    def stop(self) -> Clip: ...
    def close(self) -> None: ...


def _take_blocks(source: Any) -> Clip:
    """The blocks a source captured, as one clip; the source starts empty again."""
    import numpy as np

    with source._lock:
        blocks, source._blocks = source._blocks, []
    if not blocks:
        return _empty(source.rate)
    return Clip(np.concatenate(blocks), source.rate)


def _empty(rate: int) -> Clip:
    import numpy as np

    return Clip(np.zeros(0, np.float32), rate)


def _tell(on_level: Callable[[float], None] | None, peak: float, name: str) -> None:
    if on_level is None:
        return
    try:
        on_level(min(1.0, max(0.0, peak)))
    except Exception:  # a meter's bug must not end the recording
        log.exception("%s: on_level callback failed", name)


class ClipSource:
    """A microphone that hears ``clip`` (file:// and sim://): a driver thread delivers it in
    50 ms blocks at ``speed`` x real time, then silence, until stop()."""

    def __init__(self, clip: Clip, speed: float, name: str, rate: int | None = None) -> None:
        self.rate = int(rate or clip.rate)
        self.name = name
        self.speed = speed
        self._clip = resample(clip, self.rate)
        self._lock = threading.Condition()
        self._blocks: list[np.ndarray] = []
        self._delivered = 0
        self._thread: threading.Thread | None = None
        self._halt = threading.Event()
        self._closed = False

    def start(self, on_level: Callable[[float], None] | None = None) -> None:
        """Begins a take (a take in progress is dropped): the clip from its start."""
        if self._closed:
            raise RuntimeError(f"{self.name} is closed")
        self._halt_thread()
        with self._lock:
            self._blocks = []
            self._delivered = 0
        self._halt = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(self._halt, on_level),
                                        name=f"audio-in {self.name}", daemon=True)
        self._thread.start()

    def _run(self, halt: threading.Event, on_level: Callable[[float], None] | None) -> None:
        import numpy as np

        src = self._clip.samples
        step = max(1, int(self.rate * LEVEL_SECONDS))
        t0 = time.monotonic()
        pos = 0
        while not halt.is_set():
            due = t0 + (pos + step) / self.rate / self.speed
            if halt.wait(max(0.0, due - time.monotonic())):
                break
            block = src[pos:pos + step]
            if len(block) < step:  # past the end: a quiet room
                block = np.concatenate([block, np.zeros(step - len(block), np.float32)])
            pos += step
            with self._lock:
                if halt.is_set():
                    break
                if pos <= MAX_TAKE_SECONDS * self.rate:
                    self._blocks.append(block)
                self._delivered = pos
                self._lock.notify_all()
            _tell(on_level, float(np.max(np.abs(block))) if len(block) else 0.0, self.name)

    def _halt_thread(self) -> None:
        self._halt.set()
        t, self._thread = self._thread, None
        if t is not None and t is not threading.current_thread():
            t.join(JOIN_WAIT)

    def stop(self) -> Clip:
        """What was captured since start() (an empty clip when not started)."""
        self._halt_thread()
        return _take_blocks(self)

    def close(self) -> None:
        self._halt_thread()
        self._closed = True

    # test hooks: events to wait on, never sleeps
    def wait_captured(self, seconds: float, timeout: float) -> bool:
        """Wait until ``seconds`` of audio have been captured in this take."""
        frames = int(round(seconds * self.rate))
        with self._lock:
            return self._lock.wait_for(lambda: self._delivered >= frames, timeout)

    def wait_end(self, timeout: float) -> bool:
        """Wait until the whole clip has been heard (silence follows)."""
        return self.wait_captured(self._clip.seconds, timeout)


class SoundDeviceSource:
    """PortAudio's InputStream on a driver (PortAudio) thread. Mono when the device allows,
    else its channels mixed down; at ``rate``, else the device's own rate."""

    def __init__(self, device: int | str | None, rate: int | None) -> None:
        self.device = device
        self.info = device_info(device, "input")
        self.name = f"microphone {self.info.get('name', device)!r}"
        self.rate = int(rate or DEFAULT_RATE)
        self._stream: Any = None
        self._lock = threading.Lock()
        self._blocks: list[np.ndarray] = []

    def start(self, on_level: Callable[[float], None] | None = None) -> None:
        import numpy as np

        sd = sounddevice_module()
        self._close_stream(abort=True)
        with self._lock:
            self._blocks = []
        state = {"peak": 0.0, "frames": 0, "kept": 0}

        def callback(indata: Any, frames: int, _time: Any, status: Any) -> None:
            # A driver may hand over junk (NaN, huge values): cleaned before anyone sees it.
            mono = clean_samples(indata)
            with self._lock:
                if state["kept"] < MAX_TAKE_SECONDS * self.rate:
                    self._blocks.append(mono)
                    state["kept"] += len(mono)
            state["peak"] = max(state["peak"], float(np.max(np.abs(mono))) if frames else 0.0)
            state["frames"] += frames
            if state["frames"] >= self.rate * LEVEL_SECONDS:
                _tell(on_level, state["peak"], self.name)
                state["peak"], state["frames"] = 0.0, 0

        max_ch = int(self.info.get("max_input_channels") or 1)
        attempts = [(self.rate, 1)]
        if max_ch > 1:
            attempts.append((self.rate, max_ch))
        own = int(self.info.get("default_samplerate") or 0)
        if own and own != self.rate:
            attempts += [(own, 1)] + ([(own, max_ch)] if max_ch > 1 else [])
        why = ""
        for rate, channels in attempts:
            try:
                stream = sd.InputStream(samplerate=rate, channels=channels, dtype="float32",
                                        device=self.device, callback=callback)
                stream.start()
            except (sd.PortAudioError, ValueError) as e:
                why = str(e).strip()
                continue
            self._stream = stream
            self.rate = rate
            return
        raise AudioDeviceError(f"the {self.name} did not open ({why})")

    def _close_stream(self, abort: bool = False) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            with contextlib.suppress(Exception):
                (stream.abort if abort else stream.stop)()
            with contextlib.suppress(Exception):
                stream.close()

    def stop(self) -> Clip:
        self._close_stream()
        return _take_blocks(self)

    def close(self) -> None:
        self._close_stream(abort=True)


def parse_source_url(url: str) -> AudioUrl:
    """ValueError naming the scheme or key for a bad microphone URL; nothing is opened."""
    return parse_audio_url(url, WHAT, SOURCE_SCHEMES)


def open_source(url: str, simulated: Callable[..., Clip] | None = None
                ) -> ClipSource | SoundDeviceSource:
    """The microphone ``url`` names. ValueError for a bad URL; AudioFileError for a test WAV
    that cannot be read; AudioDeviceError when the device is not there. ``sim://`` needs
    ``simulated``, the simulator's clip maker (drivers/sim/voice.py open_microphone passes
    it): a driver does not import the simulators."""
    u = parse_source_url(url)
    if u.scheme == "sounddevice":
        return SoundDeviceSource(u.device, u.rate)
    if u.scheme == "file":
        assert u.path is not None
        return ClipSource(read_clip(u.path), u.speed, f"test microphone {u.path.name}",
                          u.rate or DEFAULT_RATE)
    if simulated is None:
        raise ValueError(f"microphone {url!r}: sim:// is opened by drivers.sim.voice "
                         "open_microphone")
    return ClipSource(simulated(seed=u.seed, rate=u.rate or DEFAULT_RATE), u.speed,
                      "simulated microphone", u.rate or DEFAULT_RATE)


__all__ = ["WHAT", "AudioSource", "ClipSource", "SoundDeviceSource", "open_source",
           "parse_source_url"]
