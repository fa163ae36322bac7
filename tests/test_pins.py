"""Staff PINs (kiosk/pins.py) and the staff tables (kiosk/store/staff.py) on a real SQLite file."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine

from kiosk.pins import (
    LockedOut,
    PinChecker,
    PinRefused,
    SignInRefused,
    check_new_pin,
    hash_pin,
    lock_length,
    verify_pin,
)
from kiosk.store.db import make_engine, metadata, sqlite_url
from kiosk.store.staff import StaffExists, StaffStore, name_key

T0 = datetime(2026, 11, 30, 8, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))


@pytest.fixture
def db_url(tmp_path):  # type: ignore[no-untyped-def]
    url = sqlite_url(tmp_path / "centre.sqlite3")
    metadata.create_all(make_engine(url))
    return url


@pytest.fixture
def staff(db_url) -> StaffStore:  # type: ignore[no-untyped-def]
    store = StaffStore(make_engine(db_url))
    store.add("Nguyễn Thị Lan", hash_pin("4817"), (1, 2), T0)
    return store


def test_hash_verifies_its_pin_only() -> None:
    stored = hash_pin("4817")
    assert stored.startswith("scrypt$16384$8$1$")
    assert verify_pin("4817", stored)
    assert not verify_pin("4818", stored)
    assert hash_pin("4817") != stored  # salted


@pytest.mark.parametrize("stored", ["", "bcrypt$x", "scrypt$16384$8$1$zz$00", "a$b$c$d$e$f"])
def test_malformed_hash_matches_nothing(stored: str) -> None:
    assert not verify_pin("4817", stored)


@pytest.mark.parametrize("pin, why", [
    ("0000", "repeated digit"), ("1234", "running digits"), ("98765", "running digits"),
    ("1212", "repeated pair"), ("123", "4 to 8 digits"), ("123456789", "4 to 8 digits"),
    ("12a4", "digits only"), ("４８１７", "digits only"), ("", "digits only"),
])
def test_weak_or_malformed_pins_are_refused(pin: str, why: str) -> None:
    with pytest.raises(PinRefused, match=why):
        check_new_pin(pin)


@pytest.mark.parametrize("pin", ["4817", "90210", "20261130", "1357"])
def test_ordinary_pins_are_accepted(pin: str) -> None:
    check_new_pin(pin)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=12))
def test_check_new_pin_refuses_with_a_sentence_or_accepts(text: str) -> None:
    try:
        check_new_pin(text)
    except PinRefused as exc:
        assert str(exc) and "\n" not in str(exc)
    else:
        assert text.isascii() and text.isdigit() and 4 <= len(text) <= 8


def test_lock_grows_and_is_capped() -> None:
    lengths = [lock_length(n) for n in range(1, 20)]
    assert lengths[:4] == [timedelta(0)] * 4
    assert lengths[4] == timedelta(seconds=30)
    assert lengths[5] == timedelta(seconds=60)
    assert lengths == sorted(lengths)
    assert lengths[-1] == timedelta(hours=1)


def test_name_key_folds_case_accents_and_spaces() -> None:
    assert name_key("  Nguyễn  Thị Lan ") == "nguyen thi lan"
    assert name_key("ĐINH Văn Hùng") == "dinh van hung"


def test_staff_names_are_unique_without_accents(staff: StaffStore) -> None:
    with pytest.raises(StaffExists):
        staff.add("nguyen thi lan", hash_pin("5821"), None, T0)
    assert [m.name for m in staff.all()] == ["Nguyễn Thị Lan"]
    member = staff.get("NGUYEN THI LAN")
    assert member is not None and member.may_use(2) and not member.may_use(3)


def test_sign_in_with_the_right_pin_and_any_spelling(staff: StaffStore) -> None:
    member = PinChecker(staff).sign_in("nguyen thi lan", "4817", T0)
    assert member.name == "Nguyễn Thị Lan"


def test_unknown_name_and_wrong_pin_get_the_same_refusal(staff: StaffStore) -> None:
    checker = PinChecker(staff)
    with pytest.raises(SignInRefused) as unknown:
        checker.sign_in("Trần Văn Ba", "4817", T0)
    with pytest.raises(SignInRefused) as wrong:
        checker.sign_in("Nguyễn Thị Lan", "4818", T0)
    assert str(unknown.value) == str(wrong.value) == "wrong name or PIN"


def test_lockout_refuses_even_the_right_pin_and_survives_a_restart(db_url) -> None:  # type: ignore[no-untyped-def]
    store = StaffStore(make_engine(db_url))
    store.add("Lan", hash_pin("4817"), None, T0)
    checker = PinChecker(store)
    at = T0
    for _ in range(4):
        with pytest.raises(SignInRefused) as refused:
            checker.sign_in("Lan", "1111", at)
        assert not isinstance(refused.value, LockedOut)
    with pytest.raises(LockedOut) as locked:
        checker.sign_in("Lan", "1111", at)
    assert locked.value.until == at + timedelta(seconds=30)
    # A new process on the same database: still locked, even with the right PIN.
    restarted = PinChecker(StaffStore(create_engine(db_url)))
    with pytest.raises(LockedOut):
        restarted.sign_in("Lan", "4817", at + timedelta(seconds=29))
    # After the wait the right PIN works and the count starts again.
    assert restarted.sign_in("Lan", "4817", at + timedelta(seconds=31)).name == "Lan"
    assert store.failures("lan") is None


def test_lockout_grows_with_each_failure_after_it(staff: StaffStore) -> None:
    checker = PinChecker(staff)
    at = T0
    untils = []
    for _ in range(7):
        try:
            checker.sign_in("Nguyễn Thị Lan", "5555", at)
        except LockedOut as exc:
            untils.append(exc.until - at)
            at = exc.until  # wait out the lock, then fail again
        except SignInRefused:
            pass
    assert untils == [timedelta(seconds=30), timedelta(seconds=60), timedelta(seconds=120)]


def test_old_failures_are_forgotten(staff: StaffStore) -> None:
    checker = PinChecker(staff)
    for _ in range(4):
        with pytest.raises(SignInRefused):
            checker.sign_in("Nguyễn Thị Lan", "5555", T0)
    # The next day a typo is a first failure again, not a lock-out.
    with pytest.raises(SignInRefused) as refused:
        checker.sign_in("Nguyễn Thị Lan", "5555", T0 + timedelta(days=1, minutes=1))
    assert not isinstance(refused.value, LockedOut)


def test_sessions_are_found_by_their_id_only(staff: StaffStore) -> None:
    member = staff.get("Nguyễn Thị Lan")
    assert member is not None
    staff.open_session(member, "secret-id", "csrf-1", T0)
    found = staff.session("secret-id")
    assert found is not None and found.member == member and found.csrf_token == "csrf-1"
    assert staff.session("secret-id2") is None
    staff.touch_session("secret-id", T0 + timedelta(minutes=5))
    assert staff.session("secret-id").last_seen_at == T0 + timedelta(minutes=5)
    assert staff.remove("Nguyễn Thị Lan")
    assert staff.session("secret-id") is None
    assert not staff.remove("Nguyễn Thị Lan")


def test_migration_makes_the_tables_of_the_metadata(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """0004_centre_staff run by Alembic's operations makes what kiosk/store/staff.py declares."""
    import importlib.util

    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from alembic.operations import Operations

    from kiosk.paths import ROOT
    from kiosk.store.staff import login_failures, staff_sessions
    from kiosk.store.staff import staff as staff_table

    path = ROOT / "kiosk/store/migrations/versions/0004_centre_staff.py"
    spec = importlib.util.spec_from_file_location("m0004", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.down_revision == "0003_centre_terminals"
    ours = {staff_table.name, staff_sessions.name, login_failures.name}
    engine = make_engine(sqlite_url(tmp_path / "m.sqlite3"))
    with engine.begin() as conn:
        context = MigrationContext.configure(conn)
        with Operations.context(context):
            module.upgrade()
        diff = [d for d in compare_metadata(context, metadata)
                if _table_of(d) in ours]
        assert diff == []
        with Operations.context(context):
            module.downgrade()
        assert not set(conn.dialect.get_table_names(conn)) & ours


def _table_of(diff) -> str:  # type: ignore[no-untyped-def]
    """The table an Alembic difference is about: ("add_table", Table), ("add_index",
    Index), ("add_column", schema, "table", Column), or a list of modify_* tuples."""
    item = diff[0] if isinstance(diff, list) else diff
    if item[0].endswith("_table"):
        return item[1].name
    if item[0].endswith("_index") or item[0].endswith("_constraint"):
        return item[1].table.name
    return item[2]
