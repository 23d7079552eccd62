"""The /stats chart: per grid and per week, requests received (bars) and the share resolved in
time (lines), as a PNG. Drawn with matplotlib's Agg backend (no display needed); blocking, so
the caller runs it in a thread. Its own Figure object, never pyplot's global state, so two
charts drawn at once in two threads do not mix."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Series:
    label: str
    received: tuple[int, ...]  # one per week
    in_time: tuple[float | None, ...]  # percent resolved in time, None if none counted


@dataclass(frozen=True)
class Chart:
    title: str
    weeks: tuple[str, ...]  # labels of the x axis
    received_label: str
    in_time_label: str
    series: tuple[Series, ...]


def draw(chart: Chart, font: Path | None) -> bytes:
    """The chart as PNG bytes; `font` draws the labels (a CJK font for Chinese names)."""
    # Imported at the first chart, not at start-up: matplotlib (and numpy with it) costs the
    # bot's start about half a second and tens of megabytes it needs only for /stats.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties

    props = FontProperties(fname=str(font)) if font is not None else FontProperties()
    figure = Figure(figsize=(9, 6.5), dpi=100)
    FigureCanvasAgg(figure)
    top, bottom = figure.subplots(2, 1, sharex=True)
    count = max(len(chart.series), 1)
    width = 0.8 / count
    xs = range(len(chart.weeks))
    for n, series in enumerate(chart.series):
        offset = (n - (count - 1) / 2) * width
        top.bar([x + offset for x in xs], series.received, width, label=series.label)
        points = [(x, p) for x, p in zip(xs, series.in_time, strict=True) if p is not None]
        bottom.plot([x for x, _ in points], [p for _, p in points], marker="o", label=series.label)
    top.set_ylabel(chart.received_label, fontproperties=props)
    top.yaxis.get_major_locator().set_params(integer=True)
    bottom.set_ylabel(chart.in_time_label, fontproperties=props)
    bottom.set_ylim(-5, 105)
    bottom.set_xticks(list(xs), list(chart.weeks), rotation=45, ha="right")
    top.set_title(chart.title, fontproperties=props)
    if chart.series:  # beside the bars, never over them
        top.legend(prop=props, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    for axes in (top, bottom):
        axes.grid(axis="y", alpha=0.3)
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()
