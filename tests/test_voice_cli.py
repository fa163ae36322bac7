"""`kiosk voice list|record` (kiosk/commands/voice.py): the recording studio on a terminal,
run as a real process on a pseudo-terminal with the test microphone (file://, a WAV heard as
if spoken, 50 x real time): a full pass gives a language every prompt and number-call
segment, and `kiosk i18n report` shows it."""

from __future__ import annotations

import json
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from drivers.audio.clip import read_clip
from drivers.sim.voice import write_test_takes
from kiosk.cli import main
from kiosk.config import load_config
from kiosk.content import audio_dirs
from kiosk.prompts import PROMPTS
from kiosk.voice import assemble, call_segments, voice_items
from kiosk.voice_studio import studio_audio_dir
from tests.voice_terminal import Terminal, kiosk, record_all

SPEED = 50


@pytest.fixture(scope="module")
def takes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return write_test_takes(tmp_path_factory.mktemp("takes"))


def source(takes: dict[str, Path], name: str) -> str:
    return f"file://{takes[name]}?speed={SPEED}"


def report(data: Path) -> dict[str, dict]:
    done = subprocess.run(kiosk("i18n", "report", "--json", "--data-dir", str(data)),
                          capture_output=True, text=True, check=True)
    return {row["lang"]: row for row in json.loads(done.stdout)}


def report_table(data: Path) -> list[list[str]]:
    done = subprocess.run(kiosk("i18n", "report", "--data-dir", str(data)),
                          capture_output=True, text=True, check=True)
    return [line.split() for line in done.stdout.splitlines()]


def test_a_full_pass_gives_a_language_its_voice(tmp_path: Path, takes: dict[str, Path]) -> None:
    data = tmp_path / "data"
    cfg = replace(load_config(), data_dir=data)
    items = voice_items(cfg, "kpm")
    segments = [i for i in items if i.kind == "segment"]
    before, table_before = report(data), report_table(data)
    assert (before["kpm"]["prompts_recorded"], before["kpm"]["segments_recorded"]) == (0, 0)

    term = Terminal(kiosk("voice", "record", "--lang", "kpm", "--data-dir", str(data),
                          "--source", source(takes, "good"), "--speaker", "null://"))
    try:
        m = term.expect(r"kpm \(Kơho\): 0 of (\d+) recorded, (\d+) to record now")
        assert int(m.group(1)) == int(m.group(2)) == len(items)
        kept, figures = record_all(term, read_clip(takes["good"]).seconds)
        assert term.wait() == 0
    finally:
        term.close()
    assert kept == [item.id for item in items]  # prompts first, then segments
    assert figures == (len(items), len(items), len(items))

    after = report(data)
    assert (after["kpm"]["prompts_recorded"], after["kpm"]["prompts_missing"]) == (
        len(PROMPTS), 0)
    assert (after["kpm"]["segments_recorded"], after["kpm"]["segments_missing"]) == (
        len(segments), 0)
    for lang in ("vi", "en", "rad"):  # another language's voice is not this one's
        assert after[lang] == before[lang]
    # The table staff read moves too: kpm's "voice ok" and "segments ok" columns.
    header = table_before[0]
    assert header[5:9] == ["voice", "ok", "voice", "missing"]
    kpm_before = next(r for r in table_before if r[0] == "kpm")
    kpm_after = next(r for r in report_table(data) if r[0] == "kpm")
    assert kpm_before[5:9] == ["0", str(len(PROMPTS)), "0", str(len(segments))]
    assert kpm_after[5:9] == [str(len(PROMPTS)), "0", str(len(segments)), "0"]

    # Each is a recording of the take, trimmed, where the kiosk plays it.
    for item in items:
        clip = read_clip(studio_audio_dir(cfg) / "kpm" / f"{item.id}.ogg")
        assert clip.rate == 48000 and 1.0 < clip.seconds < read_clip(takes["good"]).seconds
    assert assemble("kpm", call_segments("kpm", "A012", 2), audio_dirs(cfg)) is not None
    listed = json.loads(subprocess.run(
        kiosk("voice", "list", "--lang", "kpm", "--json", "--data-dir", str(data)),
        capture_output=True, text=True, check=True).stdout)
    assert all(row["recorded"] and row["made_here"] for row in listed)
    # Every kept recording is in the staff audit log, under the terminal's user.
    audit = json.loads(subprocess.run(
        kiosk("staff", "audit", "--json", "--limit", "1000", "--data-dir", str(data)),
        capture_output=True, text=True, check=True).stdout)
    assert [e["action"] for e in audit] == ["voice_keep"] * len(items)
    assert all(e["staff_name"].startswith("cli:") for e in audit)
    assert [e["detail"].split()[1] for e in audit] == [item.id for item in items]


def test_a_quiet_take_is_not_kept_and_can_be_heard(tmp_path: Path, takes: dict[str, Path]) -> None:
    data = tmp_path / "data"
    speaker = tmp_path / "speaker.wav"
    term = Terminal(kiosk("voice", "record", "--lang", "kpm", "--data-dir", str(data),
                          "--only", "segments/1", "--source", source(takes, "quiet"),
                          "--speaker", f"file://{speaker}?speed={SPEED}"))
    try:
        term.expect(r"\[1/1\] segments/1")
        term.expect(r"Vietnamese: Một")
        term.expect(r"plays: Number call")
        term.expect(r"Sources write: ")  # the speaker's prompt: what sources write
        term.expect(r"Enter: record")
        term.send("\r")
        term.expect_level(read_clip(takes["quiet"]).seconds)
        term.send("\r")
        term.expect(r"too quiet: Too quiet\. Speak louder")
        term.expect(r"\[k\]eep")
        term.send("k\r")
        term.expect(r"a take with problems is not kept")
        term.send("l\r")
        term.expect(r"playing")
        term.expect(r"\[k\]eep")
        term.send("s\r")
        term.expect(r"kpm: 0 of \d+ recorded \(0 kept now\)")
        assert term.wait() == 0
    finally:
        term.close()
    assert not (data / "content" / "audio").exists()
    log = [json.loads(line) for line in Path(f"{speaker}.log.jsonl").read_text().splitlines()]
    assert [e["event"] for e in log] == ["start", "end"]


def test_ctrl_c_leaves_what_was_kept_and_nothing_half_written(tmp_path: Path,
                                                             takes: dict[str, Path]) -> None:
    data = tmp_path / "data"
    term = Terminal(kiosk("voice", "record", "--lang", "rad", "--data-dir", str(data),
                          "--source", source(takes, "good"), "--speaker", "null://"))
    try:
        term.expect(r"\[1/\d+\] attract")
        term.expect(r"Enter: record")
        term.send("\r")
        term.expect_level(read_clip(takes["good"]).seconds)
        term.send("\r")
        term.expect(r"\[k\]eep")
        term.send("k\r")
        term.expect(r"kept: ")
        term.expect(r"\[2/\d+\] language")
        term.expect(r"Enter: record")
        term.send("\r")
        term.expect_level(0.5)
        term.send("\x03")  # Ctrl-C in the middle of the second take
        term.expect(r"stopped: 1 kept, nothing half-written")
        assert term.wait() == 130
    finally:
        term.close()
    folder = data / "content" / "audio" / "rad"
    assert sorted(p.name for p in folder.iterdir()) == ["attract.ogg"]  # no temporary file
    assert read_clip(folder / "attract.ogg").seconds > 1.0
    assert "Traceback" not in term.text

    # Coming back to it: what plays now can be heard before recording again.
    again = Terminal(kiosk("voice", "record", "--lang", "rad", "--data-dir", str(data),
                           "--only", "attract", "--source", source(takes, "good"),
                           "--speaker", "null://"))
    try:
        again.expect(r"plays now: .*attract\.ogg")
        again.expect(r"Enter: record  \[l\]isten to it now")
        again.send("l\r")
        again.expect(r"playing")
        again.expect(r"Enter: record")
        again.send("q\r")
        again.expect(r"rad: 1 of \d+ recorded \(0 kept now\)")
        assert again.wait() == 0
    finally:
        again.close()


def test_ctrl_c_at_a_prompt(tmp_path: Path, takes: dict[str, Path]) -> None:
    term = Terminal(kiosk("voice", "record", "--lang", "kpm", "--data-dir",
                          str(tmp_path / "data"), "--source", source(takes, "good"),
                          "--speaker", "null://"))
    try:
        term.expect(r"Enter: record")
        term.send("\x03")
        term.expect(r"stopped: 0 kept")
        assert term.wait() == 130
    finally:
        term.close()
    assert "Traceback" not in term.text


@pytest.mark.parametrize(("argv", "message"), [
    (["record", "--lang", "kpm"], "no microphone: set [devices] microphone"),
    (["record", "--lang", "xx", "--source", "sim://voice"], "--lang 'xx': not a language"),
    (["list", "--lang", "K'Ho"], "--lang \"K'Ho\": not a language"),
    (["record", "--lang", "kpm", "--source", "alsa://hw0"], "unknown microphone URL scheme"),
    (["record", "--lang", "kpm", "--source", "sim://voice", "--speaker", "beep://"],
     "unknown speaker URL scheme"),
    (["record", "--lang", "kpm", "--source", "sim://voice", "--speaker", "null://",
      "--only", "segments/z"], "--only 'segments/z': not an item of kpm"),
    (["record", "--lang", "kpm", "--source", "file:///no/such/take.wav"], "take.wav"),
])
def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                          argv: list[str], message: str) -> None:
    code = main(["voice", *argv, "--data-dir", str(tmp_path / "data")])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert err.startswith("kiosk: error:") and message in err and err.count("\n") == 1, err


def test_list_says_what_is_recorded(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["voice", "list", "--lang", "vi", "--data-dir", str(tmp_path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    cfg = replace(load_config(), data_dir=tmp_path)
    items = voice_items(cfg, "vi")
    assert lines[-1] == f"vi (Tiếng Việt): 0 of {len(items)} recorded"
    assert lines[0].startswith("[ ] attract") and "Chạm vào màn hình" in lines[0]
    assert any(line.startswith("[ ] segments/muoi_teen") and "Mười" in line for line in lines)
