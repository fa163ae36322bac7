"""Shared by the tests of getting bundles (kiosk/bundles/fetch.py, usb.py, watcher.py):
bundle-shaped archives and index files. The archives hold a manifest only: listing and
fetching read no more of them (verify_bundle, in the bundles tests, checks the rest)."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from pathlib import Path


def make_bundle(path: Path, kind: str, version: str, payload: bytes = b"",
                gzip: bool = False) -> Path:
    """A .kbundle-shaped tar (manifest.json first, then payload/data.bin)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    manifest = json.dumps({"format": 1, "kind": kind, "version": version,
                           "min_version": "0", "files": []}).encode()
    with tarfile.open(path, "w:gz" if gzip else "w") as tar:
        for name, data in (("manifest.json", manifest), ("payload/data.bin", payload)):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def index_entry(path: Path, kind: str, version: str, file: str | None = None) -> dict:
    data = path.read_bytes()
    return {"kind": kind, "version": version, "file": file or path.name, "size": len(data),
            "sha256": hashlib.sha256(data).hexdigest()}


def write_index(root: Path, entries: list[dict]) -> Path:
    out = root / "index.json"
    out.write_text(json.dumps({"bundles": entries}))
    return out
