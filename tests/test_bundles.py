"""Signed bundles through the Python API: verify, apply, roll back, content in use."""

from __future__ import annotations

import fcntl
import json
import os
import threading
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk import i18n
from kiosk.bundles import BundleRefused, Installer, content_root, verify_bundle
from kiosk.bundles.build import add_signature
from kiosk.bundles.manifest import parse_manifest, parse_signatures
from kiosk.config import load_config
from kiosk.content import audio_dirs, content_dir, load_content_catalogue, updated_catalogue
from tests.bundle_kit import (
    NOW,
    app_files,
    build,
    content_files,
    manifest_of,
    new_key,
    write_raw,
)


@pytest.fixture(scope="module")
def key():  # type: ignore[no-untyped-def]
    return new_key()


def installer(tmp_path: Path, *keys: str) -> Installer:
    return Installer(tmp_path / "updates", keys)


def test_a_good_bundle_verifies_and_verifying_touches_nothing(tmp_path: Path, key) -> None:
    bundle = build(tmp_path, key, "content", "1.0.0")
    manifest = verify_bundle(bundle, [key.public], kind="content", now=NOW)
    assert manifest.version == "1.0.0" and len(manifest.files) == 3
    inst = installer(tmp_path, key.public)
    assert inst.verify(bundle).kind == "content"
    assert not (tmp_path / "updates").exists()


def test_keys_rotate_any_trusted_signature_will_do(tmp_path: Path, key) -> None:
    new = new_key()
    bundle = build(tmp_path, key, "content", "1.0.0")
    with pytest.raises(BundleRefused) as refused:
        verify_bundle(bundle, [new.public])
    assert refused.value.reason == "unknown-key"
    assert add_signature(bundle, new.private) and not add_signature(bundle, new.private)
    for trusted in ([new.public], [key.public], [new.public, key.public]):
        assert verify_bundle(bundle, trusted).version == "1.0.0"


def test_content_bundles_lay_over_each_other_and_are_what_the_kiosk_shows(tmp_path: Path,
                                                                            key) -> None:
    cfg = replace(load_config(), data_dir=tmp_path / "data")
    inst = Installer(cfg.updates_dir, [key.public])
    assert content_root(cfg) is None
    assert audio_dirs(cfg)[0] == content_dir(cfg) / "audio"  # the hand-copied folder, as before

    inst.apply(build(tmp_path, key, "content", "1.0.0", content_files("1.0.0", ("vi",))))
    # A language pack: only K'Ho, with a translation of its own.
    files = content_files("1.1.0", ("kpm",))
    del files["procedures.toml"]
    po = files["locales/kpm/LC_MESSAGES/kiosk.po"].decode()
    files["locales/kpm/LC_MESSAGES/kiosk.po"] = po.replace(
        'msgid "Touch the screen to start"\nmsgstr ""',
        'msgid "Touch the screen to start"\nmsgstr "PACK-1.1.0"').encode()
    assert "PACK-1.1.0" in files["locales/kpm/LC_MESSAGES/kiosk.po"].decode()
    inst.apply(build(tmp_path, key, "content", "1.1.0", files))

    root = content_root(cfg)
    assert root == cfg.updates_dir / "content" / "versions" / "1.1.0"
    assert (root / "audio/vi/home.ogg").read_bytes() == b"OggS vi 1.0.0"  # kept from 1.0.0
    assert (root / "audio/kpm/home.ogg").read_bytes() == b"OggS kpm 1.1.0"
    assert (root / "locales/kpm/LC_MESSAGES/kiosk.mo").is_file()
    # Recordings: this kiosk's own (the voice studio's) first, then the bundle's.
    assert audio_dirs(cfg)[:2] == (content_dir(cfg) / "audio", root / "audio")
    assert updated_catalogue(cfg) == root / "procedures.toml"
    catalogue, source, problems = load_content_catalogue(cfg)
    assert source == root / "procedures.toml" and catalogue is not None and not problems
    touch = "Touch the screen to start"
    try:
        assert i18n.translate("kpm", touch) == "PACK-1.1.0"
        # The next pack changes that translation: compiled anew, while 1.1.0's own .mo (a
        # hard link candidate) keeps its text.
        files["locales/kpm/LC_MESSAGES/kiosk.po"] = files[
            "locales/kpm/LC_MESSAGES/kiosk.po"].replace(b"PACK-1.1.0", b"PACK-1.2.0")
        inst.apply(build(tmp_path, key, "content", "1.2.0", files))
        load_content_catalogue(cfg)
        assert i18n.translate("kpm", touch) == "PACK-1.2.0"
        assert b"PACK-1.1.0" in (root / "locales/kpm/LC_MESSAGES/kiosk.mo").read_bytes()
        assert inst.rollback("content") == "1.1.0"
        load_content_catalogue(cfg)
        assert i18n.translate("kpm", touch) == "PACK-1.1.0"
        assert content_root(cfg) == root
    finally:
        i18n.use_content_locales(None)
    assert inst.rollback("content") == "shipped" and content_root(cfg) is None
    history = [e["action"] for e in inst.history("content")]
    assert history == ["apply", "apply", "apply", "rollback", "rollback"]


def test_hand_copied_content_still_works_beside_a_bundle_without_a_catalogue(
        tmp_path: Path, key) -> None:
    cfg = replace(load_config(), data_dir=tmp_path / "data")
    legacy = content_dir(cfg) / "procedures.toml"
    legacy.parent.mkdir(parents=True)
    legacy.write_bytes(content_files("x")["procedures.toml"])
    files = content_files("1.0.0")
    del files["procedures.toml"]
    Installer(cfg.updates_dir, [key.public]).apply(build(tmp_path, key, "content", "1.0.0",
                                                         files))
    try:
        assert updated_catalogue(cfg) == legacy
        assert load_content_catalogue(cfg)[1] == legacy
    finally:
        i18n.use_content_locales(None)


def test_a_content_bundle_carries_number_call_segments(tmp_path: Path, key) -> None:
    """audio/<lang>/segments/<name>.ogg|wav has its place in a content bundle, is found
    after this kiosk's own recordings, and nothing deeper is accepted."""
    from kiosk.voice import find_segment

    cfg = replace(load_config(), data_dir=tmp_path / "data")
    inst = Installer(cfg.updates_dir, [key.public])
    files = {**content_files("1.0.0", ("kpm",)), "audio/kpm/segments/invite.ogg": b"OggS b",
             "audio/kpm/segments/7.wav": b"RIFF b"}
    try:
        inst.apply(build(tmp_path, key, "content", "1.0.0", files))
        root = content_root(cfg)
        assert root is not None
        assert find_segment("kpm", "invite", audio_dirs(cfg)) == (
            root / "audio/kpm/segments/invite.ogg")
        assert find_segment("kpm", "7", audio_dirs(cfg)) == root / "audio/kpm/segments/7.wav"
        assert find_segment("vi", "invite", audio_dirs(cfg)) is None  # no borrowing
        own = content_dir(cfg) / "audio/kpm/segments/invite.ogg"  # recorded on this kiosk
        own.parent.mkdir(parents=True)
        own.write_bytes(b"OggS studio")
        assert find_segment("kpm", "invite", audio_dirs(cfg)) == own
        for path in ("audio/kpm/segments/more/invite.ogg", "audio/kpm/segments/invite.mp3"):
            bad = {**files, path: b"x"}  # signed, but the builder would not make it
            bundle = write_raw(tmp_path / f"bad-{len(path)}.kbundle",
                               manifest_of(bad, version="1.0.1"), key, bad)
            with pytest.raises(BundleRefused) as refused:
                inst.apply(bundle)
            assert refused.value.reason == "bad-content"
            assert "audio/<lang>/segments/<name>.ogg|wav" in str(refused.value)
    finally:
        i18n.use_content_locales(None)


def test_a_downgrade_only_when_allowed(tmp_path: Path, key) -> None:
    inst = installer(tmp_path, key.public)
    inst.apply(build(tmp_path, key, "content", "1.0.0"))
    inst.apply(build(tmp_path, key, "content", "2.0.0", min_version="1.0"))
    old = build(tmp_path, key, "content", "1.0.0", name="again.kbundle")
    with pytest.raises(BundleRefused) as refused:
        inst.apply(old)
    assert refused.value.reason == "older-version" and "2.0.0" in str(refused.value)
    # 1.0.0 is `previous`: it is set aside and installed again.
    assert inst.apply(old, allow_downgrade=True).version == "1.0.0"
    status = inst.status()["content"]
    assert status["current"] == "1.0.0" and status["previous"] == "2.0.0"
    versions = sorted(p.name for p in (tmp_path / "updates/content/versions").iterdir())
    assert versions == ["1.0.0", "2.0.0"]


def test_a_second_apply_is_refused_while_one_runs(tmp_path: Path, key) -> None:
    inst = installer(tmp_path, key.public)
    bundle = build(tmp_path, key, "content", "1.0.0")
    (tmp_path / "updates").mkdir()
    fd = os.open(tmp_path / "updates" / ".lock", os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)  # as a running apply holds it
    try:
        with pytest.raises(BundleRefused) as refused:
            inst.apply(bundle)
        assert refused.value.reason == "busy"
        assert inst.status()["content"]["current"] is None  # status still answers
    finally:
        os.close(fd)
    assert inst.apply(bundle).version == "1.0.0"


def test_progress_from_a_worker_thread(tmp_path: Path, key) -> None:
    inst = installer(tmp_path, key.public)
    bundle = build(tmp_path, key, "content", "1.0.0")
    calls: list[tuple[int, int, str]] = []
    worker = threading.Thread(target=inst.apply, args=(bundle,),
                              kwargs={"progress": lambda *a: calls.append(a)})
    worker.start()
    worker.join(60)
    steps = list(dict.fromkeys(step for _, _, step in calls))
    assert steps == ["verify", "unpack", "compile", "switch"]
    assert calls[-1] == (1, 1, "switch") and all(0 <= d <= t for d, t, _ in calls)
    assert len(calls) < 30  # a few calls, not one per block


def test_an_app_bundle_is_installed_offline_with_its_assets_and_put_on_trial(
        tmp_path: Path, key) -> None:
    inst = installer(tmp_path, key.public)
    assert inst.installed_version("app") == "0.1.0"  # the base install
    inst.apply(build(tmp_path, key, "app", "1.0.0", app_files(tmp_path, "1.0.0")))
    lib = inst.current_dir("app") / "lib"
    assert (lib / "kiosk" / "__main__.py").is_file()
    assert (lib / "assets" / "fonts").is_dir()
    assert (lib / "locales" / "vi" / "LC_MESSAGES" / "kiosk.mo").is_file()
    assert not (inst.current_dir("app") / "bundle").exists()
    assert inst.trial() == {"version": "1.0.0", "healthy": False, "starts": 0, "failures": []}
    assert inst.rollback("app", "test") == "0.1.0" and inst.trial() is None
    assert inst.status()["app"]["current"] is None


def test_a_bundle_below_its_min_version_is_refused(tmp_path: Path, key) -> None:
    inst = installer(tmp_path, key.public)
    bundle = build(tmp_path, key, "app", "2.0.0", app_files(tmp_path, "2.0.0"),
                   min_version="1.0.0")
    with pytest.raises(BundleRefused) as refused:
        inst.apply(bundle)
    assert refused.value.reason == "min-version" and "0.1.0" in str(refused.value)


def test_a_broken_translation_or_catalogue_is_refused_before_the_switch(tmp_path: Path,
                                                                       key) -> None:
    inst = installer(tmp_path, key.public)
    for version, files in (("1.0.0", {"locales/kpm/LC_MESSAGES/kiosk.po": b'msgid "a\n'}),
                           ("1.0.1", {"procedures.toml": b"schema_version = 9\n"})):
        with pytest.raises(BundleRefused) as refused:
            inst.apply(build(tmp_path, key, "content", version, files))
        assert refused.value.reason == "bad-content"
    assert inst.status()["content"]["current"] is None
    assert not list((tmp_path / "updates/content/versions").iterdir())


# -- the parsers, fuzzed -------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner,
                                                                max_size=6),
    max_leaves=20)
manifest_like = st.fixed_dictionaries(
    {}, optional={"format": st.sampled_from([1, 1.0, 2, "1", True]),
                  "kind": st.sampled_from(["app", "content", "x"]),
                  "version": st.sampled_from(["1.0", "01.2", "1.a", "", "9" * 12]),
                  "min_version": st.sampled_from(["0", "1.2.3", None]),
                  "expires": st.sampled_from(["2027-01-01T00:00:00Z", "2027-01-01", "soon"]),
                  "created": st.sampled_from(["2026-01-01T00:00:00+07:00", 5]),
                  "files": st.lists(st.fixed_dictionaries(
                      {}, optional={"path": st.text(max_size=8), "size": json_values,
                                    "sha256": st.sampled_from(["0" * 64, "x"])}), max_size=3)})


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300) | json_values.map(lambda v: json.dumps(v).encode())
       | manifest_like.map(lambda v: json.dumps(v, sort_keys=True,
                                                separators=(",", ":")).encode()))
def test_any_bytes_give_a_manifest_or_one_sentence(data: bytes) -> None:
    try:
        manifest = parse_manifest(data)
    except ValueError as exc:
        assert "\n" not in str(exc)
        return
    assert manifest.to_bytes() == data  # what was signed is what is read


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200) | json_values.map(lambda v: json.dumps(v).encode())
       | st.lists(st.fixed_dictionaries({"keyid": st.sampled_from(["0" * 16, "zz", ""]),
                                         "sig": st.sampled_from(["ab" * 64, "ab", 1])}),
                  max_size=3).map(lambda s: json.dumps({"signatures": s}).encode()))
def test_any_bytes_give_signatures_or_one_sentence(data: bytes) -> None:
    try:
        signatures = parse_signatures(data)
    except ValueError as exc:
        assert "\n" not in str(exc)
        return
    assert all(len(s.sig) == 64 and len(s.keyid) == 16 for s in signatures)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=2000))
def test_any_file_is_a_refusal_not_a_crash(tmp_path_factory, data: bytes) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "x.kbundle"
    path.write_bytes(data)
    with pytest.raises(BundleRefused) as refused:
        verify_bundle(path, ["ed25519:" + "ab" * 32])
    assert "\n" not in str(refused.value)
