"""Enrolment of terminals and their tokens (docs/architecture.md, Centre).

Staff make a one-time code for a named terminal (`kiosk centre enrol`); the terminal
exchanges it over TLS for its own bearer token. The centre keeps only SHA-256 digests of
both: codes and tokens are long random secrets, so a plain digest is enough (nothing to
guess, unlike a PIN).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, and_, delete, insert, select, update

from kiosk.store.db import reading
from kiosk.store.terminals import enrolment_codes, terminals

KIOSK, COUNTER, DISPLAY = "kiosk", "counter", "display"
KINDS = (KIOSK, COUNTER, DISPLAY)
CODE_LIFETIME = timedelta(hours=24)
# Crockford's base32: no I, L, O or U, so a code read aloud or typed is not misread.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 16  # 80 bits, shown as 4 groups of 4
_MISREAD = str.maketrans({"I": "1", "L": "1", "O": "0"})
NAME = re.compile(r"\w[\w.-]{0,63}")

PENDING, ACTIVE, REVOKED = "pending", "active", "revoked"


class EnrolmentRefused(Exception):
    """A code that cannot enrol a terminal; str() is one sentence for the terminal's staff."""


class TokenRefused(Exception):
    """A bearer token that is unknown or revoked; str() is one sentence."""


class TerminalExists(Exception):
    """`enrol` for a name whose terminal is enrolled and not revoked."""


class UnknownTerminal(Exception):
    """No terminal of that name."""


@dataclass(frozen=True)
class Terminal:
    name: str
    kind: str
    state: str  # pending (a code waits), active, revoked
    enrolled_at: str | None = None
    revoked_at: str | None = None
    code_expires_at: str | None = None


@dataclass(frozen=True)
class Enrolment:
    token: str
    name: str
    kind: str
    replayed: bool  # the same request_id again: a new token replaces the one it lost


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _utc_text(moment: datetime) -> str:
    # One fixed width, so that times compare as text in SQL on every database.
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def normalise_code(text: str) -> str:
    """A code as someone may type it (any case, spaces or dashes, O for 0, I or L for 1)
    as its 16 characters; ValueError when it cannot be one."""
    chars = "".join(ch for ch in text.upper() if ch not in " -\t").translate(_MISREAD)
    if len(chars) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in chars):
        raise ValueError("expected a code of 16 letters and digits, like ABCD-EFGH-JKMN-PQRS")
    return chars


def check_name(name: str) -> str:
    if not NAME.fullmatch(name):
        raise ValueError("expected a terminal name of letters, digits, '.', '-' or '_' "
                         "(at most 64), e.g. kiosk-1")
    return name


def check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise ValueError(f"expected a terminal kind: {', '.join(KINDS)}")
    return kind


class Terminals:
    def __init__(self, engine: Engine, clock: Callable[[], datetime] | None = None) -> None:
        self.engine = engine
        self.clock = clock or (lambda: datetime.now(UTC))

    def _now(self) -> str:
        return _utc_text(self.clock())

    def new_code(self, kind: str, name: str) -> tuple[str, datetime]:
        """A one-time code enrolling `name` as a `kind` terminal, and when it expires. A new
        code replaces the name's older unused ones. TerminalExists while `name` is
        enrolled: revoke it first, so a terminal is never replaced by mistake."""
        check_kind(kind)
        check_name(name)
        raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        now = self.clock().astimezone(UTC)
        expires = now + CODE_LIFETIME
        with self.engine.begin() as conn:
            row = conn.execute(select(terminals).where(terminals.c.name == name)).first()
            if row is not None and row.token_hash and not row.revoked_at:
                raise TerminalExists(f"terminal {name!r} is enrolled; revoke it first "
                                     f"(kiosk centre revoke {name})")
            conn.execute(delete(enrolment_codes).where(and_(
                enrolment_codes.c.name == name, enrolment_codes.c.used_at.is_(None))))
            conn.execute(insert(enrolment_codes).values(
                code_hash=digest(raw), name=name, kind=kind, created_at=_utc_text(now),
                expires_at=_utc_text(expires)))
        return "-".join(raw[i:i + 4] for i in range(0, CODE_LENGTH, 4)), expires

    def enrol(self, code: str, kind: str, name: str | None = None,
              request_id: str | None = None) -> Enrolment:
        """The token for the terminal the code was made for. Refused (EnrolmentRefused)
        when the code is unknown, expired or used, or made for another kind or name."""
        try:
            code_hash = digest(normalise_code(code))
        except ValueError as exc:
            raise EnrolmentRefused(f"this is not an enrolment code: {exc}") from None
        token = secrets.token_urlsafe(32)
        now = self._now()
        with self.engine.begin() as conn:
            row = conn.execute(select(enrolment_codes)
                               .where(enrolment_codes.c.code_hash == code_hash)).first()
            if row is None:
                raise EnrolmentRefused("unknown enrolment code; ask staff for a new one")
            if row.kind != kind or (name is not None and row.name != name):
                raise EnrolmentRefused(f"this code enrols {row.kind} {row.name!r}, "
                                       "not this terminal")
            if row.expires_at <= now:
                raise EnrolmentRefused("this enrolment code has expired; ask staff for a "
                                       "new one")
            replayed = bool(row.used_at) and request_id is not None \
                and row.used_by_request == request_id
            if row.used_at and not replayed:
                raise EnrolmentRefused("this enrolment code has already been used; ask "
                                       "staff for a new one")
            if not replayed:
                # The WHERE makes the code single-use even under two enrolments at once:
                # the second finds it used (row lock, or SQLite's write lock).
                taken = conn.execute(
                    update(enrolment_codes)
                    .where(and_(enrolment_codes.c.code_hash == code_hash,
                                enrolment_codes.c.used_at.is_(None)))
                    .values(used_at=now, used_by_request=request_id)).rowcount
                if taken != 1:
                    raise EnrolmentRefused("this enrolment code has already been used; ask "
                                           "staff for a new one")
            values = {"kind": row.kind, "token_hash": digest(token), "enrolled_at": now,
                      "revoked_at": None}
            if conn.execute(update(terminals).where(terminals.c.name == row.name)
                            .values(**values)).rowcount == 0:
                conn.execute(insert(terminals).values(name=row.name, **values))
        return Enrolment(token, row.name, row.kind, replayed)

    def authenticate(self, token: str) -> Terminal:
        """The active terminal holding `token`, or TokenRefused."""
        with reading(self.engine) as conn:
            row = conn.execute(select(terminals)
                               .where(terminals.c.token_hash == digest(token))).first()
        if row is None:
            raise TokenRefused("unknown token; enrol this terminal again")
        if row.revoked_at:
            raise TokenRefused("this terminal's token has been revoked; enrol it again")
        return Terminal(row.name, row.kind, ACTIVE, row.enrolled_at)

    def revoke(self, name: str) -> Terminal:
        """Ends `name`'s token and any code waiting for it: UnknownTerminal if neither."""
        now = self._now()
        with self.engine.begin() as conn:
            codes = conn.execute(delete(enrolment_codes).where(and_(
                enrolment_codes.c.name == name, enrolment_codes.c.used_at.is_(None)))).rowcount
            row = conn.execute(select(terminals).where(terminals.c.name == name)).first()
            if row is None and not codes:
                raise UnknownTerminal(f"no terminal named {name!r}; "
                                      "`kiosk centre terminals` lists them")
            if row is None:
                return Terminal(name, "", REVOKED, revoked_at=now)
            revoked_at = row.revoked_at or now
            conn.execute(update(terminals).where(terminals.c.name == name)
                         .values(revoked_at=revoked_at))
        return Terminal(row.name, row.kind, REVOKED, row.enrolled_at, revoked_at)

    def list(self) -> list[Terminal]:
        """Every terminal, enrolled or revoked, and every name with a code waiting."""
        with reading(self.engine) as conn:
            rows = conn.execute(select(terminals).order_by(terminals.c.name)).all()
            codes = conn.execute(select(enrolment_codes).where(and_(
                enrolment_codes.c.used_at.is_(None),
                enrolment_codes.c.expires_at > self._now()))).all()
        waiting = {c.name: c for c in codes}
        found = [Terminal(r.name, r.kind, REVOKED if r.revoked_at else ACTIVE, r.enrolled_at,
                          r.revoked_at, waiting[r.name].expires_at if r.name in waiting else None)
                 for r in rows]
        known = {r.name for r in rows}
        found += [Terminal(c.name, c.kind, PENDING, code_expires_at=c.expires_at)
                  for c in codes if c.name not in known]
        return sorted(found, key=lambda t: t.name)
