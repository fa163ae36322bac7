"""`kiosk bundle …` from the command line: the refusal matrix (each case one line naming its
reason, exit 2, nothing installed), and the staff's round trip keygen → build → apply."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import tarfile
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from kiosk.bundles import Installer
from kiosk.bundles.manifest import Signature, signatures_bytes
from kiosk.cli import main
from tests.bundle_kit import (
    NOW,
    Key,
    build,
    content_files,
    forged,
    manifest_of,
    member,
    new_key,
    write_raw,
)

KEY = new_key()


@pytest.fixture
def kiosk_cfg(tmp_path: Path) -> list[str]:
    cfg = tmp_path / "kiosk.toml"
    cfg.write_text(f'[updates]\ntrusted_keys = ["{KEY.public}"]\nsize_cap_mb = 1\n')
    return ["--config", str(cfg), "--data-dir", str(tmp_path / "data")]


FILES = {"audio/kpm/home.ogg": b"OggS 1", "audio/vi/home.ogg": b"OggS 2"}


def _truncated(tmp: Path) -> Path:
    path = build(tmp, KEY, "content", "1.0.0", {"audio/kpm/home.ogg": bytes(range(256)) * 400})
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def _truncated_plain(tmp: Path) -> Path:
    path = forged(tmp, KEY, {"audio/kpm/home.ogg": b"x" * 5000})
    data = path.read_bytes()
    path.write_bytes(data[:3 * 512 + 2000])  # in the middle of the payload's data
    return path


def _altered_byte(tmp: Path) -> Path:
    path = forged(tmp, KEY, {"audio/kpm/home.ogg": b"A" * 600})
    data = bytearray(path.read_bytes())
    data[data.index(b"A" * 600) + 300] = ord("B")
    path.write_bytes(bytes(data))
    return path


def _bad_signature(tmp: Path) -> Path:
    # Signed by the trusted key, then the manifest changed (a file added to it).
    good = manifest_of(FILES)
    sig = signatures_bytes([Signature(s.keyid, s.sig) for s in [
        __import__("kiosk.bundles.manifest", fromlist=["sign"]).sign(good.to_bytes(),
                                                                     KEY.private)]])
    changed = manifest_of({**FILES, "audio/en/home.ogg": b"x"})
    return write_raw(tmp / "b.kbundle", changed, None, {**FILES, "audio/en/home.ogg": b"x"},
                     sig=sig)


def _older(tmp: Path, args: list[str]) -> Path:
    assert main(["bundle", "apply", str(build(tmp, KEY, "content", "2.0.0", FILES)), *args]) == 0
    return build(tmp, KEY, "content", "1.5.0", FILES)


CASES: dict[str, tuple[str, Callable[..., Path], list[str]]] = {
    "symlink": ("link", lambda t: forged(t, KEY, FILES, [
        (member("payload/audio/kpm/home.ogg", 0, tarfile.SYMTYPE, "/etc/passwd"), None)]), []),
    "hardlink": ("link", lambda t: forged(t, KEY, FILES, [
        (member("payload/audio/kpm/home.ogg", 0, tarfile.LNKTYPE, "manifest.json"), None)]), []),
    "device": ("device-file", lambda t: forged(t, KEY, FILES, [
        (member("payload/audio/kpm/home.ogg", 0, tarfile.CHRTYPE), None)]), []),
    "fifo": ("device-file", lambda t: forged(t, KEY, FILES, [
        (member("payload/audio/kpm/home.ogg", 0, tarfile.FIFOTYPE), None)]), []),
    "dotdot": ("unsafe-path", lambda t: forged(t, KEY, FILES, [
        (member("payload/../x", 3), b"abc")]), []),
    "absolute": ("unsafe-path", lambda t: forged(t, KEY, FILES, [
        (member("/tmp/kiosk-abs", 3), b"abc")]), []),
    "dotdot-in-manifest": ("unsafe-path", lambda t: write_raw(
        t / "m.kbundle", manifest_of({"audio/kpm/../../x.ogg": b"abc"}), KEY,
        {"audio/kpm/../../x.ogg": b"abc"}), []),
    "truncated-gzip": ("truncated", _truncated, []),
    "truncated-plain": ("truncated", _truncated_plain, []),
    "extra-file": ("extra-file", lambda t: forged(
        t, KEY, {**FILES, "audio/en/home.ogg": b"x"}, manifest_files=FILES), []),
    "missing-file": ("missing-file", lambda t: forged(
        t, KEY, {"audio/kpm/home.ogg": b"OggS 1"}, manifest_files=FILES), []),
    "altered-byte": ("altered-file", _altered_byte, []),
    "altered-size": ("altered-file", lambda t: forged(t, KEY, FILES, [
        (member("payload/audio/kpm/home.ogg", 7), b"OggS 1!"),
        (member("payload/audio/vi/home.ogg", 6), b"OggS 2")]), []),
    "expired": ("expired", lambda t: build(t, KEY, "content", "1.0.0", FILES,
                                           expires=NOW - timedelta(days=1)), []),
    "wrong-kind": ("wrong-kind", lambda t: build(t, KEY, "content", "1.0.0", FILES),
                   ["--kind", "app"]),
    "older-version": ("older-version", _older, []),
    "unknown-key": ("unknown-key", lambda t: build(t, new_key(), "content", "1.0.0", FILES), []),
    "unsigned": ("unknown-key", lambda t: build(t, None, "content", "1.0.0", FILES), []),
    "bad-signature": ("bad-signature", _bad_signature, []),
    "size-cap": ("too-large", lambda t: build(t, KEY, "content", "1.0.0",
                                              {"audio/kpm/home.ogg": bytes(1_100_000)}), []),
    "not-a-bundle": ("not-a-bundle", lambda t: _write(t / "x.kbundle", b"hello" * 300), []),
    "gzip-not-tar": ("not-a-bundle", lambda t: _write(t / "g.kbundle",
                                                      gzip.compress(b"x" * 5000)[:40]), []),
}


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("case", sorted(CASES))
def test_every_refusal_is_one_line_naming_its_reason(case: str, tmp_path: Path,
                                                     kiosk_cfg: list[str], capsys) -> None:
    reason, make, extra = CASES[case]
    bundle = make(tmp_path, kiosk_cfg) if make is _older else make(tmp_path)
    before = Installer(tmp_path / "data" / "updates", [KEY.public]).status()["content"]
    capsys.readouterr()
    for action in ("verify", "apply"):
        assert main(["bundle", action, str(bundle), *extra, *kiosk_cfg]) == 2, action
        err = capsys.readouterr().err
        assert err.startswith(f"kiosk bundle: refused ({reason}): ") and err.count("\n") == 1, err
    after = Installer(tmp_path / "data" / "updates", [KEY.public]).status()["content"]
    assert after["current"] == before["current"]  # nothing was switched
    versions = tmp_path / "data" / "updates" / "content" / "versions"
    assert not versions.exists() or sorted(p.name for p in versions.iterdir()) == (
        [before["current"]] if before["current"] else [])
    assert not Path("/tmp/kiosk-abs").exists()


def test_a_refusal_from_a_real_process_has_no_traceback(tmp_path: Path,
                                                        kiosk_cfg: list[str]) -> None:
    bundle = forged(tmp_path, KEY, FILES, [
        (member("payload/audio/kpm/home.ogg", 0, tarfile.SYMTYPE, "/etc/shadow"), None)])
    proc = subprocess.run([sys.executable, "-m", "kiosk", "bundle", "apply", str(bundle),
                           *kiosk_cfg], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.startswith("kiosk bundle: refused (link): ")


def test_keygen_build_sign_verify_apply_status_rollback(tmp_path: Path, capsys) -> None:
    old, new = tmp_path / "old.pem", tmp_path / "new.pem"
    assert main(["bundle", "keygen", "--out", str(old)]) == 0
    old_public = capsys.readouterr().out.strip()
    assert old.stat().st_mode & 0o777 == 0o600
    assert main(["bundle", "keygen", "--out", str(old)]) == 2  # never overwritten
    assert "exists" in capsys.readouterr().err
    assert main(["bundle", "keygen", "--out", str(new)]) == 0
    new_public = capsys.readouterr().out.strip()
    src = tmp_path / "src"
    for rel, data in content_files("1.0.0").items():
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        (src / rel).write_bytes(data)
    out = tmp_path / "c.kbundle"
    assert main(["bundle", "build", "--kind", "content", "--version", "1.0.0", "--min-version",
                 "0", "--expires", "30", "--from", str(src), "--out", str(out),
                 "--key", str(old)]) == 0
    assert main(["bundle", "sign", str(out), "--key", str(new)]) == 0
    cfg = tmp_path / "kiosk.toml"
    cfg.write_text(f'[updates]\ntrusted_keys = ["{new_public}"]\n')  # the old key retired
    args = ["--config", str(cfg), "--data-dir", str(tmp_path / "data")]
    capsys.readouterr()
    assert main(["bundle", "verify", str(out), *args]) == 0
    assert capsys.readouterr().out.startswith("ok: content 1.0.0 (3 files")
    assert main(["bundle", "apply", str(out), *args]) == 0
    assert main(["bundle", "status", "--json", *args]) == 0
    status = json.loads(capsys.readouterr().out.split("\n", 1)[1])
    assert status["content"]["current"] == "1.0.0" and old_public != new_public
    assert main(["bundle", "rollback", "--kind", "content", *args]) == 0
    assert capsys.readouterr().out.strip() == "content: now shipped"
    assert main(["bundle", "status", *args]) == 0
    assert "content: shipped" in capsys.readouterr().out


def test_bad_build_input_is_one_line(tmp_path: Path, capsys) -> None:
    (tmp_path / "src" / "etc").mkdir(parents=True)
    (tmp_path / "src" / "etc" / "passwd").write_text("x")
    base = ["bundle", "build", "--kind", "content", "--version", "1.0", "--min-version", "0",
            "--out", str(tmp_path / "o.kbundle")]
    for extra in (["--expires", "soon", "--from", str(tmp_path / "src")],
                  ["--expires", "3", "--from", str(tmp_path / "src")],
                  ["--expires", "3", "--from", str(tmp_path / "nowhere")],
                  ["--expires", "3", "--from", str(tmp_path), "--key", str(tmp_path)]):
        assert main(base + extra) == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 4 and all(line.startswith("kiosk: error: ") for line in lines)
    assert "etc/passwd has no place" in lines[1]


def test_key_text_is_what_the_config_takes(tmp_path: Path) -> None:
    assert isinstance(KEY, Key) and KEY.public.startswith("ed25519:")
    cfg = tmp_path / "k.toml"
    cfg.write_text(f'[updates]\ntrusted_keys = ["{KEY.public}"]\n')
    from kiosk.config import load_config

    assert load_config(cfg).updates.trusted_keys == (KEY.public,)


def test_fetch_then_apply_from_a_folder(tmp_path: Path, kiosk_cfg: list[str], capsys) -> None:
    stick = tmp_path / "stick"
    stick.mkdir()
    build(stick, KEY, "content", "1.0.0", FILES)
    assert main(["bundle", "fetch", "--from", str(stick), *kiosk_cfg]) == 0
    fetched = Path(capsys.readouterr().out.strip())
    assert fetched.parent == tmp_path / "data" / "updates" / "downloads"
    assert main(["bundle", "apply", str(fetched), *kiosk_cfg]) == 0
    assert main(["bundle", "fetch", "--from", str(tmp_path / "nowhere"), *kiosk_cfg]) == 2
    assert capsys.readouterr().err.count("\n") == 1
