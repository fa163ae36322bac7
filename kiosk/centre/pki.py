"""The centre's own certificate authority and the service's TLS certificate.

Terminals on the centre's LAN pin this CA when they enrol (docs/architecture.md, Centre):
`kiosk centre init` prints the CA's SHA-256 fingerprint, staff type it into the terminal,
and from then on the terminal trusts no other certificate for the centre. No public CA
is involved: a commune's LAN has no public name.
"""

from __future__ import annotations

import hashlib
import ipaddress
import os
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CA_CERT = "ca.pem"
CA_KEY = "ca.key"
SERVER_CERT = "server.pem"
SERVER_KEY = "server.key"

CA_LIFETIME = timedelta(days=20 * 365)  # re-pinning every terminal is costly: rarely
# Browsers accept at most 398 days for a server certificate; `kiosk centre init` renews it
# when less than RENEW_BEFORE remains (run it from a monthly timer).
SERVER_LIFETIME = timedelta(days=397)
RENEW_BEFORE = timedelta(days=30)


class PkiError(Exception):
    """The state folder cannot be used; str() is one line for staff."""


@dataclass(frozen=True)
class PkiFiles:
    state_dir: Path

    @property
    def ca_cert(self) -> Path:
        return self.state_dir / CA_CERT

    @property
    def ca_key(self) -> Path:
        return self.state_dir / CA_KEY

    @property
    def server_cert(self) -> Path:
        return self.state_dir / SERVER_CERT

    @property
    def server_key(self) -> Path:
        return self.state_dir / SERVER_KEY


@dataclass(frozen=True)
class InitResult:
    files: PkiFiles
    ca_fingerprint: str
    ca_created: bool  # a new CA: every terminal must enrol again with the new fingerprint
    server_issued: bool  # a new server certificate (first run, names changed, or renewal)
    server_expires: datetime


def fingerprint(cert_pem: bytes | str) -> str:
    """SHA-256 of the certificate's DER, as `openssl x509 -fingerprint -sha256` shows it."""
    data = cert_pem.encode() if isinstance(cert_pem, str) else cert_pem
    der = x509.load_pem_x509_certificate(data).public_bytes(serialization.Encoding.DER)
    digest = hashlib.sha256(der).hexdigest().upper()
    return ":".join(digest[i:i + 2] for i in range(0, len(digest), 2))


def normalise_fingerprint(text: str) -> str:
    """A fingerprint as staff may type it (any case, with or without colons or spaces) in
    the form `fingerprint` gives; ValueError if it is not 32 bytes of hex."""
    digits = "".join(ch for ch in text if ch not in ": \t-").upper()
    if len(digits) != 64 or any(ch not in "0123456789ABCDEF" for ch in digits):
        raise ValueError("expected a SHA-256 fingerprint: 64 hex digits, colons allowed")
    return ":".join(digits[i:i + 2] for i in range(0, 64, 2))


def init_pki(state_dir: Path, hostnames: Sequence[str], *, force: bool = False,
             now: datetime | None = None) -> InitResult:
    """Makes what is missing in `state_dir`: the CA (kept unless `force`), and a server
    certificate for `hostnames` (made again when missing, issued by another CA, naming
    other hosts, or near its end). Safe to run again at any time."""
    now = now or datetime.now(UTC)
    files = PkiFiles(state_dir)
    _private_folder(state_dir)
    ca_created = False
    if force or not (files.ca_cert.exists() or files.ca_key.exists()):
        ca_key, ca_cert = _make_ca(now)
        _write(files.ca_key, _key_pem(ca_key), private=True)
        _write(files.ca_cert, ca_cert.public_bytes(serialization.Encoding.PEM))
        ca_created = True
    else:
        ca_key, ca_cert = _load_pair(files.ca_key, files.ca_cert)

    current = None
    if not ca_created and files.server_cert.exists() and files.server_key.exists():
        _, current = _load_pair(files.server_key, files.server_cert)
    server_issued = current is None or not _still_good(current, ca_cert, hostnames, now)
    if server_issued:
        server_key = ec.generate_private_key(ec.SECP256R1())
        current = _make_server(server_key, ca_key, ca_cert, hostnames, now)
        # Key first: a crash between the two leaves a certificate that no longer matches,
        # which the next run finds (_load_pair) and replaces.
        _write(files.server_key, _key_pem(server_key), private=True)
        _write(files.server_cert, current.public_bytes(serialization.Encoding.PEM))
    assert current is not None
    return InitResult(files, fingerprint(files.ca_cert.read_bytes()), ca_created,
                      server_issued, current.not_valid_after_utc)


def server_files(state_dir: Path) -> PkiFiles:
    """The files `kiosk centre serve` needs, or PkiError naming what to run."""
    files = PkiFiles(state_dir)
    for path in (files.ca_cert, files.server_cert, files.server_key):
        if not path.is_file():
            raise PkiError(f"{path}: missing; run `kiosk centre init` first")
    return files


def _private_folder(folder: Path) -> None:
    if folder.exists() and not folder.is_dir():
        raise PkiError(f"state folder {folder}: is a file, not a folder")
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        if folder.stat().st_mode & 0o077:
            folder.chmod(0o700)
    except OSError as exc:
        raise PkiError(f"state folder {folder}: cannot be made private ({exc.strerror})") from None


def _write(path: Path, data: bytes, *, private: bool = False) -> None:
    """Replaces `path` whole (a temporary file renamed over it), 0600 for a key."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600 if private else 0o644)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise PkiError(f"{path}: cannot be written ({exc.strerror})") from None


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    # Not encrypted: the service starts unattended; the key is protected by its 0600 mode
    # in a 0700 folder, like the database credentials beside it.
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _load_pair(key_path: Path, cert_path: Path) -> tuple[ec.EllipticCurvePrivateKey,
                                                          x509.Certificate]:
    try:
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    except FileNotFoundError as exc:
        raise PkiError(f"{exc.filename}: missing beside its pair; restore it from a backup, "
                       "or run `kiosk centre init --force` and enrol every terminal "
                       "again") from None
    except (OSError, ValueError, TypeError) as exc:
        raise PkiError(f"{cert_path.parent}: {key_path.name}/{cert_path.name} cannot be read "
                       f"({exc}); `kiosk centre init --force` makes new ones") from None
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.public_key() != cert.public_key():
        raise PkiError(f"{key_path}: does not match {cert_path.name}; "
                       "`kiosk centre init --force` makes a new pair")
    return key, cert


def _still_good(cert: x509.Certificate, ca_cert: x509.Certificate, hostnames: Sequence[str],
                now: datetime) -> bool:
    try:
        cert.verify_directly_issued_by(ca_cert)
    except (ValueError, TypeError, InvalidSignature):
        return False
    try:
        sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return False
    return (set(sans) == set(_names(hostnames))
            and cert.not_valid_after_utc - now > RENEW_BEFORE)


def _names(hostnames: Sequence[str]) -> list[x509.GeneralName]:
    names: list[x509.GeneralName] = []
    for host in hostnames:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            names.append(x509.DNSName(host.lower()))
    return names


def _make_ca(now: datetime) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "lobby-kiosk centre"),
        # The date tells a renewed CA from the one it replaced, in a browser's trust list.
        x509.NameAttribute(NameOID.COMMON_NAME, f"Centre CA {now:%Y-%m-%d %H:%M}"),
    ])
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    cert = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))  # a terminal's clock a little behind
        .not_valid_after(now + CA_LIFETIME)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=False, content_commitment=False, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
            encipher_only=False, decipher_only=False), critical=True)
        .add_extension(ski, critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def _make_server(key: ec.EllipticCurvePrivateKey, ca_key: ec.EllipticCurvePrivateKey,
                 ca_cert: x509.Certificate, hostnames: Sequence[str],
                 now: datetime) -> x509.Certificate:
    ca_ski = ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    return (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostnames[0][:64])]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + SERVER_LIFETIME)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=False, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
            encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName(_names(hostnames)), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                       critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski),
                       critical=False)
        .sign(ca_key, hashes.SHA256())
    )
