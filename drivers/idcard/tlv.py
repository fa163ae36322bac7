"""BER-TLV as used on eMRTD chips (ISO/IEC 7816-4): bounded, for untrusted chip answers."""

from __future__ import annotations

from dataclasses import dataclass

from .errors import BadField

MAX_ITEMS = 4096  # per level; a DG13 has a few dozen


@dataclass(frozen=True, repr=False)
class Tlv:
    tag: int
    value: bytes
    raw: bytes  # the whole encoding (tag, length, value): secure messaging MACs over it

    @property
    def constructed(self) -> bool:
        first = self.tag.to_bytes((self.tag.bit_length() + 7) // 8 or 1, "big")[0]
        return bool(first & 0x20)

    def children(self, field: str = "tlv") -> list[Tlv]:
        return parse_tlv(self.value, field=field)

    def __repr__(self) -> str:  # values may be personal data: length only
        return f"Tlv(tag=0x{self.tag:X}, {len(self.value)} bytes)"


def read_header(data: bytes, field: str = "tlv") -> tuple[int, int, int]:
    """(tag, header length, value length) of the TLV at the start of ``data``; the value
    itself need not be there yet (used to learn a file's size from its first bytes)."""
    n = len(data)
    if n < 2:
        raise BadField(field, "truncated tag")
    i = 1
    tag = data[0]
    if data[0] & 0x1F == 0x1F:  # multi-byte tag: more bytes while bit 8 is set
        for _ in range(3):
            if i >= n:
                raise BadField(field, "truncated tag")
            b = data[i]
            i += 1
            tag = tag << 8 | b
            if not b & 0x80:
                break
        else:
            raise BadField(field, "tag longer than 4 bytes")
    if i >= n:
        raise BadField(field, "truncated length")
    length = data[i]
    i += 1
    if length & 0x80:
        k = length & 0x7F
        if not 1 <= k <= 3:  # 0x80 (indefinite) is not DER; > 16 MB is not a chip file
            raise BadField(field, "unsupported length encoding")
        if i + k > n:
            raise BadField(field, "truncated length")
        length = int.from_bytes(data[i:i + k], "big")
        i += k
    return tag, i, length


def parse_tlv(data: bytes | bytearray | memoryview, *, field: str = "tlv",
              max_items: int = MAX_ITEMS) -> list[Tlv]:
    """The TLVs one after the other in ``data`` (one level; ``Tlv.children()`` goes down).
    BadField(field, ...) for anything malformed; linear time, no recursion."""
    buf = bytes(data)
    out: list[Tlv] = []
    i = 0
    while i < len(buf):
        if len(out) >= max_items:
            raise BadField(field, f"more than {max_items} data objects")
        tag, header, length = read_header(buf[i:i + 8], field)
        end = i + header + length
        if end > len(buf):
            raise BadField(field, "value runs past the end")
        out.append(Tlv(tag, buf[i + header:end], buf[i:end]))
        i = end
    return out


def encode_length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    size = (n.bit_length() + 7) // 8
    if size > 3:
        raise ValueError("TLV value too long")
    return bytes([0x80 | size]) + n.to_bytes(size, "big")
