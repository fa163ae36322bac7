"""Plays the screen's recorded sentence in the citizen's language (kiosk/prompts.py), and on
the ticket screen the number first (kiosk/voice.py), through the app's speaker
(kiosk/ui/speaker.py).

Only the citizen's language is ever heard: a prompt not recorded in it is silence, and a
number call missing one of its segments is the chime, never a segment in another
language mid-sentence (docs/architecture.md, Languages).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.paths import ASSETS
from kiosk.prompts import AudioDirs, find_recording
from kiosk.ui.speaker import Speaker

if TYPE_CHECKING:
    from drivers.audio.clip import Clip

log = logging.getLogger(__name__)

CHIME = ASSETS / "audio" / "chime.wav"
# The ticket screen's prompts: the number is said before them.
TICKET_PROMPTS = ("ticket", "ticket_not_printed")
NUMBER_PAUSE = 0.4  # seconds between the number and the sentence after it


def _folders(audio_dir: AudioDirs) -> list[Path]:
    return [audio_dir] if isinstance(audio_dir, Path) else list(audio_dir)


def ticket_speech(lang: str, number: str, prompt: Path | None,
                  audio_dir: AudioDirs) -> Clip:
    """"Your number is A012" from the language's segments (the chime when one is
    missing), then the screen's sentence when it is recorded."""
    from drivers.audio.clip import concat, read_clip
    from kiosk.voice import assemble, ticket_segments

    said = assemble(lang, ticket_segments(lang, number), _folders(audio_dir))
    clips = [said if said is not None else read_clip(CHIME)]
    if prompt is not None:
        try:
            clips.append(read_clip(prompt))
        except Exception as exc:  # noqa: BLE001  (the number is still said)
            log.warning("voice prompt %s not played: %s", prompt.name, exc)
    return concat(clips, pause=NUMBER_PAUSE)


def number_is_recorded(lang: str, number: str, audio_dir: AudioDirs) -> bool:
    from kiosk.voice import find_segment, ticket_segments

    folders = _folders(audio_dir)
    return all(find_segment(lang, name, folders) is not None
               for name in ticket_segments(lang, number))


class PromptPlayer:
    """One sentence at a time: a new screen's prompt stops the one before."""

    def __init__(self, audio_dir: AudioDirs, lang: Callable[[], str],
                 on_available: Callable[[bool], None], speaker: Speaker,
                 number: Callable[[], str | None] = lambda: None) -> None:
        self.audio_dir = audio_dir
        self._lang = lang
        self._on_available = on_available  # something recorded to hear on this screen
        self._number = number  # the number of the ticket shown, for the ticket screen
        self.speaker = speaker
        self.playing: Path | None = None  # the recording last started
        self._shown = "attract"

    @property
    def volume(self) -> float:
        return self.speaker.volume

    @volume.setter
    def volume(self, value: float) -> None:
        self.speaker.volume = value  # 0..1, the kiosk's volume (kiosk/ui/staff_settings.py)

    def warm_up(self) -> threading.Thread:
        """Opens the speaker and, when there is one, loads what the first prompt and the
        first number call would otherwise load while a citizen waits for their number
        (numpy and libsndfile, by reading the chime once; the voice module)."""
        def load() -> None:
            import kiosk.voice  # noqa: F401
            from drivers.audio.clip import AudioFileError, read_clip

            try:
                read_clip(CHIME)
            except AudioFileError as exc:
                log.warning("chime not readable: %s", exc)

        return self.speaker.warm_up(then=load)

    def stop(self) -> None:
        """Silence, and no Listen button (staff mode's screens have no recordings)."""
        self.speaker.stop()
        self.playing = None
        self._on_available(False)

    def play(self, prompt_id: str) -> None:
        lang = self._lang()
        path = find_recording(lang, prompt_id, self.audio_dir)
        self.playing = path
        self._shown = prompt_id
        number = self._number() if prompt_id in TICKET_PROMPTS else None
        if number:
            audio_dir = self.audio_dir
            self._on_available(path is not None or number_is_recorded(lang, number, audio_dir))
            self.speaker.play_later(lambda: ticket_speech(lang, number, path, audio_dir))
            return
        self._on_available(path is not None)
        if path is None:
            self.speaker.stop()
            return

        def read() -> Clip:
            from drivers.audio.clip import read_clip

            return read_clip(path)

        self.speaker.play_later(read)

    def replay(self) -> None:
        """The Listen button: the screen's sentence again (on the ticket screen, with the
        number)."""
        self.play(self._shown)
