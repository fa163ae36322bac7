"""Staff settings on the kiosk (kiosk/kiosk_settings.py): the overlay beside the centre's
config, checked by the config's rules, written whole or not at all, applied without a
restart and by the next start, and removed by a reset."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.config import ConfigError, load_config
from kiosk.kiosk_settings import (
    SettingsRefused,
    StaffSettings,
    apply_to_session,
    current_settings,
    overlay_path,
    reset_settings,
    save_settings,
    text_size_index,
    translated_languages,
)
from kiosk.paths import ROOT
from kiosk.session import TEXT_SIZES, Session

CENTRE = """[kiosk]
languages = ["vi", "en", "kpm"]
idle_timeout = 90
volume = 60
"""
MINE = StaffSettings(("en", "vi"), "large", 35, 45.0)


@pytest.fixture
def centre(tmp_path: Path) -> Path:
    path = tmp_path / "etc" / "centre.toml"
    path.parent.mkdir()
    path.write_text(CENTRE, encoding="utf-8")
    return path


def test_saved_settings_apply_at_once_and_after_a_restart(centre: Path, tmp_path: Path) -> None:
    cfg = load_config(centre, tmp_path / "data")
    assert current_settings(cfg) == StaffSettings(("vi", "en", "kpm"), "normal", 60, 90.0)
    new = save_settings(cfg, MINE)
    assert current_settings(new) == MINE
    assert new.services == cfg.services and new.printer_url == cfg.printer_url
    assert overlay_path(cfg) == centre.with_name("centre.staff.toml")
    assert centre.read_text(encoding="utf-8") == CENTRE  # the centre's file untouched
    assert current_settings(load_config(centre, tmp_path / "data")) == MINE
    assert sorted(p.name for p in centre.parent.iterdir()) == ["centre.staff.toml",
                                                               "centre.toml"]


def test_on_the_shipped_defaults_the_overlay_is_in_the_data_folder(tmp_path: Path) -> None:
    cfg = load_config(data_dir=tmp_path / "data")
    new = save_settings(cfg, StaffSettings(("vi", "rad"), "extra_large", 100, 5))
    assert overlay_path(cfg) == tmp_path / "data" / "settings.staff.toml"
    again = load_config(data_dir=tmp_path / "data")
    assert (again.languages, again.text_size, again.volume, again.idle_timeout) == (
        ("vi", "rad"), "extra_large", 100, 5.0) == (
        new.languages, new.text_size, new.volume, new.idle_timeout)


@pytest.mark.parametrize(("settings_", "key", "words"), [
    (StaffSettings(("vi", "rad"), "normal", 80, 60), "kiosk.languages",
     "'rad' is not among the languages of the centre's config"),
    (StaffSettings(("en",), "normal", 80, 60), "kiosk.languages", "include \"vi\""),
    (StaffSettings(("vi", "vi"), "normal", 80, 60), "kiosk.languages", "each language once"),
    (StaffSettings((), "normal", 80, 60), "kiosk.languages", "a list of language tags"),
    (StaffSettings(("vi",), "huge", 80, 60), "kiosk.text_size",
     "expected \"normal\", \"large\", \"extra_large\", got 'huge'"),
    (StaffSettings(("vi",), "normal", 101, 60), "kiosk.volume", "from 0 to 100, got 101"),
    (StaffSettings(("vi",), "normal", True, 60), "kiosk.volume", "from 0 to 100"),
    (StaffSettings(("vi",), "normal", 80, 2), "kiosk.idle_timeout", "from 5 to 3600"),
    (StaffSettings(("vi",), "normal", 80, float("nan")), "kiosk.idle_timeout",
     "from 5 to 3600"),
])
def test_refused_settings_change_nothing(centre: Path, tmp_path: Path, settings_, key: str,
                                         words: str) -> None:
    cfg = save_settings(load_config(centre, tmp_path / "data"), MINE)
    before = overlay_path(cfg).read_bytes()
    with pytest.raises(SettingsRefused) as refused:
        save_settings(cfg, settings_)
    assert refused.value.key == key
    assert words in str(refused.value) and "\n" not in str(refused.value)
    assert overlay_path(cfg).read_bytes() == before
    assert sorted(p.name for p in centre.parent.iterdir()) == ["centre.staff.toml",
                                                               "centre.toml"]


def test_a_language_without_translations_is_refused(tmp_path: Path, centre: Path) -> None:
    locales = tmp_path / "locales"
    (locales / "en" / "LC_MESSAGES").mkdir(parents=True)
    (locales / "en" / "LC_MESSAGES" / "kiosk.po").write_text("", encoding="utf-8")
    assert translated_languages(locales) == {"vi", "en"}
    cfg = load_config(centre, tmp_path / "data")
    with pytest.raises(SettingsRefused, match="no translation for 'kpm'"):
        save_settings(cfg, StaffSettings(("vi", "kpm"), "normal", 80, 60), locales)
    assert not overlay_path(cfg).exists()


def test_a_failed_write_leaves_the_old_file_and_no_litter(centre: Path, tmp_path: Path) -> None:
    cfg = save_settings(load_config(centre, tmp_path / "data"), MINE)
    path = overlay_path(cfg)
    path.unlink()
    path.mkdir()  # something in the way the rename cannot replace
    (path / "x").write_text("x")
    with pytest.raises(SettingsRefused, match="cannot be written"):
        save_settings(cfg, StaffSettings(("vi",), "normal", 10, 60))
    assert sorted(p.name for p in centre.parent.iterdir()) == ["centre.staff.toml",
                                                               "centre.toml"]
    assert current_settings(load_config(centre, tmp_path / "data")).volume == 60


def test_reset_deletes_the_overlay(centre: Path, tmp_path: Path) -> None:
    cfg = save_settings(load_config(centre, tmp_path / "data"), MINE)
    back = reset_settings(cfg)
    assert current_settings(back) == StaffSettings(("vi", "en", "kpm"), "normal", 60, 90.0)
    assert not overlay_path(cfg).exists()
    assert reset_settings(back) == back  # nothing to reset


def test_an_overlay_the_config_no_longer_allows_is_trimmed_or_ignored(
        centre: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    cfg = save_settings(load_config(centre, tmp_path / "data"),
                        StaffSettings(("kpm", "vi"), "large", 35, 45))
    centre.write_text(CENTRE.replace(', "kpm"', ""), encoding="utf-8")
    trimmed = load_config(centre, tmp_path / "data")
    assert (trimmed.languages, trimmed.text_size) == (("vi",), "large")
    assert "left out: kpm" in caplog.text
    overlay_path(cfg).write_text("[kiosk]\nvolume = 'loud'\n", encoding="utf-8")
    assert load_config(centre, tmp_path / "data").volume == 60  # the centre's


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(st.binary(max_size=200), st.text(max_size=200).map(str.encode),
                 st.lists(st.sampled_from([
                     "[kiosk]\n", "languages = [\"vi\", \"en\"]\n", "languages = []\n",
                     "volume = 70\n", "volume = -1\n", "text_size = \"large\"\n",
                     "idle_timeout = 30.5\n", "[other]\n", "x = 1\n", "languages = \"vi\"\n",
                 ]), max_size=8).map(lambda lines: "".join(lines).encode())))
def test_any_overlay_file_gives_a_working_config(tmp_path_factory, data: bytes) -> None:
    folder = tmp_path_factory.mktemp("fuzz")
    (folder / "settings.staff.toml").write_bytes(data)
    cfg = load_config(data_dir=folder)
    base = load_config(data_dir=folder, staff_overlay=False)
    assert set(cfg.languages) <= set(base.languages) and "vi" in cfg.languages
    assert 0 <= cfg.volume <= 100 and 5 <= cfg.idle_timeout <= 3600
    assert cfg.services == base.services


def test_a_session_follows_the_settings(centre: Path, tmp_path: Path) -> None:
    cfg = load_config(centre, tmp_path / "data")
    session = Session(cfg.languages, idle_timeout=cfg.idle_timeout)
    apply_to_session(save_settings(cfg, MINE), session)
    assert (session.languages, session.idle_timeout) == (("en", "vi"), 45.0)
    session.start()
    assert session.text_scale == TEXT_SIZES[text_size_index("large")] == 1.25
    session.next_text_size()  # the visit's own button still works
    session.end()
    session.start()
    assert session.text_scale == 1.25  # the next visit starts at the default again


def test_config_keys_text_size_and_volume(tmp_path: Path) -> None:
    path = tmp_path / "kiosk.toml"
    path.write_text("[kiosk]\ntext_size = \"extra_large\"\nvolume = 0\n", encoding="utf-8")
    cfg = load_config(path)
    assert (cfg.text_size, cfg.volume) == ("extra_large", 0)
    path.write_text("[kiosk]\nvolume = 80.5\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"kiosk.volume: expected a whole number from 0 to "
                                          r"100, got 80.5"):
        load_config(path)


SAVER = """
import sys
from kiosk.config import load_config
from kiosk.kiosk_settings import StaffSettings, save_settings
cfg = load_config(sys.argv[1], sys.argv[2])
print("saving", flush=True)
volume = 0
while True:
    volume = (volume + 1) % 101
    save_settings(cfg, StaffSettings(("en", "vi"), "large", volume, 45))
"""


def test_killed_while_saving_the_overlay_is_whole(centre: Path, tmp_path: Path) -> None:
    """SIGKILL at random moments of a save loop: the file is always one whole save."""
    for _ in range(3):
        child = subprocess.Popen([sys.executable, "-c", SAVER, str(centre),
                                  str(tmp_path / "data")], cwd=ROOT, stdout=subprocess.PIPE,
                                 text=True)
        assert child.stdout is not None
        assert child.stdout.readline() == "saving\n"
        # Not a synchronisation: a random moment to kill at, once saving is under way.
        threshold = random.uniform(0.01, 0.2)
        os.sched_yield()
        try:
            child.wait(timeout=threshold)
        except subprocess.TimeoutExpired:
            child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        child.stdout.close()
        cfg = load_config(centre, tmp_path / "data")
        if overlay_path(cfg).exists():
            assert (cfg.languages, cfg.text_size, cfg.idle_timeout) == (("en", "vi"), "large",
                                                                         45.0)
            text = overlay_path(cfg).read_text(encoding="utf-8")
            assert text.endswith("idle_timeout = 45.0\n") and "volume = " in text
    save_settings(load_config(centre, tmp_path / "data"), MINE)  # clears what a kill left
    assert sorted(p.name for p in centre.parent.iterdir()) == ["centre.staff.toml",
                                                               "centre.toml"]
