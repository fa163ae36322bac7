"""The kiosk's loudspeaker: prompts, the ticket's number and the studio's takes all play
through one drivers.audio output, chosen by URL in the config (`[devices] speaker`).

Clips are read and the output opened on a worker thread (reading an Ogg file and the
first import of the audio libraries must not hold up a screen change); the output calls
back on its own thread, and the call is moved onto the Kivy clock (docs/architecture.md,
Layers). `speaking` is true from the moment a clip starts until it ends or is stopped:
the app shows the speaking indicator from it (kv/common.kv ListenBar).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kivy.clock import Clock

if TYPE_CHECKING:
    from drivers.audio.clip import Clip
    from drivers.audio.output import AudioOutput

log = logging.getLogger(__name__)

Done = Callable[[bool], None]  # True: the clip ended by itself; False: stopped or not played


class Speaker:
    """One clip at a time: a new one stops the one before (whose `on_done(False)` is
    called). Every callback runs on the Kivy clock."""

    def __init__(self, url: str, on_speaking: Callable[[bool], None]) -> None:
        self.url = url
        self.volume = 1.0  # 0..1, the kiosk's volume (staff settings)
        self._on_speaking = on_speaking
        self._output: AudioOutput | None = None
        self._failed = False  # the output could not be opened (said once in the log)
        self._lock = threading.Lock()  # the output is opened once, from any thread
        self._token = 0  # the current play; older callbacks are ignored
        self._pending: Done | None = None  # the on_done of the play in progress

    # -- the output ----------------------------------------------------------------------
    def output(self) -> AudioOutput | None:
        """The output, opened at the first need; None when it cannot be (no sound card,
        PortAudio missing): the kiosk then stays silent, never stops."""
        with self._lock:
            if self._output is None and not self._failed:
                try:
                    from drivers.audio.output import open_output

                    self._output = open_output(self.url)
                except Exception as exc:  # noqa: BLE001  (a speaker never stops the kiosk)
                    self._failed = True
                    log.warning("speaker %s not usable: %s", self.url, exc)
            return self._output

    def warm_up(self, then: Callable[[], None] = lambda: None) -> threading.Thread:
        """Opens the output on a thread (its imports take a moment), so the first prompt
        does not wait for them; `then()` runs after, on that thread, once the output is
        usable (the caller loads what its first clip needs)."""
        def work() -> None:
            if self.output() is not None:
                then()

        thread = threading.Thread(target=work, name="speaker-open", daemon=True)
        thread.start()
        return thread

    def close(self) -> None:
        self.stop()
        with self._lock:
            if self._output is not None:
                self._output.close()
                self._output = None

    # -- playing -------------------------------------------------------------------------
    def play(self, clip: Clip, on_done: Done | None = None,
             volume: float | None = None) -> None:
        """Plays `clip` now (on the Kivy thread), at `volume` (0..1) or the kiosk's."""
        self._token += 1
        self._start(self._token, clip, on_done, volume)

    def play_later(self, make: Callable[[], Clip | None], on_done: Done | None = None) -> None:
        """Plays the clip `make()` returns, made on a worker thread (reading files); None
        plays nothing. A play or stop asked meanwhile wins."""
        self._finish_pending(False)
        self._token += 1
        token = self._token

        def work() -> None:
            clip: Any = None
            try:
                # No speaker (no sound card): nothing is read, nothing plays.
                if self.output() is not None:
                    clip = make()
            except Exception as exc:  # noqa: BLE001  (a broken file: silence, in the log)
                log.warning("audio not played: %s", exc)
                clip = None
            Clock.schedule_once(lambda _dt: self._start(token, clip, on_done))

        threading.Thread(target=work, name="speaker-read", daemon=True).start()

    def stop(self) -> None:
        """Silence now; the clip's on_done(False)."""
        self._token += 1
        self._finish_pending(False)
        if self._output is not None:
            self._output.stop()
        self._on_speaking(False)

    def _finish_pending(self, ended: bool) -> None:
        pending, self._pending = self._pending, None
        if pending is not None:
            pending(ended)

    def _start(self, token: int, clip: Clip | None, on_done: Done | None,
               volume: float | None = None) -> None:
        if token != self._token:  # a later play or a stop came first
            if on_done is not None:
                on_done(False)
            return
        self._finish_pending(False)
        output = self.output() if clip is not None else None
        if output is None:
            if self._output is not None:
                self._output.stop()  # nothing to say here: what was said before ends
            self._on_speaking(False)
            if on_done is not None:
                on_done(False)
            return
        self._pending = on_done

        def ended(finished: bool) -> None:  # on the output's thread
            Clock.schedule_once(lambda _dt: self._ended(token, finished))

        self._on_speaking(True)
        try:
            level = self.volume if volume is None else volume
            output.play(clip, volume=max(0.0, min(1.0, level)), on_done=ended)
        except Exception as exc:  # noqa: BLE001
            log.warning("audio not played: %s", exc)
            self._ended(token, False)

    def _ended(self, token: int, finished: bool) -> None:
        if token != self._token:
            return  # the end of a clip a later one replaced
        self._token += 1
        self._on_speaking(False)
        self._finish_pending(finished)


class SpeakerOutput:
    """The speaker as a drivers.audio AudioOutput, for the studio (kiosk/voice_studio.py):
    a take heard back goes through the same output and speaking indicator, at the volume
    the studio asks (the kiosk's)."""

    def __init__(self, speaker: Speaker) -> None:
        self._speaker = speaker
        self._playing = False

    def play(self, clip: Clip, volume: float = 1.0, on_done: Done | None = None) -> None:
        def done(finished: bool) -> None:
            self._playing = False
            if on_done is not None:
                on_done(finished)

        self._playing = True
        if threading.current_thread() is threading.main_thread():
            self._speaker.play(clip, done, volume)
        else:
            Clock.schedule_once(lambda _dt: self._speaker.play(clip, done, volume))

    def stop(self) -> None:
        self._speaker.stop()

    @property
    def playing(self) -> bool:
        return self._playing

    def close(self) -> None:
        pass  # the app's speaker outlives the studio
