"""Pictures and words for those who read little: what the screen shows, seen as a citizen
sees it (issue 10, item 4)."""

from __future__ import annotations

from kivy.uix.image import Image

from kiosk.i18n import language_name, translate
from kiosk.session import Feature
from kiosk.ui.journey import service_button
from kiosk.ui.widgets import icon_path


def pictures(widget) -> list[str]:  # type: ignore[no-untyped-def]
    """The sources of the pictures drawn inside `widget` (shown, with a size)."""
    found: list[str] = []
    todo = [widget]
    while todo:
        w = todo.pop()
        if isinstance(w, Image) and w.source and w.opacity > 0 and min(w.size) > 0:
            found.append(w.source)
        todo += w.children
    return found


def test_every_service_area_shows_its_own_pictogram(k) -> None:  # type: ignore[no-untyped-def]
    k.session.start()
    k.session.choose_language("vi")
    k.session.skip_identify()
    k.session.open_feature(Feature.TAKE_NUMBER)
    k.harness.settle()
    shown = []
    for area in k.app.kiosk_config.services:
        button = service_button(k.app, area.letter)
        assert pictures(button) == [icon_path(area.icon)], area.letter
        shown.append(area.icon)
    assert len(set(shown)) == len(shown) > 1


def test_skip_has_a_picture_of_its_own_not_the_back_arrow(k) -> None:  # type: ignore[no-untyped-def]
    k.session.start()
    k.session.choose_language("vi")
    k.harness.settle()
    skip = pictures(k.app.screen("identify").ids.skip)
    back = pictures(k.app.navbar.ids.back_button)
    assert len(skip) == 1 and len(back) == 1
    assert skip != back


def test_the_text_size_button_says_which_size_is_on(k) -> None:  # type: ignore[no-untyped-def]
    k.session.start()
    k.session.choose_language("vi")
    k.harness.settle()
    button = k.app.navbar.ids.text_size_button
    words = []
    for _ in range(3):
        words.append(button.text)
        k.harness.tap(button)
        k.harness.next_frame()
    assert words[0] != words[1] != words[2] != words[0], words
    assert button.text == words[0]  # round again: normal
    assert all(w.startswith(translate("vi", "Text size").split()[0]) for w in words), words


def test_the_attract_screen_greets_in_every_offered_language(k) -> None:  # type: ignore[no-untyped-def]
    attract = k.app.screen("attract")
    languages = k.app.kiosk_config.languages
    prompts = list(attract.prompts)
    assert len(prompts) == len(languages), prompts
    for lang, prompt in zip(languages, prompts, strict=True):
        if translate(lang, "Touch the screen to start") == translate("vi", "Touch the screen "
                                                                      "to start") != "":
            if lang != "vi":  # no translation: the language's own name shows it is meant
                assert language_name(lang) in prompt, (lang, prompt)
        assert translate(lang, "Touch the screen to start") in prompt, (lang, prompt)
    seen = set()
    for _ in languages:  # one cycle, a clock tick at a time
        attract._next_prompt(0)
        seen.add(attract.ids.prompt.text)
    assert seen == set(prompts)
