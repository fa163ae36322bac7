"""Tickets issued per hour and service as an SVG bar chart, drawn on the server: the
statistics page carries it inline, with no script and nothing fetched from elsewhere
(docs/architecture.md, Statistics).

The legend is HTML beside it (`legend`), so long Vietnamese service names wrap as text
does. One stacked bar per hour (its height: the hour's tickets), one colour per service, the
total above the bar; hovering a segment names the service, the hour and its count.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from html import escape

# Okabe and Ito's colours, told apart by people with the common colour-vision
# deficiencies; yellow last, being the least visible on white.
COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000",
           "#F0E442")

WIDTH, HEIGHT = 760, 340
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 24, 40  # room for the axis, the totals, the hours
TICKS = 5  # at most this many steps on the count axis


def nice_step(largest: int, ticks: int = TICKS) -> int:
    """A step of 1, 2 or 5 times a power of ten giving at most `ticks` steps to `largest`."""
    if largest <= ticks:
        return 1
    raw = largest / ticks
    power = 10 ** math.floor(math.log10(raw))
    return next(int(m * power) for m in (1, 2, 5, 10) if m * power >= raw)


def colour(index: int) -> str:
    return COLOURS[index % len(COLOURS)]


def hourly_chart(per_hour: Mapping[int, Mapping[str, int]], services: Sequence[str],
                 title: str) -> str:
    """The chart's SVG markup. `per_hour`: hour of day → service → tickets; `services`
    in the order of their colours (as `legend` shows them); `title`: what a screen reader
    announces."""
    hours = list(range(min(per_hour), max(per_hour) + 1)) if per_hour else []
    largest = max((sum(per_hour.get(h, {}).values()) for h in hours), default=0)
    step = nice_step(max(largest, 1))
    top = step * math.ceil(max(largest, 1) / step)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(len(hours), 1)
    bar = min(slot * 0.7, 64.0)  # a day of two hours still looks like bars, not walls

    def y(count: float) -> float:
        return TOP + plot_h - plot_h * count / top

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
             f'class="chart" role="img" aria-labelledby="chart-title">',
             f'<title id="chart-title">{escape(title)}</title>']
    # The count axis: grid lines and their numbers.
    for value in range(0, top + 1, step):
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(value):.1f}" '
                     f'y2="{y(value):.1f}" class="grid"/>'
                     f'<text x="{LEFT - 6}" y="{y(value) + 4:.1f}" class="axis" '
                     f'text-anchor="end">{value}</text>')
    for n, hour in enumerate(hours):
        left = LEFT + n * slot + (slot - bar) / 2
        counts = per_hour.get(hour, {})
        stacked = 0
        for i, service in enumerate(services):
            count = counts.get(service, 0)
            if not count:
                continue
            parts.append(
                f'<rect x="{left:.1f}" y="{y(stacked + count):.1f}" width="{bar:.1f}" '
                f'height="{y(stacked) - y(stacked + count):.1f}" fill="{colour(i)}" '
                f'class="bar" data-service="{escape(service)}" data-hour="{hour}" '
                f'data-count="{count}"><title>{escape(service)} '
                f'{hour:02d}:00–{hour + 1:02d}:00: {count}</title></rect>')
            stacked += count
        if stacked:
            parts.append(f'<text x="{left + bar / 2:.1f}" y="{y(stacked) - 5:.1f}" '
                         f'class="total" text-anchor="middle">{stacked}</text>')
        parts.append(f'<text x="{left + bar / 2:.1f}" y="{HEIGHT - BOTTOM + 18}" '
                     f'class="axis" text-anchor="middle">{hour:02d}h</text>')
    parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(0):.1f}" y2="{y(0):.1f}" '
                 f'class="baseline"/>')
    parts.append("</svg>")
    return "".join(parts)


def legend(services: Sequence[str], names: Mapping[str, str]) -> str:
    """The chart's legend as an HTML list: a swatch of each service's colour, its name."""
    items = "".join(
        f'<li><svg viewBox="0 0 14 14" class="swatch" aria-hidden="true">'
        f'<rect width="14" height="14" fill="{colour(i)}"/></svg>'
        f'{escape(names.get(service, service))}</li>'
        for i, service in enumerate(services))
    return f'<ul class="legend">{items}</ul>'
