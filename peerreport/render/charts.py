"""Chart geometry for the review page: plain dicts of numbers and text, drawn as inline SVG.

The template draws the `<svg>`; this module only works out where each bar
goes, so the page needs no JavaScript and the template context stays plain
data. A suppressed value gets no bar, only its symbol: a chart must not
reveal what the table hides.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from peerreport.render.words import by_words, cell_words, heading, period_short
from peerreport.returns.model import SUPPRESSED, PublishedCell, Return, ReturnFigure

MAX_PERIODS = 8  # this period and up to seven earlier ones
MAX_BARS = 24  # a breakdown with more cells is shown as a table only


def number_text(value: object) -> str:
    """A number for people: thousands separators; '' for anything that is not a number."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "" if value is None else str(value)
    return f"{value:,}"


def by_text(fields: Sequence[str]) -> str:
    """The `by` fields in words: 'delivery mode', 'delivery mode and kind of activity'."""
    return by_words(fields)


def _numeric(cell: PublishedCell) -> float | None:
    value = cell.value
    if cell.status == SUPPRESSED or isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def earlier_returns(ret: Return, history: Sequence[Return]) -> list[Return]:
    """The same organisation's returns for periods before this one, oldest first, one per period."""
    by_period: dict[str, Return] = {}
    for other in history:
        if other.organisation == ret.organisation and other.period.start < ret.period.start:
            by_period[other.period.label] = other
    ordered = sorted(by_period.values(), key=lambda r: r.period.start)
    return ordered[-(MAX_PERIODS - 1) :]


def history_chart(
    ret: Return, figure: ReturnFigure, earlier: Sequence[Return], symbol: str
) -> dict[str, Any] | None:
    """A column chart of this figure's total in earlier periods and this one; None if none."""
    points: list[tuple[str, PublishedCell, bool]] = []
    for other in earlier:
        try:
            points.append((period_short(other.period), other.figure(figure.id).total, False))
        except KeyError:
            continue
    if not points:
        return None
    points.append((period_short(ret.period), figure.total, True))
    values = [v for _, cell, _ in points if (v := _numeric(cell)) is not None]
    if not values or min(values) < 0:  # columns from zero cannot show a negative figure
        return None
    height, top, bottom, left = 170, 22, 34, 8
    width = max(360, 66 * len(points) + 2 * left)  # room for each period's label
    top_value = max(max(values), 0.0) or 1.0
    slot = (width - 2 * left) / len(points)
    bar_width = min(44.0, slot * 0.6)
    plot = height - top - bottom
    bars = []
    for index, (label, cell, current) in enumerate(points):
        value = _numeric(cell)
        bar_height = 0.0 if value is None else max(value, 0.0) / top_value * plot
        x = left + index * slot + (slot - bar_width) / 2
        bars.append(
            {
                "x": round(x, 1),
                "y": round(top + plot - bar_height, 1),
                "width": round(bar_width, 1),
                "height": round(bar_height, 1),
                "centre": round(x + bar_width / 2, 1),
                "label": label,
                "current": current,
                "text": symbol if cell.status == SUPPRESSED else number_text(cell.value),
                "status": cell.status,
            }
        )
    description = "; ".join(f"{b['label']}: {b['text'] or 'no value'}" for b in bars)
    return {
        "width": width,
        "height": height,
        "baseline": top + plot,
        "label_y": height - bottom + 16,
        "bars": bars,
        "title": f"{figure.label}: this period and earlier periods",
        "description": description,
    }


def breakdown_chart(ret: Return, figure: ReturnFigure, symbol: str) -> dict[str, Any] | None:
    """A horizontal bar chart of a breakdown's cells; None if too few or too many cells."""
    cells = list(figure.cells)
    if len(cells) < 2 or len(cells) > MAX_BARS:
        return None
    values = [v for c in cells if (v := _numeric(c)) is not None]
    if not values or min(values) < 0:
        return None
    longest = max(len(cell_words(figure, c)) for c in cells)
    label_width, bar_area, row_height, top = min(200, max(60, 7 * longest + 12)), 300, 22, 6
    width = label_width + bar_area + 70
    top_value = max(max(values), 0.0) or 1.0
    bars = []
    for index, cell in enumerate(cells):
        value = _numeric(cell)
        length = 0.0 if value is None else max(value, 0.0) / top_value * bar_area
        y = top + index * row_height
        bars.append(
            {
                "y": y,
                "bar_y": y + 4,
                "text_y": y + 15,
                "width": round(length, 1),
                "label": cell_words(figure, cell),
                "status": cell.status,
                "text": symbol if cell.status == SUPPRESSED else number_text(cell.value),
                "text_x": round(label_width + length + 6, 1),
            }
        )
    description = "; ".join(f"{b['label']}: {b['text'] or 'no value'}" for b in bars)
    return {
        "width": width,
        "height": top * 2 + row_height * len(cells),
        "label_x": label_width - 8,
        "bar_x": label_width,
        "bars": bars,
        "title": heading(figure),
        "description": description,
    }
