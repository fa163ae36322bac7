"""DLE EOT reply parsing: the table of docs/architecture.md, Ticket printer status; silence,
ASB/GS r skipping, fuzz."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drivers.printer import (
    DeviceState,
    PaperState,
    PrinterStatus,
    is_status_reply,
    parse_status,
    pick_status_byte,
)

HEALTHY = {1: 0x16, 2: 0x12, 3: 0x12, 4: 0x12}


def with_(**kw: int | None) -> dict[int, int | None]:
    replies: dict[int, int | None] = dict(HEALTHY)
    for key, value in kw.items():
        replies[int(key[1:])] = value
    return replies


@pytest.mark.parametrize(
    ("replies", "state", "paper", "cover", "cutter", "can_print"),
    [
        (HEALTHY, DeviceState.ONLINE, PaperState.FULL, False, False, True),
        (with_(n4=0x1E), DeviceState.ONLINE, PaperState.LOW, False, False, True),
        # docs/architecture.md, Ticket printer status: out of paper answers n=1 0x1A, n=2 0x32,
        # n=4 0x7E.
        (with_(n1=0x1A, n2=0x32, n4=0x7E), DeviceState.USERERROR, PaperState.OUT, False,
         False, False),
        (with_(n4=0x72), DeviceState.USERERROR, PaperState.OUT, False, False, False),
        (with_(n2=0x32), DeviceState.USERERROR, PaperState.OUT, False, False, False),
        (with_(n1=0x1E, n2=0x16), DeviceState.USERERROR, PaperState.FULL, True, False, False),
        (with_(n1=0x1E), DeviceState.OFFLINE, PaperState.FULL, False, False, False),
        (with_(n2=0x52), DeviceState.HWERROR, PaperState.FULL, False, False, False),
        (with_(n3=0x1A), DeviceState.HWERROR, PaperState.FULL, False, True, False),
        (with_(n3=0x32), DeviceState.HWERROR, PaperState.FULL, False, False, False),
        (with_(n3=0x52), DeviceState.HWERROR, PaperState.FULL, False, False, False),
        # n=3 is optional detail.
        (with_(n3=None), DeviceState.ONLINE, PaperState.FULL, False, False, True),
        ({1: 0x16, 2: 0x12, 4: 0x12}, DeviceState.ONLINE, PaperState.FULL, False, False, True),
    ],
)
def test_status_table(replies: dict[int, int | None], state: DeviceState, paper: PaperState,
                      cover: bool, cutter: bool, can_print: bool) -> None:
    s = parse_status(replies)
    assert (s.state, s.paper, s.cover_open, s.cutter_error) == (state, paper, cover, cutter)
    assert s.can_print is can_print


@pytest.mark.parametrize("missing", [1, 2, 4])
def test_missing_reply_is_never_paper_ok(missing: int) -> None:
    replies = dict(HEALTHY)
    replies[missing] = None
    s = parse_status(replies)
    assert s.state is DeviceState.OFFLINE
    assert s.paper is PaperState.UNKNOWN
    assert not s.can_print
    assert f"DLE EOT {missing}" in s.detail


def test_no_replies_at_all() -> None:
    s = parse_status({1: None, 2: None, 3: None, 4: None})
    assert (s.state, s.paper, s.can_print) == (DeviceState.OFFLINE, PaperState.UNKNOWN, False)
    assert parse_status({}).state is DeviceState.OFFLINE


def test_malformed_reply_counts_as_missing() -> None:
    s = parse_status(with_(n4=0x00))  # bit 4 clear: not a DLE EOT reply
    assert (s.state, s.paper) == (DeviceState.OFFLINE, PaperState.UNKNOWN)


def test_partial_answers_still_report_paper_out() -> None:
    s = parse_status({1: 0x1A, 2: 0x32, 4: None})
    assert (s.state, s.paper) == (DeviceState.OFFLINE, PaperState.OUT)


def test_can_print_rules() -> None:
    assert PrinterStatus(DeviceState.ONLINE, PaperState.UNKNOWN).can_print
    assert not PrinterStatus(DeviceState.ONLINE, PaperState.JAMMED).can_print
    assert not PrinterStatus(DeviceState.ONLINE, PaperState.FULL, cover_open=True).can_print
    assert not PrinterStatus(DeviceState.BUSY, PaperState.FULL).can_print


def test_is_status_reply_shape() -> None:
    assert all(is_status_reply(b) for b in (0x12, 0x16, 0x1A, 0x1E, 0x32, 0x7E, 0x72))
    assert not any(is_status_reply(b) for b in (0x00, 0x10, 0x13, 0x02, 0x92, 0xFF, -1, 256))


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", None),
        (b"\x16", 0x16),
        (b"\x10\x00\x00\x00\x1a", 0x1A),  # ASB block then the reply
        (b"\x18\x12\x12\x12\x7e", 0x7E),  # ASB bytes shaped like replies are skipped whole
        (b"\x0c\x03\x1e", 0x1E),  # GS r replies (0xx0xxxx) then the reply
        (b"\xff\x00\x80\x12", 0x12),  # garbage
        (b"\x10\x00\x12", None),  # truncated ASB: wait for more, do not misread
    ],
)
def test_pick_status_byte(data: bytes, expected: int | None) -> None:
    assert pick_status_byte(data) == expected


@given(st.binary(max_size=64))
def test_pick_status_byte_fuzz(data: bytes) -> None:
    b = pick_status_byte(data)
    assert b is None or (b in data and is_status_reply(b))


@given(st.dictionaries(st.integers(-3, 9), st.one_of(st.none(), st.integers(-300, 300))))
def test_parse_status_fuzz(replies: dict[int, int | None]) -> None:
    s = parse_status(replies)
    assert isinstance(s, PrinterStatus)
    if any(not (isinstance(replies.get(n), int) and is_status_reply(replies[n]))  # type: ignore[arg-type]
           for n in (1, 2, 4)):
        assert s.paper is not PaperState.FULL and s.paper is not PaperState.LOW
        assert not s.can_print
