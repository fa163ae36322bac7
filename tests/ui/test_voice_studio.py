"""The Voice tab of staff mode and the kiosk's voice, through real touches: a take recorded
from the test microphone (drivers/audio file://, a drivers/sim/voice.py take: not a voice)
is checked, heard, kept, and then plays on its screen in its language only; the ticket
screen says the number from segments or gives the chime; a translation typed on the
on-screen keyboard is saved for review and reviewed by another staff member. What the
kiosk says is read from the test speaker's WAV and log (tests/ui/conftest.py)."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import test_staff_mode
from test_journey import take_ticket, tap_through_to_services
from test_rating import go_home
from test_staff_mode import (
    NAME,
    choose_name,
    gesture,
    open_tab,
    shown,
    sign_in,
    tap,
    tap_in_tab,
    type_pin,
)

from drivers.audio.clip import read_clip, resample, write_clip
from drivers.sim.voice import speech_like, write_test_takes
from kiosk.content import audio_dirs, content_dir
from kiosk.i18n import translate
from kiosk.pins import hash_pin
from kiosk.store.staff import StaffStore, name_key
from kiosk.ui.harness import visible
from kiosk.ui.prompts_player import CHIME
from kiosk.voice import assemble, ticket_segments

REVIEWER, REVIEWER_PIN = "Hùng", "7391"
# tests/ui/test_staff_mode.py's fixture: the kiosk on attract, staff mode's clock following
# the hand-moved one, one staff member who can sign in.
staff = test_staff_mode.s


def speaker(k) -> Path:  # type: ignore[no-untyped-def]
    return k.app.kiosk_config.data_dir / "speaker.wav"


def said(k) -> list[dict]:  # type: ignore[no-untyped-def]
    """The test speaker's log: a start line per clip (its length), then end or stopped."""
    path = speaker(k).with_name("speaker.wav.log.jsonl")
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line]


def starts(k) -> list[dict]:  # type: ignore[no-untyped-def]
    return [line for line in said(k) if line["event"] == "start"]


def wait_quiet(k) -> None:  # type: ignore[no-untyped-def]
    """Until the speaker has finished what it was saying (its end is in the log)."""
    k.harness.wait_until(lambda: not k.app.speaking
                         and len(starts(k)) == len([x for x in said(k) if x["event"] != "start"]),
                         "the speaker to finish")


def last_clip(k) -> np.ndarray:  # type: ignore[no-untyped-def]
    """The samples of the last clip the speaker played, from its WAV (PCM16, 48 kHz)."""
    lines = said(k)
    offset = sum(x["frames"] for x in lines[:-2] if x["event"] != "start")
    assert lines[-2]["event"] == "start" and lines[-1]["event"] == "end", lines[-2:]
    clip = read_clip(speaker(k))
    return clip.samples[offset:offset + lines[-1]["frames"]]


def studio_tab(k):  # type: ignore[no-untyped-def]
    tab = open_tab(k, "studio")
    k.harness.settle()
    return tab


def choose(k, tab, lang_name: str) -> None:  # type: ignore[no-untyped-def]
    [button] = [b for b in tab.ids.languages.children if b.text == lang_name]
    tap_in_tab(k, button)
    k.harness.settle()


def find_row(k, tab, rows, key: str, value: str):  # type: ignore[no-untyped-def]
    """The row whose `key` is `value`, turning pages (Next page) until it is on one."""
    for _ in range(40):
        found = [row for row in rows.children if getattr(row, key) == value]
        if found:
            return found[0]
        pager = rows.parent.children[0]
        assert not pager.ids.next.disabled, f"{value} is on no page"
        first = tab.first
        tap_in_tab(k, pager.ids.next)
        k.harness.wait_until(lambda first=first: tab.first != first, "the next page", 300)
        k.harness.settle()
    raise AssertionError(f"{value} not found")


def item_row(k, tab, item_id: str):  # type: ignore[no-untyped-def]
    return find_row(k, tab, tab.ids.item_list, "item_id", item_id)


def take(k, tab, microphone: str):  # type: ignore[no-untyped-def]
    """Record (or Re-take) with the test microphone hearing `microphone` (a WAV), Stop once
    it has heard the whole take, then wait for its check."""
    k.app.kiosk_config = replace(k.app.kiosk_config,
                                 microphone_url=f"file://{microphone}?speed=8")
    button = tab.ids.retake if tab.state == "checked" else tab.ids.record
    tap_in_tab(k, button)
    assert tab.state == "recording"
    # 2 s of take (lead, sentence, tail) at 8x: 20 level reports a second of audio.
    k.harness.wait_until(lambda: tab.levels_seen >= 50, "the take to be heard")
    tap_in_tab(k, tab.ids.record)  # now Stop
    k.harness.wait_until(lambda: tab.state == "checked", "the take's check")
    k.harness.settle()


def test_a_take_is_checked_heard_kept_and_then_plays_on_its_screen_in_its_language_only(
        staff, tmp_path) -> None:  # type: ignore[no-untyped-def]
    k = staff
    takes = write_test_takes(tmp_path / "takes")
    original = k.app.kiosk_config
    kept = content_dir(original) / "audio" / "kpm" / "home.ogg"
    try:
        sign_in(k)
        tab = studio_tab(k)
        choose(k, tab, "Kơho")
        assert tab.progress_text.startswith("Đã ghi: 0 trên "), tab.progress_text
        tap_in_tab(k, item_row(k, tab, "home"))
        assert tab.page == "item"
        assert tab.ids.sentence.text == translate("vi", "What would you like to do?")
        assert tab.ids.where.text.startswith("Màn hình"), tab.ids.where.text
        # Too loud: the problem in words, and Keep cannot be touched.
        take(k, tab, takes["clipped"])
        assert "Quá to" in tab.ids.problems.text and tab.ids.problems.opacity == 1
        assert tab.ids.keep.disabled and not kept.exists()
        tap_in_tab(k, tab.ids.keep)
        assert not kept.exists()
        # Silence: the same.
        take(k, tab, takes["silence"])
        assert "Không nghe thấy gì" in tab.ids.problems.text and tab.ids.keep.disabled
        # A good take: heard back through the kiosk's speaker, then kept.
        take(k, tab, takes["good"])
        assert tab.take_ok and tab.ids.problems.text == "" and not tab.ids.keep.disabled
        before = len(starts(k))
        tap_in_tab(k, tab.ids.listen)
        k.harness.wait_until(lambda: len(starts(k)) > before, "the take played back")
        wait_quiet(k)
        heard = starts(k)[-1]
        assert 1.2 <= heard["seconds"] < 2.0, heard  # trimmed: the sentence and its margins
        assert heard["volume"] == k.app.kiosk_config.volume / 100  # the staff setting
        tap_in_tab(k, tab.ids.keep)
        k.harness.wait_until(lambda: kept.exists() and tab.state == "idle", "the keep")
        k.harness.settle()
        assert k.app.screen("staff").notice.startswith("Đã giữ"), k.app.screen("staff").notice
        assert tab.status_text == "Đã ghi"
        tap_in_tab(k, tab.ids.all_items)
        assert tab.progress_text.startswith("Đã ghi: 1 trên "), tab.progress_text
        tap(k, k.app.screen("staff").ids.leave)
        k.harness.settle()
        # A K'Ho citizen hears it on Home; a Vietnamese one hears nothing there.
        before = len(starts(k))
        go_home(k, "Kơho")
        k.harness.wait_until(lambda: len(starts(k)) > before, "the K'Ho prompt")
        assert k.app.prompt_playing == kept
        wait_quiet(k)
        assert abs(starts(k)[-1]["seconds"] - read_clip(kept).seconds) < 0.01
        assert starts(k)[-1]["volume"] == k.app.kiosk_config.volume / 100
        k.session.end()
        k.harness.settle()
        before = len(said(k))
        go_home(k, "Tiếng Việt")
        k.harness.settle()
        assert k.app.prompt_playing is None and not k.app.prompt_available
        assert len(said(k)) == before or all(x["event"] == "stopped" for x in said(k)[before:])
    finally:
        k.app.kiosk_config = original
        k.session.end()
        shutil.rmtree(content_dir(original) / "audio", ignore_errors=True)


def write_segments(folder: Path, lang: str, names: list[str]) -> None:
    """Test audio (not a voice) for each segment, each of its own length."""
    (folder / lang / "segments").mkdir(parents=True, exist_ok=True)
    for i, name in enumerate(names):
        clip = speech_like(0.3 + 0.05 * i, seed=10 + i, lead=0.05, tail=0.05)
        write_clip(folder / lang / "segments" / f"{name}.ogg", clip)


def test_the_ticket_screen_says_the_number_in_the_citizen_s_language_or_the_chime(k) -> None:  # type: ignore[no-untyped-def]
    folder = content_dir(k.app.kiosk_config) / "audio"
    write_segments(folder, "kpm", ["your_number", "a", *"0123456789"])
    chime = len(resample(read_clip(CHIME), 48000).samples)
    try:
        tap_through_to_services(k, "Kơho")
        before = len(starts(k))
        take_ticket(k, "A")
        number = k.app.last_ticket.number
        # While the number is said the speaking indicator is on the glass.
        k.harness.wait_until(lambda: k.app.speaking, "the number said")
        bar = k.app.root.children[1]
        indicator = bar.ids.speaking
        assert bar.height > 0 and visible(indicator) and indicator.width > 0
        wait_quiet(k)
        assert len(starts(k)) == before + 1  # one clip: the number, nothing else
        expected = assemble("kpm", ticket_segments("kpm", number), audio_dirs(k.app.kiosk_config))
        assert expected is not None
        heard = last_clip(k)
        want = resample(expected, 48000).samples * k.app.speaker.volume
        assert len(heard) == len(want)
        assert np.max(np.abs(heard - want)) < 2e-3  # the segments, in order, at the volume
        assert not visible(indicator)
        k.session.end()
        # A segment missing: the chime only, never a voice from another language.
        (folder / "kpm" / "segments" / "your_number.ogg").unlink()
        tap_through_to_services(k, "Kơho")
        take_ticket(k, "A")
        k.harness.wait_until(lambda: k.app.speaking, "the chime")
        wait_quiet(k)
        assert starts(k)[-1]["frames"] == chime
        k.session.end()
        # Vietnamese has no segments here: the chime as well, not the K'Ho voice.
        tap_through_to_services(k, "Tiếng Việt")
        take_ticket(k, "A")
        k.harness.wait_until(lambda: k.app.speaking, "the chime")
        wait_quiet(k)
        assert starts(k)[-1]["frames"] == chime
    finally:
        k.session.end()
        shutil.rmtree(folder, ignore_errors=True)


def test_a_translation_typed_on_the_keyboard_waits_for_another_staff_member_s_review(
        staff) -> None:  # type: ignore[no-untyped-def]
    from kiosk.typed_translations import typed_entries, typed_locales

    k = staff
    store = StaffStore(k.store.engine)
    if store.get(REVIEWER) is None:
        store.add(REVIEWER, hash_pin(REVIEWER_PIN), None, datetime.now(UTC))
    store.clear_failures(name_key(REVIEWER))
    cfg = k.app.kiosk_config
    msgid = "Last change: {date}"
    try:
        sign_in(k)
        tab = studio_tab(k)
        choose(k, tab, "Kơho")
        tap_in_tab(k, tab.ids.part_texts)
        k.harness.settle()
        row = find_row(k, tab, tab.ids.text_list, "msgid", msgid)
        assert row.text == translate("vi", msgid) and "Chưa nhập" in row.subtitle
        tap_in_tab(k, row)
        assert tab.page == "text"
        # Type the translation: the typing panel over the whole window, Save greyed until
        # something is typed. A text without the sentence's {date} is refused, in words,
        # on the panel; Cancel drops what was typed.
        tap_in_tab(k, tab.ids.type_text)
        panel, keyboard = tab.panel, tab.panel.ids.keyboard
        assert panel.is_open and panel.ids.vi_text.text == translate("vi", msgid)
        assert keyboard.ids.save.disabled
        def keys() -> dict:  # the keys drawn now (each opening draws the sentence's)
            return {key.key.value: key for block in keyboard.ids.blocks.children
                    for key in block.children}

        tap(k, keys()["ƀ"])
        assert panel.ids.typed.text == "ƀ|" and not keyboard.ids.save.disabled
        tap(k, keyboard.ids.save)
        k.harness.wait_until(lambda: panel.message, "the refusal")
        k.harness.settle()
        assert panel.is_open and panel.ids.message.opacity == 1
        assert panel.ids.message.text == ("Chưa lưu được: Giữ nguyên các từ trong ngoặc nhọn "
                                          "như bản gốc: {date}.")
        tap(k, keyboard.ids.cancel)
        k.harness.settle()
        assert not panel.is_open and tab.page == "text" and tab.typed == ""
        assert msgid not in typed_entries(cfg, "kpm")
        tap_in_tab(k, tab.ids.type_text)
        assert panel.is_open and panel.text == ""
        keys_now = keys()
        # Letters of the language (not a word): ƀ, ơ with a breve and a grave, ñ, then
        # the sentence's {date} whole, a capital after Shift.
        ids = keyboard.ids
        for key in (keys_now["ƀ"], keys_now["ơ\u0306"], keys_now["\u0300"], ids.space,
                    keys_now["ñ"], ids.space, keys_now["{date}"], ids.space, ids.shift,
                    keys_now["ƀ"]):
            tap(k, key)
        typed = "ƀơ\u0306\u0300 ñ {date} Ƀ"
        assert panel.text == typed and panel.ids.typed.text == typed + "|"
        tap(k, ids.save)
        k.harness.wait_until(lambda: not tab.working and k.app.screen("staff").notice,
                             "the save")
        k.harness.settle()
        # Saved: back on the text's page, which shows it.
        assert not panel.is_open and tab.page == "text" and tab.ids.typed.text == typed
        entry = typed_entries(cfg, "kpm")[msgid]
        assert entry.text == typed and not entry.reviewed and entry.typed_by == NAME
        assert tab.ids.entry_state.text == f"Chờ duyệt (do {NAME} nhập)"
        # The typist cannot review their own text; the kiosk still shows Vietnamese.
        assert tab.ids.review.disabled and NAME in tab.ids.review_note.text
        assert k.app.tr(msgid, "kpm").startswith(translate("vi", msgid))
        tap(k, k.app.screen("staff").ids.leave)
        k.harness.settle()
        # Another staff member reviews it.
        gesture(k)
        choose_name(k, REVIEWER)
        type_pin(k, REVIEWER_PIN)
        tab = studio_tab(k)
        assert tab.lang == "kpm" and tab.page == "texts"
        row = find_row(k, tab, tab.ids.text_list, "msgid", msgid)
        assert row.subtitle == f"{typed} · Chờ duyệt (do {NAME} nhập)"
        tap_in_tab(k, row)
        assert not tab.ids.review.disabled
        tap_in_tab(k, tab.ids.review)
        k.harness.wait_until(lambda: not tab.working and typed_entries(cfg, "kpm")[msgid].reviewed,
                             "the review")
        k.harness.settle()
        assert typed_entries(cfg, "kpm")[msgid].reviewed_by == REVIEWER
        assert k.app.tr(msgid, "kpm") == typed  # no fallback mark: citizens see it now
        # A typing panel left open goes with staff mode: the next citizen sees attract.
        tap_in_tab(k, tab.ids.type_text)
        assert tab.panel.is_open and tab.panel.text == typed
        k.clock.now += 121
        k.harness.wait_until(lambda: not k.app.staff.holds_screen, "the idle logout")
        k.harness.settle()
        assert not tab.panel.is_open and shown(k) == "attract"
    finally:
        k.app.staff.leave()
        shutil.rmtree(typed_locales(cfg), ignore_errors=True)
        from kiosk.i18n import forget_catalogues

        forget_catalogues()

