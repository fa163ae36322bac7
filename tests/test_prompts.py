"""Voice prompts: what to record, and what is recorded."""

from __future__ import annotations

import json
import wave
from dataclasses import replace
from pathlib import Path

import pytest

from kiosk.cli import main
from kiosk.i18n import translate
from kiosk.paths import LOCALES
from kiosk.prompts import PROMPTS, find_recording, prompt_for, recording_script


def test_every_prompt_is_a_translated_screen_sentence() -> None:
    from babel.messages.pofile import read_po

    with open(LOCALES / "kiosk.pot", "rb") as fh:
        ids = {m.id for m in read_po(fh) if m.id}
    assert set(PROMPTS.values()) <= ids


def test_every_screen_has_a_prompt() -> None:
    from kiosk.session import Screen

    assert {s.value for s in Screen} <= set(PROMPTS)


def test_a_ticket_that_did_not_print_has_its_own_prompt() -> None:
    from kiosk.session import Feature, Screen, Session
    from kiosk.tickets import IssuedTicket

    s = Session(("vi",))
    s.start()
    s.choose_language("vi")
    s.open_feature(Feature.TAKE_NUMBER)
    assert prompt_for(s) == "services"
    s.choose_service("A")
    ticket = IssuedTicket("id", "A001", "A", "", 0, None, printed=False, pending=True)
    s.ticket_issued(ticket, s.visit)
    assert prompt_for(s) == "ticket"  # still printing
    s.ticket_printed(replace(ticket, pending=False), s.visit)
    assert s.screen is Screen.TICKET and prompt_for(s) == "ticket_not_printed"


def test_a_recording_is_found_only_in_its_own_language(tmp_path: Path) -> None:
    (tmp_path / "kpm").mkdir()
    with wave.open(str(tmp_path / "kpm" / "home.wav"), "wb") as w:  # a silent stand-in file
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\x00\x00" * 800)
    assert find_recording("kpm", "home", tmp_path) == tmp_path / "kpm" / "home.wav"
    assert find_recording("vi", "home", tmp_path) is None  # no borrowing across languages
    script = {row["file"]: row for row in recording_script("kpm", tmp_path)}
    assert script["kpm/home.ogg"]["recorded"] == "yes"
    assert script["kpm/attract.ogg"] == {"file": "kpm/attract.ogg", "recorded": "no",
                                         "text": translate("kpm", PROMPTS["attract"])}


def test_prompts_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["i18n", "prompts", "--lang", "kpm", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    prompts = [r for r in rows if r["kind"] == "prompt"]
    assert len(prompts) == len(PROMPTS) and all(r["recorded"] == "no" for r in rows)
    # Then the number-call segments (kiosk/voice.py), with their files.
    segments = [r["file"] for r in rows if r["kind"] == "segment"]
    assert rows[len(PROMPTS):] == [r for r in rows if r["kind"] == "segment"]
    assert {"kpm/segments/invite.ogg", "kpm/segments/0.ogg", "kpm/segments/a.ogg"} <= set(
        segments)
