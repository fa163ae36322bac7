"""A whole language given its voice through staff mode alone: every prompt and every
number-call segment recorded, item after item, with the test microphone (drivers/audio
file://, drivers/sim/voice.py test audio: not a voice) by real touches on the Voice tab;
then the report counts them all and the kiosk speaks that language (docs/architecture.md,
Voice)."""

from __future__ import annotations

import shutil
from dataclasses import replace

import test_staff_mode
from test_rating import go_home
from test_staff_mode import sign_in, tap, tap_in_tab
from test_voice_studio import choose, item_row, starts, studio_tab, wait_quiet

from drivers.sim.voice import write_test_takes
from kiosk.content import audio_dirs, content_dir, language_report
from kiosk.voice import assemble, call_segments, ticket_segments, voice_items
from kiosk.voice_studio import studio_file_of

staff = test_staff_mode.s
LANG, LANG_NAME = "rad", "Klei Êđê"
SPEED = 32  # the test take (2 s) heard in about 0.06 s


def test_every_prompt_and_segment_of_a_language_recorded_in_staff_mode(
        staff, tmp_path) -> None:  # type: ignore[no-untyped-def]
    k = staff
    takes = write_test_takes(tmp_path / "takes")
    original = k.app.kiosk_config
    k.app.kiosk_config = cfg = replace(original,
                                       microphone_url=f"file://{takes['good']}?speed={SPEED}")
    items = voice_items(cfg, LANG)
    [before] = language_report(cfg, [LANG], None)
    assert (before.prompts_recorded, before.segments_recorded) == (0, 0)
    try:
        sign_in(k)
        tab = studio_tab(k)
        choose(k, tab, LANG_NAME)
        assert tab.progress_text == f"Đã ghi: 0 trên {len(items)}", tab.progress_text
        tap_in_tab(k, item_row(k, tab, items[0].id))
        for item in items:
            assert tab.page == "item" and tab.item.id == item.id
            tap_in_tab(k, tab.ids.record)
            # 2 s of test take: 20 level reports per second of audio (drivers/audio capture).
            k.harness.wait_until(lambda: tab.levels_seen >= 45, "the take to be heard")
            tap_in_tab(k, tab.ids.record)  # now Stop
            k.harness.wait_until(lambda: tab.state == "checked", "the take's check")
            k.harness.settle()
            assert tab.take_ok, (item.id, tab.ids.problems.text)
            tap_in_tab(k, tab.ids.keep)
            k.harness.wait_until(lambda item=item: tab.state == "idle"
                                 and studio_file_of(cfg, LANG, item) is not None, "the keep")
            k.harness.settle()
            tap_in_tab(k, tab.ids.next_item)
            k.harness.settle()
        assert tab.page == "items"  # after the last item, back to the list
        assert tab.progress_text == f"Đã ghi: {len(items)} trên {len(items)}"

        [after] = language_report(cfg, [LANG], None)
        assert (after.prompts_missing, after.segments_missing) == (0, 0)
        assert after.prompts_recorded + after.segments_recorded == len(items)
        # The lobby display can call any number of the centre's services in it.
        for area in cfg.services:
            for counter in area.counters:
                names = call_segments(LANG, f"{area.letter}107", counter)
                assert assemble(LANG, names, audio_dirs(cfg)) is not None
        assert assemble(LANG, ticket_segments(LANG, "A001"), audio_dirs(cfg)) is not None

        tap(k, k.app.screen("staff").ids.leave)
        k.harness.settle()
        # An Ê Đê citizen hears the Home prompt the studio kept.
        said = len(starts(k))
        go_home(k, LANG_NAME)
        k.harness.wait_until(lambda: len(starts(k)) > said, "the Ê Đê prompt")
        home = next(item for item in items if item.id == "home")
        assert k.app.prompt_playing == studio_file_of(cfg, LANG, home)
        wait_quiet(k)
    finally:
        k.app.kiosk_config = original
        k.session.end()
        shutil.rmtree(content_dir(original) / "audio", ignore_errors=True)
