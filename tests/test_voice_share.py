"""`kiosk voice export` (kiosk/voice_share.py): what one kiosk's studio recorded and its
staff typed goes, as a signed content bundle, to another kiosk of the centre, which then
calls numbers in that language and shows the reviewed translation."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from drivers.audio.capture import open_source
from drivers.audio.output import open_output
from drivers.sim.voice import write_test_takes
from kiosk import i18n
from kiosk.bundles.build import build_bundle
from kiosk.bundles.installer import Installer
from kiosk.cli import main
from kiosk.config import Config, load_config
from kiosk.content import audio_dirs, load_content_catalogue
from kiosk.typed_translations import mark_reviewed, save_typed
from kiosk.voice import assemble, call_segments, voice_items
from kiosk.voice_studio import Studio
from tests.bundle_kit import LATER, NOW, new_key

# Test data standing for what a native speaker would type: not K'Ho (docs/architecture.md,
# Languages: no K'Ho text is made up), but with K'Ho letters the .po must carry intact.
TYPED = "TEST ƀơ̆ ŭ ñ"
MSGID = "Touch the screen to start"


def kiosk_cfg(root: Path) -> Config:
    return replace(load_config(), data_dir=root / "data")


def record_call(cfg: Config, takes: Path) -> list[str]:
    """Keeps, through the studio, the K'Ho segments of one call (A012 to counter 2)."""
    names = call_segments("kpm", "A012", 2)
    items = {item.name: item for item in voice_items(cfg, "kpm") if item.kind == "segment"}
    source = open_source(f"file://{takes}?speed=50")
    output = open_output("null://")
    studio = Studio(cfg, "kpm", source, output)
    try:
        for name in dict.fromkeys(names):
            studio.start(items[name])
            assert source.wait_end(30)  # the whole test WAV heard (an event, not a pause)
            studio.keep(studio.stop())
    finally:
        source.close()
        output.close()
    return names


def test_a_kiosks_voice_reaches_another_kiosk_as_a_signed_bundle(tmp_path: Path) -> None:
    here, there = kiosk_cfg(tmp_path / "here"), kiosk_cfg(tmp_path / "there")
    takes = write_test_takes(tmp_path / "takes")
    names = record_call(here, takes["good"])
    save_typed(here, "kpm", MSGID, TYPED, "Ka Hoa")
    mark_reviewed(here, "kpm", MSGID, "Y Bhăm")
    assert assemble("kpm", names, audio_dirs(there)) is None  # the other kiosk: chime only

    out = tmp_path / "to-sign"
    assert main(["voice", "export", "--out", str(out), "--data-dir", str(here.data_dir)]) == 0
    exported = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert exported == sorted([f"audio/kpm/segments/{n}.ogg" for n in dict.fromkeys(names)]
                              + ["locales/kpm/LC_MESSAGES/kiosk.po"])
    po = (out / "locales/kpm/LC_MESSAGES/kiosk.po").read_text(encoding="utf-8")
    assert TYPED in po and 'msgid "Choose your language"' in po  # the whole catalogue

    key = new_key()
    bundle = tmp_path / "voice.kbundle"
    build_bundle(out, bundle, "content", "1.0.0", "0", LATER, [key.private], created=NOW)
    Installer(there.updates_dir, [key.public]).apply(bundle)
    try:
        load_content_catalogue(there)  # what the kiosk does between citizens
        call = assemble("kpm", names, audio_dirs(there))
        assert call is not None and call.seconds > 0
        assert i18n.translate_marked("kpm", MSGID) == TYPED  # reviewed: shown, no mark
    finally:
        i18n.use_content_locales(None)


def test_export_refuses_a_folder_in_use_and_says_when_there_is_nothing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = kiosk_cfg(tmp_path)
    used = tmp_path / "used"
    used.mkdir()
    (used / "keep.txt").write_text("x")
    assert main(["voice", "export", "--out", str(used), "--data-dir", str(cfg.data_dir)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "not an empty folder" in err[0]
    assert (used / "keep.txt").read_text() == "x"

    empty = tmp_path / "empty"
    assert main(["voice", "export", "--out", str(empty), "--data-dir", str(cfg.data_dir),
                 "--lang", "kpm"]) == 1
    assert "nothing recorded or typed" in capsys.readouterr().err
