"""The collation's HTML summary: counts, totals across providers, each provider's state."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from peerreport.collate.collation import Collation
from peerreport.collate.totals import CollatedCell
from peerreport.render.display import long_date


def render_summary(collation: Collation) -> str:
    """The summary page as HTML text (every value escaped)."""
    import jinja2

    source = files("peerreport.collate").joinpath("summary.html.j2").read_text("utf-8")
    environment = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    template = environment.from_string(source)

    def shown(cell: CollatedCell) -> str:
        """A collated value as the page shows it: symbol, '-', or '≥ n' when incomplete."""
        if cell.status == "suppressed":
            return collation.symbol
        if cell.status == "not_collected":
            return "not collected"
        if cell.value is None:
            return "-"
        text = f"{cell.value:,}" if isinstance(cell.value, int) else str(cell.value)
        return f"≥ {text}" if cell.incomplete else text

    return template.render(c=collation, shown=shown, due=due_words(collation))


def due_words(collation: Collation) -> str:
    """'20 October 2026', and where that date comes from when the rule file sets none."""
    if collation.due_from_rules:
        return long_date(collation.due)
    return (
        f"{long_date(collation.due)} (the rule file sets no due date; the 20th of the month "
        "after the period is assumed)"
    )


def write_summary(collation: Collation, path: Path) -> Path:
    """Write the HTML summary to `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_summary(collation), "utf-8")
    return path
