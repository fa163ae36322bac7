"""A contactless eMRTD chip for tests and development: BAC and 3DES secure messaging.

Its cryptography is written here apart from drivers.idcard.bac, so the two sides check each
other (tests/drivers/test_drv_idcard_chip.py); keyed with ICAO Doc 9303 Part 11 Appendix
D's values it produces the appendix's exact APDUs. `dg1` and `dg13` build data groups.
"""

from __future__ import annotations

import hashlib
import os

from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives.ciphers import Cipher, modes

from drivers.idcard.tlv import parse_tlv

h = bytes.fromhex


# -- the card's own crypto and TLV ------------------------------------------------------------
def tlv(tag: int, value: bytes) -> bytes:
    t = tag.to_bytes(2 if tag > 0xFF else 1, "big")
    n = len(value)
    length = bytes([n]) if n < 128 else bytes([0x81, n]) if n < 256 else bytes([0x82]) + \
        n.to_bytes(2, "big")
    return t + length + value


def icao_digit(text: str) -> str:
    vals = {**{str(d): d for d in range(10)}, **{chr(65 + i): 10 + i for i in range(26)}, "<": 0}
    return str(sum(vals[c] * (7, 3, 1)[i % 3] for i, c in enumerate(text)) % 10)


def des3(key: bytes, data: bytes, encrypt: bool) -> bytes:
    c = Cipher(TripleDES(key + key[:8]), modes.CBC(bytes(8)))
    op = c.encryptor() if encrypt else c.decryptor()
    return op.update(data) + op.finalize()


def des_block(key8: bytes, block: bytes, encrypt: bool) -> bytes:
    c = Cipher(TripleDES(key8 * 3), modes.ECB())
    op = c.encryptor() if encrypt else c.decryptor()
    return op.update(block) + op.finalize()


def iso_pad(data: bytes) -> bytes:
    out = data + b"\x80"
    while len(out) % 8:
        out += b"\x00"
    return out


def mac3(key: bytes, data: bytes) -> bytes:
    """ISO 9797-1 MAC algorithm 3, block by block."""
    state = bytes(8)
    for i in range(0, len(padded := iso_pad(data)), 8):
        state = des_block(key[:8], bytes(a ^ b for a, b in zip(state, padded[i:i + 8],
                                                                strict=True)), True)
    return des_block(key[:8], des_block(key[8:], state, False), True)


def derive(seed: bytes, counter: int) -> bytes:
    raw = hashlib.sha1(seed + bytes([0, 0, 0, counter])).digest()[:16]
    return bytes(b ^ (0 if bin(b).count("1") % 2 else 1) for b in raw)  # odd parity


class FakeCccdChip:
    """A contactless eMRTD chip with BAC and 3DES secure messaging."""

    AID = h("A0000002471001")

    def __init__(self, mrz_information: str, files: dict[int, bytes], *,
                 rnd_ic: bytes | None = None, k_ic: bytes | None = None,
                 has_emrtd: bool = True, tamper_response: int | None = None) -> None:
        seed = hashlib.sha1(mrz_information.encode()).digest()[:16]
        self.k_enc, self.k_mac = derive(seed, 1), derive(seed, 2)
        self.files = files
        self.rnd_ic_fixed, self.k_ic = rnd_ic, k_ic or os.urandom(16)
        self.has_emrtd = has_emrtd
        self.tamper_response = tamper_response
        self.transcript: list[tuple[bytes, bytes]] = []
        self.app = False
        self.rnd_ic = b""
        self.session: tuple[bytes, bytes] | None = None
        self.ssc = 0
        self.selected: bytes | None = None
        self.responses = 0

    def transmit(self, apdu: bytes) -> bytes:
        answer = self._answer(apdu)
        self.transcript.append((apdu, answer))
        return answer

    def _answer(self, apdu: bytes) -> bytes:
        cla, ins = apdu[0], apdu[1]
        if self.session is not None:
            if cla & 0x0C != 0x0C:
                self.session = None
                return h("6982")
            return self._secure(apdu)
        if ins == 0xA4 and apdu[2] == 0x04:
            self.app = self.has_emrtd and apdu[5:5 + apdu[4]] == self.AID
            return h("9000") if self.app else h("6A82")
        if not self.app:
            return h("6D00")
        if apdu == h("0084000008"):
            self.rnd_ic = self.rnd_ic_fixed or os.urandom(8)
            return self.rnd_ic + h("9000")
        if apdu[:5] == h("0082000028") and len(apdu) == 46 and self.rnd_ic:
            e_ifd, m_ifd = apdu[5:37], apdu[37:45]
            if mac3(self.k_mac, e_ifd) != m_ifd:
                return h("6300")
            s = des3(self.k_enc, e_ifd, False)
            if s[8:16] != self.rnd_ic:
                return h("6300")
            rnd_ifd, k_ifd = s[:8], s[16:32]
            e_ic = des3(self.k_enc, self.rnd_ic + rnd_ifd + self.k_ic, True)
            seed = bytes(a ^ b for a, b in zip(k_ifd, self.k_ic, strict=True))
            self.session = (derive(seed, 1), derive(seed, 2))
            self.ssc = int.from_bytes(self.rnd_ic[4:] + rnd_ifd[4:], "big")
            return e_ic + mac3(self.k_mac, e_ic) + h("9000")
        return h("6982")

    def _secure(self, apdu: bytes) -> bytes:
        assert self.session is not None
        ks_enc, ks_mac = self.session
        header, lc = apdu[:4], apdu[4]
        objects = {o.tag: o for o in parse_tlv(apdu[5:5 + lc])}
        self.ssc += 1
        macced = iso_pad(header) + b"".join(objects[t].raw for t in (0x87, 0x97) if t in objects)
        if mac3(ks_mac, self.ssc.to_bytes(8, "big") + macced) != objects[0x8E].value:
            self.session = None
            return h("6988")
        data = b""
        if 0x87 in objects:
            plain = des3(ks_enc, objects[0x87].value[1:], False)
            data = plain[:plain.rstrip(b"\x00").rindex(b"\x80")]
        le = objects[0x97].value[0] or 256 if 0x97 in objects else 0
        out, sw = b"", 0x9000
        if apdu[1] == 0xA4:
            fid = int.from_bytes(data, "big")
            self.selected = self.files.get(fid)
            sw = 0x9000 if self.selected is not None else 0x6A82
        elif apdu[1] == 0xB0 and self.selected is not None:
            offset = int.from_bytes(apdu[2:4], "big")
            out = self.selected[offset:offset + le]
        else:
            sw = 0x6985
        return self._protect_response(out, sw)

    def _protect_response(self, data: bytes, sw: int) -> bytes:
        assert self.session is not None
        ks_enc, ks_mac = self.session
        self.ssc += 1
        do87 = tlv(0x87, b"\x01" + des3(ks_enc, iso_pad(data), True)) if data else b""
        do99 = tlv(0x99, sw.to_bytes(2, "big"))
        cc = bytearray(mac3(ks_mac, self.ssc.to_bytes(8, "big") + do87 + do99))
        self.responses += 1
        if self.tamper_response == self.responses:
            cc[0] ^= 0x80
        return do87 + do99 + tlv(0x8E, bytes(cc)) + sw.to_bytes(2, "big")


def dg1(lines: tuple[str, str, str]) -> bytes:
    return tlv(0x61, tlv(0x5F1F, "".join(lines).encode("ascii")))


def dg13(fields: dict[int, str | list[str]]) -> bytes:
    items = b""
    for number, value in fields.items():
        values = value if isinstance(value, list) else [value]
        inner = b"".join(tlv(0x0C, v.encode()) for v in values)
        if isinstance(value, list):
            inner = tlv(0x30, inner)  # parents' names come as a nested SEQUENCE
        items += tlv(0x30, tlv(0x02, bytes([number])) + inner)
    return tlv(0x6D, tlv(0x02, b"\x01") + items)
