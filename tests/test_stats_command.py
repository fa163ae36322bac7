"""`kiosk stats` over a day made through the real store operations: what staff read in the
text table, the JSON, the CSV Excel opens, and one line for bad input."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.cli import main
from kiosk.stats import display_width
from kiosk.store import open_database, open_database_file
from tests.stats_day import simulate_day

DAY = "2026-11-27"


@pytest.fixture
def centre_config(any_db_url: str, tmp_path: Path) -> Path:
    """A centre's config naming the database where the day was simulated."""
    engine = open_database(any_db_url)
    try:
        simulate_day(engine)
    finally:
        engine.dispose()
    path = tmp_path / "centre.toml"
    path.write_text(f'[centre_service]\ndatabase = "{any_db_url}"\n'
                    f'state_dir = "{tmp_path / "state"}"\n', encoding="utf-8")
    return path


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def table(out: str, title: str) -> list[str]:
    """The lines of the table under `title` (up to the next blank line)."""
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(title)) + 1
    end = next((i for i in range(start, len(lines)) if not lines[i]), len(lines))
    return lines[start:end]


def cells(lines: list[str], first: str) -> list[str]:
    return next(line.split() for line in lines if line.startswith(first + " "))


def test_the_table_staff_read(centre_config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "--config", str(centre_config), "stats", "--centre",
                         "--day", DAY)
    assert code == 0 and not err
    assert out.startswith(f"Thống kê ngày {DAY} / Statistics of {DAY}\n")
    per_hour = table(out, "Số phát theo giờ")
    # Hour, then A B C D E (the configured services), then the total.
    assert cells(per_hour, "08:00") == ["08:00", "3", "1", "0", "0", "0", "4"]
    assert cells(per_hour, "09:00") == ["09:00", "3", "0", "2", "0", "0", "5"]
    by_service = table(out, "Theo dịch vụ")
    assert by_service[0].split()[:3] == ["Lĩnh", "vực", "Đã"]
    # issued, served, no-show, transferred, void, interrupted, not printed, still open
    assert cells(by_service, "A") == ["A", "6", "3", "1", "1", "0", "1", "1", "2"]
    assert cells(by_service, "B") == ["B", "1", "0", "0", "0", "4", "0", "0", "1"]
    assert cells(by_service, "C") == ["C", "2", "2", "0", "0", "0", "0", "0", "0"]
    assert by_service[-1].split()[-8:] == ["9", "5", "1", "1", "4", "1", "1", "3"]
    times = table(out, "Thời gian (phút)")
    # called, wait median, wait p90, served, service median, service p90
    assert cells(times, "A") == ["A", "4", "15.0", "20.0", "3", "15.0", "19.0"]
    assert cells(times, "D") == ["D", "0", "-", "-", "0", "-", "-"]
    assert times[-1].split()[-6:] == ["6", "15.0", "43.0", "5", "15.0", "20.0"]
    ratings = table(out, "Đánh giá")
    assert ratings[0].startswith("Ngày") and "Rất hài lòng" in ratings[0]
    assert ratings[2].split() == [DAY, "A", "1", "0", "1", "2", "50%"]
    # Aligned: the numbers of each table end in one column, Vietnamese headings included.
    for lines in (per_hour, by_service, times):
        assert len({display_width(line) for line in lines}) == 1, lines


def test_json(centre_config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--config", str(centre_config), "stats", "--centre",
                       "--day", DAY, "--to", DAY, "--json")
    report = json.loads(out)
    assert code == 0 and (report["from"], report["to"]) == (DAY, DAY)
    a = report["by_service"]["A"]
    assert (a["issued"], a["served"], a["no_show"], a["transferred"], a["interrupted"],
            a["shown_not_printed"]) == (6, 3, 1, 1, 1, 1)
    assert (a["wait_median"], a["wait_p90"], a["service_median"], a["service_p90"]) == (
        15.0, 20.0, 15.0, 19.0)
    assert report["overall"]["wait_p90"] == 43.0
    assert [(h["hour"], h["service"], h["issued"], h["void"]) for h in report["hours"]] == [
        (8, "A", 3, 0), (8, "B", 1, 0), (9, "A", 3, 0), (9, "C", 2, 0), (None, "B", 0, 4)]
    assert report["ratings"]["totals"]["total"] == 3


def test_csv_for_excel(centre_config: Path, tmp_path: Path,
                       capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "thống kê.csv"
    code, out, _ = run(capsys, "--config", str(centre_config), "stats", "--centre",
                       "--day", DAY, "--csv", str(target))
    assert code == 0 and out == f"5 rows written to {target}\n"
    data = target.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert [(r["day"], r["hour"], r["service"], r["issued"], r["void"]) for r in rows] == [
        (DAY, "08:00", "A", "3", "0"), (DAY, "08:00", "B", "1", "0"),
        (DAY, "09:00", "A", "3", "0"), (DAY, "09:00", "C", "2", "0"), (DAY, "", "B", "0", "4")]
    assert (rows[0]["wait_median"], rows[0]["wait_p90"], rows[0]["served"]) == (
        "10.0", "20.0", "2")
    assert rows[2]["wait_median"] == "20.0" and rows[2]["service_median"] == "19.0"
    assert rows[3]["service_median"] == "15.0" and rows[2]["service_p90"] == "19.0"
    assert rows[1]["wait_median"] == ""  # B500 has not been called


def test_the_kiosk_s_own_database_by_default(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    engine = open_database_file(tmp_path / "data" / "kiosk.sqlite3")
    simulate_day(engine)
    engine.dispose()
    code, out, _ = run(capsys, "--data-dir", str(tmp_path / "data"), "stats", "--day", DAY,
                       "--json")
    assert code == 0 and json.loads(out)["overall"]["issued"] == 9


@pytest.mark.parametrize(("argv", "message"), [
    (["--day", "2026-02-30"], "argument --day: '2026-02-30': no such day"),
    (["--day", "27/11/2026"], "argument --day: '27/11/2026': expected a date like 2026-11-28"),
    (["--day", "20261127"], "argument --day: '20261127': expected a date like 2026-11-28"),
    (["--day", DAY, "--to", "2026-11-26"],
     "--day 2026-11-27 --to 2026-11-26: the last day 2026-11-26 is before the first day "
     "2026-11-27"),
    (["--day", "2025-01-01", "--to", DAY],
     "--day 2025-01-01 --to 2026-11-27: 2025-01-01 to 2026-11-27 is 696 days; at most "
     "366 at once"),
])
def test_bad_days_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                               argv: list[str], message: str) -> None:
    code, out, err = run(capsys, "--data-dir", str(tmp_path), "stats", *argv)
    assert (code, out, err) == (2, "", f"kiosk: error: {message}\n")
    assert not (tmp_path / "kiosk.sqlite3").exists()  # refused before opening anything


def test_a_csv_nowhere_is_refused_before_reading(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "--data-dir", str(tmp_path), "stats", "--day", DAY,
                       "--csv", str(tmp_path / "no" / "x.csv"))
    assert (code, err) == (2, f"kiosk: error: --csv {tmp_path / 'no' / 'x.csv'}: no folder "
                              f"{tmp_path / 'no'}\n")
    code, _, err = run(capsys, "--data-dir", str(tmp_path), "stats", "--csv", str(tmp_path))
    assert (code, err) == (2, f"kiosk: error: --csv {tmp_path}: is a folder, not a file\n")


def test_an_unreachable_centre_database_is_one_line_without_its_password(
        tmp_path: Path) -> None:
    config = tmp_path / "centre.toml"
    config.write_text('[centre_service]\n'
                      'database = "postgresql+psycopg://kiosk:s3cret@127.0.0.1:1/kiosk"\n',
                      encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "kiosk", "--config", str(config), "stats",
                           "--centre"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith("kiosk: error: database postgresql+psycopg://kiosk:***@"
                                  "127.0.0.1:1/kiosk: ")
    assert done.stderr.count("\n") == 1 and "s3cret" not in done.stderr
