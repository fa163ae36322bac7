"""The Voice tab of staff mode: the recording studio and typed translations (issue 13).

A staff member who speaks a language gives it the kiosk's voice: for each item
(kiosk/voice.py: every screen's sentence, then the number-call segments) the Vietnamese
sentence, where it plays and, for segments, what public sources write (a prompt for the
speaker, shown only here); Record and Stop with a live level meter, Listen, Keep or
Re-take, the take's problems in words. The work is kiosk/voice_studio.py's; this tab only
shows it. The microphone is opened for each take from `[devices] microphone` and closed
after it (a USB microphone plugged in between takes is found); takes are heard through
the app's speaker (kiosk/ui/speaker.py).

Translations: each interface string's Vietnamese text, what was typed for it and its
state; typing in a panel over the whole window (kiosk/ui/staff_typing.py), saved for
review (kiosk/typed_translations.py), reviewed by another staff member.
Checking a take and writing files run on worker threads (kiosk/ui/staff_work.py).
"""

from __future__ import annotations

import functools
import logging
import threading
from typing import TYPE_CHECKING, Any

from kivy.clock import Clock
from kivy.properties import (
    BooleanProperty,
    ListProperty,
    NumericProperty,
    OptionProperty,
    StringProperty,
)

from kiosk.i18n import N_, language_name, translate
from kiosk.ui.speaker import SpeakerOutput
from kiosk.ui.staff_screens import StaffTabBase
from kiosk.ui.staff_typing import TypingPanel
from kiosk.ui.staff_work import in_background, make

if TYPE_CHECKING:
    from kiosk.voice import VoiceItem
    from kiosk.voice_studio import Studio, Take

log = logging.getLogger(__name__)

PAGE_SIZE = 10  # rows per page of items or strings: a page is built in a frame or two
# Longer than any take may be (kiosk/voice_studio.py MAX_TAKE_SECONDS): a Record nobody
# stops ends by itself, and the take is then "too long".
AUTO_STOP_SECONDS = 32

NO_MICROPHONE = N_("No microphone is set up on this kiosk, so nothing can be recorded here. "
                   "Set [devices] microphone in the kiosk's config (a USB microphone), or "
                   "record with `kiosk voice record` on a computer.")
MICROPHONE_FAILED = N_("The microphone cannot be used: {reason}")
PROGRESS = N_("Recorded: {done} of {total}")
PAGE = N_("Page {page} of {pages}")
RECORDED = N_("Recorded")
NOT_RECORDED = N_("Not recorded yet")
RECORDING = N_("Recording… Say the sentence, then touch Stop.")
CHECKING = N_("Checking the take…")
TAKE_OK = N_("The take is good. Listen to it, then Keep it or Re-take.")
TAKE_BAD = N_("This take cannot be kept:")
KEPT = N_("Kept. It plays on the kiosk from now on.")
NOT_KEPT = N_("Not kept: {reason}")
NO_VIETNAMESE_TYPING = N_("Vietnamese is the reference language: its texts come with the "
                          "kiosk and are not typed here.")
TYPE_TEXT = N_("Type the translation")
TEXTS_PROGRESS = N_("Typed: {typed} of {total} (to review: {review})")
NOT_TYPED = N_("Not typed yet")
TO_REVIEW = N_("To review (typed by {name})")
REVIEWED = N_("Reviewed by {name}")
SAVED_FOR_REVIEW = N_("Saved. It is marked for review: another staff member checks it "
                      "before citizens see it.")
NOT_SAVED = N_("Not saved: {reason}")
REVIEW_DONE = N_("Reviewed. Citizens see this translation from now on.")
NOT_REVIEWED = N_("Not reviewed: {reason}")
OTHER_REVIEWER = N_("Another staff member must review what {name} typed.")


# Where the strings a citizen sees come from: the citizen screens' layouts and classes and
# the services whose messages reach them (staff screens speak only vi and en, so their
# strings are not typed in another language).
CITIZEN_SOURCES = ("kiosk/ui/kv/[!s]*.kv", "kiosk/ui/kv/search.kv", "kiosk/ui/kv/services.kv",
                   "kiosk/ui/app.py", "kiosk/ui/screens.py", "kiosk/ui/catalogue_screens.py",
                   "kiosk/ui/dossier_screens.py", "kiosk/ui/widgets.py", "kiosk/prompts.py",
                   "kiosk/ratings.py", "kiosk/dossier.py", "kiosk/scans.py")


@functools.cache
def citizen_msgids() -> tuple[str, ...]:
    """Every message id the citizen screens use, read from their sources as `pybabel
    extract` does (babel.cfg's keywords), and found in locales/kiosk.pot."""
    from babel.messages.extract import extract

    from kiosk.paths import ROOT
    from kiosk.typed_translations import _template_ids

    known = _template_ids()
    found: dict[str, None] = {}
    for pattern in CITIZEN_SOURCES:
        for path in sorted(ROOT.glob(pattern)):
            with open(path, "rb") as fh:
                for _line, message, _comments, _context in extract(
                        "python", fh, keywords={"tr": None, "tr_plain": None, "N_": None}):
                    if isinstance(message, str) and message in known:
                        found[message] = None
    return tuple(found)


class _Latest:
    """The newest value from another thread, delivered to `show(value, count)` on the Kivy
    clock at most once a frame (a microphone reports its level about 20 times a second);
    `count` is how many reports came in all."""

    def __init__(self, show: Any) -> None:
        self._show = show
        self._lock = threading.Lock()
        self._value: float | None = None
        self._count = 0

    def __call__(self, value: float) -> None:
        with self._lock:
            pending = self._value is not None
            self._value = value
            self._count += 1
        if not pending:
            Clock.schedule_once(self._deliver)

    def reset(self) -> None:
        with self._lock:
            self._value, self._count = None, 0

    def _deliver(self, _dt: float) -> None:
        with self._lock:
            value, self._value, count = self._value, None, self._count
        if value is not None:
            self._show(value, count)


class StudioTab(StaffTabBase):
    """The Voice tab: choose a language, then Recordings (the studio) or Translations."""

    lang = StringProperty("")
    languages = ListProperty([])
    part = OptionProperty("voice", options=["voice", "texts"])
    page = OptionProperty("items", options=["items", "item", "texts", "text"])
    microphone = StringProperty("")  # why nothing can be recorded, in words; "" = can
    progress_text = StringProperty("")
    page_text = StringProperty("")
    first = NumericProperty(0)  # the first row of the page shown
    rows = NumericProperty(0)  # rows in all
    # The item page.
    item_text = StringProperty("")  # the sentence in Vietnamese
    where_text = StringProperty("")
    hint_text = StringProperty("")
    state = OptionProperty("idle", options=["idle", "recording", "checking", "checked",
                                            "keeping"])
    status_text = StringProperty("")
    problems_text = StringProperty("")
    take_ok = BooleanProperty(False)
    has_recording = BooleanProperty(False)
    level = NumericProperty(0.0)  # the microphone's peak now, 0..1
    levels_seen = NumericProperty(0)  # level reports while recording (the tests wait on it)
    # The text page.
    msgid = StringProperty("")
    vi_text = StringProperty("")
    typed = StringProperty("")
    entry_text = StringProperty("")  # its state in words
    can_review = BooleanProperty(False)
    review_note = StringProperty("")
    working = BooleanProperty(False)

    def on_kv_post(self, base_widget) -> None:  # type: ignore[no-untyped-def]
        # The pages, declared in the .kv, shown one at a time (ids hold weak references).
        self._pages = {name: self.ids[f"{name}_page"].__self__
                       for name in ("items", "item", "texts", "text")}
        for page in self._pages.values():
            page.parent.remove_widget(page)
        self.studio: Studio | None = None
        self.item: VoiceItem | None = None
        self.take: Take | None = None
        self._source: Any = None
        self._level_in = _Latest(self._show_level)
        self._auto_stop = Clock.create_trigger(lambda _dt: self.stop(), AUTO_STOP_SECONDS)
        self.panel = TypingPanel(self)
        # The studio and the typed translations audit from worker threads: the staff
        # session is the Kivy thread's.
        self._audit = lambda action, detail: Clock.schedule_once(
            lambda _dt: self.control.act(action, detail))
        self.control.bind(holds_screen=lambda _c, held: None if held else self.hidden(),
                          lang=lambda *_a: self._refresh())

    # -- coming and going -----------------------------------------------------------------
    def shown(self) -> None:
        cfg = self.app.kiosk_config
        self.languages = list(cfg.known_languages)
        if self.lang not in self.languages:
            # The first offered language that has no voice yet, as a rule (K'Ho, Ê Đê).
            wanted = [lang for lang in cfg.languages if lang not in ("vi", "en")]
            wanted += [lang for lang in cfg.languages if lang != "vi"]
            self.lang = (wanted or list(self.languages))[0]
        self._make_studio()
        self._list_languages()
        self.show_part(self.part)
        # The Translations list reads the citizen screens' sources: once, off this thread.
        threading.Thread(target=citizen_msgids, name="studio-texts", daemon=True).start()

    def _list_languages(self) -> None:
        grid = self.ids.languages
        grid.clear_widgets()
        for lang in self.languages:
            button = make("StaffButton", text=language_name(lang),
                          kind="action" if lang == self.lang else "option")
            button.lang = lang
            button.bind(on_release=lambda b: self.choose_language(b.lang))
            grid.add_widget(button)

    def hidden(self) -> None:
        """Leaving the tab or staff mode: a take under way is dropped, the microphone
        closed, nothing keeps playing."""
        self._auto_stop.cancel()
        self.panel.close()
        if self.studio is not None:
            self.studio.close()
        self._close_source()
        if self.state == "recording":
            self.state = "idle"

    def _make_studio(self) -> None:
        from kiosk.voice_studio import Studio

        if self.studio is not None:
            self.studio.close()
        cfg = self.app.kiosk_config
        self.studio = Studio(cfg, self.lang, None, SpeakerOutput(self.app.speaker),  # type: ignore[arg-type]
                             audit=self._audit)
        self.microphone = "" if cfg.microphone_url else NO_MICROPHONE

    def choose_language(self, lang: str) -> None:
        if lang == self.lang:
            return
        self.hidden()
        self.lang = lang
        self._make_studio()
        self._list_languages()
        self.first = 0
        self.show_part(self.part)

    def show_part(self, part: str) -> None:
        self.part = part
        self.first = 0
        self._show_page("items" if part == "voice" else "texts")

    def _show_page(self, name: str) -> None:
        self.page = name
        body = self.ids.page
        body.clear_widgets()
        body.add_widget(self._pages[name])
        self.app.touch_guard.screen_shown()  # a double tap never acts on the new page
        self._refresh()
        # An item's or a text's page starts at the top of the view, where the tab's rows
        # end (on a landscape screen Keep would otherwise be below the fold), and stays
        # there while its layout grows over the next frames, until staff touch the tab.
        # The view follows the tab's height: worked out once, from the list's height, it
        # left a short page hanging low under an empty band.
        self._to_page = name in ("item", "text")
        self._scroll_to_page(top=not self._to_page)

    def on_height(self, _tab: object, _height: float) -> None:
        self._scroll_to_page()

    def on_touch_down(self, touch: Any) -> bool:
        if self.collide_point(*touch.pos):
            self._to_page = False  # staff scroll or touch: the view is theirs now
        return bool(super().on_touch_down(touch))

    def _scroll_to_page(self, top: bool = False) -> None:
        scroll = self.parent
        if scroll is None or not hasattr(scroll, "scroll_y") or not hasattr(self, "_to_page"):
            return
        room = self.height - scroll.height
        if top or room <= 0:
            scroll.scroll_y = 1  # from the tab's top (all of it, when it is short)
            return
        if not self._to_page:
            return
        # The rows above the page, from their heights: their positions are laid out a
        # frame after the height changes.
        rows = self.children[::-1]
        above = rows.index(self.ids.page)
        above = sum(row.height for row in rows[:above]) + above * self.spacing
        scroll.scroll_y = max(0.0, min(1.0, 1 - above / room))

    def _refresh(self) -> None:
        """The page shown, drawn again from the studio and the typed entries (after a
        keep, a save, the staff language switched)."""
        if self.studio is None:
            return
        if self.page == "items":
            self._list_items()
        elif self.page == "texts":
            self._list_texts()
        elif self.page == "item" and self.item is not None:
            self._show_item_texts()
        elif self.page == "text":
            self._show_entry()

    def tr(self, msgid: str) -> str:
        return self.control.tr(msgid)

    def _page_text(self) -> None:
        pages = max(1, -(-self.rows // PAGE_SIZE))
        self.page_text = self.tr(PAGE).format(page=self.first // PAGE_SIZE + 1, pages=pages)
        pager = self.ids.items_pager if self.page == "items" else self.ids.texts_pager
        pager.ids.where.text = self.page_text if self.rows else ""
        pager.ids.previous.disabled = self.first <= 0
        pager.ids.next.disabled = self.first + PAGE_SIZE >= self.rows

    def turn_page(self, step: int) -> None:
        first = self.first + step * PAGE_SIZE
        if 0 <= first < self.rows:
            self.first = first
            self._refresh()
            scroll = self.parent
            if scroll is not None and hasattr(scroll, "scroll_y"):
                scroll.scroll_y = 1

    # -- the items -------------------------------------------------------------------------
    def _list_items(self) -> None:
        studio = self.studio
        assert studio is not None
        items = studio.items()
        done, total = studio.progress()
        self.progress_text = self.tr(PROGRESS).format(done=done, total=total)
        self.rows = len(items)
        self._page_text()
        grid = self.ids.item_list
        grid.clear_widgets()
        for item in items[self.first:self.first + PAGE_SIZE]:
            recorded = studio.recorded(item) is not None
            row = make("StudioItemRow", item_id=item.id, recorded=recorded)
            row.text = self._sentence(item)
            state = self.tr(RECORDED if recorded else NOT_RECORDED)
            row.subtitle = f"{self.tr(item.where)} · {state}"
            row.bind(on_release=lambda r: self.open_item(r.item_id))
            grid.add_widget(row)

    @staticmethod
    def _sentence(item: VoiceItem) -> str:
        """What the speaker says, in Vietnamese (a service letter is the letter itself)."""
        return translate("vi", item.msgid) if len(item.msgid) > 1 else item.msgid

    def open_item(self, item_id: str) -> None:
        assert self.studio is not None
        self.item = self.studio.item(item_id)
        self.take = None
        self.state = "idle"
        self.level = 0
        self._show_page("item")

    def next_item(self) -> None:
        assert self.studio is not None and self.item is not None
        items = [item.id for item in self.studio.items()]
        i = items.index(self.item.id) + 1
        if self.state == "recording":
            self.hidden()
        if i < len(items):
            self.open_item(items[i])
        else:
            self.back_to_list()

    def back_to_list(self) -> None:
        if self.state == "recording":
            self.hidden()
        if self.studio is not None:
            self.studio.stop_listening()
        self.take = None
        self.state = "idle"
        self._show_page("items" if self.page == "item" else "texts")

    def _show_item_texts(self) -> None:
        item, studio = self.item, self.studio
        assert item is not None and studio is not None
        from kiosk.voice import hint_text

        self.item_text = self._sentence(item)
        self.where_text = self.tr(item.where)
        self.hint_text = hint_text(item.hint, self.control.lang) if item.hint else ""
        self.has_recording = studio.recorded(item) is not None
        self._status()

    def _status(self) -> None:
        if self.state == "recording":
            self.status_text, self.problems_text = self.tr(RECORDING), ""
        elif self.state in ("checking", "keeping"):
            self.status_text, self.problems_text = self.tr(CHECKING), ""
        elif self.state == "checked" and self.take is not None:
            from kiosk.voice_studio import problem_message

            self.take_ok = self.take.ok
            self.status_text = self.tr(TAKE_OK if self.take.ok else TAKE_BAD)
            self.problems_text = "\n".join(self.tr(problem_message(p))
                                           for p in self.take.problems)
        else:
            self.status_text = self.tr(RECORDED if self.has_recording else NOT_RECORDED)
            self.problems_text = ""

    # -- recording -------------------------------------------------------------------------
    def record_or_stop(self) -> None:
        """The Record button: it reads Stop while a take is under way."""
        if self.state == "recording":
            self.stop()
        else:
            self.record()

    def record(self) -> None:
        """Record (or Re-take): opens the microphone and starts a take of the item."""
        studio, item = self.studio, self.item
        if studio is None or item is None or self.state in ("recording", "checking",
                                                           "keeping"):
            return
        url = self.app.kiosk_config.microphone_url
        self.microphone = "" if url else NO_MICROPHONE
        if not url:
            self.say(NO_MICROPHONE, ok=False)
            return
        from drivers.sim.voice import open_microphone as open_source

        self.take, self.level, self.levels_seen = None, 0, 0
        self._level_in.reset()
        try:
            self._source = studio.source = open_source(url)
            studio.start(item, on_level=self._level_in)
        except Exception as exc:  # noqa: BLE001  (a microphone pulled out, PortAudio missing)
            log.warning("studio: microphone %s: %s", url, exc)
            self._close_source()
            self.say(MICROPHONE_FAILED, ok=False, reason=str(exc))
            return
        self.state = "recording"
        self._status()
        self._auto_stop()

    def _show_level(self, level: float, count: int) -> None:
        if self.state == "recording":
            self.level = max(0.0, min(1.0, level))
            self.levels_seen = count

    def stop(self) -> None:
        """Stop: the take is checked on a worker thread, then its problems shown."""
        studio = self.studio
        if studio is None or self.state != "recording":
            return
        self._auto_stop.cancel()
        self.state = "checking"
        self.level = 0
        self._status()
        self.working = True

        def checked(take: Take) -> None:
            self.working = False
            self._close_source()
            if self.item is None or take.item.id != self.item.id:
                return  # the page changed meanwhile
            self.take = take
            self.state = "checked"
            self._status()

        def failed(exc: Exception) -> None:
            self.working = False
            self._close_source()
            self.state = "idle"
            self._status()
            self.say(MICROPHONE_FAILED, ok=False, reason=str(exc))

        in_background("voice_check", studio.stop, checked, failed)

    def _close_source(self) -> None:
        source, self._source = self._source, None
        if source is not None:
            try:
                source.close()
            except Exception as exc:  # noqa: BLE001
                log.warning("studio: closing the microphone: %s", exc)

    def listen(self) -> None:
        """Listen: the take (as it would be kept), else what plays now for the item."""
        studio = self.studio
        if studio is None or self.item is None or self.state in ("recording", "checking"):
            return
        if self.app.speaking:
            studio.stop_listening()
            return
        try:
            studio.listen(self.take if self.take is not None else self.item)
        except LookupError:
            pass  # nothing recorded: the button is not offered

    def keep(self) -> None:
        studio, take = self.studio, self.take
        if studio is None or take is None or not take.ok or self.state != "checked":
            return
        studio.stop_listening()
        self.state = "keeping"
        self._status()
        self.working = True

        def kept(_path: object) -> None:
            self.working = False
            self.take = None
            self.state = "idle"
            self.say(KEPT)
            self._refresh()

        def failed(exc: Exception) -> None:
            self.working = False
            self.state = "checked"
            self._status()
            self.say(NOT_KEPT, ok=False, reason=str(exc))

        in_background("voice_keep", lambda: studio.keep(take), kept, failed, keep_open=True)

    # -- translations ----------------------------------------------------------------------
    def _msgids(self) -> list[str]:
        """The strings citizens see, by their Vietnamese text."""
        return sorted(citizen_msgids(), key=lambda m: translate("vi", m).casefold())

    def _entries(self) -> dict[str, Any]:
        from kiosk.typed_translations import typed_entries

        if self.lang == "vi":
            return {}
        return typed_entries(self.app.kiosk_config, self.lang)

    def _entry_words(self, entry: Any) -> str:
        if entry is None:
            return self.tr(NOT_TYPED)
        if entry.reviewed:
            return self.tr(REVIEWED).format(name=entry.reviewed_by or "")
        return self.tr(TO_REVIEW).format(name=entry.typed_by)

    def _list_texts(self) -> None:
        grid = self.ids.text_list
        grid.clear_widgets()
        if self.lang == "vi":
            self.rows = 0
            self.progress_text = self.tr(NO_VIETNAMESE_TYPING)
            self._page_text()
            return
        msgids, entries = self._msgids(), self._entries()
        review = sum(not e.reviewed for e in entries.values())
        self.progress_text = self.tr(TEXTS_PROGRESS).format(typed=len(entries),
                                                            total=len(msgids), review=review)
        self.rows = len(msgids)
        self._page_text()
        for msgid in msgids[self.first:self.first + PAGE_SIZE]:
            entry = entries.get(msgid)
            row = make("StudioTextRow", msgid=msgid)
            row.text = translate("vi", msgid)
            typed = f"{entry.text} · " if entry is not None else ""
            row.subtitle = typed + self._entry_words(entry)
            row.bind(on_release=lambda r: self.open_text(r.msgid))
            grid.add_widget(row)

    def open_text(self, msgid: str) -> None:
        entry = self._entries().get(msgid)
        self.msgid = msgid
        self.typed = entry.text if entry is not None else ""
        self._show_page("text")

    def open_typing(self) -> None:
        """Type the translation: the typing panel, over the whole window."""
        if self.page == "text" and not self.working:
            self.panel.start(self.lang, self.msgid, translate("vi", self.msgid), self.typed)

    def _show_entry(self) -> None:
        from kiosk.typed_translations import _same_person

        entry = self._entries().get(self.msgid)
        self.vi_text = translate("vi", self.msgid)
        self.entry_text = self._entry_words(entry)
        who = self.control.who
        typist = entry.typed_by if entry is not None else ""
        self.can_review = bool(entry is not None and not entry.reviewed
                               and not _same_person(typist, who))
        self.review_note = (self.tr(OTHER_REVIEWER).format(name=typist)
                            if entry is not None and not entry.reviewed and not self.can_review
                            else "")

    def save_text(self, text: str) -> None:
        """The typing panel's Save: stored for review on a worker thread; the panel closes
        when it is, and says why when it is not."""
        from kiosk.typed_translations import save_typed

        cfg, lang, msgid, who = self.app.kiosk_config, self.lang, self.msgid, self.control.who
        self.working = self.panel.working = True

        def saved(_path: object) -> None:
            self.working = self.panel.working = False
            self.typed = text
            self.panel.close()
            self.say(SAVED_FOR_REVIEW)
            self._refresh()

        def failed(exc: Exception) -> None:
            self.working = self.panel.working = False
            self.panel.message = self.tr(NOT_SAVED).format(reason=self._reason(exc))

        in_background("translation_save",
                      lambda: save_typed(cfg, lang, msgid, text, who, audit=self._audit),
                      saved, failed, keep_open=True)

    def review_text(self) -> None:
        from kiosk.typed_translations import mark_reviewed

        cfg, lang, msgid, who = self.app.kiosk_config, self.lang, self.msgid, self.control.who
        self.working = True

        def reviewed(_result: object) -> None:
            self.working = False
            self.say(REVIEW_DONE)
            self._refresh()

        def failed(exc: Exception) -> None:
            self.working = False
            self.say(NOT_REVIEWED, ok=False, reason=self._reason(exc))

        in_background("translation_review",
                      lambda: mark_reviewed(cfg, lang, msgid, who, audit=self._audit),
                      reviewed, failed, keep_open=True)

    def on_working(self, _tab: object, working: bool) -> None:
        if working:
            self.can_review = False

    def _reason(self, exc: Exception) -> str:
        """Why a translation was refused, in the staff's language where it can say."""
        text = getattr(exc, "text", None)
        return text(self.control.lang) if callable(text) else str(exc)
