from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from kiosk.cli import main
from kiosk.config import ConfigError, load_config


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "kiosk.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_ship_with_the_package() -> None:
    cfg = load_config()
    assert cfg.languages == ("vi", "en", "kpm", "rad")
    assert cfg.idle_timeout == 60 and cfg.idle_countdown == 10
    assert [s.letter for s in cfg.services] == ["A", "B", "C", "D", "E"]
    assert cfg.service("A").name("kpm") == cfg.service("A").name("vi")  # falls back


def test_each_shipped_service_has_its_own_pictogram() -> None:
    """For those who read little: every service area shows a picture of its own."""
    from kiosk.paths import ICONS

    icons = [s.icon for s in load_config().services]
    assert len(set(icons)) == len(icons) and "ticket" not in icons, icons
    assert all((ICONS / f"{icon}.png").is_file() for icon in icons), icons


def test_a_service_without_an_icon_shows_the_ticket(tmp_path: Path) -> None:
    path = write(tmp_path, "[[services]]\nletter = 'A'\nname = { vi = 'X' }\n")
    assert load_config(path).service("A").icon == "ticket"


def test_a_centre_file_overrides_only_what_it_says(tmp_path: Path) -> None:
    path = write(tmp_path, '[kiosk]\nidle_timeout = 90\n[devices]\nprinter = "tcp://10.0.0.5:9100"\n')
    cfg = load_config(path, data_dir=tmp_path / "d")
    assert cfg.idle_timeout == 90 and cfg.idle_countdown == 10
    assert cfg.printer_url == "tcp://10.0.0.5:9100"
    assert cfg.data_dir == tmp_path / "d"


@pytest.mark.parametrize(
    ("text", "key", "expected"),
    [
        ("[kiosk]\nidle_timeout = 'soon'\n", "kiosk.idle_timeout", "number of seconds"),
        ("[kiosk]\nidle_timout = 30\n", "kiosk.idle_timout", "unknown key"),
        ("[kiosk]\nlanguages = ['en']\n", "kiosk.languages", "include \"vi\""),
        ("[devices]\npaper_width = 500\n", "devices.paper_width", "576"),
        ("[devices]\nprinter = 'lp0'\n", "devices.printer", "device URL"),
        # Every URL option is checked as the config loads, not when the printer is opened.
        ("[devices]\nprinter = 'tcp://10.0.0.5?width_dots=abc'\n", "devices.printer",
         "width_dots='abc' in printer URL"),
        ("[devices]\nprinter = 'tcp://10.0.0.5?width_dots=5'\n", "devices.printer",
         "width_dots=5 in printer URL"),
        ("[devices]\nprinter = 'tcp://10.0.0.5?profile=TM-X9'\n", "devices.printer",
         "profile='TM-X9' in printer URL"),
        ("[devices]\nprinter = 'sim://?fault=on-fire'\n", "devices.printer", "fault='on-fire'"),
        ("[devices]\nprinter_profile = 'TM-X9'\n", "devices.printer_profile", "profile name"),
        ("[devices]\nprinter_profile = 5\n", "devices.printer_profile", "profile name"),
        ("[devices]\nprinter_tcvn3 = 'yes'\n", "devices.printer_tcvn3", "true or false"),
        ("[devices]\nprinter_raster_strips = 1\n", "devices.printer_raster_strips",
         "true or false"),
        ("[devices]\nscanner = 5\n", "devices.scanner", "scanner URL"),
        ("[devices]\nscanner = 'spy:///dev/ttyACM0'\n", "devices.scanner", "spy"),
        ("[devices]\nscanner_trigger = 'zebra'\n", "devices.scanner_trigger", "'zebra-ssi'"),
        ("[devices]\nscanner = 'evdev:///dev/input/event3'\nscanner_trigger = 'honeywell'\n",
         "devices.scanner_trigger", "keyboard-wedge"),
        ("[devices]\nmrz_reader = []\n", "devices.mrz_reader", "MRZ reader URL"),
        ("[devices]\nmrz_reader = 'serial:///dev/ttyUSB1?rtscts=maybe'\n", "devices.mrz_reader",
         "rtscts='maybe' in MRZ reader URL 'serial:///dev/ttyUSB1?rtscts=maybe'"),
        ("[devices]\nmrz_reader = 'serial:///dev/ttyUSB1?kind=honeywell'\n",
         "devices.mrz_reader", "kind='honeywell'"),
        ("[[services]]\nletter = 'aa'\nname = { vi = 'X' }\n", "services[0].letter", "capital"),
        ("[[services]]\nletter = 'A'\nname = { en = 'X' }\n", "services[0].name", "Vietnamese"),
        ("[[services]]\nletter = 'A'\nname = { vi = 'X' }\nicon = 'tractor'\n",
         "services[0].icon", "one of the pictograms in assets/icons"),
        ("[[services]]\nletter = 'A'\nname = { vi = 'X' }\nicon = '../fonts/x'\n",
         "services[0].icon", "one of the pictograms"),
        ("[centre]\ntimezone = 'Mars/Base'\n", "centre.timezone", "IANA"),
        ("[kiosk\n", "", "not valid TOML"),
    ],
)
def test_bad_config_names_file_key_and_expectation(tmp_path: Path, text: str, key: str,
                                                   expected: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    message = str(err.value)
    assert message.startswith(str(path))
    assert key in message and expected in message
    assert "\n" not in message


def test_cli_reports_a_bad_config_in_one_line_with_exit_code_2(tmp_path: Path) -> None:
    path = write(tmp_path, "[kiosk]\nidle_timeout = -1\n")
    proc = subprocess.run(
        [sys.executable, "-m", "kiosk", "ticket", "--service", "A", "--config", str(path)],
        capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0
    assert str(path) in proc.stderr and "kiosk.idle_timeout" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_cli_missing_config_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ticket", "--service", "A", "--config", str(tmp_path / "nope.toml")]) == 2
    err = capsys.readouterr().err
    assert "nope.toml" in err and "file not found" in err


def test_cli_bad_arguments_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ticket"]) == 2
    assert main(["sim", "printer", "--listen", "nowhere"]) == 2
    assert main(["frobnicate"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 3 and all(line.startswith("kiosk: error: ") for line in err)


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.startswith("kiosk 0.1.0")


toml_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.floats(allow_nan=True)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=4),
    max_leaves=12,
)
config_keys = st.sampled_from(["centre", "kiosk", "devices", "services", "name", "languages",
                               "idle_timeout", "printer", "letter", "counters", "x"])


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(config_keys, toml_values | st.dictionaries(config_keys, toml_values),
                       max_size=5))
@example({"centre": {"\n": None}})  # a key with a line break is quoted, the message one line
def test_any_structure_gives_a_config_or_a_config_error(raw: dict) -> None:
    from kiosk.config import DEFAULT_CONFIG, _overlay, _read_toml, _validate

    try:
        _validate(_overlay(_read_toml(DEFAULT_CONFIG), raw), Path("fuzz.toml"))
    except ConfigError as err:
        assert str(err).startswith("fuzz.toml: ") and "\n" not in str(err)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_any_bytes_as_a_file_give_a_config_or_a_config_error(tmp_path_factory, data: bytes) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "k.toml"
    path.write_bytes(data)
    try:
        load_config(path)
    except ConfigError as err:
        assert str(err).startswith(str(path))


def test_scanner_trigger_is_read_from_the_config(tmp_path: Path) -> None:
    assert load_config().scanner_trigger == ""
    path = write(tmp_path, '[devices]\nscanner = "/dev/ttyACM0"\nscanner_trigger = "zebra-ssi"\n')
    assert load_config(path).scanner_trigger == "zebra-ssi"


def test_a_simulated_printer_is_a_valid_printer_url(tmp_path: Path) -> None:
    path = write(tmp_path, '[devices]\nprinter = "sim://?fault=paper-low"\n')
    assert load_config(path).printer_url == "sim://?fault=paper-low"


def test_printer_url_is_checked_when_the_config_is_read(tmp_path: Path) -> None:
    path = write(tmp_path, '[devices]\nprinter = "tcp://10.0.0.5:99999"\n')
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert "devices.printer" in str(err.value) and "port" in str(err.value)


# -- [updates] (kiosk/bundles) ----------------------------------------------------------------

KEY = "ed25519:" + "ab" * 32


def test_updates_defaults_and_the_folder_beside_the_data(tmp_path: Path) -> None:
    cfg = load_config(data_dir=tmp_path)
    assert cfg.updates.trusted_keys == () and cfg.updates.size_cap_mb == 2048
    assert cfg.updates.trial_seconds == 120 and cfg.updates.trial_starts == 3
    assert cfg.updates.usb_dirs == ("/media", "/run/media", "/mnt")
    assert cfg.updates_dir == tmp_path / "updates"
    path = write(tmp_path, f"[updates]\ndir = '{tmp_path}/u'\ntrusted_keys = ['{KEY.upper()}'"
                           f", '{KEY}']\nurl = 'https://u.example.vn/kiosk/'\n"
                           "bandwidth_kbps = 64\n")
    cfg = load_config(path)
    assert cfg.updates_dir == tmp_path / "u"
    assert cfg.updates.trusted_keys == (KEY,)  # as typed in any case, once
    assert cfg.updates.url == "https://u.example.vn/kiosk" and cfg.updates.bandwidth_kbps == 64


@pytest.mark.parametrize(
    ("text", "key", "expected"),
    [
        ("dir = 5", "updates.dir", "folder path"),
        ("trusted_keys = 'ed25519:00'", "updates.trusted_keys", "ed25519:<64 hex digits>"),
        ("trusted_keys = ['ed25519:00']", "updates.trusted_keys", "kiosk bundle keygen"),
        ("trusted_keys = ['rsa:" + "ab" * 32 + "']", "updates.trusted_keys", "public keys"),
        ("size_cap_mb = 0", "updates.size_cap_mb", "from 1 to 65536"),
        ("size_cap_mb = true", "updates.size_cap_mb", "megabytes"),
        ("trial_seconds = 0", "updates.trial_seconds", "from 1 to 3600"),
        ("trial_starts = 1.5", "updates.trial_starts", "number of starts"),
        ("url = 'ftp://x'", "updates.url", "http:// or https://"),
        ("url = 'https://x/?a=1'", "updates.url", "https://"),
        ("usb_dirs = '/media'", "updates.usb_dirs", "list of folder paths"),
        ("bandwidth_kbps = -1", "updates.bandwidth_kbps", "0: no cap"),
        ("check_minutes = 0", "updates.check_minutes", "minutes from 1 to 1440"),
        ("check = 5", "updates.check", "unknown key"),
    ],
)
def test_a_bad_updates_table_names_its_key(tmp_path: Path, text: str, key: str,
                                           expected: str) -> None:
    path = write(tmp_path, "[updates]\n" + text + "\n")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    message = str(err.value)
    assert message.startswith(str(path)) and key in message and expected in message
    assert "\n" not in message
