"""The procedure screens: categories, the procedures of one, one procedure's checklist,
and search. Their content comes from the catalogue (app.catalogue) in the citizen's
language, not from gettext, and is rebuilt on entry."""

from __future__ import annotations

from collections.abc import Callable

from kivy.app import App
from kivy.factory import Factory
from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.screenmanager import Screen
from kivy.uix.widget import Widget

from kiosk.catalogue import Catalogue, Localized, pick
from kiosk.i18n import FALLBACK_LANG, FALLBACK_MARK
from kiosk.ui.widgets import delete_key, scroll_to_top


def marked(text: Localized[str]) -> str:
    """Catalogue text for the screen: where Vietnamese stands in for the citizen's
    language it carries the same small mark as the interface strings (kiosk.i18n)."""
    return text.value + FALLBACK_MARK if text.fell_back else text.value


class WidgetPool:
    """The rows a screen rebuilds on every visit, kept for the next rebuild.

    Creating a Kivy widget applies its kv rules, about a fifth of a procedure screen's
    switch time under software GL; a kept one only gets new words. ``make(kind)``
    creates a widget of a kind (and binds its handlers, once)."""

    def __init__(self, make: Callable[[str], Widget]) -> None:
        self._make = make
        self._kept: dict[str, list[Widget]] = {}
        self._used: dict[str, int] = {}

    def start(self, box: Widget) -> None:
        """Empties `box` for a rebuild; every kept widget is free again."""
        box.clear_widgets()
        self._used.clear()

    def make_one(self, needed: dict[str, int]) -> bool:
        """Makes one more kept widget of the first kind that has fewer than `needed`
        says; False when none is short."""
        for kind, count in needed.items():
            kept = self._kept.setdefault(kind, [])
            if len(kept) < count:
                kept.append(self._make(kind))
                return True
        return False

    def kept(self, kind: str) -> int:
        """How many widgets of `kind` are kept."""
        return len(self._kept.get(kind, []))

    def take(self, kind: str) -> Widget:
        kept = self._kept.setdefault(kind, [])
        used = self._used.get(kind, 0)
        if used == len(kept):
            kept.append(self._make(kind))
        self._used[kind] = used + 1
        return kept[used]


class CatalogueScreen(Screen):
    """Base for the procedure screens: content comes from app.catalogue and is rebuilt on
    entry and when the language changes (texts are per language, not gettext)."""

    def on_kv_post(self, base_widget) -> None:  # type: ignore[no-untyped-def]
        self.pool = WidgetPool(self.make)

        def rebuild_if_shown(*_args) -> None:  # type: ignore[no-untyped-def]
            if self.manager and self.manager.current == self.name:
                self.rebuild()
                scroll_to_top(self)  # new words, new lengths: read again from the top

        App.get_running_app().bind(lang=rebuild_if_shown, text_scale=rebuild_if_shown)

    def on_pre_enter(self, *_args) -> None:  # type: ignore[no-untyped-def]
        self.rebuild()

    def rebuild(self) -> None:
        raise NotImplementedError

    def rows_needed(self, catalogue: Catalogue) -> dict[str, int]:
        """How many rows of each kind the largest visit of this screen shows."""
        return {}

    def make_one_row(self, catalogue: Catalogue) -> bool:
        """Makes one of the rows a visit will need, ahead of it (after the first frame,
        one per frame: kiosk/ui/startup.py); False when they are all made. The first
        citizen to open the procedures then waits no longer than the next."""
        return self.pool.make_one(self.rows_needed(catalogue))

    def make(self, kind: str) -> Widget:
        """A new row of a kind for self.pool (Factory class name)."""
        return getattr(Factory, kind)()


class CategoriesScreen(CatalogueScreen):
    starter = BooleanProperty(True)

    def make(self, kind: str) -> Widget:
        button = Factory.IconButton(icon="procedures", orientation="horizontal",
                                    icon_size=72, size_hint_y=None)
        app = App.get_running_app()
        button.bind(on_release=lambda b: app.choose_category(b.category))
        return button

    def rows_needed(self, catalogue: Catalogue) -> dict[str, int]:
        return {"category": len(catalogue.categories())}

    def rebuild(self) -> None:
        app = App.get_running_app()
        catalogue = app.catalogue
        self.starter = bool(catalogue and catalogue.starter)
        box = self.ids.choices
        self.pool.start(box)
        for key in catalogue.categories() if catalogue else []:
            button = self.pool.take("category")
            button.text = marked(catalogue.category_name(key, app.lang))
            button.category = key
            button.height = max(150, 130 * app.text_scale)
            box.add_widget(button)


class ProceduresScreen(CatalogueScreen):
    title = StringProperty("")

    def make(self, kind: str) -> Widget:
        button = Factory.IconButton(orientation="horizontal", size_hint_y=None)
        app = App.get_running_app()
        button.bind(on_release=lambda b: app.choose_procedure(b.code))
        return button

    def rows_needed(self, catalogue: Catalogue) -> dict[str, int]:
        return {"procedure": max((len(catalogue.in_category(key))
                                  for key in catalogue.categories()), default=0)}

    def rebuild(self) -> None:
        app = App.get_running_app()
        catalogue, key = app.catalogue, app.category
        box = self.ids.choices
        self.pool.start(box)
        if catalogue is None or key is None:
            return
        self.title = marked(catalogue.category_name(key, app.lang))
        for proc in catalogue.in_category(key):
            button = self.pool.take("procedure")
            button.text = marked(catalogue.text(proc, "name", app.lang))
            button.code = proc.code
            button.height = max(140, 180 * app.text_scale)  # long names: up to 3 lines
            box.add_widget(button)


class ProcedureScreen(CatalogueScreen):
    """What to bring and what happens, as a checklist, in the citizen's language."""

    title = StringProperty("")

    HEADINGS = 6  # who it is for, documents, fee, time limit, steps, counter

    def rows_needed(self, catalogue: Catalogue) -> dict[str, int]:
        # As rebuild() lays them out, in Vietnamese (other languages have as many steps).
        procedures = [proc for key in catalogue.categories() for proc in catalogue.in_category(key)]
        return {
            "DetailHeading": self.HEADINGS,
            "DetailLine": max((4 + len(catalogue.steps(proc, FALLBACK_LANG).value)
                               for proc in procedures), default=0),
            "DocumentLine": max((len(proc.documents) for proc in procedures), default=0),
        }

    def rebuild(self) -> None:
        app = App.get_running_app()
        catalogue = app.catalogue
        proc = catalogue.get(app.procedure or "") if catalogue else None
        box = self.ids.details
        self.pool.start(box)
        if proc is None:
            return
        lang, tr = app.lang, app.tr
        self.title = marked(catalogue.text(proc, "name", lang))

        def add(kind: str, text: str) -> Widget:
            widget = self.pool.take(kind)
            widget.text = text
            box.add_widget(widget)
            return widget

        def heading(text: str) -> None:
            add("DetailHeading", text)

        def line(text: str) -> None:
            add("DetailLine", text)

        heading(tr("Who it is for"))
        line(marked(catalogue.text(proc, "for_whom", lang)))
        heading(tr("Documents to bring"))
        for doc in proc.documents:
            what = marked(pick(doc.text, lang))
            kind = tr("original to show") if doc.original else ""
            if doc.copies:
                copies = tr("{count} copies").format(count=doc.copies)
                kind = f"{kind}, {copies}" if kind else copies
            add("DocumentLine", what + (f" ({kind})" if kind else "")).picture = doc.picture
        heading(tr("Fee"))
        line(marked(catalogue.text(proc, "fee", lang)))
        heading(tr("Time limit"))
        line(marked(catalogue.text(proc, "time_limit", lang)))
        heading(tr("Steps"))
        steps = catalogue.steps(proc, lang)
        mark = FALLBACK_MARK if steps.fell_back else ""
        for number, step in enumerate(steps.value, start=1):
            line(f"{number}. {step}{mark}")
        heading(tr("Counter"))
        line(app.service_name(proc.service, lang) + "  " + app.counters_text(proc.service, lang))


SEARCH_KEYS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
MAX_RESULTS = 4


class SearchScreen(CatalogueScreen):
    """Letters only: matching ignores Vietnamese marks, so A-Z is enough to find
    "Đăng ký khai sinh" from "khai sinh"."""

    query = StringProperty("")
    found = BooleanProperty(False)

    def on_kv_post(self, base_widget) -> None:  # type: ignore[no-untyped-def]
        super().on_kv_post(base_widget)
        for key in SEARCH_KEYS:
            button = Factory.CitizenKey(text=key)
            button.bind(on_release=lambda b: self.type(b.text.lower()))
            self.ids.keyboard.add_widget(button)
        app = App.get_running_app()
        space = Factory.CitizenKey(text=app.tr_plain("Space"))  # between words
        space.is_space = True
        app.bind(lang=lambda *_a, b=space: setattr(b, "text", app.tr_plain("Space")))
        space.bind(on_release=lambda _b: self.type(" "))
        self.ids.keyboard.add_widget(space)
        self.ids.keyboard.add_widget(delete_key(self.delete))

    def on_pre_enter(self, *_args) -> None:  # type: ignore[no-untyped-def]
        self.query = ""
        self.rebuild()

    def type(self, letter: str) -> None:
        if len(self.query) < 40 and not (letter == " " and self.query.endswith(" ")):
            self.query += letter
            self.rebuild()

    def delete(self) -> None:
        self.query = self.query[:-1]
        self.rebuild()

    def make(self, kind: str) -> Widget:
        button = Factory.IconButton(orientation="horizontal")
        app = App.get_running_app()
        button.bind(on_release=lambda b: app.choose_procedure(b.code))
        return button

    def rebuild(self) -> None:
        app = App.get_running_app()
        box = self.ids.results
        self.pool.start(box)
        results = app.catalogue.search(self.query, app.lang) if app.catalogue else []
        self.found = bool(results)
        # Fewer, taller results at larger text sizes: each name must fit its button.
        limit = MAX_RESULTS if app.text_scale < 1.25 else MAX_RESULTS // 2
        for proc in results[:limit]:
            button = self.pool.take("result")
            button.text = marked(app.catalogue.text(proc, "name", app.lang))
            button.code = proc.code
            box.add_widget(button)
