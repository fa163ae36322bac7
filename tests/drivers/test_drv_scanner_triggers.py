"""Host trigger commands: Honeywell bytes, Zebra SSI packets and checksums, the SSI demux."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.scanner import (
    HONEYWELL_START,
    HONEYWELL_STOP,
    START_DECODE,
    STOP_DECODE,
    SsiChecksumError,
    SsiDemux,
    SsiPacket,
    parse_ssi,
    ssi_checksum,
    ssi_packet,
)
from drivers.scanner.triggers import SSI_CMD_ACK, SSI_CMD_NAK, SsiNoise

ACK = bytes.fromhex("04 D0 00 00 FF 2C")  # CMD_ACK from the decoder (source 0)


def test_honeywell_trigger_bytes() -> None:
    assert HONEYWELL_START == bytes.fromhex("16 54 0D")
    assert HONEYWELL_STOP == bytes.fromhex("16 55 0D")


def test_published_start_and_stop_decode_packets() -> None:
    assert START_DECODE == bytes.fromhex("04 E4 04 00 FF 14")
    assert STOP_DECODE == bytes.fromhex("04 E5 04 00 FF 13")
    assert ssi_packet(0xE4) == START_DECODE
    assert ssi_packet(0xE5, source=4, status=0) == STOP_DECODE


def test_checksum_is_the_negated_byte_sum() -> None:
    assert ssi_checksum(bytes.fromhex("04 E4 04 00")) == 0xFF14
    assert ssi_checksum(bytes.fromhex("04 D0 00 00")) == 0xFF2C
    assert ssi_checksum(b"") == 0
    for packet in (START_DECODE, STOP_DECODE, ACK, ssi_packet(0xC6, b"\x01\x02" * 40)):
        body, check = packet[:-2], int.from_bytes(packet[-2:], "big")
        assert (sum(body) + check) & 0xFFFF == 0


def test_parse_the_published_packets() -> None:
    assert parse_ssi(START_DECODE) == (SsiPacket(0xE4, 4, 0, b""), 6)
    assert parse_ssi(STOP_DECODE + b"rest") == (SsiPacket(0xE5, 4, 0, b""), 6)
    packet, used = parse_ssi(ACK)
    assert packet is not None and packet.is_ack and packet.source == 0 and used == 6
    nak = ssi_packet(SSI_CMD_NAK, b"\x06", source=0)
    packet, used = parse_ssi(nak)
    assert packet is not None and packet.is_nak and packet.nak_cause == 6 and used == 7
    assert packet.to_bytes() == nak


def test_parse_needs_more_bytes_or_skips_junk() -> None:
    assert parse_ssi(b"") == (None, 0)
    assert parse_ssi(START_DECODE[:5]) == (None, 0)
    assert parse_ssi(b"\x02\xe4") == (None, 1)  # a length below 4 cannot start a packet


def test_bad_checksum_is_a_typed_error_saying_what_to_skip() -> None:
    damaged = START_DECODE[:-1] + b"\x15"
    with pytest.raises(SsiChecksumError) as err:
        parse_ssi(damaged + STOP_DECODE)
    assert (err.value.expected, err.value.received, err.value.length) == (0xFF14, 0xFF15, 6)
    assert parse_ssi((damaged + STOP_DECODE)[err.value.length:])[0] == SsiPacket(0xE5)


def test_packet_arguments_are_checked() -> None:
    with pytest.raises(ValueError):
        ssi_packet(0x100)
    with pytest.raises(ValueError):
        ssi_packet(0xE4, b"x" * 252)
    assert len(ssi_packet(0xE4, b"x" * 251)) == 257


def test_demux_picks_replies_out_at_frame_boundaries() -> None:
    d = SsiDemux()
    nak = ssi_packet(SSI_CMD_NAK, b"\x01", source=0)
    out = d.feed(ACK + b"]Q1data\r" + nak + b"more\r\n")
    assert out == [SsiPacket(SSI_CMD_ACK, 0), b"]Q1data\r", SsiPacket(SSI_CMD_NAK, 0, 0, b"\x01"),
                   b"more\r", b"\n"]


def test_demux_inside_a_frame_passes_reply_shaped_bytes_as_data() -> None:
    d = SsiDemux()
    assert d.feed(b"abc" + ACK + b"\r") == [b"abc" + ACK + b"\r"]


def test_demux_holds_a_reply_split_across_reads() -> None:
    d = SsiDemux()
    assert d.feed(ACK[:3]) == []
    assert d.feed(ACK[3:] + b"x\r") == [SsiPacket(SSI_CMD_ACK, 0), b"x\r"]


def test_demux_skips_a_damaged_reply() -> None:
    d = SsiDemux()
    assert d.feed(ACK[:-1] + b"\x00" + b"ok\r") == [SsiNoise(6), b"ok\r"]


def test_demux_frames_starting_like_a_length_byte_are_data() -> None:
    d = SsiDemux()
    assert d.feed(b"\x05hello\r") == [b"\x05hello\r"]  # opcode byte is not ACK/NAK


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=64), st.lists(st.integers(0, 64), max_size=6))
def test_fuzz_demux_keeps_every_data_byte_in_any_chunking(data: bytes, cuts: list[int]) -> None:
    """Without reply-shaped bytes, the demux is the identity; with them, it never raises."""
    d = SsiDemux()
    points = sorted({c for c in cuts if c < len(data)} | {0, len(data)})
    out: list[object] = []
    for a, b in zip(points, points[1:], strict=False):
        out += d.feed(data[a:b])
    passed = b"".join(p for p in out if isinstance(p, bytes))
    if not any(isinstance(p, SsiPacket | SsiNoise) for p in out) and not d.pending:
        assert passed == data
