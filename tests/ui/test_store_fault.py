"""The database breaks under the running kiosk (a disk gone bad): the citizen is sent to a
counter, calmly, and the staff mark in the header shows the fault until numbers work again."""

from __future__ import annotations

import os

from test_journey import take_ticket, try_a_number_that_fails

from kiosk.ui import theme


def mark_colour(k) -> tuple:  # type: ignore[no-untyped-def]
    """The colour of the dot on the header's printer mark, as drawn."""
    from kivy.graphics import Color

    [mark] = [w.ids.printer_mark for w in k.app.root.walk() if "printer_mark" in w.ids]
    return tuple([i for i in mark.canvas.children if isinstance(i, Color)][-1].rgba)


def test_a_broken_database_sends_the_citizen_to_a_counter_and_marks_it(k, tmp_path) -> None:
    from kiosk.store import TicketStore, open_database_file

    tickets = k.app.tickets
    real_store = tickets.store
    path = tmp_path / "kiosk.sqlite3"
    broken = TicketStore(open_database_file(path))
    broken.engine.dispose()  # its pooled connections close (the -wal is folded in) ...
    path.write_bytes(os.urandom(8192))  # ... and the file goes bad under the store
    tickets.store = broken
    try:
        assert "go to a counter" in try_a_number_that_fails(k).text
        assert mark_colour(k) == theme.PRINTER_MARK["fault"]
    finally:
        tickets.store = real_store
    take_ticket(k, "A")  # the database is whole again: a number, and the mark clears
    assert k.store.get(k.app.last_ticket.id).status == "printed"
    assert not k.app.store_fault
    assert mark_colour(k) == theme.PRINTER_MARK[k.app.printer_mark] != theme.PRINTER_MARK["fault"]
