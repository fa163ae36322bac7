"""Routing scans by what they are, and the staff commands that show them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from hypothesis import example, given, settings
from hypothesis import strategies as st

from kiosk.paths import ROOT
from kiosk.scans import (
    PROBLEM_MESSAGES,
    UNKNOWN_CODE,
    ScanKind,
    ScanProblem,
    classify,
    garbled,
    problem_message,
)

CCCD = "001099006789||Nguyễn Văn An|01011999|Nam|Thôn 1, xã Lạc Dương, Lâm Đồng|15082021"


def test_kinds() -> None:
    assert classify(b"0123456789abcdef").kind is ScanKind.TICKET
    found = classify(CCCD.encode())
    assert found.kind is ScanKind.ID_CARD and found.identity.given_name == "An"
    assert classify((CCCD + "||||").encode()).kind is ScanKind.ID_CARD  # 11-field cards
    assert classify(b"H42.123.45-250701-AB0001").dossier_code == "H42.123.45-250701-AB0001"
    assert classify(b"https://portal.example/tra-cuu/H42.123.45-250701-AB0001").kind is (
        ScanKind.DOSSIER)
    assert classify(b"hello").kind is ScanKind.UNKNOWN


def test_refused_id_card_names_the_field_not_its_value() -> None:
    found = classify(CCCD.replace("01011999", "31021999").encode())
    assert found.kind is ScanKind.UNKNOWN
    assert "birth_date" in found.problem and "3102" not in found.problem
    assert found.problem_kind is ScanProblem.ID_CARD_REFUSED


def test_hostile_payloads_are_unknown_with_a_reason() -> None:
    assert classify(b"x" * 10_000).problem.startswith("too long")
    assert classify(b"\xff\xfe\x00").problem == "not UTF-8 text"
    assert classify(b"x" * 10_000).problem_kind is ScanProblem.TOO_LONG
    assert classify(b"\xff\xfe\x00").problem_kind is ScanProblem.NOT_TEXT


def test_the_citizen_is_told_by_the_kind_of_problem() -> None:
    assert garbled("short frame").problem_kind is ScanProblem.GARBLED
    refused_card = classify(CCCD.replace("01011999", "31021999").encode())
    assert problem_message(refused_card) == PROBLEM_MESSAGES[ScanProblem.ID_CARD_REFUSED]
    assert problem_message(garbled("short frame")) == PROBLEM_MESSAGES[ScanProblem.GARBLED]
    assert problem_message(classify(b"hello")) == UNKNOWN_CODE
    assert problem_message(classify(b"x" * 10_000)) == UNKNOWN_CODE


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=600) | st.text(max_size=300).map(str.encode))
def test_classify_never_raises(payload: bytes) -> None:
    assert classify(payload).kind in ScanKind


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["http://", "https://", "x://"]), st.text(max_size=80))
@example("http://", "[x")
def test_classify_never_raises_on_url_like_text(scheme: str, rest: str) -> None:
    assert classify((scheme + rest).encode()).kind in ScanKind


def decode(payload: bytes, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kiosk", "decode", *args], input=payload,
                          cwd=ROOT, capture_output=True, timeout=60)


def test_decode_masks_personal_data_unless_revealed() -> None:
    proc = decode(CCCD.encode(), "--json")
    assert proc.returncode == 0
    report = json.loads(proc.stdout)
    assert report["kind"] == "id_card"
    assert report["holds"]["id_number"] == "••••••••6789"
    out = proc.stdout.decode()
    for secret in ("001099006789", "Nguyễn", "1999", "Thôn 1"):
        assert secret not in out
    revealed = json.loads(decode(CCCD.encode(), "--json", "--reveal").stdout)
    assert revealed["holds"]["id_number"] == "001099006789"


def test_decode_with_nothing_on_stdin_is_a_usage_error() -> None:
    proc = decode(b"")
    assert proc.returncode == 2 and proc.stderr.decode().startswith("kiosk: error:")


def test_scan_reads_from_the_simulated_scanner(tmp_path: Path) -> None:
    from drivers.sim import SimScanner

    with SimScanner(tmp_path / "ttySCAN") as scanner:
        proc = subprocess.Popen([sys.executable, "-m", "kiosk", "scan", "--port", scanner.url,
                                 "--count", "2", "--json"], cwd=ROOT, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        assert "ONLINE" in proc.stderr.readline()  # the scanner is open: now scan
        assert scanner.scan(CCCD.encode())
        assert scanner.scan(b"0123456789abcdef")
        out, _ = proc.communicate(timeout=60)
    first, second = (json.loads(line) for line in out.splitlines())
    assert (first["kind"], first["symbology"], first["holds"]["given_name"]) == (
        "id_card", "QR", "A•")
    assert second == {"kind": "ticket", "symbology": "QR", "bytes": 16,
                      "ticket_id": "0123456789abcdef"}
    assert "001099006789" not in out


def test_a_card_registered_abroad_is_not_turned_away() -> None:
    # The province-code table has no code for citizens registered abroad.
    found = classify(CCCD.replace("001099006789", "999099006789").encode())
    assert found.kind is ScanKind.ID_CARD
