"""Plays the screen's recorded sentence in the citizen's language (kiosk/prompts.py)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kiosk.prompts import AudioDirs, find_recording

log = logging.getLogger(__name__)


class PromptPlayer:
    """One sentence at a time: a new screen's prompt stops the one before."""

    def __init__(self, audio_dir: AudioDirs, lang: Callable[[], str],
                 on_available: Callable[[bool], None]) -> None:
        self.audio_dir = audio_dir
        self._lang = lang
        self._on_available = on_available  # a recording exists for the screen shown
        self.playing: Path | None = None  # the recording last started
        self._shown = "attract"
        self._sound: Any = None  # a Kivy Sound, once one was loaded
        self.volume = 1.0  # 0..1, the kiosk's volume setting (kiosk/ui/staff_settings.py)

    def _silence(self) -> None:
        if self._sound is not None:
            self._sound.stop()
            self._sound = None

    def stop(self) -> None:
        """Silence, and no Listen button (staff mode's screens have no recordings)."""
        self._silence()
        self.playing = None
        self._on_available(False)

    def play(self, prompt_id: str) -> None:
        self._silence()
        path = find_recording(self._lang(), prompt_id, self.audio_dir)
        self.playing = path
        self._shown = prompt_id
        self._on_available(path is not None)
        if path is None:
            return
        from kivy.core.audio import SoundLoader

        try:
            self._sound = SoundLoader.load(str(path))  # None where no audio output works
            if self._sound is not None:
                self._sound.volume = self.volume
                self._sound.play()
        except Exception:  # noqa: BLE001
            # A broken file or sound card must never get in the way of the screen.
            log.exception("voice prompt %s not played", path.name)
            self._sound = None

    def replay(self) -> None:
        """The Listen button: the screen's sentence again."""
        self.play(self._shown)
