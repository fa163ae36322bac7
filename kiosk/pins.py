"""Staff PINs: scrypt hashes, constant-time checks, and a lock-out that grows with failures.

No Kivy: the centre's sign-in page uses it, and the kiosk's staff mode will. The failure
count lives in the database (kiosk/store/staff.py), so restarting the service does not give
a guesser fresh attempts.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from kiosk.store.staff import StaffMember, StaffStore, name_key

# hashlib.scrypt cost: 16 MiB of memory and ~50 ms per check on a small PC; a 4–8 digit PIN
# is guessable offline whatever the cost, so the lock-out below is what protects it online
# and the hash only keeps a stolen database from showing PINs at a glance.
SCRYPT_N = 2**14
SCRYPT_R = 8
SCRYPT_P = 1
SALT_BYTES = 16
HASH_BYTES = 32
PIN_MIN, PIN_MAX = 4, 8

# Failures allowed before the first lock-out, its length, and the longest one. Each failure
# past the threshold doubles the wait: 30 s, 1 min, 2 min … up to an hour.
FREE_FAILURES = 4
FIRST_LOCK = timedelta(seconds=30)
LONGEST_LOCK = timedelta(hours=1)
# A count of failures this old is forgotten (yesterday's typos do not lock today).
FORGET_AFTER = timedelta(hours=24)


class PinRefused(ValueError):
    """A new PIN that is not allowed; str() says why in one sentence."""


class SignInRefused(Exception):
    """Wrong name or PIN (the message never says which)."""


class LockedOut(SignInRefused):
    def __init__(self, until: datetime) -> None:
        super().__init__(f"too many wrong PINs: try again after {until:%H:%M:%S}")
        self.until = until


def check_new_pin(pin: str) -> None:
    """Raises PinRefused unless `pin` is 4–8 ASCII digits and not an obvious one."""
    if not (pin.isascii() and pin.isdigit()):
        raise PinRefused("a PIN is digits only")
    if not PIN_MIN <= len(pin) <= PIN_MAX:
        raise PinRefused(f"a PIN has {PIN_MIN} to {PIN_MAX} digits")
    if len(set(pin)) == 1:
        raise PinRefused("a PIN of one repeated digit (like 0000) is too easy to guess")
    steps = {int(b) - int(a) for a, b in zip(pin, pin[1:], strict=False)}
    if steps in ({1}, {-1}):
        raise PinRefused("a PIN of running digits (like 1234) is too easy to guess")
    half = len(pin) // 2
    if len(pin) % 2 == 0 and pin[:half] == pin[half:] and len(set(pin[:half])) <= 2:
        raise PinRefused("a PIN of a repeated pair (like 1212) is too easy to guess")


def hash_pin(pin: str) -> str:
    """`scrypt$N$r$p$salt$hash` (hex), so the cost can change without breaking old hashes."""
    salt = secrets.token_bytes(SALT_BYTES)
    digest = _scrypt(pin, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${salt.hex()}${digest.hex()}"


def verify_pin(pin: str, stored: str) -> bool:
    """Whether `pin` matches the stored hash, compared in constant time. A malformed stored
    hash matches nothing."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = bytes.fromhex(digest)
        actual = _scrypt(pin, bytes.fromhex(salt), int(n), int(r), int(p))
    except ValueError:
        return False
    return hmac.compare_digest(actual, expected)


def _scrypt(pin: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(pin.encode(), salt=salt, n=n, r=r, p=p, dklen=HASH_BYTES,
                          maxmem=256 * n * r)


@cache
def _dummy_hash() -> str:
    """Checked against when the name is unknown, so an unknown name costs the same time as
    a known one with a wrong PIN. Made on first use: a hash costs ~50 ms, not worth paying
    at every start."""
    return hash_pin("80421397")


def lock_length(failures: int) -> timedelta:
    """How long sign-in stays locked after this many failures in a row."""
    if failures <= FREE_FAILURES:
        return timedelta(0)
    return min(FIRST_LOCK * 2 ** (failures - FREE_FAILURES - 1), LONGEST_LOCK)


@dataclass
class PinChecker:
    """Signs staff in by name and PIN, counting failures per name in the database."""

    store: StaffStore

    def sign_in(self, name: str, pin: str, at: datetime) -> StaffMember:
        """The staff member, or SignInRefused / LockedOut. `at` is aware."""
        key = name_key(name)
        record = self.store.failures(key)
        if record and at - record.last_failure_at > FORGET_AFTER:
            record = None
        if record and record.locked_until and at < record.locked_until:
            raise LockedOut(record.locked_until.astimezone(at.tzinfo))
        member = self.store.get(name) if key else None
        matches = verify_pin(pin, member.pin_hash if member else _dummy_hash())
        if member is not None and matches:
            if record:
                self.store.clear_failures(key)
            return member
        failures = (record.failures if record else 0) + 1
        lock = lock_length(failures)
        until = at + lock if lock else None
        self.store.record_failure(key, failures, at, until)
        if until:
            raise LockedOut(until)
        raise SignInRefused("wrong name or PIN")
