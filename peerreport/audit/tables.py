"""Traces and samples as tables for people: what the auditor's desk shows.

`text.py` prints the same traces and samples as aligned text for the command
line; here each becomes headings and rows in words (the intake workbook's
headings, the vocabularies' labels, dates as '3 May 2026'), with the same
notes. Records are listed as `records_listing` selects them: never member
tokens or their hashes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from peerreport.audit.sample import Sample, SampledRecord
from peerreport.audit.text import (
    TOKENS_NOTE,
    agreement_notes,
    cell_text,
    given_text,
    sample_columns,
    sample_figures,
)
from peerreport.audit.trace import DerivedTrace, FigureTrace
from peerreport.records.words import heading_words, value_words
from peerreport.returns.model import NOT_COLLECTED, SUPPRESSED, Return


@dataclass(frozen=True)
class Table:
    """Rows of words under their headings; `numeric` columns line up on the right."""

    headings: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    numeric: tuple[bool, ...]


@dataclass(frozen=True)
class TracedFigure:
    """A figure traced to its records, in words; a derived one through its inputs."""

    label: str
    line: str  # the funder's line code, '' when none
    cell: str  # 'total', or the cell's categories in words
    published: str
    from_records: str
    notes: tuple[str, ...]
    where: str = ""  # the measure's filter as the rule file writes it
    formula: str = ""  # a derived figure's formula
    records: str = ""  # 'activity', 'workforce', ...: what the rows are
    table: Table | None = None  # the records, for a figure that has its own
    inputs: tuple[TracedFigure, ...] = ()


def _numeric(values: Sequence[Any]) -> bool:
    found = [v for v in values if v is not None and v != ""]
    return bool(found) and all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in found
    )


def _table(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> Table:
    headings = tuple(heading_words(c) for c in columns)
    words = tuple(
        tuple(value_words(c, v, "") for c, v in zip(columns, row, strict=True)) for row in rows
    )
    numeric = tuple(_numeric([row[i] for row in rows]) for i in range(len(columns)))
    return Table(headings, words, numeric)


def _cell(ret: Return, measure: str, key: tuple[str | None, ...]) -> str:
    from peerreport.render.words import category_label

    if not key:
        return "total"
    by = ret.figure(measure).by
    return " · ".join(category_label(f, code) for f, code in zip(by, key, strict=False))


def _published(found: FigureTrace) -> str:
    cell = found.published
    if cell.status == SUPPRESSED:
        return "suppressed"
    if cell.status == NOT_COLLECTED:
        return "not collected"
    return cell_text(cell.value) or "no value"


def traced(found: FigureTrace, ret: Return) -> TracedFigure:
    """A trace of a figure of `ret` in words."""
    label, line = found.label, found.line
    published, value = _published(found), given_text(found)
    notes = tuple(agreement_notes(found))
    if isinstance(found, DerivedTrace):
        inputs = tuple(traced(i, ret) for i in found.inputs)
        return TracedFigure(
            label, line, "total", published, value, notes, formula=found.formula, inputs=inputs
        )
    if found.source == "tokens":
        notes = (*notes, TOKENS_NOTE)
    return TracedFigure(
        label,
        line,
        _cell(ret, found.measure, found.cell),
        published,
        value,
        notes,
        where=found.where,
        records=found.table,
        table=_table(found.columns, found.rows),
    )


def _record(record: SampledRecord) -> str:
    """A record's ids in words: `G-03 / Ethnicity / Māori` (its own ids as they are)."""
    return " / ".join(value_words(name, value, "") for name, value in record.ids if value)


def sample_table(sample: Sample) -> Table:
    """A sample as a table: number, record type, the record's ids, its fields, its figures."""
    extra = sample_columns(sample)
    listed = _table(extra, [[dict(r.fields).get(n) for n in extra] for r in sample.records])
    rows = tuple(
        (str(r.number), heading_words(r.table), _record(r), *fields, sample_figures(sample, r))
        for r, fields in zip(sample.records, listed.rows, strict=True)
    )
    return Table(
        ("#", "Record type", "Record", *listed.headings, "Figures (line)"),
        rows,
        (True, False, False, *listed.numeric, False),
    )
