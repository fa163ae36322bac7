"""Export and wipe of the kiosk's local data (kiosk/local_data.py) on real SQLite files,
and the rule that nothing staff do reaches the audit log or the log with a citizen's data."""

from __future__ import annotations

import csv
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from drivers.idcard import parse_cccd_qr
from kiosk.kiosk_settings import StaffSettings, reset_settings, save_settings
from kiosk.local_data import ExportFailed, WipeRefused, export_local_data, wipe_local_data
from kiosk.pins import hash_pin
from kiosk.privacy import SALT_FILE
from kiosk.ratings import RatingService
from kiosk.staff_mode import SignInRefused, StaffSession
from kiosk.store import TicketStore
from kiosk.store.audit import StaffAudit
from kiosk.store.ratings import RatingStore
from kiosk.store.staff import StaffStore
from kiosk.tickets import TicketService

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
# A made-up citizen, as the front QR of their card gives them.
ID, NAME = "068090001234", "Nguyễn Văn An"
QR = f"{ID}|250123456|{NAME}|15031990|Nam|Thôn Đưng K'Si, Xã Lạc Dương|10082021"
PERSONAL = [ID, "250123456", NAME, "Nguyễn", "An", "15031990", "Đưng"]


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def kiosk(config, store: TicketStore):  # type: ignore[no-untyped-def]
    """A kiosk that served a citizen who identified with their card, and one who did not
    and rated; a staff member Lan (PIN 4817) who has not signed in yet."""
    service = TicketService(config, store, now=lambda: datetime(2026, 11, 30, 9, tzinfo=HCM))
    first = service.issue_ticket("A", "vi", identity=parse_cccd_qr(QR))
    service.issue_ticket("B", "en")
    RatingService(RatingStore(store.engine), HCM).record("satisfied", ticket_id=first.id,
                                                        lang="vi")
    StaffStore(store.engine).add("Lan", hash_pin("4817"), None, datetime.now(UTC))
    session = StaffSession(StaffStore(store.engine), StaffAudit(store.engine), Clock())
    return config, store, session


def signed_in(session: StaffSession) -> StaffSession:
    session.start()
    session.sign_in("Lan", "4817")
    return session


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def test_export_writes_one_csv_per_table_without_person_links(kiosk, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _, store, session = kiosk
    usb = tmp_path / "usb"
    usb.mkdir()
    paths = export_local_data(store.engine, usb, datetime(2026, 11, 30, 9, tzinfo=HCM),
                              kiosk="quầy sảnh/1", session=signed_in(session))
    assert [p.name for p in paths] == [
        f"qu-y-s-nh-1-{t}-2026-11-30.csv" for t in ("tickets", "ticket_events", "ratings")]
    assert sorted(p.name for p in usb.iterdir()) == sorted(p.name for p in paths)
    tickets, events, ratings = (read_csv(p) for p in paths)
    assert [t["number"] for t in tickets] == ["A001", "B001"]
    assert "person_hash" not in tickets[0]
    assert {e["kind"] for e in events} >= {"issued"}
    assert [r["level"] for r in ratings] == ["satisfied"]
    assert session.export is not None and session.export.counts["tickets"] == 2
    assert session.audit.recent(1)[0].action == "export"


def test_export_to_a_missing_stick_fails_cleanly(kiosk, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _, store, session = kiosk
    with pytest.raises(ExportFailed, match="not a folder"):
        export_local_data(store.engine, tmp_path / "gone", datetime.now(HCM),
                          session=signed_in(session))
    blocked = tmp_path / "usb"
    blocked.mkdir()
    (blocked / "k-tickets-2026-11-30.csv.part").mkdir()  # in the way of the temporary file
    with pytest.raises(ExportFailed, match="cannot be written"):
        export_local_data(store.engine, blocked, datetime(2026, 11, 30, tzinfo=HCM), kiosk="k")
    assert session.export is None


def test_wipe_needs_an_export_and_a_second_pin(kiosk, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    config, store, session = kiosk
    with pytest.raises(WipeRefused, match="signed in"):
        wipe_local_data(config, store.engine, session)
    signed_in(session)
    with pytest.raises(WipeRefused, match="export the data first"):
        wipe_local_data(config, store.engine, session)
    export_local_data(store.engine, tmp_path, datetime.now(HCM), session=session)
    with pytest.raises(WipeRefused, match="PIN again"):
        wipe_local_data(config, store.engine, session)
    assert session.confirm_pin("4817")
    store.allocate("C", "vi", datetime(2026, 11, 30, 10, tzinfo=HCM))  # after the export
    with pytest.raises(WipeRefused, match="changed since the export"):
        wipe_local_data(config, store.engine, session)
    session.leave()  # a new session needs its own export
    signed_in(session)
    assert session.confirm_pin("4817")
    with pytest.raises(WipeRefused, match="export the data first"):
        wipe_local_data(config, store.engine, session)
    assert len(store.tickets_of_day(datetime(2026, 11, 30).date())) == 3


def test_wipe_clears_tickets_events_ratings_and_salt_and_keeps_the_numbering(
        kiosk, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    config, store, session = kiosk
    salt = config.data_dir / SALT_FILE
    assert salt.exists()  # made when the citizen identified
    service = TicketService(config, store, now=lambda: datetime(2026, 11, 30, 10, tzinfo=HCM))
    before = store.get(service.issue_ticket("A", "vi", identity=parse_cccd_qr(QR)).id)
    export_local_data(store.engine, tmp_path, datetime.now(HCM), session=signed_in(session))
    assert session.confirm_pin("4817")
    removed = wipe_local_data(config, store.engine, session, ticket_service=service)
    assert removed == {"tickets": 3, "ticket_events": removed["ticket_events"],
                       "ratings": 1, "applied_requests": 0, "salt": True}
    assert removed["ticket_events"] >= 2
    assert not salt.exists()
    day = datetime(2026, 11, 30).date()
    assert store.tickets_of_day(day) == []
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM ratings")).scalar() == 0
        assert conn.execute(text("SELECT count(*) FROM staff")).scalar() == 1
    # Today's numbering goes on: A001 is never handed out twice in one day.
    assert store.allocate("A", "vi", datetime(2026, 11, 30, 11, tzinfo=HCM)).number == "A003"
    # The same citizen is not linked to their visits before the wipe: a new salt.
    after = store.get(service.issue_ticket("A", "vi", identity=parse_cccd_qr(QR)).id)
    assert after is not None and before is not None
    assert after.person_hash and after.person_hash != before.person_hash
    assert salt.exists()
    # The events are protected again.
    with pytest.raises(DatabaseError, match="append-only"), store.engine.begin() as conn:
        conn.execute(text("DELETE FROM ticket_events"))
    actions = [e.action for e in session.audit.recent(10)]
    assert actions[:3] == ["wipe", "confirm_pin", "export"]
    # Nothing deleted is left readable in the file's free pages.
    assert b"A001" not in Path(config.database_path).read_bytes()


def test_wipe_on_either_database_keeps_the_events_protected(any_db_url: str, config,
                                                       tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from kiosk.store import open_database

    engine = open_database(any_db_url)
    store = TicketStore(engine)
    store.allocate("A", "vi", datetime(2026, 11, 30, 9, tzinfo=HCM))
    StaffStore(engine).add("Lan", hash_pin("4817"), None, datetime.now(UTC))
    session = signed_in(StaffSession(StaffStore(engine), StaffAudit(engine), Clock()))
    export_local_data(engine, tmp_path, datetime.now(HCM), session=session)
    assert session.confirm_pin("4817")
    assert wipe_local_data(config, engine, session)["tickets"] == 1
    assert store.allocate("A", "vi", datetime(2026, 11, 30, 10, tzinfo=HCM)).number == "A002"
    with pytest.raises(DatabaseError, match="append-only"), engine.begin() as conn:
        conn.execute(text("DELETE FROM ticket_events"))
    engine.dispose()


def test_no_staff_action_records_or_logs_citizen_data(kiosk, tmp_path: Path,
                                                       caplog: pytest.LogCaptureFixture) -> None:  # type: ignore[no-untyped-def]
    """Every staff action, right after a citizen identified with their card: neither the
    audit log, nor the log output, nor the exported files hold their data."""
    config, store, session = kiosk
    caplog.set_level(logging.DEBUG)
    session.start()
    session.choose("Lan")
    with pytest.raises(SignInRefused):  # audited
        session.sign_in("Lan", "9999")
    with pytest.raises(SignInRefused):  # a name that is no one's, audited as "?"
        session.sign_in(NAME, ID[:6])
    session.back()
    session.sign_in("Lan", "4817")
    for action in ("test_print", "paper_replaced", "restart", "update_install",
                   "update_rollback", "language_pack"):
        session.act(action, "ok")
    cfg = save_settings(config, StaffSettings(("vi", "en"), "large", 50, 30))
    session.act("settings", "languages vi,en; text large; volume 50; idle 30")
    reset_settings(cfg)
    session.act("settings_reset")
    paths = export_local_data(store.engine, tmp_path, datetime.now(HCM), session=session)
    assert not session.confirm_pin("1111")
    assert session.confirm_pin("4817")
    wipe_local_data(config, store.engine, session)
    session.clock.now += timedelta(minutes=3)
    assert session.tick()  # idle logout
    audit = "\n".join(f"{e.staff_name} {e.action} {e.detail}"
                      for e in session.audit.recent(1000))
    assert "sign_in_refused" in audit and "wipe" in audit and "sign_out" in audit
    exported = "\n".join(p.read_text(encoding="utf-8-sig") for p in paths)
    for secret in PERSONAL:
        assert secret not in audit
        assert secret not in caplog.text
        assert secret not in exported
