"""ICAO 9303 Part 11 Basic Access Control (BAC) and 3DES secure messaging, reader side.

- Key seed: the first 16 bytes of SHA-1 over the MRZ information (document number + check
  digit, birth + check digit, expiry + check digit).
- KDF(K, c) = SHA-1(K || c as 4 bytes)[:16] with DES parity adjusted: c = 1 → K_enc,
  c = 2 → K_mac (two-key 3DES).
- Mutual authentication: GET CHALLENGE gives RND.IC; S = RND.IFD || RND.IC || K.IFD;
  E_IFD = 3DES-CBC(K_enc, IV 0, S); M_IFD = retail MAC(K_mac, E_IFD); EXTERNAL
  AUTHENTICATE sends E_IFD || M_IFD and gets E_IC || M_IC, with R = RND.IC || RND.IFD || K.IC.
- Session: K_seed = K.IFD xor K.IC → KS_enc, KS_mac; SSC = RND.IC[4:8] || RND.IFD[4:8].
- Retail MAC: ISO/IEC 9797-1 MAC algorithm 3 (DES-CBC with the left key, then decrypt with
  the right key and encrypt with the left on the last block), padding method 2 (0x80 then
  zeros to 8 bytes).
- Secure messaging: a command carries DO'87' (01 || encrypted padded data), DO'97' (Le)
  and DO'8E' (MAC over SSC || padded header || DO'87' || DO'97'); a response carries
  DO'87', DO'99' (status word) and DO'8E' (MAC over SSC || DO'87' || DO'99'). The SSC goes
  up by one before each command and each response.

Keys are kept in ``bytearray`` so :meth:`SecureMessaging.wipe` can zero them; the copies the
``cryptography`` library makes for each operation are freed by it, not zeroed.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Callable

from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives.ciphers import Cipher, modes

from .errors import BacFailed, ChipError, SecureMessagingError
from .tlv import encode_length, parse_tlv

ZERO_IV = bytes(8)
SW_OK = 0x9000
Transmit = Callable[[bytes], bytes]  # command APDU → response data || SW1 SW2


# -- primitives -------------------------------------------------------------------------------
def pad(data: bytes) -> bytes:
    """ISO/IEC 9797-1 padding method 2: 0x80, then zeros up to a multiple of 8."""
    return data + b"\x80" + bytes(-(len(data) + 1) % 8)


def unpad(data: bytes) -> bytes:
    stripped = data.rstrip(b"\x00")
    if not stripped.endswith(b"\x80") or len(data) - len(stripped) > 7:
        raise ValueError("bad ISO 9797-1 method 2 padding")
    return stripped[:-1]


def _des_key(key: bytes | bytearray) -> TripleDES:
    # Always 24 bytes: cryptography deprecates 8- and 16-byte TripleDES keys. Two-key 3DES
    # is K1 K2 K1; single DES (the retail MAC's steps) is K K K.
    k = bytes(key)
    return TripleDES(k * 3 if len(k) == 8 else k + k[:8] if len(k) == 16 else k)


def _3des(key: bytes | bytearray, data: bytes, encrypt: bool) -> bytes:
    cipher = Cipher(_des_key(key), modes.CBC(ZERO_IV))
    op = cipher.encryptor() if encrypt else cipher.decryptor()
    return op.update(data) + op.finalize()


def tdes_encrypt(key: bytes | bytearray, data: bytes) -> bytes:
    """3DES-CBC, IV 0, no padding (``data`` is a multiple of 8 bytes)."""
    return _3des(key, data, True)


def tdes_decrypt(key: bytes | bytearray, data: bytes) -> bytes:
    return _3des(key, data, False)


def retail_mac(key: bytes | bytearray, data: bytes) -> bytes:
    """ISO/IEC 9797-1 MAC algorithm 3 with DES and padding method 2 (8 bytes)."""
    ka, kb = bytes(key[:8]), bytes(key[8:16])
    last = _3des(ka, pad(data), True)[-8:]  # single-DES CBC with the left key
    dec = Cipher(_des_key(kb), modes.ECB()).decryptor()
    enc = Cipher(_des_key(ka), modes.ECB()).encryptor()
    return enc.update(dec.update(last) + dec.finalize()) + enc.finalize()


def adjust_parity(key: bytes) -> bytes:
    """Set each byte's lowest bit so the byte has odd parity (DES keys)."""
    return bytes((b & 0xFE) | ((bin(b >> 1).count("1") + 1) & 1) for b in key)


def kdf(seed: bytes | bytearray, counter: int) -> bytes:
    """ICAO 9303 Part 11 KDF for 3DES: 16 parity-adjusted bytes."""
    digest = hashlib.sha1(bytes(seed) + counter.to_bytes(4, "big")).digest()
    return adjust_parity(digest[:16])


def key_seed(mrz_information: str) -> bytes:
    if not mrz_information.isascii() or len(mrz_information) < 24:
        raise ValueError("MRZ information must be at least 24 ASCII characters")
    return hashlib.sha1(mrz_information.encode("ascii")).digest()[:16]


def bac_keys(mrz_information: str) -> tuple[bytes, bytes]:
    """(K_enc, K_mac) from the MRZ information."""
    seed = key_seed(mrz_information)
    return kdf(seed, 1), kdf(seed, 2)


def split_response(rapdu: bytes, field: str) -> tuple[bytes, int]:
    if len(rapdu) < 2:
        raise ChipError(field, "answer shorter than a status word")
    return rapdu[:-2], int.from_bytes(rapdu[-2:], "big")


# -- mutual authentication ----------------------------------------------------------------------
def mutual_auth_data(k_enc: bytes, k_mac: bytes, rnd_ic: bytes, rnd_ifd: bytes,
                     k_ifd: bytes) -> bytes:
    """EXTERNAL AUTHENTICATE command data: E_IFD || M_IFD (40 bytes)."""
    e_ifd = tdes_encrypt(k_enc, rnd_ifd + rnd_ic + k_ifd)
    return e_ifd + retail_mac(k_mac, e_ifd)


def session_keys(k_ifd: bytes, k_ic: bytes) -> tuple[bytes, bytes]:
    seed = bytes(a ^ b for a, b in zip(k_ifd, k_ic, strict=True))
    return kdf(seed, 1), kdf(seed, 2)


def session_from_response(k_enc: bytes, k_mac: bytes, rnd_ic: bytes, rnd_ifd: bytes,
                          k_ifd: bytes, response: bytes) -> SecureMessaging:
    """Verify the chip's E_IC || M_IC and open the secure-messaging session."""
    field = "EXTERNAL AUTHENTICATE"
    if len(response) != 40:
        raise BacFailed(field, f"expected 40 bytes, got {len(response)}")
    e_ic, m_ic = response[:32], response[32:]
    if not hmac.compare_digest(retail_mac(k_mac, e_ic), m_ic):
        raise BacFailed(field, "the chip's MAC does not verify")
    r = tdes_decrypt(k_enc, e_ic)
    if not hmac.compare_digest(r[:8], rnd_ic) or not hmac.compare_digest(r[8:16], rnd_ifd):
        raise BacFailed(field, "the chip's answer does not match the challenges")
    ks_enc, ks_mac = session_keys(k_ifd, r[16:32])
    return SecureMessaging(ks_enc, ks_mac, rnd_ic[4:8] + rnd_ifd[4:8])


def perform_bac(transmit: Transmit, mrz_information: str, *,
                random_bytes: Callable[[int], bytes] = os.urandom) -> SecureMessaging:
    """Run BAC over ``transmit`` (the eMRTD application already selected)."""
    k_enc, k_mac = bac_keys(mrz_information)
    data, sw = split_response(transmit(b"\x00\x84\x00\x00\x08"), "GET CHALLENGE")
    if sw != SW_OK or len(data) != 8:
        raise ChipError("GET CHALLENGE", f"expected 8 bytes and 9000, got {len(data)} bytes",
                        sw)
    rnd_ic = data
    rnd_ifd, k_ifd = random_bytes(8), random_bytes(16)
    cmd = mutual_auth_data(k_enc, k_mac, rnd_ic, rnd_ifd, k_ifd)
    data, sw = split_response(transmit(b"\x00\x82\x00\x00\x28" + cmd + b"\x28"),
                              "EXTERNAL AUTHENTICATE")
    if sw != SW_OK:
        raise BacFailed("EXTERNAL AUTHENTICATE", "the chip refused the keys from the MRZ "
                                                 "(MRZ misread, or another card)", sw)
    return session_from_response(k_enc, k_mac, rnd_ic, rnd_ifd, k_ifd, data)


# -- secure messaging ---------------------------------------------------------------------------
def parse_command(apdu: bytes) -> tuple[bytes, bytes, int | None]:
    """(header, data, Le) of a short command APDU; Le 256 is encoded 00."""
    n = len(apdu)
    if n < 4:
        raise ValueError("command APDU shorter than 4 bytes")
    header = apdu[:4]
    if n == 4:
        return header, b"", None
    if n == 5:
        return header, b"", apdu[4] or 256
    lc = apdu[4]
    if lc == 0:
        raise ValueError("extended-length APDUs are not supported")
    if n == 5 + lc:
        return header, apdu[5:], None
    if n == 6 + lc:
        return header, apdu[5:5 + lc], apdu[-1] or 256
    raise ValueError("command APDU length does not match Lc")


class SecureMessaging:
    """A BAC secure-messaging session: ``protect`` commands, ``unprotect`` answers."""

    def __init__(self, ks_enc: bytes, ks_mac: bytes, ssc: bytes | int) -> None:
        self._ks_enc = bytearray(ks_enc)
        self._ks_mac = bytearray(ks_mac)
        self._ssc = int.from_bytes(ssc, "big") if isinstance(ssc, bytes) else int(ssc)
        self.closed = False

    @property
    def ssc(self) -> bytes:
        return self._ssc.to_bytes(8, "big")

    @property
    def ks_enc(self) -> bytes:
        return bytes(self._ks_enc)

    @property
    def ks_mac(self) -> bytes:
        return bytes(self._ks_mac)

    def _next_ssc(self) -> bytes:
        self._ssc = (self._ssc + 1) % (1 << 64)
        return self.ssc

    def protect(self, apdu: bytes) -> bytes:
        """Wrap a plain short command APDU (CLA must not already signal SM)."""
        if self.closed:
            raise SecureMessagingError("secure messaging", "session ended")
        header, data, le = parse_command(apdu)
        header = bytes([header[0] | 0x0C]) + header[1:]
        do87 = b""
        if data:
            body = b"\x01" + tdes_encrypt(self._ks_enc, pad(data))
            do87 = b"\x87" + encode_length(len(body)) + body
        do97 = b"" if le is None else b"\x97\x01" + bytes([le & 0xFF])
        cc = retail_mac(self._ks_mac, self._next_ssc() + pad(header) + do87 + do97)
        objects = do87 + do97 + b"\x8e\x08" + cc
        if len(objects) > 255:
            raise ValueError("protected command too long for a short APDU")
        return header + bytes([len(objects)]) + objects + b"\x00"

    def unprotect(self, rapdu: bytes) -> tuple[bytes, int]:
        """Verify and decrypt an answer: (data, status word). Any failure ends the session:
        a MAC that does not verify means the answer is not the chip's."""
        if self.closed:
            raise SecureMessagingError("secure messaging", "session ended")
        try:
            return self._unprotect(rapdu)
        except Exception:
            self.closed = True
            raise

    def _unprotect(self, rapdu: bytes) -> tuple[bytes, int]:
        body, sw = split_response(rapdu, "response")
        if not body:
            raise ChipError("response", "the chip answered without secure messaging", sw)
        ssc = self._next_ssc()
        field = "secure messaging response"
        try:
            objects = parse_tlv(body, field=field, max_items=8)
        except Exception as e:
            raise SecureMessagingError(field, "malformed data objects", sw) from e
        found: dict[int, bytes] = {}
        raw: dict[int, bytes] = {}
        for i, o in enumerate(objects):
            if o.tag not in (0x85, 0x87, 0x99, 0x8E) or o.tag in found:
                raise SecureMessagingError(field, "unexpected or repeated data object", sw)
            if o.tag == 0x8E and i != len(objects) - 1:
                raise SecureMessagingError(field, "DO'8E' is not last", sw)
            found[o.tag], raw[o.tag] = o.value, o.raw
        if 0x8E not in found:
            raise SecureMessagingError(field, "no MAC (DO'8E')", sw)
        if 0x85 in found and 0x87 in found:
            raise SecureMessagingError(field, "both DO'85' and DO'87'", sw)
        macced = raw.get(0x87, raw.get(0x85, b"")) + raw.get(0x99, b"")
        if not hmac.compare_digest(retail_mac(self._ks_mac, ssc + macced), found[0x8E]):
            raise SecureMessagingError(field, "MAC does not verify", sw)
        if 0x99 in found:
            if len(found[0x99]) != 2:
                raise SecureMessagingError(field, "DO'99' is not 2 bytes", sw)
            sw = int.from_bytes(found[0x99], "big")
        data = found.get(0x85, b"")
        if 0x87 in found:
            enc = found[0x87]
            if len(enc) < 9 or enc[0] != 0x01 or (len(enc) - 1) % 8:
                raise SecureMessagingError(field, "DO'87' is malformed", sw)
            try:
                data = unpad(tdes_decrypt(self._ks_enc, enc[1:]))
            except ValueError:
                raise SecureMessagingError(field, "DO'87' padding is wrong", sw) from None
        return data, sw

    def wipe(self) -> None:
        for key in (self._ks_enc, self._ks_mac):
            key[:] = bytes(len(key))
        self._ssc = 0
        self.closed = True

    def __repr__(self) -> str:  # never the keys
        return f"SecureMessaging({'closed' if self.closed else 'open'})"
