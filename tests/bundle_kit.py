"""Making bundles in tests: good ones with the real builder, bad ones with tarfile tricks
(links, devices, `..`, truncation, altered bytes) signed like real ones."""

from __future__ import annotations

import io
import tarfile
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.bundles.build import build_bundle, manifest_for
from kiosk.bundles.manifest import (
    FileEntry,
    Manifest,
    load_private_key,
    new_private_key_pem,
    sign,
    signatures_bytes,
)
from kiosk.catalogue import DEFAULT_CATALOGUE
from kiosk.paths import LOCALES

NOW = datetime(2026, 11, 30, tzinfo=UTC)
LATER = NOW + timedelta(days=365)


@dataclass
class Key:
    pem: bytes
    public: str

    @property
    def private(self) -> Ed25519PrivateKey:
        return load_private_key(self.pem)

    def write(self, path: Path) -> Path:
        path.write_bytes(self.pem)
        return path


def new_key() -> Key:
    return Key(*new_private_key_pem())


def content_files(version: str, langs: tuple[str, ...] = ("kpm",)) -> dict[str, bytes]:
    """A content bundle's files: the catalogue, a recording and a translation per language;
    the recording's bytes name the version, so a test sees which one is in use."""
    files = {"procedures.toml": DEFAULT_CATALOGUE.read_bytes()}
    for lang in langs:
        files[f"audio/{lang}/home.ogg"] = f"OggS {lang} {version}".encode()
        po = (LOCALES / lang / "LC_MESSAGES" / "kiosk.po").read_bytes()
        files[f"locales/{lang}/LC_MESSAGES/kiosk.po"] = po
    return files


def folder(root: Path, files: dict[str, bytes]) -> Path:
    for rel, data in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    return root


def build(tmp: Path, key: Key | None, kind: str, version: str,
          files: dict[str, bytes] | None = None, min_version: str = "0",
          expires: datetime = LATER, name: str | None = None) -> Path:
    """A good bundle made by the real builder."""
    src = folder(tmp / f"src-{kind}-{version}", files or content_files(version))
    out = tmp / (name or f"{kind}-{version}.kbundle")
    build_bundle(src, out, kind, version, min_version, expires,
                 [key.private] if key else [], created=NOW)
    return out


def forged(tmp: Path, key: Key, files: dict[str, bytes], members: list[tuple[tarfile.TarInfo,
           bytes | None]] | None = None, kind: str = "content", version: str = "1.0.0",
           manifest_files: dict[str, bytes] | None = None, gz: bool = False,
           name: str = "forged.kbundle") -> Path:
    """A bundle whose manifest (listing `manifest_files`, default `files`) is signed by
    `key`, with the archive holding exactly `members` (default: `files` as payload)."""
    src = folder(tmp / "forge-src", manifest_files if manifest_files is not None else files)
    manifest = manifest_for(src, kind, version, "0", LATER, NOW)
    return write_raw(tmp / name, manifest, key, files, members, gz)


def write_raw(out: Path, manifest: Manifest | bytes, key: Key | None,
              files: dict[str, bytes], members: list[tuple[tarfile.TarInfo, bytes | None]]
              | None = None, gz: bool = False, sig: bytes | None = None) -> Path:
    data = manifest if isinstance(manifest, bytes) else manifest.to_bytes()
    if sig is None:
        sig = signatures_bytes([sign(data, key.private)] if key else [])
    if members is None:
        members = [(member(f"payload/{rel}", len(body)), body) for rel, body in files.items()]
    with tarfile.open(out, "w:gz" if gz else "w", format=tarfile.PAX_FORMAT) as tf:
        tf.addfile(member("manifest.json", len(data)), io.BytesIO(data))
        tf.addfile(member("manifest.sig", len(sig)), io.BytesIO(sig))
        for info, body in members:
            tf.addfile(info, io.BytesIO(body) if body is not None else None)
    return out


def member(name: str, size: int = 0, kind: bytes = tarfile.REGTYPE,
           linkname: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size, info.type, info.linkname, info.mode = size, kind, linkname, 0o644
    info.mtime = int(NOW.timestamp())
    return info


def manifest_of(files: dict[str, bytes], kind: str = "content", version: str = "1.0.0",
                expires: datetime = LATER) -> Manifest:
    import hashlib

    return Manifest(kind, version, "0", expires, NOW, tuple(
        FileEntry(rel, len(body), hashlib.sha256(body).hexdigest())
        for rel, body in files.items()))


# -- a fake app: a wheel of a package named `kiosk` that shadows the real one -----------------

FAKE_MAIN = '''\
"""A stand-in kiosk for the launcher's tests: behaves as BEHAVIOUR says."""
import os, signal, sys, time

BEHAVIOUR = {behaviour!r}
VERSION = {version!r}


def log(event):
    with open(os.environ["FAKE_KIOSK_LOG"], "a") as fh:
        fh.write(f"{{VERSION}} {{os.getpid()}} {{event}} {{' '.join(sys.argv[1:])}}\\n")


def healthy():
    path = os.environ["KIOSK_HEALTH_FILE"]
    with open(path + ".tmp", "w") as fh:
        fh.write(str(os.getpid()))
    os.replace(path + ".tmp", path)


def main():
    signal.signal(signal.SIGTERM, lambda *_: (log("stopped"), sys.exit(0)))
    log("started")
    if BEHAVIOUR == "crash":
        sys.exit(3)
    if BEHAVIOUR == "hang":
        while True:
            time.sleep(60)
    healthy()
    log("healthy")
    marker = os.environ.get("FAKE_KIOSK_EXIT_ONCE")
    if BEHAVIOUR == "healthy" and marker and not os.path.exists(marker):
        open(marker, "w").close()
        log("exit-75")
        sys.exit(75)
    while True:
        time.sleep(60)


main()
'''


def fake_app_wheel(out_dir: Path, version: str, behaviour: str) -> Path:
    """A real wheel (zip, METADATA, WHEEL, RECORD) of a package `kiosk` whose `python -m
    kiosk run` behaves as told: "healthy", "crash" (exit 3 at once), "hang" (never healthy)."""
    import base64
    import hashlib

    name = f"kiosk_fake-{version}-py3-none-any.whl"
    dist = f"kiosk_fake-{version}.dist-info"
    files = {
        "kiosk/__init__.py": f"__version__ = {version!r}\n".encode(),
        "kiosk/__main__.py": FAKE_MAIN.format(behaviour=behaviour, version=version).encode(),
        f"{dist}/METADATA": f"Metadata-Version: 2.1\nName: kiosk-fake\nVersion: {version}\n"
                            .encode(),
        f"{dist}/WHEEL": b"Wheel-Version: 1.0\nGenerator: tests\nRoot-Is-Purelib: true\n"
                         b"Tag: py3-none-any\n",
    }
    record = []
    for path, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(data)}")
    record.append(f"{dist}/RECORD,,")
    files[f"{dist}/RECORD"] = ("\n".join(record) + "\n").encode()
    out_dir.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out_dir / name, "w") as zf:
        for path, data in files.items():
            zf.writestr(path, data)
    return out_dir / name


def app_files(tmp: Path, version: str, behaviour: str = "healthy") -> dict[str, bytes]:
    wheel = fake_app_wheel(tmp / f"wheel-{version}", version, behaviour)
    return {f"wheels/{wheel.name}": wheel.read_bytes()}
