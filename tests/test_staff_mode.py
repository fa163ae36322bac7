"""Staff mode without Kivy (kiosk/staff_mode.py): the hidden gesture, signing in with a PIN
and its lock-out, the idle logout, and the audit log (kiosk/store/audit.py) on real
databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from kiosk.pins import hash_pin
from kiosk.staff_mode import (
    HOLD_SECONDS,
    IDLE_LOGOUT,
    TAPS_WITHIN,
    EntryGesture,
    LockedOut,
    NotSignedIn,
    SignInRefused,
    StaffSession,
    State,
)
from kiosk.store import open_database, sqlite_url
from kiosk.store.audit import StaffAudit
from kiosk.store.staff import StaffStore

W, H = 1920, 1080
C = 0.12 * H  # a corner's side in pixels
T0 = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)

# Where each corner is (origin bottom left), and anywhere else.
REGIONS = {
    "top_left": ((0, C), (H - C, H)),
    "top_right": ((W - C, W), (H - C, H)),
    "bottom_right": ((W - C, W), (0, C)),
    "bottom_left": ((0, C), (0, C)),
    "middle": ((C + 1, W - C - 1), (C + 1, H - C - 1)),
    "top_edge": ((C + 1, W - C - 1), (H - C, H)),
    "left_edge": ((0, C), (C + 1, H - C - 1)),
}


def point(draw, region: str) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    (x0, x1), (y0, y1) = REGIONS[region]
    return (draw(st.floats(x0, x1)), draw(st.floats(y0, y1)))


@st.composite
def taps(draw, regions=tuple(REGIONS)):  # type: ignore[no-untyped-def]
    """One finger down and up: (down region, up region, down xy, up xy, duration, gap)."""
    down = draw(st.sampled_from(regions))
    up = draw(st.sampled_from([down] * 6 + list(regions)))
    return (down, up, point(draw, down), point(draw, up),
            draw(st.floats(0, 5)), draw(st.floats(0, 4)))


CORNERS = ("top_left", "top_right", "bottom_right", "bottom_left")


@st.composite
def near_misses(draw):  # type: ignore[no-untyped-def]
    """The gesture's four taps with its timing near the limits (holds around 3 s, gaps
    around what 6 s allow), and often one tap put down or lifted somewhere else."""
    regions = [[corner, corner] for corner in CORNERS]
    if draw(st.booleans()):
        regions[draw(st.integers(0, 3))][draw(st.integers(0, 1))] = draw(
            st.sampled_from(list(REGIONS)))
    return [(down, up, point(draw, down), point(draw, up),
             draw(st.floats(2.7, 3.3) if i == 0 else st.floats(0, 1)),
             draw(st.floats(0, 2)))
            for i, (down, up) in enumerate(regions)]


def expected_opens(sequence) -> list[bool]:  # type: ignore[no-untyped-def]
    """The rule, written independently of EntryGesture: after each tap, whether the last
    four taps (none used by an earlier opening) are a hold of top-left ≥ HOLD_SECONDS, then
    taps of top-right, bottom-right, bottom-left, each down and up in its corner, the last
    one up within TAPS_WITHIN of the hold's end."""
    result, t, used_until, done = [], 0.0, -1, []
    for i, (down, up, _, _, duration, gap) in enumerate(sequence):
        t += gap
        done.append((down, up, t, t + duration))
        t += duration
        opens = False
        if i - 3 > used_until:
            hold, *rest = done[i - 3:i + 1]
            opens = (hold[0] == hold[1] == "top_left" and hold[3] - hold[2] >= HOLD_SECONDS
                     and [(d, u) for d, u, _, _ in rest] == [
                         ("top_right",) * 2, ("bottom_right",) * 2, ("bottom_left",) * 2]
                     and rest[-1][3] - hold[3] <= TAPS_WITHIN)
        if opens:
            used_until = i
        result.append(opens)
    return result


def play(gesture: EntryGesture, sequence) -> list[bool]:  # type: ignore[no-untyped-def]
    results, t = [], 0.0
    for _, _, (x0, y0), (x1, y1), duration, gap in sequence:
        t += gap
        assert gesture.touch_down(x0, y0, t) is False
        t += duration
        results.append(gesture.touch_up(x1, y1, t))
    return results


@settings(max_examples=300, deadline=None)
@given(st.lists(taps(), max_size=14))
def test_random_touches_open_only_on_the_exact_gesture(sequence) -> None:  # type: ignore[no-untyped-def]
    assert play(EntryGesture(W, H), sequence) == expected_opens(sequence)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(near_misses(), st.lists(taps(), max_size=2)), max_size=5)
       .map(lambda chunks: [tap for chunk in chunks for tap in chunk]))
def test_near_misses_open_only_on_the_exact_gesture(sequence) -> None:  # type: ignore[no-untyped-def]
    # Only corners and the gesture's timing: many sequences come close to it, some make it.
    assert play(EntryGesture(W, H), sequence) == expected_opens(sequence)


@st.composite
def gestures(draw):  # type: ignore[no-untyped-def]
    """The exact gesture, with jitter: anywhere in each corner, a hold of 3–6 s, quick taps
    fitting in the time allowed, after any touches before it."""
    before = draw(st.lists(taps(), max_size=4))
    hold = draw(st.floats(HOLD_SECONDS, 6))
    durations = draw(st.lists(st.floats(0.02, 1), min_size=3, max_size=3))
    gaps = draw(st.lists(st.floats(0.02, 1), min_size=3, max_size=3))
    gesture = [("top_left", "top_left", point(draw, "top_left"), point(draw, "top_left"),
                hold, 5.0)]
    for corner, duration, gap in zip(("top_right", "bottom_right", "bottom_left"), durations,
                                     gaps, strict=True):
        gesture.append((corner, corner, point(draw, corner), point(draw, corner),
                        duration, gap))
    return before, gesture


@settings(max_examples=200, deadline=None)
@given(gestures())
def test_the_exact_gesture_with_jitter_always_opens(case) -> None:  # type: ignore[no-untyped-def]
    before, gesture = case
    entry = EntryGesture(W, H)
    play(entry, before)
    assert play(entry, gesture) == [False, False, False, True]


def test_the_gesture_fails_when_held_too_short_or_tapped_too_slowly() -> None:
    tl, tr, br, bl = (10, H - 10), (W - 10, H - 10), (W - 10, 10), (10, 10)

    def run(hold: float, tap_gap: float) -> bool:
        entry, t = EntryGesture(W, H), 100.0
        entry.touch_down(*tl, t)
        t += hold
        entry.touch_up(*tl, t)
        opened = False
        for corner in (tr, br, bl):
            t += tap_gap
            entry.touch_down(*corner, t)
            t += 0.1
            opened = entry.touch_up(*corner, t)
        return opened

    assert run(3.0, 0.5)
    assert not run(2.9, 0.5)
    assert not run(3.5, 2.0)  # 6.3 s after letting go


# -- sessions ------------------------------------------------------------------------------

class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def engine(tmp_path):  # type: ignore[no-untyped-def]
    engine = open_database(sqlite_url(tmp_path / "kiosk.sqlite3"))
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine) -> StaffSession:  # type: ignore[no-untyped-def]
    staff = StaffStore(engine)
    staff.add("Trần Văn Hùng", hash_pin("5821"), None, T0)
    staff.add("Lan", hash_pin("4817"), None, T0)
    return StaffSession(staff, StaffAudit(engine), Clock())


def test_sign_in_act_and_leave_are_audited(session: StaffSession) -> None:
    seen: list[State] = []
    session.add_listener(lambda s: seen.append(s.state))
    assert session.names() == ["Lan", "Trần Văn Hùng"]
    session.start()
    session.choose("Trần Văn Hùng")
    with pytest.raises(NotSignedIn):
        session.act("test_print")
    assert session.sign_in("tran van hung", "5821") == "Trần Văn Hùng"
    assert (session.state, session.who) == (State.OPEN, "Trần Văn Hùng")
    session.clock.advance(5)
    entry = session.act("test_print", "printer ok")
    assert (entry.staff_name, entry.action, entry.detail, entry.at) == (
        "Trần Văn Hùng", "test_print", "printer ok", T0 + timedelta(seconds=5))
    session.leave()
    assert seen == [State.CHOOSING, State.PIN, State.OPEN, State.CLOSED]
    assert [(e.staff_name, e.action, e.detail) for e in session.audit.recent(10)] == [
        ("Trần Văn Hùng", "sign_out", "leave"), ("Trần Văn Hùng", "test_print", "printer ok"),
        ("Trần Văn Hùng", "sign_in", "")]


def test_wrong_pins_lock_out_longer_each_time_and_are_audited(session: StaffSession) -> None:
    session.start()
    for _ in range(4):
        with pytest.raises(SignInRefused) as refused:
            session.sign_in("Lan", "9999")
        assert not isinstance(refused.value, LockedOut)
    with pytest.raises(LockedOut) as first:
        session.sign_in("Lan", "9999")
    assert first.value.until == T0 + timedelta(seconds=30)
    with pytest.raises(LockedOut):  # the right PIN does not help while locked
        session.sign_in("Lan", "4817")
    session.clock.advance(31)
    with pytest.raises(LockedOut) as second:
        session.sign_in("Lan", "9999")
    assert second.value.until == session.clock() + timedelta(minutes=1)
    session.clock.advance(61)
    assert session.sign_in("Lan", "4817") == "Lan"
    actions = [e.action for e in reversed(session.audit.recent(20))]
    assert actions == ["sign_in_refused"] * 4 + ["sign_in_locked"] * 3 + ["sign_in"]
    with pytest.raises(SignInRefused):  # a name that is no staff member's is not kept
        StaffSession(session.staff_store, session.audit, session.clock).sign_in(
            "Nguyễn Văn An 079201012345", "1357")
    assert session.audit.recent(1)[0].staff_name == "?"


def test_idle_logout_after_two_minutes_untouched(session: StaffSession) -> None:
    session.start()
    session.sign_in("Lan", "4817")
    session.clock.advance(IDLE_LOGOUT - 1)
    assert not session.tick()
    session.touched()
    session.clock.advance(IDLE_LOGOUT - 1)
    assert not session.tick()
    session.clock.advance(1)
    assert session.tick()
    assert (session.state, session.who) == (State.CLOSED, None)
    assert session.audit.recent(1)[0].detail == "idle"
    session.start()  # the name list and the PIN pad time out too
    session.clock.advance(IDLE_LOGOUT)
    assert session.tick() and session.state is State.CLOSED


def test_confirm_pin_for_the_wipe(session: StaffSession) -> None:
    with pytest.raises(NotSignedIn):
        session.confirm_pin("4817")
    session.start()
    session.sign_in("Lan", "4817")
    assert not session.confirm_pin("5821")  # another staff member's PIN
    assert not session.pin_confirmed()
    assert session.confirm_pin("4817")
    assert session.pin_confirmed()
    session.clock.advance(121)
    assert not session.pin_confirmed()  # only just before the wipe
    assert [e.action for e in session.audit.recent(3)] == [
        "confirm_pin", "confirm_pin_refused", "sign_in"]


# -- the audit log -------------------------------------------------------------------------

def test_the_audit_log_is_append_only(any_db_url: str) -> None:
    from sqlalchemy.exc import DatabaseError

    engine = open_database(any_db_url)
    audit = StaffAudit(engine)
    audit.record("Lan", "sign_in", at=T0)
    for statement in ("UPDATE staff_audit SET staff_name = 'someone'",
                      "DELETE FROM staff_audit"):
        with pytest.raises(DatabaseError, match="staff_audit is append-only"), \
                engine.begin() as conn:
            conn.execute(text(statement))
    assert [(e.staff_name, e.at) for e in audit.recent(5)] == [("Lan", T0)]
    engine.dispose()


def test_audit_details_are_one_line_and_mask_id_numbers(engine) -> None:  # type: ignore[no-untyped-def]
    audit = StaffAudit(engine)
    entry = audit.record("Lan", "export", "to /media/usb\nid 079201012345 x")
    assert entry.detail == "to /media/usb id # x"
    with pytest.raises(ValueError, match="short lower-case code"):
        audit.record("Lan", "Export files!")
    assert audit.recent(5) == [entry]
