"""A bundle's manifest, its signature file and the Ed25519 keys that sign it.

manifest.json is canonical JSON (sorted keys, no spaces, UTF-8): the signature covers its
exact bytes, and a manifest that is not canonical is refused, so that two readers can never
see two different manifests in one signed file (duplicate keys, say).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

FORMAT = 1
KINDS = ("app", "content")
MAX_MANIFEST_BYTES = 4 * 1024 * 1024  # 4 MiB: ~20 000 files; more is not a bundle
MAX_SIG_BYTES = 64 * 1024
_VERSION = re.compile(r"(0|[1-9][0-9]{0,8})(\.(0|[1-9][0-9]{0,8})){0,5}")
_HEX64 = re.compile(r"[0-9a-f]{64}")
_KEYID = re.compile(r"[0-9a-f]{16}")
_SIG = re.compile(r"[0-9a-f]{128}")


class BundleRefused(Exception):
    """A bundle that must not be installed. `.reason` is a short code (see REASONS); str()
    is one English sentence for staff."""

    def __init__(self, reason: str, message: str) -> None:
        self.reason = reason
        # One line whatever a file name holds.
        super().__init__(" ".join(message.split()))


# Every refusal's code, for those who show them (the CLI, the staff screen).
REASONS = ("not-a-bundle", "bad-signature", "unknown-key", "altered-file", "missing-file",
           "extra-file", "unsafe-path", "link", "device-file", "too-large", "truncated",
           "wrong-kind", "expired", "older-version", "min-version", "bad-content", "busy",
           "no-previous", "no-space", "disk-error")


# -- versions -------------------------------------------------------------------------------

def parse_version(text: str) -> tuple[int, ...]:
    """"1.2.3" as (1, 2, 3); ValueError unless it is dotted whole numbers."""
    if not isinstance(text, str) or not _VERSION.fullmatch(text):
        raise ValueError(f"{text!r} is not a version like 1.2.3")
    return tuple(int(part) for part in text.split("."))


def version_key(text: str) -> tuple[int, ...]:
    """For comparing: 1.2 and 1.2.0 are the same version."""
    parts = list(parse_version(text))
    while len(parts) > 1 and parts[-1] == 0:
        parts.pop()
    return tuple(parts)


# -- keys -------------------------------------------------------------------------------------

def public_key_text(key: Ed25519PublicKey) -> str:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return "ed25519:" + raw.hex()


def parse_public_key(text: str) -> Ed25519PublicKey:
    """"ed25519:<64 hex>" as a key; ValueError otherwise."""
    text = text.strip().lower()
    if not text.startswith("ed25519:") or not _HEX64.fullmatch(text[8:]):
        raise ValueError(f"{text!r} is not a public key like ed25519:<64 hex digits>")
    return Ed25519PublicKey.from_public_bytes(bytes.fromhex(text[8:]))


def keyid(key: Ed25519PublicKey) -> str:
    """The first 16 hex digits of the SHA-256 of the raw public key."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def new_private_key_pem() -> tuple[bytes, str]:
    """A new signing key as PEM (PKCS#8, unencrypted: keep the file 0600 and offline), and
    its public key's text."""
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    return pem, public_key_text(key.public_key())


def load_private_key(pem: bytes) -> Ed25519PrivateKey:
    """ValueError unless `pem` is an unencrypted Ed25519 private key."""
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"not an unencrypted PEM private key ({exc})") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("not an Ed25519 key")
    return key


# -- the manifest -----------------------------------------------------------------------------

@dataclass(frozen=True)
class FileEntry:
    path: str
    size: int
    sha256: str


@dataclass(frozen=True)
class Manifest:
    kind: str
    version: str
    min_version: str
    expires: datetime
    created: datetime
    files: tuple[FileEntry, ...]

    @property
    def total_size(self) -> int:
        return sum(f.size for f in self.files)

    def to_dict(self) -> dict[str, Any]:
        return {"format": FORMAT, "kind": self.kind, "version": self.version,
                "min_version": self.min_version, "expires": _iso(self.expires),
                "created": _iso(self.created),
                "files": [{"path": f.path, "size": f.size, "sha256": f.sha256}
                          for f in self.files]}

    def to_bytes(self) -> bytes:
        return canonical_json(self.to_dict())


def canonical_json(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False).encode("utf-8")


def _iso(when: datetime) -> str:
    # Written field by field: strftime's %Y drops the leading zeros of years before 1000
    # on glibc, and the time read back must be spelt exactly as it was signed.
    w = when.astimezone(UTC)
    return (f"{w.year:04d}-{w.month:02d}-{w.day:02d}T{w.hour:02d}:{w.minute:02d}:"
            f"{w.second:02d}Z")


# Years 2000-9998 only: far from datetime's limits, where converting a time overflows.
_TIME = re.compile(r"[2-9][0-9]{3}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")


def parse_time(text: Any, what: str) -> datetime:
    """A UTC time written as the builder writes it ("2027-06-01T00:00:00Z"): one spelling
    only, so the manifest read is byte for byte the one signed. ValueError otherwise."""
    if not isinstance(text, str) or not _TIME.fullmatch(text):
        raise ValueError(f"{what} is not a time like 2027-06-01T00:00:00Z")
    try:
        when = datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        if when.year > 9998:
            raise ValueError(text)
        return when
    except ValueError:
        raise ValueError(f"{what} {text!r} is not a valid time") from None


def safe_relative_path(path: Any) -> bool:
    """A plain relative path inside the bundle: no `..`, no absolute path, no empty or `.`
    parts, no backslashes or control characters."""
    if not isinstance(path, str) or not path or len(path) > 4096 or not path.isprintable():
        return False
    if path.startswith("/") or "\\" in path:
        return False
    return all(part not in ("", ".", "..") for part in path.split("/"))


def _reject_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        raise ValueError("a key appears twice")
    return dict(pairs)


def _json(data: bytes, what: str) -> Any:
    try:
        return json.loads(data.decode("utf-8"), object_pairs_hook=_reject_duplicate_keys)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ValueError(f"{what} is not JSON ({exc})") from None


def parse_manifest(data: bytes) -> Manifest:
    """The manifest in `data`; ValueError with one sentence when it is not one."""
    if len(data) > MAX_MANIFEST_BYTES:
        raise ValueError("manifest.json is too big")
    raw = _json(data, "manifest.json")
    if not isinstance(raw, dict):
        raise ValueError("manifest.json is not a JSON object")
    expected = {"format", "kind", "version", "min_version", "expires", "created", "files"}
    if set(raw) != expected:
        raise ValueError("manifest.json holds " + ", ".join(sorted(map(repr, raw)))
                         + "; expected " + ", ".join(sorted(expected)))
    if type(raw["format"]) is not int or raw["format"] != FORMAT:
        raise ValueError(f"manifest.json is of format {raw['format']!r}; this kiosk reads "
                         f"format {FORMAT}")
    if raw["kind"] not in KINDS:
        raise ValueError(f"kind {raw['kind']!r} is neither app nor content")
    parse_version(raw["version"])
    parse_version(raw["min_version"])
    expires = parse_time(raw["expires"], "expires")
    created = parse_time(raw["created"], "created")
    files = raw["files"]
    if not isinstance(files, list):
        raise ValueError("files is not a list")
    entries: list[FileEntry] = []
    seen: set[str] = set()
    for item in files:
        if not isinstance(item, dict) or set(item) != {"path", "size", "sha256"}:
            raise ValueError("each file needs exactly path, size and sha256")
        path, size, digest = item["path"], item["size"], item["sha256"]
        if not isinstance(path, str):
            raise ValueError("a file's path is not text")
        if (not isinstance(size, int) or isinstance(size, bool) or size < 0
                or not isinstance(digest, str) or not _HEX64.fullmatch(digest)):
            raise ValueError(f"{path!r}: size or sha256 is not valid")
        if path in seen:
            raise ValueError(f"{path!r} is listed twice")
        seen.add(path)
        entries.append(FileEntry(path, size, digest))
    manifest = Manifest(raw["kind"], raw["version"], raw["min_version"], expires, created,
                        tuple(entries))
    if canonical_json(raw) != data:
        raise ValueError("manifest.json is not canonical JSON (sorted keys, no spaces)")
    return manifest


# -- manifest.sig ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Signature:
    keyid: str
    sig: bytes


def parse_signatures(data: bytes) -> list[Signature]:
    """The signatures in manifest.sig; ValueError with one sentence when it is not one."""
    if len(data) > MAX_SIG_BYTES:
        raise ValueError("manifest.sig is too big")
    raw = _json(data, "manifest.sig")
    if not isinstance(raw, dict) or set(raw) != {"signatures"} \
            or not isinstance(raw["signatures"], list):
        raise ValueError('manifest.sig is not {"signatures": [...]}')
    out = []
    for item in raw["signatures"]:
        if (not isinstance(item, dict) or set(item) != {"keyid", "sig"}
                or not isinstance(item["keyid"], str) or not _KEYID.fullmatch(item["keyid"])
                or not isinstance(item["sig"], str) or not _SIG.fullmatch(item["sig"])):
            raise ValueError("a signature needs a keyid (16 hex) and a sig (128 hex)")
        out.append(Signature(item["keyid"], bytes.fromhex(item["sig"])))
    return out


def signatures_bytes(signatures: list[Signature]) -> bytes:
    return canonical_json({"signatures": [{"keyid": s.keyid, "sig": s.sig.hex()}
                                          for s in signatures]})


def sign(manifest_bytes: bytes, key: Ed25519PrivateKey) -> Signature:
    return Signature(keyid(key.public_key()), key.sign(manifest_bytes))


def check_signatures(manifest_bytes: bytes, sig_bytes: bytes, trusted: list[str]) -> str:
    """The keyid of a trusted key whose signature verifies; BundleRefused otherwise."""
    try:
        signatures = parse_signatures(sig_bytes)
    except ValueError as exc:
        raise BundleRefused("bad-signature", f"The signature file cannot be read: {exc}.") \
            from None
    keys = {}
    for text in trusted:
        try:
            key = parse_public_key(text)
        except ValueError:
            continue  # the config checked them; a bad one can only fail to match
        keys[keyid(key)] = key
    known = [s for s in signatures if s.keyid in keys]
    if not known:
        ids = ", ".join(s.keyid for s in signatures) or "none"
        raise BundleRefused("unknown-key", f"The bundle is not signed by a trusted key "
                            f"(signed by: {ids}).")
    for signature in known:
        try:
            keys[signature.keyid].verify(signature.sig, manifest_bytes)
            return signature.keyid
        except InvalidSignature:
            continue
    raise BundleRefused("bad-signature", "The signature does not match the manifest: the "
                        "bundle was altered or signed with another key.")
