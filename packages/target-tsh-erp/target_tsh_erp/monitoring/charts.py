"""Charts for the status page: matplotlib rendering SVG inline, server-side.

Why matplotlib: its date locators and concise formatter give time axes with distinct,
readable ticks however the runs fall (two runs in one minute, a week of runs), where the
old hand-placed SVG printed one label per run and collided. SVG with text kept as text
(`svg.fonttype: none`) stays sharp, searchable and works offline: no script, no CDN.
matplotlib is imported lazily so that `tsh-erp status` without charts never pays for it.
"""

from __future__ import annotations

import io
import itertools
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["Bar", "Series", "bar_chart", "line_chart"]

WIDTH_IN, HEIGHT_IN = 7.2, 2.6
_MIN_BAR = timedelta(seconds=60)
_MIN_SPAN = timedelta(minutes=30)
"""The narrowest time axis: readings seconds apart still read as clock times."""
_STYLE: dict[Any, Any] = {
    "svg.fonttype": "none",  # text stays text: readable, selectable, testable
    "svg.hashsalt": "tsh-erp",  # stable ids: the same data renders the same page
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
}


@dataclass(frozen=True, slots=True)
class Bar:
    """One run's value at its start time; `failed` bars are drawn in red."""

    at: datetime
    value: float
    failed: bool = False


@dataclass(frozen=True, slots=True)
class Series:
    """One line of a time chart (for example one organization's quota left)."""

    label: str
    points: Sequence[tuple[datetime, float]]


def _svg(figure: Any) -> str:  # noqa: ANN401 - matplotlib Figure, imported lazily
    """The figure as an inline `<svg>` element (no XML prolog, scales with the page)."""
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    text = buffer.getvalue()
    text = text[text.index("<svg"):]
    text = re.sub(r"<metadata>.*?</metadata>", "", text, count=1, flags=re.DOTALL)
    # Natural size (every chart at one scale, fonts alike), shrinking on narrow screens.
    return text.replace("<svg ", '<svg style="max-width:100%;height:auto" ', 1)


def _figure(title: str, ylabel: str) -> tuple[Any, Any]:
    from matplotlib import dates, rc_context  # noqa: PLC0415 - lazy: heavy import
    from matplotlib.figure import Figure  # noqa: PLC0415

    with rc_context(_STYLE):
        figure = Figure(figsize=(WIDTH_IN, HEIGHT_IN))
        axes = figure.add_subplot()
    axes.set_title(title, loc="left", fontsize=11, fontweight="bold", pad=10)
    axes.set_ylabel(ylabel)
    axes.set_xlabel("time (UTC)", fontsize=8, color="#4a5568")
    locator = dates.AutoDateLocator(minticks=3, maxticks=8)  # type: ignore[no-untyped-call]
    axes.xaxis.set_major_locator(locator)
    formatter = dates.ConciseDateFormatter(locator, tz="UTC")  # type: ignore[no-untyped-call]
    axes.xaxis.set_major_formatter(formatter)
    axes.grid(axis="y", color="#dddddd", linewidth=0.6)
    axes.set_axisbelow(True)
    return figure, axes


def _render(figure: Any) -> str:  # noqa: ANN401
    from matplotlib import rc_context  # noqa: PLC0415

    with rc_context(_STYLE):
        return _svg(figure)


def bar_chart(title: str, ylabel: str, bars: Sequence[Bar], colour: str) -> str:
    """Bars at their real times on a UTC time axis; the y axis carries the values."""
    if not bars:
        return f"<p><em>{title}: nothing recorded yet.</em></p>"
    figure, axes = _figure(title, ylabel)
    times = sorted(bar.at for bar in bars)
    gaps = [later - earlier for earlier, later in itertools.pairwise(times) if later > earlier]
    width = max(min(gaps, default=timedelta(minutes=15)) * 0.6, _MIN_BAR)
    axes.bar(
        [bar.at for bar in bars], [bar.value for bar in bars], width=width,
        color=["#c53030" if bar.failed else colour for bar in bars],
    )  # fmt: skip
    span = times[-1] - times[0]
    padding = max(span * 0.05, width)
    axes.set_xlim(times[0] - padding, times[-1] + padding)
    axes.set_ylim(bottom=0)
    failed = [bar.at for bar in bars if bar.failed]
    if failed:
        # A failed run often wrote nothing: a mark on the axis keeps it visible.
        axes.scatter(failed, [0] * len(failed), marker="x", color="#c53030", clip_on=False,
                     zorder=3)  # fmt: skip
        axes.text(1.0, 1.02, "red: failed run", transform=axes.transAxes, ha="right",
                  color="#c53030", fontsize=8)  # fmt: skip
    return _render(figure)


def line_chart(title: str, ylabel: str, series: Sequence[Series]) -> str:
    """One line per series on a UTC time axis, with a legend naming each."""
    drawn = [s for s in series if s.points]
    if not drawn:
        return f"<p><em>{title}: nothing recorded yet.</em></p>"
    figure, axes = _figure(title, ylabel)
    for each in drawn:
        axes.plot([p[0] for p in each.points], [p[1] for p in each.points], marker="o",
                  markersize=3, linewidth=1.4, label=each.label)  # fmt: skip
    times = sorted(point[0] for each in drawn for point in each.points)
    if times[-1] - times[0] < _MIN_SPAN:
        middle = times[0] + (times[-1] - times[0]) / 2
        axes.set_xlim(middle - _MIN_SPAN / 2, middle + _MIN_SPAN / 2)
    axes.set_ylim(bottom=0)
    axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize=8)
    return _render(figure)
