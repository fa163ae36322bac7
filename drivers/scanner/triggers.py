"""Host trigger commands: Honeywell serial trigger and Zebra SSI packets. The bytes and
their exchange only: ``HostTrigger`` sends through the scanner and reads the replies the
scanner's reader thread hands it.

Honeywell (serial trigger mode): ``SYN T CR`` (16 54 0D) starts reading, ``SYN U CR``
(16 55 0D) stops it; the scanner answers nothing, and also stops by itself after a good read
or its read time-out.

Zebra SSI (Simple Serial Interface): every message is a packet

    length | opcode | source | status | data ... | checksum (2 bytes, big-endian)

``length`` counts the bytes before the checksum (so it is 4 + len(data)), ``source`` is 0 for
the decoder and 4 for the host, and the checksum is the 16-bit two's complement of the sum of
those bytes. START_DECODE is ``04 E4 04 00 FF 14``, STOP_DECODE ``04 E5 04 00 FF 13``; the
decoder answers CMD_ACK (0xD0) or CMD_NAK (0xD1, data = one cause byte).

This driver takes scan data from a Zebra scanner as raw decode data ended by a terminator
(the scanner's "Decode Data Packet Format" = raw, with a CR suffix), so on the wire SSI
packets only come back as answers to commands, between frames. ``SsiDemux`` picks them out of
the stream there and passes everything else on to the frame splitter.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from .states import ScannerTimeout, SsiChecksumError, TriggerRejected

Trigger = Literal["honeywell", "zebra-ssi"]
TRIGGERS: tuple[str, ...] = ("honeywell", "zebra-ssi")
DEFAULT_ACK_TIMEOUT = 1.0

HONEYWELL_START = b"\x16T\r"
HONEYWELL_STOP = b"\x16U\r"

SSI_SOURCE_DECODER = 0x00
SSI_SOURCE_HOST = 0x04
SSI_START_DECODE = 0xE4
SSI_STOP_DECODE = 0xE5
SSI_CMD_ACK = 0xD0
SSI_CMD_NAK = 0xD1
SSI_STATUS_RETRANSMIT = 0x01  # status bit 0: this is a resend
SSI_MAX_DATA = 251  # the length byte is at most 255, 4 of which are the header
# NAK causes (data byte of CMD_NAK)
NAK_RESEND = 0x01  # checksum failure: the host should send the packet again
NAK_BAD_CONTEXT = 0x02
NAK_DENIED = 0x06
NAK_CANCEL = 0x0A
NAK_CAUSES: dict[int, str] = {NAK_RESEND: "resend (checksum failure)",
                              NAK_BAD_CONTEXT: "bad context", NAK_DENIED: "denied",
                              NAK_CANCEL: "cancel"}
_REPLY_OPCODES = frozenset({SSI_CMD_ACK, SSI_CMD_NAK})


def ssi_checksum(data: bytes) -> int:
    """16-bit two's complement of the byte sum."""
    return -sum(data) & 0xFFFF


@dataclass(frozen=True)
class SsiPacket:
    opcode: int
    source: int = SSI_SOURCE_HOST
    status: int = 0
    data: bytes = b""

    def to_bytes(self) -> bytes:
        return ssi_packet(self.opcode, self.data, self.source, self.status)

    @property
    def is_ack(self) -> bool:
        return self.opcode == SSI_CMD_ACK

    @property
    def is_nak(self) -> bool:
        return self.opcode == SSI_CMD_NAK

    @property
    def nak_cause(self) -> int | None:
        return self.data[0] if self.is_nak and self.data else None


def ssi_packet(opcode: int, data: bytes = b"", source: int = SSI_SOURCE_HOST,
               status: int = 0) -> bytes:
    """One SSI packet, checksum included."""
    for name, value in (("opcode", opcode), ("source", source), ("status", status)):
        if not 0 <= value <= 0xFF:
            raise ValueError(f"SSI {name} must be a byte, got {value!r}")
    if len(data) > SSI_MAX_DATA:
        raise ValueError(f"SSI data is at most {SSI_MAX_DATA} bytes, got {len(data)}")
    body = bytes((4 + len(data), opcode, source, status)) + bytes(data)
    return body + ssi_checksum(body).to_bytes(2, "big")


START_DECODE = ssi_packet(SSI_START_DECODE)  # 04 E4 04 00 FF 14
STOP_DECODE = ssi_packet(SSI_STOP_DECODE)  # 04 E5 04 00 FF 13


def parse_ssi(buf: bytes) -> tuple[SsiPacket | None, int]:
    """Parse the packet at the start of ``buf``.

    Returns ``(packet, consumed)``; ``(None, 0)`` when more bytes are needed; ``(None, 1)``
    when the first byte cannot start a packet (a length below 4: skip it to resynchronise).
    Raises SsiChecksumError for a complete packet whose checksum is wrong; its ``length``
    says how many bytes to skip."""
    if not buf:
        return None, 0
    length = buf[0]
    if length < 4:
        return None, 1
    if len(buf) < length + 2:
        return None, 0
    body = bytes(buf[:length])
    received = int.from_bytes(buf[length:length + 2], "big")
    expected = ssi_checksum(body)
    if received != expected:
        raise SsiChecksumError(expected, received, length + 2)
    return SsiPacket(body[1], body[2], body[3], body[4:]), length + 2


@dataclass(frozen=True)
class SsiNoise:
    """Bytes shaped like a decoder reply whose checksum was wrong (skipped)."""

    length: int


class SsiDemux:
    """Split a Zebra scanner's byte stream into decoder replies and frame data.

    A reply is recognised only at a frame boundary (stream start, or right after a CR or
    LF) and only if it looks like one: a length byte 4..9, opcode CMD_ACK or CMD_NAK, source
    = decoder. A frame could in theory start with such bytes, but the checksum must match
    too. A reply-shaped packet with a bad checksum is skipped (``SsiNoise``)."""

    MAX_REPLY = 11  # a NAK is 7 bytes; a little slack for replies with data

    def __init__(self) -> None:
        self._held = b""  # a possible reply, incomplete so far (at most MAX_REPLY bytes)
        self._boundary = True

    def feed(self, data: bytes) -> list[SsiPacket | SsiNoise | bytes]:
        out: list[SsiPacket | SsiNoise | bytes] = []
        buf = self._held + bytes(data)
        self._held = b""
        i, n = 0, len(buf)
        while i < n:
            if self._boundary and self._reply_shaped(buf, i):
                if n - i < buf[i] + 2:
                    self._held = buf[i:]  # wait for the rest of it
                    break
                try:
                    packet, used = parse_ssi(buf[i:])
                except SsiChecksumError as e:
                    out.append(SsiNoise(e.length))
                    i += e.length
                    continue
                assert packet is not None
                out.append(packet)
                i += used
                continue
            # Frame data up to and including the next CR or LF.
            cr, lf = buf.find(b"\r", i), buf.find(b"\n", i)
            ends = [k for k in (cr, lf) if k >= 0]
            if not ends:
                out.append(buf[i:])
                self._boundary = False
                break
            k = min(ends) + 1
            out.append(buf[i:k])
            self._boundary = True
            i = k
        return out

    @property
    def pending(self) -> int:
        """Bytes held back as a possible, still incomplete, reply."""
        return len(self._held)

    def reset(self) -> None:
        self._held, self._boundary = b"", True

    @staticmethod
    def _reply_shaped(buf: bytes, i: int) -> bool:
        if not 4 <= buf[i] <= SsiDemux.MAX_REPLY - 2:
            return False
        if i + 1 < len(buf) and buf[i + 1] not in _REPLY_OPCODES:
            return False
        return not (i + 2 < len(buf) and buf[i + 2] != SSI_SOURCE_DECODER)


class HostTrigger:
    """Start / stop decoding by host command. ``send(data, timeout)`` writes to the scanner;
    the reader thread puts each SSI reply it picks out of the stream into ``replies``."""

    def __init__(self, kind: Trigger, send: Callable[[bytes, float], None],
                 description: str) -> None:
        self.kind = kind
        self.replies: queue.Queue[SsiPacket] = queue.Queue()
        self._send = send
        self._description = description
        self._lock = threading.Lock()  # one command at a time

    def command(self, start: bool, timeout: float = DEFAULT_ACK_TIMEOUT) -> None:
        """Honeywell: sent is done (the scanner answers nothing). Zebra SSI: returns once the
        scanner ACKed; ScannerTimeout without an answer, TriggerRejected on NAK."""
        if not timeout > 0:
            raise ValueError(f"timeout must be > 0, got {timeout!r}")
        if self.kind == "honeywell":
            self._send(HONEYWELL_START if start else HONEYWELL_STOP, timeout)
            return
        self._ssi_command(SSI_START_DECODE if start else SSI_STOP_DECODE, timeout)

    def _ssi_command(self, opcode: int, timeout: float) -> None:
        name = "START_DECODE" if opcode == SSI_START_DECODE else "STOP_DECODE"
        with self._lock:
            deadline = time.monotonic() + timeout
            status = 0
            for attempt in range(2):
                while True:  # replies nobody waited for (late ones) must not answer this
                    try:
                        self.replies.get_nowait()
                    except queue.Empty:
                        break
                self._send(ssi_packet(opcode, status=status), timeout)
                try:
                    reply = self.replies.get(timeout=max(deadline - time.monotonic(), 0.0))
                except queue.Empty:
                    raise ScannerTimeout(f"{self._description}: no ACK to {name} within "
                                         f"{timeout:g} s") from None
                if reply.is_ack:
                    return
                cause = reply.nak_cause
                if cause == NAK_RESEND and attempt == 0:
                    status = SSI_STATUS_RETRANSMIT  # the scanner saw a damaged packet: once more
                    continue
                why = NAK_CAUSES.get(cause, f"cause {cause}") if cause is not None else "no cause"
                if not reply.is_nak:
                    why = f"unexpected reply opcode 0x{reply.opcode:02X}"
                raise TriggerRejected(f"{self._description}: scanner refused {name}: {why}",
                                      cause if cause is not None else -1)
