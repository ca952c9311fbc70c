"""Traces and samples as plain text: aligned tables an auditor can read or paste.

The command line prints these lines; `sample_csv` writes a sample for working
papers, with empty columns for what the auditor found.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence
from typing import Any

from peerreport.audit.sample import Sample, SampledRecord
from peerreport.audit.trace import DerivedTrace, FigureTrace, Trace
from peerreport.compute.figures import show
from peerreport.render.safe import neutralise
from peerreport.returns.model import NOT_COLLECTED, SUPPRESSED, PublishedCell

_STATUS_NOTES = {
    "suppressed": "suppressed on the return (a small count is not shown)",
    "rounded": "rounded on the return (disclosure control)",
    NOT_COLLECTED: "not collected: no record of the period has a value for the fields the "
    "figure reads (the rule file says nothing is 'not collected', not 0)",
}


def cell_text(value: Any) -> str:
    """A value in a table cell: dates as ISO, '' for none, numbers without noise."""
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return show(value)
    return str(value)


def _numeric(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def text_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    """Rows under their headers in aligned columns; numbers right-aligned."""
    cells = [[cell_text(v) for v in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in cells:
        widths = [max(w, len(c)) for w, c in zip(widths, row, strict=True)]
    right = [
        bool(rows) and all(_numeric(r[i]) or r[i] is None for r in rows)
        for i in range(len(headers))
    ]

    def line(values: Sequence[str]) -> str:
        parts = [
            v.rjust(w) if r else v.ljust(w) for v, w, r in zip(values, widths, right, strict=True)
        ]
        return "  ".join(parts).rstrip()

    return [line(headers), line(["-" * w for w in widths]), *(line(r) for r in cells)]


def _published(cell: PublishedCell) -> str:
    if cell.status == SUPPRESSED:
        return "suppressed"
    if cell.status == NOT_COLLECTED:
        return "not collected"
    return cell_text(cell.value) or "no value"


def given_text(found: FigureTrace) -> str:
    """What the records give, in words: 'not collected' when none has a value for the
    fields the figure reads (`nothing = "not collected"`), never '' or 0."""
    if not found.collected:
        return "not collected"
    return cell_text(found.value) or "no value"


def _name(found: FigureTrace) -> str:
    line = f", line {found.line}" if found.line else ""
    return f"{found.label} ({found.measure}{line})"


def agreement_notes(found: FigureTrace) -> list[str]:
    """Why the published value and the records' value may differ, in words."""
    note = _STATUS_NOTES.get(found.published.status)
    if note:
        return [note]
    if found.agrees is False:
        return [
            "DIFFERS: the records no longer give the published figure "
            "(`peerreport audit verify` says what changed)"
        ]
    return []


def _agreement(found: FigureTrace) -> list[str]:
    return [f"  {note}" for note in agreement_notes(found)]


#: Said of a figure that counts distinct members: what its records are.
TOKENS_NOTE = "distinct members across these activities; member tokens are never listed"


def trace_lines(found: FigureTrace, show_sql: bool = False, heading: str = "") -> list[str]:
    """A trace as text: what was counted, the records as a table, the formula of a derived one."""
    if isinstance(found, DerivedTrace):
        return _derived_lines(found, show_sql, heading)
    return _trace_lines(found, show_sql, heading)


def _trace_lines(found: Trace, show_sql: bool, heading: str) -> list[str]:
    where = "total" if not found.cell else " / ".join("-" if c is None else c for c in found.cell)
    lines = [
        f"{heading}{_name(found)}, {where}: published {_published(found.published)}; "
        f"the records give {given_text(found)} ({len(found.rows)} "
        f"{found.table} records)",
        *_agreement(found),
    ]
    if found.where:
        lines.append(f"  counted where: {found.where}")
    if found.source == "tokens":
        lines.append(f"  ({TOKENS_NOTE})")
    lines.append("")
    lines += text_table(found.columns, found.rows) if found.rows else ["(no records)"]
    if show_sql:
        lines += ["", found.sql]
    return lines


def _derived_lines(found: DerivedTrace, show_sql: bool, heading: str) -> list[str]:
    values = ", ".join(f"{i.measure} = {cell_text(i.value)}" for i in found.inputs)
    lines = [
        f"{heading}{_name(found)}: published {_published(found.published)}; "
        f"the records give {given_text(found)}",
        *_agreement(found),
        f"  derived: {found.formula}, with {values}",
    ]
    for number, item in enumerate(found.inputs, start=1):
        prefix = f"{heading.strip().rstrip('.')}." if heading else ""
        lines += ["", *trace_lines(item, show_sql, f"{prefix}{number}. ")]
    return lines


def sample_columns(sample: Sample) -> list[str]:
    """The listed fields of every table sampled, in order of first appearance."""
    return list(dict.fromkeys(name for r in sample.records for name, _ in r.fields))


def sample_headline(sample: Sample) -> tuple[str, str]:
    """How a sample was drawn in a sentence, and a note when fewer were drawn than asked for."""
    scope = (
        f"{sample.labels.get(sample.measure, sample.measure)} ({sample.measure})"
        if sample.measure is not None
        else "the return's figures"
    )
    headline = (
        f"{len(sample.records)} of the {sample.population} records behind {scope}, "
        f"drawn with seed {sample.seed}"
    )
    short = len(sample.records) < sample.asked
    note = f"asked for {sample.asked}: there are only {sample.population}" if short else ""
    return headline, note


def sample_lines(sample: Sample) -> list[str]:
    """A sample as text: how it was drawn, then one row per record."""
    headline, note = sample_headline(sample)
    lines = [headline]
    if note:
        lines.append(f"  ({note})")
    lines.append("")
    extra = sample_columns(sample)
    rows = [
        [
            r.number,
            r.table,
            r.record,
            *(dict(r.fields).get(n) for n in extra),
            sample_figures(sample, r),
        ]
        for r in sample.records
    ]
    return lines + text_table(["#", "table", "record", *extra, "figures"], rows)


def sample_figures(sample: Sample, record: SampledRecord) -> str:
    """The figures a record is behind, by line code where the return prints one (short)."""
    return ", ".join(sample.lines.get(m) or m for m in record.figures)


def sample_csv(sample: Sample) -> str:
    """A sample as CSV for working papers: one row per record, columns to fill in.

    Record ids and fields are the organisation's own text, so each goes through
    `neutralise` (a spreadsheet must not take one for a formula).
    """
    extra = sample_columns(sample)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(
        ["number", "table", "record", *extra, "figures", "seed", "document seen", "agrees", "notes"]
    )
    for r in sample.records:
        fields = dict(r.fields)
        texts = [
            r.table,
            r.record,
            *(cell_text(fields.get(n)) for n in extra),
            "; ".join(sample.labels.get(m, m) for m in r.figures),
            sample.seed,
        ]
        writer.writerow([r.number, *(neutralise(t) for t in texts), "", "", ""])
    return out.getvalue()
