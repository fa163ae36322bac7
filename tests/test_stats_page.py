"""The centre's statistics page: the figures of a day made through the real store
operations (SQLite and PostgreSQL), a chart that is valid SVG, the CSV download, clear
refusals, the staff sign-in; and the page as chromium draws it over a real server."""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.testclient import TestClient

from kiosk.centre.context import CentreContext
from kiosk.centre.serve import serving
from kiosk.centre.stats_chart import hourly_chart, nice_step
from kiosk.centre.stats_page import stats_routes
from kiosk.config import load_config
from kiosk.store import TicketStore, open_database
from kiosk.store.calls import CounterDesk
from tests.stats_day import DAY, busy_day, simulate_day

SVG = "{http://www.w3.org/2000/svg}"
SHOTS = Path("/tmp/stats-shots")


def signed_in(_ctx: CentreContext, _request: object) -> object:
    """A staff member signed in (the sign-in itself is PAGES's, tested there)."""
    return "staff"


def routes(engine) -> list:  # type: ignore[no-untyped-def]
    return stats_routes(context(engine), staff_check=signed_in)


def context(engine) -> CentreContext:  # type: ignore[no-untyped-def]
    config = load_config()
    return CentreContext(config, engine, CounterDesk(engine), TicketStore(engine))


@pytest.fixture
def day(any_db_url: str) -> Iterator:
    engine = open_database(any_db_url)
    try:
        yield simulate_day(engine)
    finally:
        engine.dispose()


@pytest.fixture
def client(day) -> TestClient:  # type: ignore[no-untyped-def]
    return TestClient(Starlette(routes=routes(day.engine)))


def chart(page: str) -> ET.Element:
    """The page's chart, parsed as XML: it must be well-formed SVG."""
    svg = re.search(r"<svg [^>]*class=\"chart\".*?</svg>", page, re.S)
    assert svg is not None
    return ET.fromstring(svg.group(0))


def bars(svg: ET.Element) -> dict[tuple[str, str], int]:
    return {(r.get("data-hour"), r.get("data-service")): int(r.get("data-count"))
            for r in svg.iter(f"{SVG}rect") if r.get("class") == "bar"}


def cells(page: str, row_label: str) -> list[str]:
    """The figures of the table row whose heading starts with `row_label`, table by table."""
    rows = re.findall(rf'<tr[^>]*><th scope="row">{re.escape(row_label)}[^<]*</th>(.*?)</tr>',
                      page)
    return [" ".join(re.findall(r'<td class="n">([^<]*)</td>', row)) for row in rows]


def test_the_page_shows_the_day_s_figures(client: TestClient, day) -> None:  # type: ignore[no-untyped-def]
    response = client.get(f"/stats?day={DAY}")
    assert response.status_code == 200
    page = response.text
    cards = re.findall(r'<span class="value">([^<]*)</span>', page)
    assert cards == ["9", "5", "1", "15.0", "43.0", "15.0"]
    # Per hour (A … E, total); by service (issued … still open); times; ratings.
    assert cells(page, "08:00") == ["3 1 0 0 0 4"]
    assert cells(page, "B · ") == ["1 0 0 0 4 0 0 1", "0 - - 0 - -"]
    assert cells(page, "A · Hộ tịch") == ["6 3 1 1 0 1 1 2", "4 15.0 20.0 3 15.0 19.0",
                                         "1 0 1 2 50%"]
    assert cells(page, "C · ") == ["2 2 0 0 0 0 0 0", "2 24.0 43.0 2 15.0 20.0",
                                   "0 1 0 1 100%"]
    assert bars(chart(page)) == {("8", "A"): 3, ("8", "B"): 1, ("9", "A"): 3, ("9", "C"): 2}
    for secret in [*day.secrets, "A001", "C002", "B500"]:
        assert secret not in page


def test_the_chart_is_svg_with_a_bar_per_hour_and_its_title() -> None:
    svg = ET.fromstring(hourly_chart({8: {"A": 12, "B": 3}, 11: {"B": 1}}, ["A", "B"],
                                     "Số phát / Issued"))
    assert svg.find(f"{SVG}title").text == "Số phát / Issued"
    assert bars(svg) == {("8", "A"): 12, ("8", "B"): 3, ("11", "B"): 1}
    labels = [t.text for t in svg.iter(f"{SVG}text") if t.get("class") == "axis"]
    assert [x for x in labels if x.endswith("h")] == ["08h", "09h", "10h", "11h"]
    assert {t.text for t in svg.iter(f"{SVG}text") if t.get("class") == "total"} == {"15", "1"}
    titles = [t.text for t in svg.iter(f"{SVG}title")][1:]
    assert titles == ["A 08:00–09:00: 12", "B 08:00–09:00: 3", "B 11:00–12:00: 1"]


@pytest.mark.parametrize(("largest", "step"), [(1, 1), (5, 1), (6, 2), (12, 5), (15, 5),
                                               (40, 10), (99, 20), (1234, 500)])
def test_the_count_axis_takes_round_steps(largest: int, step: int) -> None:
    assert nice_step(largest) == step


def test_the_csv_download(client: TestClient) -> None:
    response = client.get(f"/stats.csv?day={DAY}&to={DAY}")
    assert response.status_code == 200
    assert response.headers["content-disposition"] == (
        f'attachment; filename="thong-ke-{DAY}.csv"')
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [(r["hour"], r["service"], r["issued"], r["wait_median"]) for r in rows] == [
        ("08:00", "A", "3", "10.0"), ("08:00", "B", "1", ""), ("09:00", "A", "3", "20.0"),
        ("09:00", "C", "2", "24.0"), ("", "B", "0", "")]


def test_a_range_sums_the_days(client: TestClient) -> None:
    page = client.get("/stats?day=2026-11-21&to=2026-11-30").text
    assert "(summed over the days)" in page and "10 <span" in page
    assert re.findall(r'<span class="value">([^<]*)</span>', page)[:3] == ["9", "5", "1"]


@pytest.mark.parametrize(("query", "message"), [
    ("day=2026-11-31", "&#x27;2026-11-31&#x27;: no such day"),
    ("day=27/11/2026", "&#x27;27/11/2026&#x27;: expected a date like 2026-11-28"),
    ("day=2026-11-27&to=2026-11-01", "the last day 2026-11-01 is before the first day"),
    ("day=2024-01-01&to=2026-11-27", "at most 366 at once"),
    ("day=%00%ff", "expected a date like 2026-11-28"),
])
def test_a_bad_day_is_a_clear_message(client: TestClient, query: str, message: str) -> None:
    response = client.get(f"/stats?{query}")
    assert response.status_code == 400
    assert "Ngày không hợp lệ" in response.text and message in response.text
    assert "/stats.csv" not in response.text  # nothing to download
    csv_response = client.get(f"/stats.csv?{query}")
    assert csv_response.status_code == 400 and csv_response.text.count("\n") == 1


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=30), st.one_of(st.none(), st.text(max_size=30)))
def test_any_query_is_the_page_or_a_clear_refusal(tmp_path: Path, day: str,
                                                  to: str | None) -> None:
    engine = open_database(f"sqlite:///{tmp_path / 'fuzz.sqlite3'}")
    try:
        client = TestClient(Starlette(routes=routes(engine)))
        query = {"day": day, **({"to": to} if to is not None else {})}
        for path in ("/stats", "/stats.csv"):
            response = client.get(path, params=query)
            assert response.status_code in (200, 400), (path, query)
            if response.status_code == 400 and path == "/stats":
                assert "Ngày không hợp lệ" in response.text
    finally:
        engine.dispose()


def test_no_day_means_today(client: TestClient) -> None:
    page = client.get("/stats").text
    assert "Không có số nào." in page  # the day was in 2026-11-27, not today


def test_the_page_is_for_signed_in_staff(day) -> None:  # type: ignore[no-untyped-def]
    """Without a staff session (kiosk/centre/staff_auth.py decides) the page and its CSV
    send the browser to sign in, with the way back; signing in and coming back is tested
    in a browser (tests/centre_pages/test_pages_auth.py)."""
    client = TestClient(Starlette(routes=stats_routes(context(day.engine))))
    for path in (f"/stats?day={DAY}", f"/stats.csv?day={DAY}"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == (
            "/staff/sign-in?next=" + path.replace("/", "%2F").replace("?", "%3F")
            .replace("=", "%3D"))


def test_assets_are_served_and_nothing_else(client: TestClient) -> None:
    assert client.get("/stats/stats.css").headers["content-type"].startswith("text/css")
    font = client.get("/stats/fonts/NotoSans-Regular.ttf")
    assert font.status_code == 200 and font.content[:4] == b"\x00\x01\x00\x00"
    assert client.get("/stats/fonts/..%2F..%2Fkiosk.toml").status_code == 404
    page = client.get(f"/stats?day={DAY}")
    assert "script-src" not in page.headers["content-security-policy"]
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert "<script" not in page.text and "http://" not in page.text.replace(
        'xmlns="http://www.w3.org/2000/svg"', "")


def test_the_page_in_chromium(tmp_path: Path, browser) -> None:  # type: ignore[no-untyped-def]
    """A busy day drawn by chromium over a real server: the picture is kept in
    /tmp/stats-shots for a person to look at."""
    engine = open_database(f"sqlite:///{tmp_path / 'centre.sqlite3'}")
    issued = busy_day(engine)
    app = Starlette(routes=routes(engine))
    SHOTS.mkdir(exist_ok=True)
    with serving(app, None) as url:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        try:
            problems: list[str] = []
            page.on("console", lambda m: problems.append(m.text))
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.goto(f"{url}/stats?day={DAY}")
            page.evaluate("document.fonts.ready")
            assert page.evaluate("document.fonts.check('16px \"Noto Sans\"')")
            drawn = page.eval_on_selector_all(
                "svg.chart rect.bar", "rs => rs.map(r => [+r.dataset.hour, r.dataset.service,"
                " +r.dataset.count, r.getBoundingClientRect().height])")
            assert {(h, s): n for h, s, n, _ in drawn} == {
                (h, s): n for h, per in issued.items() for s, n in per.items()}
            assert all(height > 0 for *_, height in drawn)
            assert page.locator("h1").inner_text() == "Thống kê Statistics"
            page.screenshot(path=str(SHOTS / "stats-day.png"), full_page=True)
            assert problems == []
            page.goto(f"{url}/stats?day=2026-11-31")
            assert "no such day" in page.locator(".refusal").inner_text()
            page.screenshot(path=str(SHOTS / "stats-bad-day.png"))
            assert problems == ["Failed to load resource: the server responded with a status "
                                "of 400 (Bad Request)"]
        finally:
            page.close()
            engine.dispose()


def test_mounted_in_the_centre_service_over_tls(tmp_path: Path, any_db_url: str) -> None:
    """The page inside the centre's app (its error handlers, its TLS): make_app mounts it
    behind the staff sign-in; a signed-in check put first then reads the figures."""
    import ssl

    import httpx

    from kiosk.centre.app import make_app
    from kiosk.centre.pki import init_pki
    from tests.centre_support import centre_config, open_test_centre

    config = centre_config(tmp_path, any_db_url)
    pki = init_pki(config.centre_state_dir, config.centre_service.hostnames)
    ctx = open_test_centre(config)
    try:
        simulate_day(ctx.engine)
        app = make_app(ctx, ca_pem=pki.files.ca_cert.read_text())
        tls = ssl.create_default_context(cafile=str(pki.files.ca_cert))
        with serving(app, pki.files) as url, httpx.Client(base_url=url, verify=tls) as http:
            mounted = http.get("/stats", params={"day": str(DAY)})
            assert mounted.status_code == 303
            assert mounted.headers["location"].startswith("/staff/sign-in?next=")
            app.router.routes[:0] = stats_routes(ctx, staff_check=signed_in)
            page = http.get("/stats", params={"day": str(DAY)})
            assert page.status_code == 200
            assert re.findall(r'<span class="value">([^<]*)</span>', page.text)[:3] == [
                "9", "5", "1"]
            assert bars(chart(page.text))[("9", "C")] == 2
            download = http.get("/stats.csv", params={"day": str(DAY)})
            assert download.content.startswith(b"\xef\xbb\xbfday,hour,service,issued")
            assert http.get("/stats", params={"day": "hôm qua"}).status_code == 400
    finally:
        ctx.engine.dispose()
