"""Shared by the tests of getting bundles (kiosk/bundles/fetch.py, usb.py, watcher.py):
real signed bundles made by the real builder, and index files for the update server."""

from __future__ import annotations

import hashlib
import json
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bundle_kit import Key, new_key

from kiosk.bundles.build import build_bundle

KEY: Key = new_key()  # the tests' signing key; KEY.public goes in trusted_keys


def make_bundle(path: Path, kind: str, version: str, payload: bytes = b"",
                gzip: bool = False) -> Path:
    """A signed bundle at `path` (an app bundle carries `payload` as a wheel, a content
    bundle as a recording)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    name = "wheels/kiosk-0-py3-none-any.whl" if kind == "app" else "audio/vi/home.ogg"
    with tempfile.TemporaryDirectory() as src:
        (Path(src) / name).parent.mkdir(parents=True)
        (Path(src) / name).write_bytes(payload or f"{kind} {version}".encode())
        now = datetime.now(UTC)
        build_bundle(Path(src), path, kind, version, "0", now + timedelta(days=30),
                     [KEY.private])
    if not gzip:  # the builder compresses; a plain tar is a bundle too
        import gzip as gz

        path.write_bytes(gz.decompress(path.read_bytes()))
    return path


def index_entry(path: Path, kind: str, version: str, file: str | None = None) -> dict:
    data = path.read_bytes()
    return {"kind": kind, "version": version, "file": file or path.name, "size": len(data),
            "sha256": hashlib.sha256(data).hexdigest()}


def write_index(root: Path, entries: list[dict]) -> Path:
    out = root / "index.json"
    out.write_text(json.dumps({"bundles": entries}))
    return out
