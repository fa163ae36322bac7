"""The statistics page of the centre service, for the centre's staff and head
(docs/architecture.md, Statistics): `GET /stats?day=YYYY-MM-DD[&to=YYYY-MM-DD]` shows
tickets per hour and service as a chart and a table, what became of the tickets, waiting
and service times, ratings; `GET /stats.csv` with the same query downloads the CSV of
`kiosk stats --csv`.

Vietnamese first, English beside it. Server-rendered: no script, no file from elsewhere
(the chart is inline SVG, the font Noto Sans is served from assets/fonts), so it works on
the centre's LAN with no internet. Staff sign in first (kiosk/centre/staff_auth.py).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from html import escape
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import Route

from kiosk.centre.staff_auth import staff_member
from kiosk.centre.stats_chart import hourly_chart, legend
from kiosk.paths import FONT_BOLD, FONT_REGULAR
from kiosk.ratings import LEVEL_CODES, RATING_LEVELS
from kiosk.stats import (
    ALL_SERVICES,
    COUNTS,
    TIMES,
    Figures,
    StatsReport,
    minutes_text,
    parse_day,
    parse_day_range,
    read_report,
    report_csv,
    time_values,
)

if TYPE_CHECKING:
    from kiosk.centre.context import CentreContext

# The staff sign-in form of kiosk/centre/staff_auth.py; `next` brings the browser back.
SIGN_IN = "/staff/sign-in"
FONTS = {"NotoSans-Regular.ttf": FONT_REGULAR, "NotoSans-Bold.ttf": FONT_BOLD}

# No script at all; styles and fonts from this service only; the SVG is part of the page.
CONTENT_SECURITY_POLICY = ("default-src 'none'; style-src 'self'; font-src 'self'; "
                           "img-src 'self' data:; form-action 'self'; "
                           "frame-ancestors 'none'; base-uri 'none'")

STYLE = """\
@font-face { font-family: "Noto Sans"; font-weight: 400;
  src: url("/stats/fonts/NotoSans-Regular.ttf") format("truetype"); }
@font-face { font-family: "Noto Sans"; font-weight: 700;
  src: url("/stats/fonts/NotoSans-Bold.ttf") format("truetype"); }
body { font-family: "Noto Sans", sans-serif; margin: 0 auto; padding: 1rem 2rem 3rem;
  max-width: 72rem; color: #1a1a1a; background: #fff; line-height: 1.4; }
h1 { font-size: 1.7rem; margin: 0.5rem 0; }
h2 { font-size: 1.25rem; margin: 2rem 0 0.5rem; }
.en { color: #5a5a5a; font-weight: 400; font-size: 0.85em; }
form { display: flex; flex-wrap: wrap; gap: 0.5rem 1rem; align-items: end; margin: 1rem 0; }
label { display: flex; flex-direction: column; font-size: 0.95rem; }
input, button { font: inherit; padding: 0.3rem 0.5rem; }
button { background: #0b5394; color: #fff; border: 0; border-radius: 4px; padding: 0.4rem 1rem; }
a.csv { margin-left: auto; }
.cards { display: flex; flex-wrap: wrap; gap: 0.75rem; margin: 1rem 0; padding: 0; }
.cards li { list-style: none; border: 1px solid #d0d7de; border-radius: 6px;
  padding: 0.6rem 1rem; flex: 1 1 9rem; }
.cards .value { display: block; font-size: 2rem; font-weight: 700;
  font-variant-numeric: tabular-nums; }
.legend { display: flex; flex-wrap: wrap; gap: 0.25rem 1.25rem; padding: 0; margin: 0.5rem 0; }
.legend li { list-style: none; display: flex; align-items: center; gap: 0.4rem; }
.swatch { width: 1rem; height: 1rem; }
svg.chart { width: 100%; height: auto; max-height: 24rem; font-family: "Noto Sans", sans-serif; }
svg.chart .axis { font-size: 13px; fill: #444; }
svg.chart .total { font-size: 13px; font-weight: 700; fill: #1a1a1a; }
svg.chart .grid { stroke: #e3e3e3; stroke-width: 1; }
svg.chart .baseline { stroke: #444; stroke-width: 1; }
table { border-collapse: collapse; margin: 0.5rem 0; font-variant-numeric: tabular-nums; }
th, td { border-bottom: 1px solid #e3e3e3; padding: 0.3rem 0.7rem; }
th { text-align: left; vertical-align: bottom; font-weight: 700; }
th[scope=row] { white-space: nowrap; }
td.n, th.n { text-align: right; }
tr.all th, tr.all td { font-weight: 700; border-top: 2px solid #444; }
.note { color: #444; font-size: 0.95rem; }
.refusal { border-left: 4px solid #b00020; padding: 0.5rem 1rem; background: #fdecee; }
"""


# Who is signed in: (ctx, request) → the staff member, or None (kiosk/centre/staff_auth.py
# staff_for_request). Synchronous: it reads the session from the database.
StaffCheck = Callable[["CentreContext", Request], object | None]


def stats_routes(ctx: CentreContext, staff_check: StaffCheck | None = None) -> list[Route]:
    """The page's routes. `staff_check`: who is signed in; None for staff_auth's
    staff_member (a test may pass its own)."""
    page = StatsPage(ctx, staff_check)
    return [
        Route("/stats", page.html, methods=["GET"]),
        Route("/stats.csv", page.csv, methods=["GET"]),
        Route("/stats/stats.css", page.style, methods=["GET"]),
        Route("/stats/fonts/{name}", page.font, methods=["GET"]),
    ]


def _page_headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"  # staff figures: not kept by the browser
    return response


def both(vi: str, en: str) -> str:
    """Vietnamese, then English beside it in a quieter style."""
    return f'<span lang="vi">{escape(vi)}</span> <span class="en" lang="en">{escape(en)}</span>'


class StatsPage:
    def __init__(self, ctx: CentreContext, staff_check: StaffCheck | None = None) -> None:
        self.ctx = ctx
        self.staff_check = staff_check

    async def _refused(self, request: Request) -> Response | None:
        """A redirect to the sign-in form unless a staff member is signed in."""
        check = self.staff_check or staff_member
        # Reads the session from the database: off the event loop.
        staff = await run_in_threadpool(check, self.ctx, request)
        if staff is not None:
            return None
        back = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return _page_headers(RedirectResponse(f"{SIGN_IN}?{urlencode({'next': back})}",
                                              status_code=303))

    def _days(self, request: Request) -> tuple[date, date]:
        """The days asked for (ValueError: one sentence); today when none."""
        day = request.query_params.get("day") or self.ctx.config.now().date().isoformat()
        return parse_day_range(day, request.query_params.get("to") or None)

    async def _report(self, first: date, last: date) -> StatsReport:
        letters = [s.letter for s in self.ctx.config.services]
        return await run_in_threadpool(read_report, self.ctx.engine, first, last,
                                       self.ctx.config.timezone, letters)

    async def html(self, request: Request) -> Response:
        refused = await self._refused(request)
        if refused is not None:
            return refused
        asked = (request.query_params.get("day", ""), request.query_params.get("to", ""))
        try:
            first, last = self._days(request)
        except ValueError as exc:
            return self._page(asked, _refusal("Ngày không hợp lệ", "Not a valid day", str(exc)),
                              400)
        try:
            report = await self._report(first, last)
        except SQLAlchemyError:
            return self._page(asked, _refusal(
                "Không đọc được cơ sở dữ liệu lúc này; thử lại sau ít phút",
                "The database cannot be read now; try again in a few minutes", ""), 503)
        asked = (first.isoformat(), "" if last == first else last.isoformat())
        return self._page(asked, self._body(report))

    async def csv(self, request: Request) -> Response:
        refused = await self._refused(request)
        if refused is not None:
            return refused
        try:
            first, last = self._days(request)
        except ValueError as exc:
            return _page_headers(Response(f"{exc}\n", 400, media_type="text/plain"))
        try:
            report = await self._report(first, last)
        except SQLAlchemyError:
            return _page_headers(Response("the database cannot be read now; try again in a "
                                          "few minutes\n", 503, media_type="text/plain"))
        name = f"thong-ke-{first}" + ("" if last == first else f"-{last}") + ".csv"
        # The byte order mark makes Excel read the file as UTF-8 (see kiosk/commands/stats.py).
        response = Response(report_csv(report).encode("utf-8-sig"), 200,
                            media_type="text/csv; charset=utf-8",
                            headers={"Content-Disposition": f'attachment; filename="{name}"'})
        return _page_headers(response)

    async def style(self, _request: Request) -> Response:
        return Response(STYLE, media_type="text/css", headers={"Cache-Control": "max-age=3600"})

    async def font(self, request: Request) -> Response:
        path = FONTS.get(request.path_params["name"])
        if path is None:
            return Response("there is no such font here\n", 404, media_type="text/plain")
        return FileResponse(path, media_type="font/ttf",
                            headers={"Cache-Control": "max-age=86400"})

    # -- the page --------------------------------------------------------------------

    def _names(self) -> dict[str, str]:
        return {s.letter: f"{s.letter} · {s.name('vi')}" for s in self.ctx.config.services}

    def _page(self, asked: tuple[str, str], body: str, status: int = 200) -> Response:
        # A date field takes only a real YYYY-MM-DD; what was typed wrong is in the message.
        day, to = (text if _is_day(text) else "" for text in asked)
        query = urlencode({"day": day, **({"to": to} if to else {})})
        csv_link = (f'<a class="csv" href="/stats.csv?{escape(query)}">'
                    f'{both("Tải CSV (Excel)", "Download CSV")}</a>' if status == 200 else "")
        centre = escape(self.ctx.config.centre_names.get("vi", ""))
        html = f"""<!doctype html>
<html lang="vi"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Thống kê / Statistics</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/stats/stats.css"></head>
<body><header><h1>{both("Thống kê", "Statistics")}</h1><p class="note">{centre}</p></header>
<form method="get" action="/stats">
<label>{both("Từ ngày", "Day")}<input type="date" name="day" value="{escape(day)}" required></label>
<label>{both("Đến ngày", "To (optional)")}<input type="date" name="to" value="{escape(to)}"></label>
<button type="submit">Xem / Show</button>
{csv_link}
</form>
{body}
</body></html>
"""
        return _page_headers(Response(html, status, media_type="text/html"))

    def _body(self, report: StatsReport) -> str:
        names = self._names()
        services = report.services
        per_hour = report.issued_per_hour()
        o = report.overall
        period = (both("Ngày", "Day") + f" {report.day_from}" if report.days == 1
                  else both("Từ", "From") + f" {report.day_from} → {report.day_to} "
                  f"({report.days} {both('ngày', 'days')})")
        cards = [
            ("Đã phát", "Issued", str(o.issued)), ("Đã phục vụ", "Served", str(o.served)),
            ("Vắng mặt", "No-show", str(o.no_show)),
            ("Chờ: trung vị (phút)", "Wait median (min)", minutes_text(o.wait.median)),
            ("Chờ: p90 (phút)", "Wait p90 (min)", minutes_text(o.wait.p90)),
            ("Phục vụ: trung vị (phút)", "Service median (min)",
             minutes_text(o.service_time.median)),
        ]
        out = [f'<p class="period">{period}</p><ul class="cards">']
        out += [f'<li>{both(vi, en)}<span class="value">{escape(v)}</span></li>'
                for vi, en, v in cards]
        out.append("</ul>")
        summed = "" if report.days == 1 else both(" (cộng các ngày)", "(summed over the days)")
        out.append(f"<h2>{both('Số phát theo giờ', 'Tickets issued per hour')}{summed}</h2>")
        if per_hour:
            out.append(legend(services, names))
            out.append(hourly_chart(per_hour, services,
                                    "Số phát theo giờ và lĩnh vực / Tickets issued per hour "
                                    "and service"))
            out.append(_table(
                [both("Giờ", "Hour"), *(escape(s) for s in services), both("Tổng", "Total")],
                [[f"{h:02d}:00", *(str(per.get(s, 0)) for s in services),
                  str(sum(per.values()))] for h, per in per_hour.items()]))
        else:
            out.append(f'<p class="note">{both("Không có số nào.", "No tickets.")}</p>')

        groups = [*report.by_service.items(), (ALL_SERVICES, o)]
        out.append(f"<h2>{both('Theo lĩnh vực', 'By service')}</h2>")
        out.append(_table([both("Lĩnh vực", "Service"), *(both(vi, en) for _n, vi, en in COUNTS)],
                          [[_label(s, names), *(str(getattr(f, n)) for n, _vi, _en in COUNTS)]
                           for s, f in groups], last_is_total=True))
        out.append(f"<h2>{both('Thời gian (phút)', 'Times (minutes)')}</h2>")
        out.append(f'<p class="note">{both("Chờ: từ lúc lấy số đến lần gọi cuối; phục vụ: từ lúc bắt đầu (hoặc lần gọi cuối) đến khi xong. p90: 9 trên 10 người không quá.", "Wait: from the ticket to its last call; service: from start (or the last call) to done. p90: 9 in 10 at most.")}</p>')  # noqa: E501
        out.append(_table(
            [both("Lĩnh vực", "Service"), both("Số đã gọi", "Called"),
             *(both(vi, en) for _n, vi, en in TIMES[:2]), both("Số đã xong", "Served"),
             *(both(vi, en) for _n, vi, en in TIMES[2:])],
            [[_label(s, names), str(f.wait.count), *_times(f)[:2], str(f.service_time.count),
              *_times(f)[2:]] for s, f in groups], last_is_total=True))
        out.append(f"<h2>{both('Đánh giá', 'Ratings')}</h2>")
        out.append(_ratings(report, names))
        return "\n".join(out)


def _is_day(text: str) -> bool:
    try:
        parse_day(text)
    except ValueError:
        return False
    return True


def _label(service: str, names: dict[str, str]) -> str:
    return both("Tất cả", "All") if service == ALL_SERVICES else escape(names.get(service, service))


def _times(figures: Figures) -> list[str]:
    return [minutes_text(v) for v in time_values(figures).values()]


def _table(headings: Sequence[str], rows: Sequence[Sequence[str]],
           last_is_total: bool = False) -> str:
    """A table whose first column is text and the others numbers. Cells are markup."""
    head = "".join(f'<th{" class=n" if i else ""} scope="col">{h}</th>'
                   for i, h in enumerate(headings))
    body = []
    for r, row in enumerate(rows):
        total = ' class="all"' if last_is_total and r == len(rows) - 1 else ""
        cells = "".join(f'<th scope="row">{c}</th>' if i == 0 else f'<td class="n">{c}</td>'
                        for i, c in enumerate(row))
        body.append(f"<tr{total}>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _ratings(report: StatsReport, names: dict[str, str]) -> str:
    """Ratings per service over the days (kiosk/ratings.py's summary, added up)."""
    if not report.ratings:
        return f'<p class="note">{both("Chưa có đánh giá nào.", "No ratings in this period.")}</p>'
    per: dict[str | None, dict[str, int]] = {}
    for row in report.ratings:
        counts = per.setdefault(row.service, dict.fromkeys(LEVEL_CODES, 0))
        for code, n in row.counts.items():
            counts[code] = counts.get(code, 0) + n
    satisfied = {lv.code for lv in RATING_LEVELS if lv.satisfied}
    rows = []
    for service in sorted(per, key=lambda s: (s is None, s or "")):
        counts = per[service]
        total = sum(counts.values())
        share = sum(n for c, n in counts.items() if c in satisfied) / total
        label = (escape(names.get(service, service)) if service
                 else both("Không gắn số", "No ticket"))
        rows.append([label, *(str(counts[lv.code]) for lv in RATING_LEVELS), str(total),
                     f"{share:.0%}"])
    return _table([both("Lĩnh vực", "Service"),
                   *(both(lv.vi, lv.msgid) for lv in RATING_LEVELS),
                   both("Tổng", "Total"), both("Tỷ lệ hài lòng", "Share satisfied")], rows)


def _refusal(vi: str, en: str, detail: str) -> str:
    more = f"<br><span class=\"en\">{escape(detail)}</span>" if detail else ""
    return f'<p class="refusal" role="alert">{both(vi, en)}{more}</p>'
