"""Server-side SVG charts, identical on web pages and in PDFs.

Each function returns markup-safe SVG; every label is escaped. Colours come from
one palette so all charts share a style. No script, no external references.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Sequence
from decimal import Decimal

from markupsafe import Markup, escape

PALETTE = ("#2563eb", "#16a34a", "#f59e0b", "#dc2626", "#7c3aed", "#0891b2", "#db2777", "#65a30d")
TEXT = "#1f2937"
GRID = "#e5e7eb"
FONT = "font-family=\"Inter, 'DejaVu Sans', Arial, sans-serif\""

Number = int | float | Decimal


def color(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


def _fmt(value: Number) -> str:
    value = float(value)
    if abs(value) >= 1_000_000:
        return f"{value / 1_000_000:.1f}M"
    if abs(value) >= 10_000:
        return f"{value / 1_000:.0f}k"
    if value == int(value):
        return f"{int(value):,}"
    return f"{value:,.1f}"


# Axis steps are 1, 2 or 5 times a power of ten: ticks read 0, 100k, 200k… never 141k.
NICE_STEPS = (1, 2, 5, 10)


def axis_ticks(peak: Number, *, steps: int = 5) -> list[Decimal]:
    """Round ticks from 0 to at least `peak`: at most `steps` equal steps of 1, 2 or 5
    times a power of ten (peak 564,480 -> 0, 200k, 400k, 600k). Exact decimals, so a
    label never reads 0.30000000000000004."""
    top = Decimal(str(float(peak)))
    if top <= 0:
        return [Decimal(0), Decimal(1)]
    raw = top / steps
    magnitude = Decimal(10) ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in NICE_STEPS if m * magnitude >= raw)
    count = int((top / step).to_integral_value(rounding="ROUND_CEILING"))
    return [step * i for i in range(count + 1)]


def tick_labels(ticks: Sequence[Decimal]) -> list[str]:
    """Labels of `axis_ticks` in one scale for the whole axis (0, 500k, 1M, 1.5M: never
    "5,000" next to "10k"), with as many decimals as the step needs."""
    top = max(ticks)
    divisor, suffix = ((Decimal(1_000_000), "M") if top >= 1_000_000 else
                       (Decimal(1_000), "k") if top >= 10_000 else (Decimal(1), ""))
    step = (ticks[1] - ticks[0]) / divisor if len(ticks) > 1 else Decimal(1)
    places = max(0, -step.normalize().as_tuple().exponent)  # type: ignore[operator]
    return [_trimmed(f"{t / divisor:,.{places}f}") + suffix if t else "0" for t in ticks]


def _trimmed(number: str) -> str:
    """"1.50" -> "1.5", "2.0" -> "2": a tick label carries no trailing zeros."""
    return number.rstrip("0").rstrip(".") if "." in number else number


def _svg(width: int, height: int, body: list[str], title: str) -> Markup:
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{escape(title)}" {FONT}>'
        f"<title>{escape(title)}</title>" + "".join(body) + "</svg>"
    )


def as_image(chart: Markup, alt: str) -> Markup:
    """The chart as an `<img>` with the SVG in a data: URI, for the PDF layouts.

    The same drawing; WeasyPrint then reads the SVG with its own parser instead of the
    HTML parser and the CSS cascade (about 4% of a summary's rendering).
    """
    data = base64.b64encode(str(chart).encode()).decode("ascii")
    return Markup(f'<img class="chart" alt="{escape(alt)}" src="data:image/svg+xml;base64,{data}">')


def empty_chart(title: str, message: str = "No data yet", width: int = 640) -> Markup:
    return _svg(
        width,
        60,
        [
            f'<text x="{width // 2}" y="35" text-anchor="middle" font-size="13" '
            f'fill="#6b7280">{escape(message)}</text>'
        ],
        title,
    )


def bar_chart(
    items: Sequence[tuple[str, Number]],
    *,
    title: str,
    width: int = 640,
    value_format: str = "{}",
    signed: bool = False,
) -> Markup:
    """Horizontal bars, one per (label, value). `signed` centres a zero line."""
    if not items:
        return empty_chart(title, width=width)
    bar_h, gap, label_w = 22, 8, 190
    height = len(items) * (bar_h + gap) + gap
    plot_w = width - label_w - 70
    peak = max(abs(float(v)) for _, v in items) or 1.0
    zero_x = label_w + (plot_w / 2 if signed else 0)
    scale = (plot_w / 2 if signed else plot_w) / peak
    body: list[str] = []
    for i, (name, value) in enumerate(items):
        y = gap + i * (bar_h + gap)
        length = abs(float(value)) * scale
        x = zero_x - length if float(value) < 0 else zero_x
        fill = PALETTE[3] if float(value) < 0 else color(0)
        shown = value_format.format(_fmt(value))
        body.append(
            f'<text x="{label_w - 8}" y="{y + 15}" text-anchor="end" font-size="12" '
            f'fill="{TEXT}">{escape(name)}</text>'
            f'<rect x="{x:.1f}" y="{y}" width="{max(length, 1):.1f}" height="{bar_h}" '
            f'rx="3" fill="{fill}"/>'
            f'<text x="{max(x + length, zero_x) + 6:.1f}" y="{y + 15}" font-size="12" '
            f'fill="{TEXT}">{escape(shown)}</text>'
        )
    if signed:
        body.append(
            f'<line x1="{zero_x}" y1="0" x2="{zero_x}" y2="{height}" stroke="#9ca3af"/>'
        )
    return _svg(width, height, body, title)


def stacked_bar_chart(
    categories: Sequence[str],
    series: Sequence[tuple[str, Sequence[Number]]],
    *,
    title: str,
    width: int = 640,
    height: int = 260,
    legend: bool = True,
) -> Markup:
    """Vertical stacked bars: one bar per category, one coloured segment per series.

    `legend=False` draws the same plot without the legend's strip, for a page that
    shows `legend_items(series)` as text below the chart instead.
    """
    totals = [sum(float(values[i]) for _, values in series) for i in range(len(categories))]
    if not categories or not any(totals):
        return empty_chart(title, width=width)
    legend_h = 22 * ((len(series) + 2) // 3)
    if not legend:  # the same plot, without the legend's strip below it
        height, legend_h = height - legend_h, 0
    top, bottom, left = 16, 28 + legend_h, 56
    plot_h = height - top - bottom
    plot_w = width - left - 10
    slot = plot_w / len(categories)
    bar_w = min(48.0, slot * 0.6)
    ticks = axis_ticks(max(totals))
    peak = float(ticks[-1])  # the axis ends on its last round tick, not on the tallest bar
    body: list[str] = []
    for value, text in zip(ticks, tick_labels(ticks), strict=True):
        y = top + plot_h - plot_h * float(value) / peak
        body.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - 10}" y2="{y:.1f}" stroke="{GRID}"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="10" '
            f'fill="#6b7280">{escape(text)}</text>'
        )
    for i, name in enumerate(categories):
        x = left + i * slot + (slot - bar_w) / 2
        y = top + plot_h
        for s, (_series_name, values) in enumerate(series):
            h = plot_h * float(values[i]) / peak
            if h <= 0:
                continue
            y -= h
            body.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                f'fill="{color(s)}"/>'
            )
        body.append(
            f'<text x="{x + bar_w / 2:.1f}" y="{top + plot_h + 16}" text-anchor="middle" '
            f'font-size="10" fill="{TEXT}">{escape(name)}</text>'
        )
    for s, (series_name, _values) in enumerate(series if legend else ()):
        lx = left + (s % 3) * (plot_w / 3)
        ly = height - legend_h + 8 + 22 * (s // 3)
        body.append(
            f'<rect x="{lx:.1f}" y="{ly}" width="10" height="10" fill="{color(s)}"/>'
            f'<text x="{lx + 14:.1f}" y="{ly + 9}" font-size="11" fill="{TEXT}">'
            f"{escape(series_name)}</text>"
        )
    return _svg(width, height, body, title)


def legend_items(series: Sequence[tuple[str, Sequence[Number]]]) -> list[tuple[str, str]]:
    """(name, colour) of each series, in the colours `stacked_bar_chart` gives them."""
    return [(name, color(s)) for s, (name, _values) in enumerate(series)]


def interval_chart(
    items: Sequence[tuple[str, float, float, float]],
    *,
    title: str,
    width: int = 640,
) -> Markup:
    """Points with error bars on a 0-100% scale: (label, value, low, high) as fractions."""
    if not items:
        return empty_chart(title, width=width)
    row_h, label_w = 26, 190
    height = len(items) * row_h + 30
    plot_w = width - label_w - 20
    body: list[str] = []
    for pct in (0, 25, 50, 75, 100):
        x = label_w + plot_w * pct / 100
        body.append(
            f'<line x1="{x:.1f}" y1="0" x2="{x:.1f}" y2="{height - 20}" stroke="{GRID}"/>'
            f'<text x="{x:.1f}" y="{height - 6}" text-anchor="middle" font-size="10" '
            f'fill="#6b7280">{pct}%</text>'
        )
    for i, (name, value, low, high) in enumerate(items):
        y = 14 + i * row_h
        body.append(
            f'<text x="{label_w - 8}" y="{y + 4}" text-anchor="end" font-size="12" '
            f'fill="{TEXT}">{escape(name)}</text>'
            f'<line x1="{label_w + plot_w * low:.1f}" y1="{y}" x2="{label_w + plot_w * high:.1f}" '
            f'y2="{y}" stroke="{color(0)}" stroke-width="2"/>'
            f'<circle cx="{label_w + plot_w * value:.1f}" cy="{y}" r="5" fill="{color(0)}"/>'
        )
    return _svg(width, height, body, title)


def sparkline(points: Sequence[tuple[str, Number]], *, title: str, width: int = 240,
              height: int = 48, top: Number = 100) -> Markup:
    """A small line of values from 0 to `top` (oldest first, labelled for hover), e.g.
    an account's weekly health scores."""
    if not points:
        return empty_chart(title, "No history yet", width=width)
    pad = 4
    step = (width - 2 * pad) / max(len(points) - 1, 1)
    scale = (height - 2 * pad) / float(top or 1)
    coords = [(pad + i * step, height - pad - float(v) * scale) for i, (_, v) in enumerate(points)]
    line = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
    body = [f'<polyline points="{line}" fill="none" stroke="{color(0)}" stroke-width="2"/>']
    for (x, y), (name, value) in zip(coords, points, strict=True):
        body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{color(0)}">'
                    f"<title>{escape(name)}: {escape(_fmt(value))}</title></circle>")
    return _svg(width, height, body, title)
