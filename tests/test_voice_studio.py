"""The recording studio (kiosk/voice_studio.py) on the test microphone (file://, a WAV heard
as if spoken) and the test speaker (file://, a WAV of what was played): takes are checked,
good ones kept as Ogg Vorbis where the kiosk plays them, bad ones refused, and every kept or
removed recording is in the staff audit log."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from drivers.audio.capture import open_source
from drivers.audio.clip import read_clip, write_clip
from drivers.audio.levels import TakeProblem
from drivers.audio.output import AudioOutput, open_output
from drivers.sim.voice import write_test_takes
from kiosk.config import Config, load_config
from kiosk.content import audio_dirs
from kiosk.prompts import find_recording
from kiosk.store.audit import StaffAudit
from kiosk.voice import assemble, call_segments, find_segment
from kiosk.voice_studio import Studio, StudioBusy, Take, studio_audio_dir

MakeStudio = Callable[[str, str], Studio]
SPEED = 200  # the test microphone and speaker run 200 x real time
WAIT = 30.0  # a bound on waiting for an event, never a pause


@pytest.fixture(scope="module")
def takes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return write_test_takes(tmp_path_factory.mktemp("takes"))


@pytest.fixture
def cfg(tmp_path: Path) -> Config:
    return replace(load_config(), data_dir=tmp_path / "data")


@pytest.fixture
def audit(cfg: Config, new_sqlite: Callable[[Path], str]) -> StaffAudit:
    from kiosk.store import open_database

    return StaffAudit(open_database(new_sqlite(cfg.database_path)))


@pytest.fixture
def speaker(tmp_path: Path) -> Iterator[AudioOutput]:
    out = open_output(f"file://{tmp_path / 'speaker.wav'}?speed={SPEED}")
    yield out
    out.close()


@pytest.fixture
def studio_for(cfg: Config, takes: dict[str, Path], speaker: AudioOutput,
               audit: StaffAudit) -> Iterator[MakeStudio]:
    """studio_for(lang, take name): a Studio whose microphone hears that test take, its
    actions audited under "Ka Hoa" (as staff mode's session.act would)."""
    opened = []

    def make(lang: str, take: str) -> Studio:
        source = open_source(f"file://{takes[take]}?speed={SPEED}")
        opened.append(source)
        return Studio(cfg, lang, source, speaker,
                      audit=lambda action, detail: audit.record("Ka Hoa", action, detail))

    yield make
    for source in opened:
        source.close()


def record(studio: Studio, item_id: str) -> Take:
    """A take of the whole test WAV (drivers/audio ClipSource.wait_end: an event, not a
    pause)."""
    studio.start(studio.item(item_id))
    assert studio.source.wait_end(WAIT)
    return studio.stop()


def test_a_good_take_is_kept_as_ogg_vorbis_where_the_kiosk_plays_it(studio_for: MakeStudio,
                                                                   cfg: Config) -> None:
    import soundfile

    studio = studio_for("kpm", "good")
    take = record(studio, "attract")
    assert take.ok and take.problems == ()
    assert take.check.clip is not None and take.check.clip.seconds < take.raw.seconds  # trimmed
    path = studio.keep(take)
    assert path == cfg.data_dir / "content" / "audio" / "kpm" / "attract.ogg"
    info = soundfile.info(str(path))
    assert (info.format, info.subtype, info.channels, info.samplerate) == (
        "OGG", "VORBIS", 1, 48000)
    kept = read_clip(path)
    assert abs(kept.seconds - take.check.clip.seconds) <= 1 / 48000
    # Nothing else was left in the folder (no temporary file of the atomic write).
    assert sorted(p.name for p in path.parent.iterdir()) == ["attract.ogg"]
    assert studio.recorded(studio.item("attract")) == path == studio.studio_file(
        studio.item("attract"))


def test_the_kept_recording_plays_in_its_language_only(studio_for: MakeStudio, cfg: Config) -> None:
    studio = studio_for("kpm", "good")
    prompt = studio.keep(record(studio, "services"))
    segment = studio.keep(record(studio, "segments/invite"))
    assert segment == studio_audio_dir(cfg) / "kpm" / "segments" / "invite.ogg"
    dirs = audio_dirs(cfg)
    assert find_recording("kpm", "services", dirs) == prompt
    assert find_segment("kpm", "invite", dirs) == segment
    for other in ("vi", "en", "rad"):
        assert find_recording(other, "services", dirs) is None
        assert find_segment(other, "invite", dirs) is None
    assert studio.progress() == (2, len(studio.items()))


@pytest.mark.parametrize(("take", "problem"), [
    ("silence", TakeProblem.SILENT),
    ("clipped", TakeProblem.CLIPPED),
    ("quiet", TakeProblem.TOO_QUIET),
])
def test_a_take_with_problems_is_refused(studio_for: MakeStudio, cfg: Config, audit: StaffAudit,
                                         take: str, problem: TakeProblem) -> None:
    studio = studio_for("rad", take)
    bad = record(studio, "attract")
    assert problem in bad.problems and not bad.ok
    with pytest.raises(ValueError) as refused:
        studio.keep(bad)
    assert problem.name.lower().replace("_", " ") in str(refused.value)
    assert studio.recorded(studio.item("attract")) is None
    assert not (studio_audio_dir(cfg) / "rad").exists()
    assert audit.recent() == []


def test_keeping_replaces_an_older_wav_and_remove_brings_back_nothing(
        studio_for: MakeStudio, cfg: Config, takes: dict[str, Path], audit: StaffAudit) -> None:
    studio = studio_for("kpm", "good")
    item = studio.item("segments/7")
    # A .wav of the same segment copied in by hand earlier: it would play before the .ogg?
    # No: the studio's new take must be what plays, so the old one goes.
    old = studio_audio_dir(cfg) / "kpm" / "segments" / "7.wav"
    old.parent.mkdir(parents=True)
    write_clip(old, read_clip(takes["good"]), "wav")
    assert studio.recorded(item) == old
    path = studio.keep(record(studio, "segments/7"))
    assert not old.exists() and studio.recorded(item) == path
    studio.remove(item)
    assert not path.exists() and studio.recorded(item) is None
    studio.remove(item)  # nothing left: nothing done, nothing audited
    rows = [(e.staff_name, e.action, e.detail) for e in reversed(audit.recent())]
    assert [r[:2] for r in rows] == [("Ka Hoa", "voice_keep"), ("Ka Hoa", "voice_remove")]
    assert rows[0][2].startswith("kpm segments/7 ") and rows[1][2] == "kpm segments/7"


def test_listen_plays_the_take_then_the_kept_file(studio_for: MakeStudio, tmp_path: Path,
                                                  cfg: Config) -> None:
    studio = studio_for("kpm", "good")
    take = record(studio, "home")
    done: list[bool] = []
    ended = threading.Event()

    def on_done(by_itself: bool) -> None:
        done.append(by_itself)
        ended.set()

    studio.listen(take, on_done=on_done)
    assert ended.wait(WAIT) and done == [True]
    item = studio.item("home")
    with pytest.raises(LookupError):
        studio.listen(item)
    studio.keep(take)
    ended.clear()
    studio.listen(item, on_done=on_done)
    assert ended.wait(WAIT) and done == [True, True]
    log = [json.loads(line) for line in
           (tmp_path / "speaker.wav.log.jsonl").read_text().splitlines()]
    starts = [e for e in log if e["event"] == "start"]
    assert len(starts) == 2
    assert abs(starts[0]["seconds"] - take.check.clip.seconds) < 0.01
    assert abs(starts[1]["seconds"] - take.check.clip.seconds) < 0.01
    assert starts[0]["volume"] == pytest.approx(cfg.volume / 100)


def test_one_take_at_a_time(studio_for: MakeStudio) -> None:
    studio = studio_for("kpm", "good")
    studio.start(studio.item("attract"))
    with pytest.raises(StudioBusy):
        studio.start(studio.item("home"))
    assert studio.recording == studio.item("attract")
    studio.cancel()
    assert studio.recording is None
    with pytest.raises(StudioBusy):
        studio.stop()


def test_a_number_call_is_complete_once_its_segments_are_kept(studio_for: MakeStudio,
                                                             cfg: Config) -> None:
    studio = studio_for("kpm", "good")
    names = call_segments("kpm", "A012", 2)
    assert assemble("kpm", names, audio_dirs(cfg)) is None  # chime only
    for name in dict.fromkeys(names):
        studio.keep(record(studio, f"segments/{name}"))
    call = assemble("kpm", names, audio_dirs(cfg))
    assert call is not None and call.seconds > len(names) * 1.0
    assert assemble("rad", call_segments("rad", "A012", 2), audio_dirs(cfg)) is None


def test_a_keep_that_cannot_be_written_leaves_no_temporary_file(studio_for: MakeStudio,
                                                                cfg: Config) -> None:
    studio = studio_for("kpm", "good")
    take = record(studio, "search")
    blocked = studio_audio_dir(cfg) / "kpm" / "search.ogg"
    blocked.mkdir(parents=True)  # something in the way: the rename fails
    with pytest.raises(OSError):
        studio.keep(take)
    assert sorted(p.name for p in blocked.parent.iterdir()) == ["search.ogg"]
    assert blocked.is_dir()
