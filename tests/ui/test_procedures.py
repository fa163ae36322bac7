"""Reading a procedure by touch, then taking a number for it."""

from __future__ import annotations

from pathlib import Path

from kiosk.session import Feature, Screen


def shown(k) -> str:  # type: ignore[no-untyped-def]
    return k.app.manager.current


def test_from_a_procedure_to_its_counter_number(k) -> None:  # type: ignore[no-untyped-def]
    h = k.harness
    h.settle()
    h.tap(k.app.screen("attract"))
    h.settle()
    [b] = [b for b in k.app.screen("language").ids.choices.children if b.text == "Tiếng Việt"]
    h.tap(b)
    h.settle()
    h.tap(k.app.screen("identify").ids.skip)
    h.settle()
    h.tap(k.app.screen("home").ids.procedures)
    h.settle()
    assert shown(k) == "categories"
    [civil] = [b for b in k.app.screen("categories").ids.choices.children
               if b.category == "civil_status"]
    assert civil.text == "Hộ tịch"
    h.tap(civil)
    h.settle()
    [birth] = [b for b in k.app.screen("procedures").ids.choices.children if b.code == "HT-01"]
    assert birth.text == "Đăng ký khai sinh"
    h.tap(birth)
    h.settle()
    assert shown(k) == "procedure"
    lines = list(reversed(k.app.screen("procedure").ids.details.children))
    details = [w.text for w in lines]
    assert "Giấy tờ cần mang" in details
    # The checklist: each paper with its picture, as the catalogue says (HT-01: the form,
    # the birth certificate, the ID card of the person registering).
    papers = [w for w in lines if getattr(w, "picture", "")]
    assert [Path(w.children[-1].source).stem for w in papers] == [
        "form", "certificate", "id_card"]
    assert all(w.children[-1].texture is not None for w in papers)  # drawn, not missing
    assert papers[0].text == "Tờ khai đăng ký khai sinh (theo mẫu) (bản chính để xuất trình)"
    # The language button re-translates the open procedure.
    k.session.lang = "en"
    k.app.lang = "en"
    h.settle()
    details = [w.text for w in reversed(k.app.screen("procedure").ids.details.children)]
    assert "Documents to bring" in details
    assert k.app.screen("procedure").ids.name.text == "Birth registration"
    jobs = len(k.printer.jobs)
    h.tap(k.app.screen("procedure").ids.take_number)
    h.wait_until(lambda: k.session.screen is Screen.TICKET, "the ticket")
    assert k.app.last_ticket.service == "A" and k.app.last_ticket.number.startswith("A")
    assert k.printer.wait_for_jobs(jobs + 1, timeout=10)


def test_search_without_marks_by_the_on_screen_keyboard(k) -> None:  # type: ignore[no-untyped-def]
    h = k.harness
    k.session.start()
    k.session.choose_language("vi")
    k.session.skip_identify()
    k.session.open_feature(__import__("kiosk.session").session.Feature.PROCEDURES)
    h.settle()
    h.tap(k.app.screen("categories").ids.search)
    h.settle()
    assert shown(k) == "search"
    keys = {b.text: b for b in k.app.screen("search").ids.keyboard.children if b.text}
    keys[" "] = next(b for b in k.app.screen("search").ids.keyboard.children
                     if getattr(b, "is_space", False))
    assert keys[" "].text == "Cách"
    for letter in "KHAI SINH":
        h.tap(keys[letter])
    h.settle()
    screen = k.app.screen("search")
    assert screen.query == "khai sinh"
    results = [b.text for b in reversed(screen.ids.results.children)]
    assert results[0] == "Đăng ký khai sinh"
    [first] = [b for b in screen.ids.results.children if b.text == "Đăng ký khai sinh"]
    h.tap(first)
    h.settle()
    assert shown(k) == "procedure" and k.session.data.procedure == "HT-01"


def test_a_content_update_applies_between_citizens_and_a_bad_one_is_refused(k) -> None:  # type: ignore[no-untyped-def]
    from kiosk.catalogue import DEFAULT_CATALOGUE
    from kiosk.content import updated_catalogue
    from kiosk.session import Feature

    h, app = k.harness, k.app
    shipped = DEFAULT_CATALOGUE.read_text(encoding="utf-8")
    path = updated_catalogue(app.kiosk_config)
    path.parent.mkdir(parents=True, exist_ok=True)

    def next_citizen() -> None:
        loads = app.content_loads
        k.session.end()
        h.wait_until(lambda: app.content_loads > loads, "the content to be read again",
                     max_frames=100_000)

    def procedure_names() -> list[str]:
        k.session.start()
        k.session.choose_language("vi")
        k.session.skip_identify()
        k.session.open_feature(Feature.PROCEDURES)
        k.session.choose_category("civil_status")
        h.settle()
        return [b.text for b in reversed(app.screen("procedures").ids.choices.children)]

    try:
        # Staff copy the province's list in from a USB stick while a citizen is served.
        path.write_text(shipped.replace('vi = "Đăng ký khai sinh"',
                                        'vi = "Đăng ký khai sinh (Lâm Đồng)"'), encoding="utf-8")
        next_citizen()
        assert "Đăng ký khai sinh (Lâm Đồng)" in procedure_names()
        # A broken copy: refused, and the list the citizens saw stays.
        path.write_text(shipped.replace('service = "A"', 'service = "Q"', 1), encoding="utf-8")
        next_citizen()
        assert app.catalogue_path == path
        assert "Đăng ký khai sinh (Lâm Đồng)" in procedure_names()
    finally:
        path.unlink()
        next_citizen()
    assert app.catalogue_path == DEFAULT_CATALOGUE
    assert "Đăng ký khai sinh" in procedure_names()
    k.session.end()


def test_content_shown_in_vietnamese_for_kho_carries_the_staff_mark(k) -> None:  # type: ignore[no-untyped-def]
    from kiosk.i18n import FALLBACK_MARK
    from kiosk.session import Feature

    def detail(lang: str) -> list[str]:
        k.session.end()
        k.session.start()
        k.session.choose_language(lang)
        k.session.skip_identify()
        k.session.open_feature(Feature.PROCEDURES)
        k.session.choose_category("civil_status")
        k.session.choose_procedure("HT-01")
        k.harness.settle()
        screen = k.app.screen("procedure")
        return [screen.ids.name.text] + [w.text for w in screen.ids.details.children]

    assert not any(text.endswith(FALLBACK_MARK) for text in detail("vi"))
    kho = detail("kpm")
    # The catalogue has no K'Ho yet: every line is Vietnamese, and says so to staff.
    assert kho[0] == "Đăng ký khai sinh" + FALLBACK_MARK
    assert all(FALLBACK_MARK in text for text in kho), [t for t in kho if FALLBACK_MARK not in t]
    k.session.end()


def scroll_window(scroll) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """Window y of the bottom and top of what a scroll view shows."""
    return scroll.to_window(scroll.x, scroll.y)[1], scroll.to_window(scroll.x, scroll.top)[1]


def in_view(widget, scroll) -> bool:  # type: ignore[no-untyped-def]
    bottom, top = scroll_window(scroll)
    w_bottom = widget.to_window(widget.x, widget.y)[1]
    w_top = widget.to_window(widget.x, widget.top)[1]
    return w_bottom >= bottom - 1 and w_top <= top + 1


def test_a_procedure_opens_at_its_top_at_every_text_size(k) -> None:  # type: ignore[no-untyped-def]
    """Who it is for comes first on the screen, not the fee: at every text size, every
    time the procedure is opened, and after the text size changes while it is open."""
    from kivy.uix.scrollview import ScrollView

    from kiosk.session import TEXT_SIZES

    h, app, session = k.harness, k.app, k.session
    screen = app.screen("procedure")
    [scroll] = [w for w in screen.walk() if isinstance(w, ScrollView)]

    def check(where: str) -> None:
        h.settle()
        lines = list(reversed(screen.ids.details.children))
        assert screen.ids.details.height > scroll.height, f"{where}: the checklist fits"
        assert scroll.scroll_y == 1, f"{where}: opened at scroll_y={scroll.scroll_y}"
        assert in_view(lines[0], scroll) and in_view(lines[1], scroll), (
            f"{where}: who it is for is out of sight")

    for steps in range(len(TEXT_SIZES)):
        session.end()
        session.start()
        for _ in range(steps):
            session.next_text_size()
        session.choose_language("en")
        session.skip_identify()
        session.open_feature(Feature.PROCEDURES)
        session.choose_category("civil_status")
        session.choose_procedure("HT-02")
        check(f"opened at x{app.text_scale}")
        scroll.scroll_y = 0  # the citizen read to the end, went back, and came again
        h.settle()
        session.back()
        h.settle()
        session.choose_procedure("HT-02")
        check(f"opened again at x{app.text_scale}")
        scroll.scroll_y = 0
        h.settle()
        session.next_text_size()
        check(f"text size changed to x{app.text_scale} while open")


def scroll_into_view(widget) -> None:  # type: ignore[no-untyped-def]
    """As a finger would scroll the list until `widget` is on the screen."""
    from kivy.uix.scrollview import ScrollView

    parent = widget.parent
    while parent is not None and not isinstance(parent, ScrollView):
        parent = parent.parent
    if parent is not None:
        parent.scroll_to(widget, animate=False)


def test_the_procedure_screens_rows_are_made_before_the_first_citizen_opens_them(k) -> None:  # type: ignore[no-untyped-def]
    """After start-up the kiosk makes, one per frame, every row the procedure screens will
    show (kiosk/ui/startup.py): reading every procedure then makes none, so the first
    citizen waits no longer than the next."""
    app, h = k.app, k.harness
    catalogue = app.catalogue
    screens = [app.screen(name) for name in ("categories", "procedures", "procedure")]

    def rows() -> dict[str, int]:
        return {f"{s.name} {kind}": s.pool.kept(kind)
                for s in screens for kind in s.rows_needed(catalogue)}

    def needed() -> dict[str, int]:
        return {f"{s.name} {kind}": count
                for s in screens for kind, count in s.rows_needed(catalogue).items()}

    h.wait_until(lambda: all(rows()[key] >= count for key, count in needed().items()),
                 "every row made after start-up", max_frames=10_000)
    assert min(needed().values()) > 0
    before = rows()
    h.tap(app.screen("attract"))
    h.settle()
    [vi] = [b for b in app.screen("language").ids.choices.children if b.text == "Tiếng Việt"]
    h.tap(vi)
    h.settle()
    h.tap(app.screen("identify").ids.skip)
    h.settle()
    h.tap(app.screen("home").ids.procedures)
    h.settle()
    read = 0
    for key in catalogue.categories():
        [button] = [b for b in app.screen("categories").ids.choices.children
                    if b.category == key]
        scroll_into_view(button)
        h.settle()
        h.tap(button)
        h.settle()
        for proc in catalogue.in_category(key):
            [row] = [b for b in app.screen("procedures").ids.choices.children
                     if b.code == proc.code]
            scroll_into_view(row)
            h.settle()
            h.tap(row)
            h.settle()
            assert shown(k) == "procedure"
            assert app.screen("procedure").ids.name.text == catalogue.text(proc, "name", "vi").value
            read += 1
            h.tap(app.navbar.ids.back_button)
            h.settle()
            assert shown(k) == "procedures"
        h.tap(app.navbar.ids.back_button)
        h.settle()
        assert shown(k) == "categories"
    assert read == sum(len(catalogue.in_category(key)) for key in catalogue.categories())
    assert rows() == before
