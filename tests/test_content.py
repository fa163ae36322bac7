"""Content updates (<data_dir>/content) win over what shipped; a broken one never does."""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from pathlib import Path

import pytest

from kiosk.catalogue import DEFAULT_CATALOGUE
from kiosk.cli import main
from kiosk.config import load_config
from kiosk.content import audio_dirs, content_dir, load_content_catalogue
from kiosk.prompts import AUDIO_DIR, find_recording, recording_script

SHIPPED = DEFAULT_CATALOGUE.read_text(encoding="utf-8")


def config(tmp_path: Path):  # type: ignore[no-untyped-def]
    return replace(load_config(), data_dir=tmp_path)


def update_catalogue(tmp_path: Path, text: str) -> Path:
    folder = content_dir(config(tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "procedures.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_without_an_update_the_shipped_catalogue_is_shown(tmp_path: Path) -> None:
    catalogue, source, problems = load_content_catalogue(config(tmp_path))
    assert source == DEFAULT_CATALOGUE and not problems
    assert catalogue is not None and catalogue.starter


def test_the_provinces_catalogue_replaces_the_starter(tmp_path: Path) -> None:
    official = SHIPPED.replace("starter = true", "starter = false").replace(
        'name = { vi = "Đăng ký khai sinh"', 'name = { vi = "Đăng ký khai sinh (Lâm Đồng)"')
    path = update_catalogue(tmp_path, official)
    catalogue, source, problems = load_content_catalogue(config(tmp_path))
    assert source == path and not problems
    assert catalogue is not None and not catalogue.starter
    assert catalogue.get("HT-01").name["vi"] == "Đăng ký khai sinh (Lâm Đồng)"


def test_a_broken_update_is_refused_with_its_reason_and_the_shipped_one_shown(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = update_catalogue(tmp_path, SHIPPED.replace('service = "A"', 'service = "Q"', 1))
    with caplog.at_level(logging.ERROR):
        catalogue, source, problems = load_content_catalogue(config(tmp_path))
    assert source == DEFAULT_CATALOGUE and catalogue is not None and catalogue.starter
    [problem] = problems
    assert str(path) in str(problem) and "service" in str(problem)
    assert "refused" in caplog.text and str(path) in caplog.text


def test_recordings_from_an_update_come_before_the_shipped_ones(tmp_path: Path) -> None:
    dirs = audio_dirs(config(tmp_path))
    assert dirs == (tmp_path / "content" / "audio", AUDIO_DIR)
    assert find_recording("kpm", "home", dirs) is None
    (dirs[0] / "kpm").mkdir(parents=True)
    (dirs[0] / "kpm" / "home.ogg").write_bytes(b"OggS")
    assert find_recording("kpm", "home", dirs) == dirs[0] / "kpm" / "home.ogg"
    script = {row["file"]: row["recorded"] for row in recording_script("kpm", dirs)}
    assert script["kpm/home.ogg"] == "yes" and script["kpm/services.ogg"] == "no"


def test_i18n_report_counts_what_an_update_brought(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "content" / "audio" / "kpm"
    folder.mkdir(parents=True)
    (folder / "home.wav").write_bytes(b"RIFF")
    (folder / "segments").mkdir()
    (folder / "segments" / "invite.ogg").write_bytes(b"OggS")
    assert main(["i18n", "report", "--json", "--data-dir", str(tmp_path)]) == 0
    out = capsys.readouterr()
    rows = {r["lang"]: r for r in json.loads(out.out)}
    assert rows["kpm"]["prompts_recorded"] == 1 and rows["rad"]["prompts_recorded"] == 0
    assert rows["kpm"]["segments_recorded"] == 1 and rows["rad"]["segments_recorded"] == 0
    assert "segments/invite" not in rows["kpm"]["missing_segment_ids"]
    assert "segments/invite" in rows["rad"]["missing_segment_ids"]
    assert f"catalogue: {DEFAULT_CATALOGUE}" in out.err


def test_a_bad_update_keeps_the_catalogue_shown_until_then(tmp_path: Path) -> None:
    cfg = config(tmp_path)
    official = SHIPPED.replace("starter = true", "starter = false")
    path = update_catalogue(tmp_path, official)
    shown, source, _ = load_content_catalogue(cfg)
    assert source == path and not shown.starter
    update_catalogue(tmp_path, official.replace("schema_version = 1", "schema_version = 9"))
    kept, kept_source, problems = load_content_catalogue(cfg, (shown, source))
    assert kept is shown and kept_source == path and len(problems) == 1
    assert "schema_version" in str(problems[0])


def test_the_stamp_changes_with_the_updated_file(tmp_path: Path) -> None:
    from kiosk.content import content_stamp

    cfg = config(tmp_path)
    assert content_stamp(cfg) is None
    path = update_catalogue(tmp_path, SHIPPED)
    first = content_stamp(cfg)
    path.write_text(SHIPPED + "\n# edited\n", encoding="utf-8")
    assert first is not None and content_stamp(cfg) not in (None, first)
    path.unlink()
    assert content_stamp(cfg) is None


def test_an_update_the_kiosk_may_not_read_is_refused_not_a_crash(tmp_path: Path) -> None:
    import os

    if os.geteuid() == 0:
        pytest.skip("root reads everything")
    update_catalogue(tmp_path, SHIPPED)
    (tmp_path / "content" / "audio" / "kpm").mkdir(parents=True)
    os.chmod(tmp_path / "content", 0)
    try:
        catalogue, source, problems = load_content_catalogue(config(tmp_path))
        assert source == DEFAULT_CATALOGUE and catalogue is not None
        assert problems and "cannot be read" in str(problems[0])
        assert find_recording("kpm", "home", audio_dirs(config(tmp_path))) is None
    finally:
        os.chmod(tmp_path / "content", 0o755)


def test_a_content_path_that_is_not_a_folder_is_no_update(tmp_path: Path) -> None:
    (tmp_path / "content").write_text("copied over the folder by mistake", encoding="utf-8")
    catalogue, source, problems = load_content_catalogue(config(tmp_path))
    assert source == DEFAULT_CATALOGUE and catalogue is not None and not problems
    assert find_recording("kpm", "home", audio_dirs(config(tmp_path))) is None


def test_an_update_naming_a_counter_this_centre_lacks_is_refused(tmp_path: Path) -> None:
    cfg = config(tmp_path)
    cfg = replace(cfg, services=tuple(a for a in cfg.services if a.letter != "E"))
    update_catalogue(tmp_path, SHIPPED)  # the business household procedure is at E
    catalogue, source, problems = load_content_catalogue(cfg)
    # The shipped starter names E too: both are refused, and the Procedures tile says
    # "not available" rather than a procedure sending citizens to a counter that is not there.
    assert catalogue is None and len(problems) == 2
    assert all("unknown service letter 'E'" in str(p) for p in problems)


def test_the_catalogue_is_checked_against_the_centres_languages_not_the_staff_choice(
        tmp_path: Path) -> None:
    """Staff offering Vietnamese alone must not make the shipped catalogue (vi + en texts)
    unusable at the next start."""
    from kiosk.kiosk_settings import StaffSettings, save_settings

    cfg = load_config(data_dir=tmp_path)
    save_settings(cfg, StaffSettings(("vi",), "normal", 80, 60))
    narrowed = load_config(data_dir=tmp_path)
    assert narrowed.languages == ("vi",) and narrowed.centre_languages == cfg.languages
    catalogue, source, problems = load_content_catalogue(narrowed)
    assert catalogue is not None and source == DEFAULT_CATALOGUE and not problems
