"""Citizen ID card (CCCD) driver: the front QR, the TD1 MRZ and its serial readers, and the
chip (ICAO eMRTD: BAC + secure messaging, DG1 and DG13) behind a small APDU interface.

Everything that holds personal data masks it in repr/str and can be wiped; no log line
carries it (docs/architecture.md, Personal data).
"""

from .bac import SecureMessaging, bac_keys, perform_bac, retail_mac
from .cccd_qr import parse_cccd_qr
from .chip import ApduTransport, ChipData, Dg13, PcscTransport, parse_dg1, parse_dg13, read_chip
from .errors import (
    BacFailed,
    BadCheckDigit,
    BadField,
    BadFrame,
    ChipError,
    IdCardError,
    NotAnIdCard,
    ReaderError,
    SecureMessagingError,
    UnsupportedReader,
)
from .identity import CitizenIdentity, check_id_number, mask_date, mask_id, mask_name, mask_text
from .mrz import Td1, check_digit, parse_td1
from .mrz_framing import KINDS, MrzFramer
from .mrz_reader import MrzReader, open_mrz_reader, parse_reader_url

__all__ = [
    "KINDS",
    "ApduTransport",
    "BacFailed",
    "BadCheckDigit",
    "BadField",
    "BadFrame",
    "ChipData",
    "ChipError",
    "CitizenIdentity",
    "Dg13",
    "IdCardError",
    "MrzFramer",
    "MrzReader",
    "NotAnIdCard",
    "PcscTransport",
    "ReaderError",
    "SecureMessaging",
    "SecureMessagingError",
    "Td1",
    "UnsupportedReader",
    "bac_keys",
    "check_digit",
    "check_id_number",
    "mask_date",
    "mask_id",
    "mask_name",
    "mask_text",
    "open_mrz_reader",
    "parse_cccd_qr",
    "parse_dg1",
    "parse_dg13",
    "parse_reader_url",
    "parse_td1",
    "perform_bac",
    "read_chip",
    "retail_mac",
]
