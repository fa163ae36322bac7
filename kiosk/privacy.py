"""Linking a ticket to a person without keeping who they are.

The database keeps HMAC-SHA256(salt, ID number): the same citizen gives the same value on
this kiosk (so staff can see two tickets belong together), but the number cannot be read
back, and without the salt (a file only this kiosk's data folder holds) it cannot be
tested against a list of known numbers either.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

SALT_FILE = "person-salt.bin"
SALT_BYTES = 32


def load_or_create_salt(data_dir: Path) -> bytes:
    path = data_dir / SALT_FILE
    try:
        salt = path.read_bytes()
        if len(salt) == SALT_BYTES:
            return salt
    except FileNotFoundError:
        pass
    salt = secrets.token_bytes(SALT_BYTES)
    tmp = path.with_suffix(".tmp")
    # Readable by the kiosk's user only; written whole, then renamed, so a crash never
    # leaves a short salt that would silently change every hash.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(salt)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    return salt


def person_hash(salt: bytes, id_number: str) -> str:
    return hmac.new(salt, id_number.encode("ascii"), hashlib.sha256).hexdigest()
