"""Making bundles (on the province's machine, not on a kiosk): a folder to a signed archive,
and one more signature on an existing bundle (a second key while keys rotate)."""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import tarfile
from datetime import UTC, datetime
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.bundles.archive import LAYOUT, LAYOUT_TEXT
from kiosk.bundles.manifest import (
    FileEntry,
    Manifest,
    Signature,
    parse_manifest,
    parse_signatures,
    parse_version,
    safe_relative_path,
    sign,
    signatures_bytes,
)


def manifest_for(folder: Path, kind: str, version: str, min_version: str, expires: datetime,
                 created: datetime | None = None) -> Manifest:
    """The manifest of every file under `folder`; ValueError names what cannot go in."""
    parse_version(version)
    parse_version(min_version)
    if not folder.is_dir():
        raise ValueError(f"{folder} is not a folder")
    entries = []
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if path.is_symlink() or not (path.is_file() or path.is_dir()):
            raise ValueError(f"{rel} is a link or a special file; bundles hold plain files")
        if path.is_dir():
            continue
        if not safe_relative_path(rel) or not LAYOUT[kind].fullmatch(rel):
            raise ValueError(f"{rel} has no place in an {kind} bundle; it may hold "
                             f"{LAYOUT_TEXT[kind]}")
        sha = hashlib.sha256()
        with open(path, "rb") as fh:
            while chunk := fh.read(1 << 20):
                sha.update(chunk)
        entries.append(FileEntry(rel, path.stat().st_size, sha.hexdigest()))
    if not entries:
        raise ValueError(f"{folder} holds no files")
    now = (created or datetime.now(UTC)).replace(microsecond=0)
    return Manifest(kind, version, min_version, expires, now, tuple(entries))


def _info(name: str, size: int, mtime: float) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = size, int(mtime), 0o644
    info.uname = info.gname = ""
    return info


def write_bundle(out: Path, manifest: Manifest, signatures: list[Signature],
                 folder: Path | None = None, payload: tarfile.TarFile | None = None,
                 compress: bool = True) -> None:
    """The archive, in the order readers require; written beside `out` and renamed, so a
    half-written bundle never has the final name. The payload comes from `folder` or is
    copied from another bundle's archive."""
    data = manifest.to_bytes()
    sig = signatures_bytes(signatures)
    mtime = manifest.created.timestamp()
    part = out.with_name(out.name + ".part")
    with open(part, "wb") as raw:
        # mtime=0: the same inputs give the same bytes.
        stream = gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, compresslevel=6) \
            if compress else raw
        with tarfile.open(fileobj=stream, mode="w:", format=tarfile.PAX_FORMAT) as tf:
            tf.addfile(_info("manifest.json", len(data), mtime), io.BytesIO(data))
            tf.addfile(_info("manifest.sig", len(sig), mtime), io.BytesIO(sig))
            for entry in manifest.files:
                info = _info(f"payload/{entry.path}", entry.size, mtime)
                if payload is not None:
                    fh = payload.extractfile(f"payload/{entry.path}")
                    tf.addfile(info, fh)
                else:
                    assert folder is not None
                    with open(folder / entry.path, "rb") as fh:
                        tf.addfile(info, fh)
        if compress:
            stream.close()
        raw.flush()
        os.fsync(raw.fileno())
    os.replace(part, out)


def build_bundle(folder: Path, out: Path, kind: str, version: str, min_version: str,
                 expires: datetime, keys: list[Ed25519PrivateKey],
                 created: datetime | None = None) -> Manifest:
    manifest = manifest_for(folder, kind, version, min_version, expires, created)
    data = manifest.to_bytes()
    write_bundle(out, manifest, [sign(data, key) for key in keys], folder=folder)
    return manifest


def add_signature(bundle: Path, key: Ed25519PrivateKey) -> bool:
    """Sign `bundle` with one more key (the file is rewritten); False when that key had
    signed it already. ValueError when it is not a bundle this can read."""
    with open(bundle, "rb") as fh:
        compressed = fh.read(2) == b"\x1f\x8b"
    try:
        with tarfile.open(bundle, "r:*") as tf:
            names = tf.getnames()
            if names[:2] != ["manifest.json", "manifest.sig"]:
                raise ValueError("it does not start with manifest.json and manifest.sig")
            data = tf.extractfile("manifest.json").read()  # type: ignore[union-attr]
            sigs = parse_signatures(tf.extractfile("manifest.sig").read())  # type: ignore[union-attr]
            manifest = parse_manifest(data)
            new = sign(data, key)
            if any(s.keyid == new.keyid for s in sigs):
                return False
            write_bundle(bundle, manifest, [*sigs, new], payload=tf, compress=compressed)
    except (tarfile.TarError, EOFError, OSError, KeyError) as exc:
        raise ValueError(f"cannot be read as a bundle ({exc})") from None
    return True
