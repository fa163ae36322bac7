"""[devices] microphone and speaker (kiosk/config.py): checked by drivers/audio's URL parsers
when the config loads, like the printer's and the scanner's."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.cli import main
from kiosk.config import ConfigError, load_config, with_simulated_audio


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "kiosk.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_no_microphone_and_the_default_speaker_by_default() -> None:
    cfg = load_config()
    assert (cfg.microphone_url, cfg.speaker_url) == ("", "sounddevice://")


def test_a_centre_names_its_microphone_and_speaker(tmp_path: Path) -> None:
    path = write(tmp_path, '[devices]\nmicrophone = "sounddevice://USB Audio?rate=44100"\n'
                           'speaker = "null://"\n')
    cfg = load_config(path)
    assert (cfg.microphone_url, cfg.speaker_url) == ("sounddevice://USB Audio?rate=44100",
                                                     "null://")


@pytest.mark.parametrize(("text", "key", "expected"), [
    ("[devices]\nmicrophone = 5\n", "devices.microphone", "microphone URL or \"\" for none"),
    ("[devices]\nmicrophone = 'alsa://hw:1'\n", "devices.microphone",
     "unknown microphone URL scheme 'alsa'"),
    ("[devices]\nmicrophone = 'file:///t.wav?speed=fast'\n", "devices.microphone", "speed"),
    ("[devices]\nmicrophone = 'null://'\n", "devices.microphone", "scheme 'null'"),
    ("[devices]\nspeaker = ''\n", "devices.speaker", "sounddevice:// or null://"),
    ("[devices]\nspeaker = ['null://']\n", "devices.speaker", "sounddevice:// or null://"),
    ("[devices]\nspeaker = 'sim://voice'\n", "devices.speaker", "unknown speaker URL scheme"),
    ("[devices]\nspeaker = 'null://?volume=2'\n", "devices.speaker", "volume"),
    ("[devices]\nloudspeaker = 'null://'\n", "devices.loudspeaker", "unknown key"),
])
def test_a_bad_audio_url_names_file_key_and_expectation(tmp_path: Path, text: str, key: str,
                                                        expected: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    message = str(err.value)
    assert str(path) in message and key in message and expected in message, message
    assert "\n" not in message


def test_cli_reports_a_bad_microphone_in_one_line(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "[devices]\nmicrophone = 'alsa://hw:1'\n")
    assert main(["--config", str(path), "voice", "list", "--lang", "kpm"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "devices.microphone" in err


@settings(max_examples=200, deadline=None)
@given(key=st.sampled_from(["microphone", "speaker"]), url=st.text(max_size=60))
def test_any_audio_url_gives_a_config_or_a_config_error(tmp_path_factory: pytest.TempPathFactory,
                                                        key: str, url: str) -> None:
    import json

    path = tmp_path_factory.mktemp("cfg") / "kiosk.toml"
    # json.dumps writes a TOML basic string for any text (TOML has no \u escapes for
    # surrogates: those are left out).
    if any(0xD800 <= ord(ch) <= 0xDFFF for ch in url):
        return
    path.write_text(f"[devices]\n{key} = {json.dumps(url)}\n", encoding="utf-8")
    try:
        cfg = load_config(path)
    except ConfigError as exc:
        assert f"devices.{key}" in str(exc) or "not valid TOML" in str(exc)
    else:
        assert getattr(cfg, f"{key}_url") == url


def test_simulate_uses_a_test_signal_and_a_silent_speaker_unless_named(tmp_path: Path) -> None:
    cfg = with_simulated_audio(load_config())
    assert (cfg.microphone_url, cfg.speaker_url) == ("sim://voice", "null://")
    named = load_config(write(tmp_path, '[devices]\nmicrophone = "sounddevice://"\n'
                                        'speaker = "sounddevice://1"\n'))
    cfg = with_simulated_audio(named)
    assert (cfg.microphone_url, cfg.speaker_url) == ("sounddevice://", "sounddevice://1")
