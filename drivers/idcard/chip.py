"""Reading the CCCD chip (ICAO eMRTD) over PC/SC: EF.COM, DG1 (MRZ) and DG13 (Vietnam).

The APDU exchange is a small interface, :class:`ApduTransport` (``transmit(apdu) -> answer
with SW1 SW2``), so everything above it runs against a pure-Python card in the tests; the
PC/SC transport (pyscard, optional) is a thin adapter that cannot be tested without a reader.

Sequence: SELECT the eMRTD application (AID A0 00 00 02 47 10 01), BAC keyed by the MRZ,
then under secure messaging SELECT EF.COM (011E), DG1 (0101), DG13 (010D) and READ BINARY
each: the first 4 bytes give the TLV length, the rest comes in chunks.

DG13 on the CCCD is a Vietnamese, unpublished structure. Public readers agree that it is a
tag 6D holding SEQUENCEs of [INTEGER field number, UTF8String value(s)], with field 1 = ID
number, 2 = full name, 3 = birth date, 4 = sex, 5 = nationality, 6 = ethnicity,
7 = religion, 8 = place of origin, 9 = place of residence, 10 = identifying marks,
11 = issue date, 12 = expiry date, 13 = parents' names, 16 = old ID number. It is parsed
best-effort: unknown numbers are kept as ``field_<n>``, nothing in it is trusted for layout.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol, runtime_checkable

from .bac import SW_OK, SecureMessaging, perform_bac, split_response
from .cccd_qr import parse_ddmmyyyy
from .errors import BadField, ChipError, IdCardError, UnsupportedReader
from .identity import CitizenIdentity, check_id_number, mask_id, mask_text
from .mrz import Td1, parse_td1
from .tlv import Tlv, parse_tlv, read_header

log = logging.getLogger(__name__)

EMRTD_AID = bytes.fromhex("A0000002471001")
FILE_IDS = {"COM": 0x011E, "DG1": 0x0101, "DG13": 0x010D}
FILE_TAGS = {"COM": 0x60, "DG1": 0x61, "DG13": 0x6D}
READ_CHUNK = 0xDF  # data per READ BINARY: keeps the protected answer under 256 bytes
MAX_FILE_BYTES = 16 * 1024  # EF.COM, DG1 and DG13 are far smaller; DG2 (photo) is not read
MAX_DEPTH = 6
SW_FILE_NOT_FOUND = 0x6A82
PYSCARD_HINT = ("reading the chip needs pyscard: pip install pyscard (it builds against "
                "libpcsclite: apt install libpcsclite-dev swig pcscd)")

DG13_FIELD_NAMES: dict[int, str] = {
    1: "id_number", 2: "full_name", 3: "birth_date", 4: "sex", 5: "nationality",
    6: "ethnicity", 7: "religion", 8: "place_of_origin", 9: "place_of_residence",
    10: "identifying_marks", 11: "issue_date", 12: "expiry_date", 13: "parents",
    16: "old_id",
}
_MASK_AS_ID = {"id_number", "old_id"}
_STRING_TAGS = {0x0C, 0x13, 0x14, 0x16, 0x1A, 0x1E}  # UTF8, Printable, T61, IA5, Visible, BMP


@runtime_checkable
class ApduTransport(Protocol):
    def transmit(self, apdu: bytes) -> bytes:
        """Send one command APDU; return the answer's data followed by SW1 SW2."""
        ...


# -- DG13 -----------------------------------------------------------------------------------
def _decode_string(t: Tlv) -> str:
    codec = "utf-16-be" if t.tag == 0x1E else "utf-8"
    return t.value.decode(codec, errors="replace")


def _strings(node: Tlv, depth: int) -> list[str]:
    if node.tag in _STRING_TAGS:
        return [_decode_string(node)]
    if depth >= MAX_DEPTH or not node.constructed:
        return []
    out: list[str] = []
    for child in node.children("DG13"):
        out.extend(_strings(child, depth + 1))
    return out


def _walk(nodes: list[Tlv], depth: int, out: dict[int, tuple[str, ...]]) -> None:
    for node in nodes:
        if not node.constructed or depth >= MAX_DEPTH:
            continue
        children = node.children("DG13")
        if (node.tag == 0x30 and children and children[0].tag == 0x02
                and 1 <= len(children[0].value) <= 2):
            number = int.from_bytes(children[0].value, "big")
            values: list[str] = []
            for c in children[1:]:
                values.extend(_strings(c, depth + 1))
            out.setdefault(number, tuple(values))
        else:
            _walk(children, depth + 1, out)


@dataclass(repr=False)
class Dg13:
    """DG13's numbered fields (best-effort); ``fields[n]`` is a tuple of strings."""

    fields: dict[int, tuple[str, ...]] = field(default_factory=dict)

    def get(self, name: str) -> str:
        """A named field's first value, or ""."""
        for number, known in DG13_FIELD_NAMES.items():
            if known == name:
                return next(iter(self.fields.get(number, ())), "")
        return ""

    def named(self) -> dict[str, tuple[str, ...]]:
        return {DG13_FIELD_NAMES.get(n, f"field_{n}"): v for n, v in sorted(self.fields.items())}

    def to_identity(self) -> CitizenIdentity:
        """The citizen as the chip tells it (dates dd/mm/yyyy). BadField if unusable."""
        def day(name: str) -> date | None:
            text = self.get(name).replace("/", "")
            return parse_ddmmyyyy(text, name) if text else None

        check_id_number(self.get("id_number"), field_name="DG13 id_number",
                        check_structure=False)
        if not self.get("full_name").strip():
            raise BadField("DG13 full_name", "empty")
        expiry = self.get("expiry_date").replace("/", "")
        sex = {"Nam": "M", "Nữ": "F"}.get(self.get("sex"), "")
        return CitizenIdentity(
            id_number=self.get("id_number"), full_name=self.get("full_name"),
            birth_date=day("birth_date"), sex=sex, address=self.get("place_of_residence"),
            issue_date=day("issue_date"), old_id=self.get("old_id"),
            # "Không thời hạn" (no expiry) on cards of people over 60
            expiry_date=day("expiry_date") if expiry.isdigit() else None, source="chip")

    def masked(self) -> dict[str, str]:
        return {k: mask_id(v[0] if v else "") if k in _MASK_AS_ID else mask_text("".join(v))
                for k, v in self.named().items()}

    def wipe(self) -> None:
        self.fields.clear()

    def __repr__(self) -> str:
        return f"Dg13({self.masked()})"


def parse_dg13(data: bytes) -> Dg13:
    """Parse DG13 (tag 6D) best-effort; BadField("DG13", ...) only if it is not TLV at all."""
    top = parse_tlv(data, field="DG13")
    if not top or top[0].tag != FILE_TAGS["DG13"]:
        raise BadField("DG13", "does not start with tag 6D")
    out: dict[int, tuple[str, ...]] = {}
    _walk(top[0].children("DG13"), 1, out)
    return Dg13(out)


def parse_dg1(data: bytes, *, today: date | None = None) -> Td1:
    """DG1 (tag 61) holds the MRZ in tag 5F1F."""
    top = parse_tlv(data, field="DG1")
    if not top or top[0].tag != FILE_TAGS["DG1"]:
        raise BadField("DG1", "does not start with tag 61")
    for t in top[0].children("DG1"):
        if t.tag == 0x5F1F:
            try:
                text = t.value.decode("ascii")
            except UnicodeDecodeError:
                raise BadField("DG1", "MRZ is not ASCII") from None
            if len(text) != 90:
                raise BadField("DG1", "not a TD1 MRZ (90 characters)")
            return parse_td1(text, today=today)
    raise BadField("DG1", "no MRZ (tag 5F1F)")


# -- the chip data ------------------------------------------------------------------------------
class ChipData(Mapping[str, Any]):
    """What was read: ``"COM"`` (raw bytes), ``"DG1"`` (:class:`Td1`), ``"DG13"``
    (:class:`Dg13` or None if the chip has none). A read-only mapping with a masked repr."""

    def __init__(self, items: dict[str, Any]) -> None:
        self._items = dict(items)

    def __getitem__(self, key: str) -> Any:
        return self._items[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def identity(self) -> CitizenIdentity:
        """Prefer DG13 (full Vietnamese name, address); fall back to the MRZ."""
        dg13 = self._items.get("DG13")
        if isinstance(dg13, Dg13) and dg13.get("id_number"):
            return dg13.to_identity()
        return self._items["DG1"].to_identity()

    def wipe(self) -> None:
        for value in self._items.values():
            if hasattr(value, "wipe"):
                value.wipe()
        self._items.clear()

    def __repr__(self) -> str:
        parts = [f"{k}: {len(v)} bytes" if isinstance(v, bytes) else f"{k}: {v!r}"
                 for k, v in self._items.items()]
        return "ChipData({" + ", ".join(parts) + "})"

    __str__ = __repr__


# -- reading ------------------------------------------------------------------------------------
def _check(answer: tuple[bytes, int], what: str) -> bytes:
    data, sw = answer
    if sw != SW_OK:
        raise ChipError(what, "the chip refused", sw)
    return data


def read_file(sm: SecureMessaging, transmit: Callable[[bytes], bytes], name: str) -> bytes:
    """SELECT + READ BINARY one elementary file under secure messaging."""
    fid = FILE_IDS[name]
    select = b"\x00\xa4\x02\x0c\x02" + fid.to_bytes(2, "big")
    _check(sm.unprotect(transmit(sm.protect(select))), f"SELECT {name}")
    head = _check(sm.unprotect(transmit(sm.protect(b"\x00\xb0\x00\x00\x04"))),
                  f"READ BINARY {name}")
    try:
        _tag, header, length = read_header(head, name)
    except BadField as e:
        raise ChipError(name, f"file does not start with a TLV header ({e.reason})") from None
    total = header + length
    if total > MAX_FILE_BYTES:
        raise ChipError(name, f"file of {total} bytes is larger than {MAX_FILE_BYTES}")
    content = bytearray(head[:total])
    while len(content) < total:
        offset = len(content)
        want = min(READ_CHUNK, total - offset)
        apdu = b"\x00\xb0" + offset.to_bytes(2, "big") + bytes([want])
        chunk = _check(sm.unprotect(transmit(sm.protect(apdu))), f"READ BINARY {name}")
        if not chunk or len(chunk) > want:
            raise ChipError(name, f"READ BINARY returned {len(chunk)} bytes for {want}")
        content += chunk
    return bytes(content)


class PcscTransport:
    """An ApduTransport over PC/SC (pyscard). ``reader``: a reader name (or a part of it),
    or None for the first reader with a card."""

    def __init__(self, reader: str | None = None) -> None:
        try:
            from smartcard.System import readers  # optional dependency
        except ImportError:
            raise UnsupportedReader(PYSCARD_HINT) from None
        try:
            available = readers()
        except Exception as e:  # pcscd not running: pyscard raises its own types
            raise UnsupportedReader(f"PC/SC is not available: {type(e).__name__}") from None
        chosen = [r for r in available if reader is None or reader in str(r)]
        if not chosen:
            raise UnsupportedReader(f"no PC/SC reader {'matching ' + reader if reader else ''}"
                                    f" found ({len(available)} readers)")
        self.connection = chosen[0].createConnection()
        try:
            self.connection.connect()
        except Exception as e:
            raise ChipError("reader", f"no card or cannot connect: {type(e).__name__}") from None

    def transmit(self, apdu: bytes) -> bytes:
        data, sw1, sw2 = self.connection.transmit(list(apdu))
        return bytes(data) + bytes([sw1, sw2])

    def close(self) -> None:
        try:
            self.connection.disconnect()
        except Exception:  # already gone with the card
            pass


def _mrz_information(mrz: Td1 | str) -> str:
    if isinstance(mrz, Td1):
        return mrz.mrz_information
    if isinstance(mrz, str) and "\n" not in mrz and len(mrz) < 60:
        return mrz  # already the MRZ information (number+cd, birth+cd, expiry+cd)
    return parse_td1(mrz).mrz_information


def read_chip(reader: ApduTransport | str | None, mrz: Td1 | str, *,
              today: date | None = None,
              random_bytes: Callable[[int], bytes] = os.urandom) -> ChipData:
    """Read EF.COM, DG1 and DG13 from a CCCD chip.

    ``reader``: an :class:`ApduTransport`, or a PC/SC reader name / None (first reader),
    which needs pyscard (UnsupportedReader with an install hint when it is missing).
    ``mrz``: the parsed MRZ, its text, or the MRZ information string keying BAC.
    Raises ChipError / BacFailed / SecureMessagingError / BadField; logs no personal data.
    """
    if isinstance(reader, ApduTransport):
        return _read(reader.transmit, mrz, today, random_bytes)
    pcsc = PcscTransport(reader)  # we opened it: we close it
    try:
        return _read(pcsc.transmit, mrz, today, random_bytes)
    finally:
        pcsc.close()


def _read(transmit: Callable[[bytes], bytes], mrz: Td1 | str, today: date | None,
          random_bytes: Callable[[int], bytes]) -> ChipData:
    _, sw = split_response(transmit(b"\x00\xa4\x04\x0c\x07" + EMRTD_AID), "SELECT AID")
    if sw != SW_OK:
        raise ChipError("SELECT AID", "no eMRTD application on this card", sw)
    sm = perform_bac(transmit, _mrz_information(mrz), random_bytes=random_bytes)
    try:
        com = read_file(sm, transmit, "COM")
        dg1 = parse_dg1(read_file(sm, transmit, "DG1"), today=today)
        dg13: Dg13 | None
        try:
            dg13 = parse_dg13(read_file(sm, transmit, "DG13"))
        except ChipError as e:
            if e.sw != SW_FILE_NOT_FOUND:
                raise
            dg13 = None
        except IdCardError as e:  # best-effort: a DG13 we cannot parse is left out
            log.warning("chip: DG13 not parsed (%s)", type(e).__name__)
            dg13 = None
        log.info("chip read: COM %d bytes, DG1 ok, DG13 %s", len(com),
                 "absent" if dg13 is None else f"{len(dg13.fields)} fields")
        return ChipData({"COM": com, "DG1": dg1, "DG13": dg13})
    finally:
        sm.wipe()
