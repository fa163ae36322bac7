"""The recording studio (issue 13): staff give a language its voice prompts and number-call
segments on the kiosk itself (docs/architecture.md, Voice).

No Kivy: the staff screen's Voice tab (kiosk/ui) and `kiosk voice record` both drive a
`Studio`. For one language it lists what is to be recorded (kiosk/voice.py voice_items:
every prompt, then every segment a number call needs), captures a take from a microphone
(drivers/audio capture), checks its levels (drivers/audio/levels.py: silence, too quiet,
clipped, too short or long; trimmed and loudness-normalised), plays it back, and keeps it
as Ogg Vorbis in <data_dir>/content/audio/<lang>/<id>.ogg (segments under segments/),
the folder kiosk/content.py audio_dirs looks in first, so a kept recording plays from the
next screen on. Each kept or removed recording is written to the staff audit log through
the `audit` callable the caller gives (who is signed in is the caller's business).

drivers.audio (numpy, soundfile) is imported only when the studio is used: the first
frame never waits for it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.config import Config
from kiosk.i18n import N_

if TYPE_CHECKING:
    from drivers.audio.capture import AudioSource
    from drivers.audio.clip import Clip
    from drivers.audio.levels import TakeCheck, TakeProblem
    from drivers.audio.output import AudioOutput
    from kiosk.voice import VoiceItem

log = logging.getLogger(__name__)

STUDIO_AUDIO_FORMAT = "ogg"  # Ogg Vorbis, 48 kHz mono
STUDIO_RATE = 48000
MAX_TAKE_SECONDS = 30.0  # drivers/audio/levels.py check_take: longer is TOO_LONG
_SUFFIXES = (".ogg", ".wav")  # what kiosk/prompts.py and kiosk/voice.py play

# (action, detail) -> anything: how a staff action reaches the audit log, e.g.
# kiosk.staff_mode.StaffSession.act.
Audit = Callable[[str, str], object]

# What a take's problem means for the person at the microphone, by TakeProblem name:
# gettext messages, so the staff screens show them in Vietnamese or English.
PROBLEM_MESSAGES: dict[str, str] = {
    "SILENT": N_("Nothing was heard. Check that the microphone is plugged in, then speak "
                 "close to it."),
    "TOO_QUIET": N_("Too quiet. Speak louder or closer to the microphone."),
    "CLIPPED": N_("Too loud: the sound is distorted. Speak a little further from the "
                  "microphone."),
    "TOO_SHORT": N_("Too short. Say the whole sentence after starting."),
    "TOO_LONG": N_("Too long. Stop the recording soon after the sentence ends."),
}


def problem_message(problem: TakeProblem) -> str:
    """The gettext message (English msgid) for one of a take's problems."""
    return PROBLEM_MESSAGES.get(problem.name, problem.name.replace("_", " ").lower())


def studio_audio_dir(cfg: Config) -> Path:
    """Where the studio keeps its recordings: <data_dir>/content/audio."""
    from kiosk.content import content_dir

    return content_dir(cfg) / "audio"


def item_path(folder: Path, lang: str, item_id: str, suffix: str = ".ogg") -> Path:
    """<folder>/<lang>/<id><suffix>; a segment's id ("segments/<name>") puts it in
    <lang>/segments/, as kiosk/voice.py find_segment looks."""
    return folder / lang / f"{item_id}{suffix}"


def _segment_name(item: VoiceItem) -> str:
    return item.id.removeprefix("segments/")


def recording_of(cfg: Config, lang: str, item: VoiceItem) -> Path | None:
    """The file that plays for `item` in `lang` now (the studio's, a content bundle's or a
    shipped one, in kiosk/content.py audio_dirs order), or None."""
    from kiosk.content import audio_dirs

    dirs = audio_dirs(cfg)
    if item.kind == "segment":
        from kiosk.voice import find_segment

        return find_segment(lang, _segment_name(item), dirs)
    from kiosk.prompts import find_recording

    return find_recording(lang, item.id, dirs)


def studio_file_of(cfg: Config, lang: str, item: VoiceItem) -> Path | None:
    """The recording of `item` in `lang` made on this kiosk, if any."""
    for suffix in _SUFFIXES:
        path = item_path(studio_audio_dir(cfg), lang, item.id, suffix)
        if os.path.isfile(path):
            return path
    return None


@dataclass
class Take:
    """One recording of an item: what the microphone gave, and its check (the trimmed,
    normalised clip that would be kept, and its problems)."""

    item: VoiceItem
    raw: Clip
    check: TakeCheck

    @property
    def problems(self) -> tuple[TakeProblem, ...]:
        return self.check.problems

    @property
    def ok(self) -> bool:
        return not self.check.problems


class StudioBusy(RuntimeError):
    """start() while a take is being recorded, or stop() while none is."""


class Studio:
    """The studio for one language, on one microphone and one speaker. Not thread-safe:
    one caller (the Kivy clock, or the terminal studio) drives it; only `on_level` is
    called on the source's thread."""

    def __init__(self, cfg: Config, lang: str, source: AudioSource, output: AudioOutput,
                 audit: Audit | None = None) -> None:
        self.cfg, self.lang = cfg, lang
        self.source, self.output = source, output
        self.audit = audit
        self._recording: VoiceItem | None = None
        self._items: list[VoiceItem] | None = None
        self._lock = threading.Lock()

    # -- what to record ----------------------------------------------------------------
    def items(self) -> list[VoiceItem]:
        """Every prompt, then every number-call segment the language needs."""
        if self._items is None:
            from kiosk.voice import voice_items

            self._items = voice_items(self.cfg, self.lang)
        return list(self._items)

    def item(self, item_id: str) -> VoiceItem:
        """The item with this id; KeyError when the language has none."""
        for item in self.items():
            if item.id == item_id:
                return item
        raise KeyError(item_id)

    def recorded(self, item: VoiceItem) -> Path | None:
        """The file that plays for `item` now (any audio folder), or None."""
        return recording_of(self.cfg, self.lang, item)

    def studio_file(self, item: VoiceItem) -> Path | None:
        """The recording of `item` made on this kiosk, if any."""
        return studio_file_of(self.cfg, self.lang, item)

    def missing(self) -> list[VoiceItem]:
        """The items nothing plays for yet."""
        return [item for item in self.items() if self.recorded(item) is None]

    def progress(self) -> tuple[int, int]:
        """(recorded, total), prompts and segments together."""
        items = self.items()
        return sum(self.recorded(item) is not None for item in items), len(items)

    # -- recording -----------------------------------------------------------------------
    @property
    def recording(self) -> VoiceItem | None:
        """The item being recorded now, if any."""
        return self._recording

    def start(self, item: VoiceItem, on_level: Callable[[float], None] | None = None) -> None:
        """Starts capturing a take of `item`; `on_level(peak 0..1)` about 20 times a second,
        on the source's thread."""
        with self._lock:
            if self._recording is not None:
                raise StudioBusy(f"already recording {self._recording.id}")
            self.output.stop()  # a take must not record the kiosk's own speaker
            self.source.start(on_level)
            self._recording = item

    def stop(self) -> Take:
        """Stops capturing and checks the take's levels."""
        from drivers.audio.levels import check_take

        with self._lock:
            item = self._recording
            if item is None:
                raise StudioBusy("not recording")
            self._recording = None
            raw = self.source.stop()
        return Take(item, raw, check_take(raw, max_seconds=MAX_TAKE_SECONDS))

    def cancel(self) -> None:
        """Stops a take under way and forgets it (leaving the studio, Ctrl-C)."""
        with self._lock:
            if self._recording is None:
                return
            self._recording = None
            with contextlib.suppress(Exception):  # a microphone pulled out: nothing to keep
                self.source.stop()

    # -- hearing ---------------------------------------------------------------------------
    def listen(self, take_or_item: Take | VoiceItem,
               on_done: Callable[[bool], None] | None = None) -> None:
        """Plays a take (as it would be kept: trimmed and normalised; the raw take when it
        was silent) or the file that plays now for an item, at the kiosk's volume.
        `on_done(ended_by_itself)` on the output's thread. LookupError when an item has no
        recording."""
        from drivers.audio.clip import read_clip

        if isinstance(take_or_item, Take):
            clip = take_or_item.check.clip or take_or_item.raw
        else:
            path = self.recorded(take_or_item)
            if path is None:
                raise LookupError(f"{take_or_item.id}: nothing recorded in {self.lang}")
            clip = read_clip(path)
        self.output.play(clip, volume=self.cfg.volume / 100, on_done=on_done)

    def stop_listening(self) -> None:
        self.output.stop()

    # -- keeping ---------------------------------------------------------------------------
    def keep(self, take: Take) -> Path:
        """Keeps a take without problems as the recording of its item: Ogg Vorbis, 48 kHz
        mono, written whole or not at all; a .wav of the same item in the studio's folder
        (an older hand-copied one) goes, so the new one is what plays. ValueError naming
        the problems when there are any."""
        from drivers.audio.clip import clip_bytes, resample
        from kiosk.durable import write_atomic

        if take.check.problems or take.check.clip is None:
            names = ", ".join(p.name.lower().replace("_", " ") for p in take.check.problems)
            raise ValueError(f"{take.item.id}: take not kept ({names or 'nothing heard'})")
        clip = take.check.clip
        if clip.rate != STUDIO_RATE:
            clip = resample(clip, STUDIO_RATE)
        data = clip_bytes(clip, STUDIO_AUDIO_FORMAT)
        path = item_path(studio_audio_dir(self.cfg), self.lang, take.item.id)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, data)
        stale = path.with_suffix(".wav")
        with contextlib.suppress(FileNotFoundError):
            stale.unlink()
            log.info("studio: %s replaced by %s", stale, path.name)
        log.info("studio: kept %s (%.1f s)", path, clip.seconds)
        self._audit("voice_keep", f"{self.lang} {take.item.id} {clip.seconds:.1f} s "
                                  f"{take.check.loudness_lufs or 0:.0f} LUFS")
        return path

    def remove(self, item: VoiceItem) -> None:
        """Deletes the recording of `item` made on this kiosk (.ogg and .wav); whatever
        shipped or came in a content bundle plays again. Nothing to delete: nothing done."""
        from kiosk.durable import sync_folder

        removed = []
        for suffix in _SUFFIXES:
            path = item_path(studio_audio_dir(self.cfg), self.lang, item.id, suffix)
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
                removed.append(path)
        if removed:
            sync_folder(removed[0].parent)
            log.info("studio: removed %s", ", ".join(str(p) for p in removed))
            self._audit("voice_remove", f"{self.lang} {item.id}")

    def _audit(self, action: str, detail: str) -> None:
        if self.audit is not None:
            self.audit(action, detail)

    def close(self) -> None:
        """Stops what is recording or playing; the caller closes the devices it opened."""
        self.cancel()
        with contextlib.suppress(Exception):
            self.output.stop()
