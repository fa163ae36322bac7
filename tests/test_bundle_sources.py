"""Where bundles come from: the update server's index (kiosk/bundles/fetch.py) and USB
sticks and watched folders (kiosk/bundles/usb.py), on real files and a real server."""

from __future__ import annotations

import datetime
import json
import os
from pathlib import Path

import pytest
from bundle_kit import write_raw
from fetch_support import index_entry, make_bundle, write_index
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.sim.file_server import FileServer
from kiosk.bundles.fetch import BadIndex, FetchError, fetch_index, parse_index
from kiosk.bundles.manifest import version_key
from kiosk.bundles.usb import (
    UsbError,
    copy_from_usb,
    find_bundles,
    parse_mounts,
    peek_bundle,
    usb_mounts,
)

SHA = "ab" * 32
GOOD = {"kind": "app", "version": "1.2.0", "file": "app-1.2.0.kbundle", "size": 10,
        "sha256": SHA}


def _index(*entries: dict) -> bytes:
    return json.dumps({"bundles": list(entries)}).encode()


# -- the index -----------------------------------------------------------------------------

def test_a_good_index_gives_full_urls() -> None:
    second = {**GOOD, "kind": "content", "version": "3", "file": "packs/vi-3.kbundle"}
    entries = parse_index(_index(GOOD, second), "https://updates.example/kiosk/")
    assert [(e.kind, e.version, e.url) for e in entries] == [
        ("app", "1.2.0", "https://updates.example/kiosk/app-1.2.0.kbundle"),
        ("content", "3", "https://updates.example/kiosk/packs/vi-3.kbundle")]


@pytest.mark.parametrize("change, problem", [
    ({"file": "../etc/passwd"}, "plain relative name"),
    ({"file": "/etc/passwd"}, "plain relative name"),
    ({"file": "https://evil.example/x.kbundle"}, "plain relative name"),
    ({"file": "a/../../x"}, "plain relative name"),
    ({"file": ".hidden"}, "plain relative name"),
    ({"file": "a\\b"}, "plain relative name"),
    ({"kind": "firmware"}, "kind"),
    ({"version": "1.2-beta"}, "version"),
    ({"version": 3}, "version"),
    ({"size": -1}, "size"),
    ({"size": True}, "size"),
    ({"size": "10"}, "size"),
    ({"sha256": "AB" * 32}, "sha256"),
    ({"sha256": "ab"}, "sha256"),
    ({"extra": 1}, "exactly the keys"),
])
def test_a_bad_entry_is_refused_naming_the_field(change: dict, problem: str) -> None:
    with pytest.raises(BadIndex, match=problem):
        parse_index(_index({**GOOD, **change}), "http://h")


@pytest.mark.parametrize("data", [b"", b"\xff", b"[]", b'{"bundles": {}}', b"null",
                                  b'{"bundles": [], "more": 1}', b'{"bundle": []}',
                                  b"[" * 100_000])
def test_garbage_is_a_bad_index(data: bytes) -> None:
    with pytest.raises(BadIndex):
        parse_index(data, "http://h")


def test_the_same_version_twice_is_refused() -> None:
    with pytest.raises(BadIndex, match="listed twice"):
        parse_index(_index(GOOD, {**GOOD, "version": "1.2", "file": "other"}), "http://h")


_json = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                     lambda inner: st.lists(inner, max_size=4)
                     | st.dictionaries(st.text(max_size=8), inner, max_size=5), max_leaves=20)


@settings(max_examples=300)
@given(st.binary(max_size=200) | _json.map(lambda v: json.dumps(v).encode()))
def test_any_bytes_are_an_index_or_a_bad_index(data: bytes) -> None:
    try:
        parse_index(data, "http://h")
    except BadIndex as exc:
        assert str(exc) and "\n" not in str(exc)


@settings(max_examples=300)
@given(st.fixed_dictionaries({k: _json | st.just(v) for k, v in GOOD.items()}))
def test_any_entry_is_taken_only_when_every_field_is_right(entry: dict) -> None:
    try:
        (got,) = parse_index(_index(entry), "http://h")
    except BadIndex:
        return
    assert got.kind in ("app", "content") and ".." not in got.file and ":" not in got.file
    assert got.url == f"http://h/{got.file}" and len(got.sha256) == 64 and got.size > 0


@given(st.lists(st.integers(0, 10**9 - 1), min_size=1, max_size=5),
       st.lists(st.integers(0, 10**9 - 1), min_size=1, max_size=5))
def test_versions_compare_as_numbers(a: list[int], b: list[int]) -> None:
    def strip(v: list[int]) -> list[int]:
        while len(v) > 1 and v[-1] == 0:
            v = v[:-1]
        return v

    left, right = ".".join(map(str, a)), ".".join(map(str, b))
    assert (version_key(left) < version_key(right)) == (strip(a) < strip(b))


def test_the_index_from_a_real_server(tmp_path: Path) -> None:
    bundle = make_bundle(tmp_path / "app-2.0.kbundle", "app", "2.0", os.urandom(1000))
    write_index(tmp_path, [index_entry(bundle, "app", "2.0")])
    with FileServer(tmp_path) as server:
        (entry,) = fetch_index(server.url)
        assert entry.url == f"{server.url}/app-2.0.kbundle"
        with pytest.raises(FetchError, match="answered 404"):
            fetch_index(server.url + "/elsewhere")
        (tmp_path / "index.json").write_text("<html>oops</html>")
        with pytest.raises(BadIndex, match="index.json: the index is not UTF-8 JSON"):
            fetch_index(server.url)


def _self_signed(tmp_path: Path) -> Path:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(1)
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .sign(key, hashes.SHA256()))
    pem = tmp_path / "server.pem"
    pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM) + key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    return pem


def test_https_is_verified_against_trusted_certificates(tmp_path: Path) -> None:
    pem = _self_signed(tmp_path)
    srv = tmp_path / "srv"
    srv.mkdir()
    write_index(srv, [])
    with FileServer(srv, certfile=pem) as server:
        url = server.url.replace("127.0.0.1", "localhost")
        with pytest.raises(FetchError, match="CERTIFICATE_VERIFY_FAILED"):
            fetch_index(url)  # not in the system's CAs
        assert fetch_index(url, verify=str(pem)) == []  # a private server's own CA


# -- USB sticks and watched folders ------------------------------------------------------

MOUNTS = (
    "sysfs /sys sysfs rw,nosuid,nodev,noexec,relatime 0 0\n"
    "/dev/sda2 / ext4 rw,relatime 0 0\n"
    "tmpfs /run tmpfs rw,nosuid,nodev,size=800000k,mode=755 0 0\n"
    "/dev/sdb1 {media}/kiosk/UPDATES\\040STICK vfat rw,nosuid,nodev,relatime,uid=1000 0 0\n"
    "/dev/sdc1 {run}/kiosk/tab\\011and\\134slash exfat rw,nosuid 0 0\n"
    "tmpfs {media}/scratch tmpfs rw 0 0\n"
    "/dev/sdd1 {elsewhere}/stick vfat rw 0 0\n"
    "/dev/sde1 {media}/kiosk/gone vfat rw 0 0\n"
    "garbage line\n"
)


def test_the_mounts_parser_reads_kernel_escapes() -> None:
    mounts = parse_mounts(MOUNTS.format(media="/media", run="/run/media", elsewhere="/srv"))
    paths = {m.path: (m.device, m.fstype) for m in mounts}
    assert paths["/media/kiosk/UPDATES STICK"] == ("/dev/sdb1", "vfat")
    assert paths["/run/media/kiosk/tab\tand\\slash"] == ("/dev/sdc1", "exfat")
    assert len(mounts) == 8


_path_text = st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"),
                     min_size=1, max_size=30)


def _kernel_escape(text: str) -> str:
    return "".join(f"\\{ord(c):03o}" if c in " \t\n\\" else c for c in text)


@given(st.lists(st.tuples(_path_text, _path_text), max_size=6))
def test_mount_lines_written_as_the_kernel_does_parse_back(pairs: list[tuple[str, str]]) -> None:
    text = "".join(f"{_kernel_escape(dev)} /{_kernel_escape(path)} vfat rw 0 0\n"
                   for dev, path in pairs)
    assert [(m.device, m.path) for m in parse_mounts(text)] == [
        (dev, "/" + path) for dev, path in pairs]


@given(st.text(max_size=400))
def test_any_mounts_text_parses_without_error(text: str) -> None:
    for mount in parse_mounts(text):
        assert mount.path and mount.fstype


def test_sticks_under_the_roots_and_watched_folders_are_found(tmp_path: Path) -> None:
    media, run, elsewhere = tmp_path / "media", tmp_path / "run-media", tmp_path / "srv"
    stick = media / "kiosk" / "UPDATES STICK"
    odd = run / "kiosk" / "tab\tand\\slash"
    for folder in (stick, odd, media / "scratch", elsewhere / "stick"):
        folder.mkdir(parents=True)
    watched = tmp_path / "mnt" / "updates"
    make_bundle(watched / "c-1.kbundle", "content", "1")
    (tmp_path / "mnt" / "empty").mkdir()
    mounts = tmp_path / "mounts"
    mounts.write_text(MOUNTS.format(media=media, run=run, elsewhere=elsewhere))
    found = usb_mounts([media, run, tmp_path / "mnt", tmp_path / "nowhere"], mounts)
    assert found == [stick, odd, watched]


def test_no_proc_mounts_still_finds_watched_folders(tmp_path: Path) -> None:
    make_bundle(tmp_path / "a.kbundle", "app", "1")
    assert usb_mounts([tmp_path], tmp_path / "no-such-file") == [tmp_path]


def test_find_bundles_stays_on_the_stick_and_within_depth(tmp_path: Path) -> None:
    stick, outside = tmp_path / "stick", tmp_path / "outside"
    make_bundle(outside / "secret.kbundle", "app", "9")
    wanted = [make_bundle(stick / "a.kbundle", "app", "1"),
              make_bundle(stick / "updates" / "2026" / "b.kbundle", "content", "2")]
    make_bundle(stick / "1" / "2" / "3" / "too-deep.kbundle", "app", "3")
    make_bundle(stick / ".Trash-1000" / "files" / "old.kbundle", "app", "0.1")
    (stick / "link-out").symlink_to(outside)
    (stick / "link.kbundle").symlink_to(outside / "secret.kbundle")
    (stick / "notes.txt").write_text("hello")
    assert find_bundles([stick, tmp_path / "missing"]) == sorted(wanted)


def test_peek_reads_kind_and_version_plain_and_gzipped(tmp_path: Path) -> None:
    assert peek_bundle(make_bundle(tmp_path / "a.kbundle", "app", "1.4.2")) == ("app", "1.4.2")
    gz = make_bundle(tmp_path / "c.kbundle", "content", "7", b"x" * 1000, gzip=True)
    assert peek_bundle(gz) == ("content", "7")


def test_peek_refuses_what_is_not_a_bundle(tmp_path: Path) -> None:
    junk = tmp_path / "junk.kbundle"
    junk.write_bytes(os.urandom(3000))
    with pytest.raises(UsbError, match="junk.kbundle: cannot be read as a bundle"):
        peek_bundle(junk)
    bad = write_raw(tmp_path / "bad.kbundle", b'{"kind":"firmware","version":"1"}', None, {})
    with pytest.raises(UsbError, match="bad.kbundle: not a bundle"):
        peek_bundle(bad)


def test_copy_from_a_stick_with_progress(tmp_path: Path) -> None:
    src = make_bundle(tmp_path / "stick" / "a.kbundle", "app", "1", os.urandom(3_000_000))
    seen: list[tuple[int, int, str]] = []
    dest = copy_from_usb(src, tmp_path / "downloads", lambda *a: seen.append(a))
    assert dest.read_bytes() == src.read_bytes()
    assert seen[-1] == (src.stat().st_size, src.stat().st_size, "copy")


def test_a_stick_pulled_out_mid_copy_is_a_clear_error(tmp_path: Path) -> None:
    src = make_bundle(tmp_path / "stick" / "a.kbundle", "app", "1", os.urandom(3_000_000))

    def pull_out(done: int, total: int, step: str) -> None:
        os.truncate(src, done)  # what is left cannot be read any more

    downloads = tmp_path / "downloads"
    with pytest.raises(UsbError, match="a.kbundle: the USB stick could not be read to the end"):
        copy_from_usb(src, downloads, pull_out)
    assert list(downloads.iterdir()) == []  # no half copy
    src.unlink()
    with pytest.raises(UsbError, match="was it pulled out"):
        copy_from_usb(src, downloads)
