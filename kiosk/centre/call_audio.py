"""The lobby display's spoken calls: one WAV per language, number and counter, assembled on
the centre from the language's recorded segments (kiosk/voice.py; docs/architecture.md,
Voice) and kept in memory while its files stay the same.

The page plays the chime, then each language's call whole: it never strings segments
together itself, so a language with a segment missing is left out as a whole (no call in
that language, never half a sentence), and a TV fetches one file per language, not twenty.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from pathlib import Path

from kiosk.voice import call_segments, join_files, segment_files

MAX_NUMBER = 12  # characters of a ticket number in an address ("A1000", "B512")
CACHE_SIZE = 64  # calls kept: a lobby repeats the last few (recalls, several displays)

Stamp = tuple[tuple[str, int, int], ...]


class CallAudio:
    """`wav(lang, number, counter)`: the call's WAV bytes, or None when the language lacks a
    segment (or one cannot be read). Cached per call and per the segment files' paths,
    mtimes and sizes, so a re-recorded segment is heard at the next call. Thread-safe: the
    pages call it from Starlette's thread pool."""

    def __init__(self, audio_dirs: Callable[[], Sequence[Path]]) -> None:
        self._audio_dirs = audio_dirs
        self._cache: OrderedDict[tuple[str, str, int], tuple[Stamp, bytes | None]] = (
            OrderedDict())
        self._lock = threading.Lock()
        self.assembled = 0  # how many times a call was put together (tests read it)

    def wav(self, lang: str, number: str, counter: int) -> bytes | None:
        if len(number) > MAX_NUMBER:
            return None
        try:
            names = call_segments(lang, number, counter)
        except ValueError:  # not letters then digits
            return None
        files = segment_files(lang, names, self._audio_dirs())
        stamp = _stamp(files) if files is not None else None
        if files is None or stamp is None:
            return None  # not cached: the missing segment may be recorded any moment
        key = (lang, number, counter)
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None and cached[0] == stamp:
                self._cache.move_to_end(key)
                return cached[1]
        clip = join_files(lang, files)  # outside the lock: decoding takes a while
        data = None
        if clip is not None:
            from drivers.audio.clip import clip_bytes

            data = clip_bytes(clip, "wav")  # PCM16: every browser plays it
        with self._lock:
            self.assembled += 1
            self._cache[key] = (stamp, data)
            self._cache.move_to_end(key)
            while len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
        return data


def _stamp(files: Sequence[Path]) -> Stamp | None:
    stamp = []
    for path in files:
        try:
            st = os.stat(path)
        except OSError:  # gone since it was found
            return None
        stamp.append((str(path), st.st_mtime_ns, st.st_size))
    return tuple(stamp)
