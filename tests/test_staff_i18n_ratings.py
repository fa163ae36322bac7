"""`kiosk i18n report|export|import` and `kiosk ratings` from the command line."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from kiosk.cli import main
from kiosk.paths import LOCALES
from kiosk.ratings import RatingService
from kiosk.store import open_database, sqlite_url
from kiosk.store.ratings import RatingStore


def test_i18n_report_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["i18n", "report", "--json"]) == 0
    rows = {r["lang"]: r for r in json.loads(capsys.readouterr().out)}
    assert set(rows) == {"vi", "en", "kpm", "rad"}
    assert rows["vi"]["strings_missing"] == 0 and rows["en"]["strings_missing"] == 0
    assert rows["kpm"]["strings_translated"] == 0  # nothing sourced yet: all falls back
    assert rows["vi"]["strings_total"] == rows["kpm"]["strings_total"] > 40


def test_i18n_export_shows_translators_the_vietnamese(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "kpm-for-translators.po"
    assert main(["i18n", "export", "--lang", "kpm", "--out", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert 'msgid "Take a number"' in text and "# vi: Lấy số thứ tự" in text


def test_i18n_import_with_a_broken_placeholder_changes_nothing(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad.po"
    bad.write_text('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
                   'msgid "People ahead: {count}"\nmsgstr "Ƀlah: {cont}"\n', encoding="utf-8")
    kpm = LOCALES / "kpm" / "LC_MESSAGES" / "kiosk.po"
    before = kpm.read_bytes()
    assert main(["i18n", "import", str(bad), "--lang", "kpm"]) == 1
    err = capsys.readouterr().err
    assert "rejected, nothing changed" in err and "People ahead" in err
    assert kpm.read_bytes() == before


def test_i18n_bad_language_tag_is_a_usage_error(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["i18n", "export", "--lang", "K'Ho", "--out", str(tmp_path / "x.po")]) == 2


def test_ratings_summary_per_day_and_service(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    hcm = ZoneInfo("Asia/Ho_Chi_Minh")
    engine = open_database(sqlite_url(tmp_path / "kiosk.sqlite3"))
    at = datetime(2026, 11, 27, 10, tzinfo=hcm)
    service = RatingService(RatingStore(engine), hcm, now=lambda: at)
    for level, letter in (("very_satisfied", "A"), ("satisfied", "A"), ("unsatisfied", "B")):
        service.record(level, ["waiting_time"] if level == "unsatisfied" else [],
                       service=letter, lang="vi")
    assert main(["ratings", "--data-dir", str(tmp_path), "--from", "2026-11-27", "--to",
                 "2026-11-27", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    rows = {r["service"]: r for r in report["rows"]}
    assert rows["A"]["counts"] == {"very_satisfied": 1, "satisfied": 1, "unsatisfied": 0}
    assert rows["B"]["counts"]["unsatisfied"] == 1
    assert main(["ratings", "--data-dir", str(tmp_path), "--from", "2026-11-28", "--to",
                 "2026-11-27"]) == 2


def test_i18n_report_counts_catalogue_content(capsys: pytest.CaptureFixture[str]) -> None:
    from kiosk.catalogue import DEFAULT_CATALOGUE, load_catalogue
    from kiosk.i18n_tools import content_texts

    total = len(content_texts(load_catalogue(DEFAULT_CATALOGUE)))
    assert main(["i18n", "report", "--json"]) == 0
    rows = {r["lang"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["vi"]["content_translated"] == total and rows["vi"]["content_missing"] == 0
    assert rows["en"]["content_missing"] == 0
    assert rows["kpm"]["content_translated"] == 0 and rows["kpm"]["content_missing"] == total
