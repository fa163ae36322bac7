"""`kiosk voice list|record|export`: the recording studio on a terminal (docs/architecture.md,
Voice).

`record` walks through what a language still lacks (or one item, `--only`): it shows the
sentence in Vietnamese, where it plays and, for a number-call segment, the word sources
write (a prompt for the speaker, never text to show); Enter starts and Enter stops the
take, with a level bar on a terminal; the take's problems follow, one line each, or "ok";
then [k]eep [r]etake [l]isten [s]kip [q]uit. A kept take is written whole or not at all
(kiosk/voice_studio.py), so Ctrl-C at any moment leaves the recordings as they were or with
the take just kept. Kept and removed recordings go to the staff audit log under
"cli:<operating-system user>", like `kiosk staff add`. `export` copies what was recorded
and typed here into a folder to sign as a content bundle (kiosk/voice_share.py).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from kiosk.commands import EXIT_FAILED, UsageError, config_from, database_errors
from kiosk.config import Config
from kiosk.i18n import LANG_TAG_PATTERN, language_name, translate

if TYPE_CHECKING:
    from kiosk.voice import VoiceItem
    from kiosk.voice_studio import Studio, Take

EXIT_INTERRUPTED = 130  # 128 + SIGINT, as a shell reports Ctrl-C
LEVEL_WIDTH = 30
LEVEL_BLOCK_SECONDS = 0.05  # drivers/audio capture: on_level once per 1/20 s of audio
REDRAW_SECONDS = 0.05  # the level bar is drawn at most this often


def cmd_voice(args: argparse.Namespace) -> int:
    cfg = config_from(args)
    if args.voice_action == "export":
        return _export(cfg, [_lang(cfg, lang) for lang in args.lang] or list(cfg.known_languages),
                       args.out)
    lang = _lang(cfg, args.lang)
    if args.voice_action == "list":
        return _list(cfg, lang, args.json)
    return _record(cfg, lang, args)


def _lang(cfg: Config, lang: str) -> str:
    if not re.fullmatch(LANG_TAG_PATTERN, lang) or lang not in cfg.known_languages:
        raise UsageError(f"--lang {lang!r}: not a language of this kiosk; expected one of "
                         f"{', '.join(cfg.known_languages)}")
    return lang


# --- list ---------------------------------------------------------------------------------

def _hint_text(hint: Any) -> str:
    """What sources write for a segment (a prompt for the speaker, kiosk/voice.py), or ""."""
    if hint is None:
        return ""
    from kiosk.voice import hint_text

    return hint_text(hint, "en")


def _rows(cfg: Config, lang: str) -> list[dict[str, Any]]:
    from kiosk.voice import voice_items
    from kiosk.voice_studio import recording_of, studio_file_of

    rows = []
    for item in voice_items(cfg, lang):
        path = recording_of(cfg, lang, item)
        studio = studio_file_of(cfg, lang, item)
        rows.append({"id": item.id, "kind": item.kind, "text_vi": translate("vi", item.msgid),
                     "msgid": item.msgid, "where": item.where, "hint": _hint_text(item.hint),
                     "recorded": str(path) if path else None,
                     "made_here": studio is not None and path == studio})
    return rows


def _list(cfg: Config, lang: str, as_json: bool) -> int:
    rows = _rows(cfg, lang)
    if as_json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    width = max((len(r["id"]) for r in rows), default=0)
    for r in rows:
        mark = "x" if r["recorded"] else " "
        line = f"[{mark}] {r['id'].ljust(width)}  {r['text_vi']}  ({r['where']})"
        print(line + (f"  [{r['hint']}]" if r["hint"] else ""))
    done = sum(1 for r in rows if r["recorded"])
    print(f"{lang} ({language_name(lang)}): {done} of {len(rows)} recorded")
    return 0


# --- record -------------------------------------------------------------------------------

class _Quit(Exception):
    """[q]uit, or the end of the standard input."""


class _LevelBar:
    """The level bar and the seconds captured, redrawn on one terminal line from the
    source's thread while a take is recorded."""

    def __init__(self, out: TextIO, show: bool) -> None:
        self.out, self.show, self.shown = out, show, show
        self.blocks = 0
        self.peak = 0.0
        self._drawn_at = 0.0
        self._lock = threading.Lock()

    def __call__(self, level: float) -> None:
        with self._lock:
            self.blocks += 1
            self.peak = max(self.peak * 0.8, float(level))  # falls back slowly, as a meter's
            now = time.monotonic()
            if not self.show or now - self._drawn_at < REDRAW_SECONDS:
                return
            self._drawn_at = now
            filled = max(0, min(LEVEL_WIDTH, round(self.peak * LEVEL_WIDTH)))
            bar = "#" * filled + " " * (LEVEL_WIDTH - filled)
            seconds = self.blocks * LEVEL_BLOCK_SECONDS
            self.out.write(f"\r  recording [{bar}] {seconds:5.1f} s  (Enter stops)")
            self.out.flush()

    def clear(self) -> None:
        with self._lock:
            self.show = False
            if self.shown:
                self.out.write("\r" + " " * (LEVEL_WIDTH + 40) + "\r")
                self.out.flush()


def _ask(prompt: str, out: TextIO, inp: TextIO) -> str:
    out.write(prompt)
    out.flush()
    line = inp.readline()
    if not line or not inp.isatty():  # a terminal echoes the answer and its Enter
        out.write("\n")
    if not line:  # the end of the input: as [q]uit
        raise _Quit
    return line.strip().lower()


def _open_devices(cfg: Config, args: argparse.Namespace) -> tuple[Any, Any]:
    source_url = args.source or cfg.microphone_url
    if not source_url:
        raise UsageError("no microphone: set [devices] microphone in the config, "
                         "or give --source URL")
    speaker_url = args.speaker or cfg.speaker_url
    from drivers.audio.clip import AudioFileError
    from drivers.audio.output import AudioDeviceError, open_output
    from drivers.sim.voice import open_microphone as open_source

    try:
        source = open_source(source_url)
    except (ValueError, AudioFileError) as exc:  # a test WAV that is not there is bad input
        raise UsageError(f"--source {source_url!r}: {exc}") from None
    try:
        return source, open_output(speaker_url)
    except ValueError as exc:
        source.close()
        raise UsageError(f"--speaker {speaker_url!r}: {exc}") from None
    except AudioDeviceError:
        source.close()
        raise


def _audit_to_database(cfg: Config) -> Callable[[str, str], object]:
    """Kept and removed recordings in the staff audit log, under cli:<user>, as the other
    staff commands on a terminal do (kiosk/commands/kiosk_staff.py)."""
    from kiosk.commands.kiosk_staff import _open, _os_user
    from kiosk.store.audit import StaffAudit

    audit = StaffAudit(_open(cfg))  # opened now: a database it cannot use is said before
    who = f"cli:{_os_user()}"       # anyone records anything

    def record(action: str, detail: str) -> object:
        return audit.record(who, action, detail)

    return record


def _record(cfg: Config, lang: str, args: argparse.Namespace) -> int:
    if not (args.source or cfg.microphone_url):  # said before anything is opened
        raise UsageError("no microphone: set [devices] microphone in the config, "
                         "or give --source URL")
    from drivers.audio.output import AudioDeviceError
    from kiosk.voice_studio import Studio

    with database_errors(cfg.database_path):
        audit = _audit_to_database(cfg)
    try:
        source, output = _open_devices(cfg, args)
    except AudioDeviceError as exc:
        print(f"kiosk: {exc}", file=sys.stderr)
        return EXIT_FAILED
    studio = Studio(cfg, lang, source, output, audit=audit)
    out, inp = sys.stdout, sys.stdin
    kept = 0
    try:
        if args.only:
            try:
                todo = [studio.item(args.only)]
            except KeyError:
                raise UsageError(f"--only {args.only!r}: not an item of {lang}; "
                                 f"`kiosk voice list --lang {lang}` lists them") from None
        else:
            todo = studio.missing()
        done, total = studio.progress()
        print(f"{lang} ({language_name(lang)}): {done} of {total} recorded, "
              f"{len(todo)} to record now", file=out)
        try:
            for number, item in enumerate(todo, 1):
                kept += _record_item(studio, item, f"[{number}/{len(todo)}]", out, inp)
        except _Quit:
            pass
        done, total = studio.progress()
        print(f"{lang}: {done} of {total} recorded ({kept} kept now)", file=out)
        return 0
    except KeyboardInterrupt:
        studio.cancel()
        out.write("\n")
        print(f"stopped: {kept} kept, nothing half-written", file=out)
        out.flush()
        return EXIT_INTERRUPTED
    except AudioDeviceError as exc:  # the microphone or speaker went away mid-pass
        studio.cancel()
        print(f"\nkiosk: {exc} ({kept} kept)", file=sys.stderr)
        return EXIT_FAILED
    finally:
        studio.close()
        source.close()
        output.close()


def _show_item(studio: Studio, item: VoiceItem, counter: str, out: TextIO) -> None:
    print(f"\n{counter} {item.id}", file=out)
    print(f"  Vietnamese: {translate('vi', item.msgid)}", file=out)
    print(f"  plays: {item.where}", file=out)
    hint = _hint_text(item.hint)
    if hint:
        print(f"  {hint} (say it as you say it)", file=out)
    current = studio.recorded(item)
    if current is not None:
        print(f"  plays now: {current}", file=out)


def _record_item(studio: Studio, item: VoiceItem, counter: str, out: TextIO,
                 inp: TextIO) -> int:
    """One item, until it is kept (1) or skipped (0); _Quit to stop the pass."""
    _show_item(studio, item, counter, out)
    while True:
        current = studio.recorded(item)
        answer = _ask("  Enter: record  " + ("[l]isten to it now  " if current else "")
                      + "[s]kip  [q]uit > ", out, inp)
        if answer == "s":
            return 0
        if answer == "q":
            raise _Quit
        if answer == "l" and current:
            _listen(studio, item, out)
            continue
        if answer:
            print("  press Enter to record, s to skip, q to quit", file=out)
            continue
        take = _take(studio, item, out, inp)
        result = _after_take(studio, take, out, inp)
        if result is not None:
            return result


def _take(studio: Studio, item: VoiceItem, out: TextIO, inp: TextIO) -> Take:
    bar = _LevelBar(out, show=out.isatty())
    if not bar.show:
        print("  recording: press Enter to stop", file=out)
    studio.start(item, on_level=bar)
    try:
        inp.readline()  # Enter stops (so does the end of the input)
    finally:
        bar.clear()
    take = studio.stop()
    check = take.check
    if take.problems:
        from kiosk.voice_studio import problem_message

        for problem in take.problems:
            print(f"  {problem.name.lower().replace('_', ' ')}: {problem_message(problem)}",
                  file=out)
    else:
        loudness = f", {check.loudness_lufs:.0f} LUFS" if check.loudness_lufs is not None else ""
        seconds = check.clip.seconds if check.clip is not None else 0.0
        print(f"  ok ({seconds:.1f} s{loudness})", file=out)
    return take


def _after_take(studio: Studio, take: Take, out: TextIO, inp: TextIO) -> int | None:
    """1 kept, 0 skipped, None to take it again."""
    while True:
        answer = _ask("  [k]eep [r]etake [l]isten [s]kip [q]uit > ", out, inp)
        if answer == "k":
            try:
                path = studio.keep(take)
            except ValueError:
                print("  a take with problems is not kept: [r]etake or [s]kip", file=out)
                continue
            print(f"  kept: {path}", file=out)
            return 1
        if answer == "r":
            return None
        if answer == "l":
            _listen(studio, take, out)
        elif answer == "s":
            return 0
        elif answer == "q":
            raise _Quit
        else:
            print("  choose k, r, l, s or q", file=out)


def _listen(studio: Studio, what: Take | VoiceItem, out: TextIO) -> None:
    """Plays a take, or what plays now for an item, and waits for its end."""
    from drivers.audio.clip import AudioFileError

    ended = threading.Event()
    print("  playing…", file=out)
    out.flush()
    try:
        studio.listen(what, on_done=lambda _by_itself: ended.set())
    except AudioFileError as exc:  # a recording copied in by hand that cannot be read
        print(f"  cannot play it: {exc}", file=out)
        return
    try:
        ended.wait()
    finally:
        studio.stop_listening()


# --- export -------------------------------------------------------------------------------

def _export(cfg: Config, languages: list[str], out: Path) -> int:
    from kiosk.voice_share import export_voice

    try:
        shared = export_voice(cfg, out, languages)
    except ValueError as exc:
        raise UsageError(f"--out: {exc}") from None
    except OSError as exc:
        print(f"kiosk voice export: cannot write {out}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_FAILED
    for row in shared:
        print(f"{row.lang}: {row.recordings} recordings"
              + (", translations" if row.translations else ""))
    if not any(row.recordings or row.translations for row in shared):
        print("nothing recorded or typed on this kiosk yet", file=sys.stderr)
        return EXIT_FAILED
    print(f"next, where the centre's key is: kiosk bundle build --kind content --from {out} "
          "--version V --min-version V --expires 365 --out voice.kbundle --key KEY")
    return 0
