"""Vietnamese TCVN-3 (TCVN 5712 "VN3") as printer code pages 30 and 31.

Page 30 holds lowercase Vietnamese letters above 0x80, page 31 the uppercase ones; below
0x80 both are ASCII. The tables are python-escpos's (its capabilities database, from
escpos-printer-db), registered here as Python codecs "tcvn3-1" and "tcvn3-2" so the
decoder reads such text back. Only Vietnamese: K'Ho and Ê Đê letters (ƀ, breves) are not
in TCVN-3 and must still be drawn as raster.
"""

from __future__ import annotations

import codecs
import json
import unicodedata
from functools import lru_cache
from importlib import resources

# ESC t n for each table, as numbered in Epson's and python-escpos's code page lists.
PAGES = {30: "TCVN-3-1", 31: "TCVN-3-2"}
CODEC_NAMES = {30: "tcvn3-1", 31: "tcvn3-2"}
ESC_T = b"\x1bt"


@lru_cache(maxsize=1)
def _decoding_tables() -> dict[int, str]:
    data = json.loads(resources.files("escpos").joinpath("capabilities.json").read_text("utf-8"))
    tables = {}
    for page, name in PAGES.items():
        rows = data["encodings"][name]["data"]  # 8 rows of 16 characters: bytes 0x80-0xFF
        high = "".join(rows)
        if len(high) != 128:
            raise ValueError(f"python-escpos table {name} has {len(high)} characters, not 128")
        # A space above 0x80 marks an unused byte. The database writes capital Đ (U+0110)
        # as the look-alike Icelandic Ð (U+00D0); Vietnamese text has Đ.
        high = "".join("\ufffe" if ch == " " else ch for ch in high).replace("Ð", "Đ")
        tables[page] = "".join(chr(i) for i in range(128)) + high
    return tables


def _search(name: str) -> codecs.CodecInfo | None:
    for page, codec in CODEC_NAMES.items():
        if name == codec.replace("-", "_") or name == codec:
            table = _decoding_tables()[page]
            encoding_table = codecs.charmap_build(table)

            def encode(text: str, errors: str = "strict", _t=encoding_table):  # type: ignore[no-untyped-def]
                return codecs.charmap_encode(text, errors, _t)

            def decode(data: bytes, errors: str = "strict", _t=table):  # type: ignore[no-untyped-def]
                return codecs.charmap_decode(data, errors, _t)

            return codecs.CodecInfo(encode, decode, name=codec)
    return None


codecs.register(_search)


@lru_cache(maxsize=1)
def _letter_pages() -> dict[str, tuple[int, int]]:
    """Each non-ASCII letter → (page, byte)."""
    pages: dict[str, tuple[int, int]] = {}
    for page, table in _decoding_tables().items():
        for byte in range(128, 256):
            ch = table[byte]
            if ch != "\ufffe":
                pages.setdefault(ch, (page, byte))
    return pages


def can_encode(text: str) -> bool:
    """True when every character is printable ASCII or a TCVN-3 Vietnamese letter."""
    letters = _letter_pages()
    return all(32 <= ord(ch) < 127 or ch in letters
               for ch in unicodedata.normalize("NFC", text))


def encode_runs(text: str) -> list[tuple[int, bytes]]:
    """`text` as (page, bytes) runs, switching pages only where a letter needs it.

    Raises ValueError for a character TCVN-3 lacks (check with can_encode first).
    """
    letters = _letter_pages()
    runs: list[tuple[int, bytearray]] = []
    for ch in unicodedata.normalize("NFC", text):
        if 32 <= ord(ch) < 127 or ch == "\n":
            page, byte = (runs[-1][0] if runs else 30), ord(ch)
        elif ch in letters:
            page, byte = letters[ch]
        else:
            raise ValueError(f"{ch!r} (U+{ord(ch):04X}) is not in TCVN-3")
        if not runs or runs[-1][0] != page:
            runs.append((page, bytearray()))
        runs[-1][1].append(byte)
    return [(page, bytes(data)) for page, data in runs]


def encode(text: str) -> bytes:
    """ESC t 30/31 switches and text bytes, ending back on page 0 (PC437)."""
    out = bytearray()
    for page, data in encode_runs(text):
        out += ESC_T + bytes([page]) + data
    return bytes(out + ESC_T + b"\x00")
