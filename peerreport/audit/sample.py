"""A reproducible sample of the records behind a return, for checks against source documents.

The population is every record behind the return's figures (or behind one
figure: a derived one through the measures it uses), found by `trace`, so it
is exactly what the figures count. Each record is given a sort key, the
HMAC-SHA256 of its table and id values keyed by the seed, and the sample is
the N records with the smallest keys. So:

- the same seed draws the same records from the same records, on SQLite and
  PostgreSQL alike (nothing depends on the database's order or its random());
- a larger N draws the same records first, then more;
- a record added or removed does not reshuffle the others.

Record ids are the records' own ids from the organisation's files, never
member tokens.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine

from peerreport.audit.names import figure_named
from peerreport.audit.trace import DerivedTrace, FigureTrace, Trace, trace
from peerreport.errors import UsageError
from peerreport.returns.model import Return
from peerreport.rulebook.compiled import RuleFile


@dataclass(frozen=True)
class SampledRecord:
    """One record drawn: where it is, what identifies it, and the figures it is behind."""

    number: int  # 1, 2, ... in the order drawn
    table: str  # activity, breakdown, workforce or feedback
    ids: tuple[tuple[str, Any], ...]  # (id field, value)
    fields: tuple[tuple[str, Any], ...]  # (listed field, value): date, kind, ...
    figures: tuple[str, ...]  # the measure ids of the figures that count it

    @property
    def record(self) -> str:
        """The record's ids as one text, e.g. `G-03` or `2026-07-01 / 2026-09-30 / peer_worker`."""
        return " / ".join(_text(v) for _, v in self.ids if _text(v))

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data."""
        return {
            "number": self.number,
            "table": self.table,
            "record": self.record,
            "ids": {k: _jsonable(v) for k, v in self.ids},
            "fields": {k: _jsonable(v) for k, v in self.fields},
            "figures": list(self.figures),
        }


@dataclass(frozen=True)
class Sample:
    """Records drawn from those behind a return's figures."""

    seed: str
    asked: int
    population: int  # how many records the sample was drawn from
    measure: str | None  # the one figure drawn from, or None for all the return's figures
    figures: tuple[str, ...]  # the figures whose records were the population
    labels: dict[str, str]  # measure id -> label, for people
    lines: dict[str, str]  # measure id -> the funder's line code ('' when none)
    records: tuple[SampledRecord, ...]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data."""
        return {
            "seed": self.seed,
            "asked": self.asked,
            "drawn": len(self.records),
            "population": self.population,
            "measure": self.measure,
            "figures": list(self.figures),
            "records": [r.to_dict() for r in self.records],
        }


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def _text(value: Any) -> str:
    return "" if value is None else str(_jsonable(value))


def sort_key(seed: str, table: str, ids: Iterable[Any]) -> str:
    """A record's place in the draw: HMAC-SHA256 of its table and ids, keyed by the seed."""
    message = json.dumps([table, *(_jsonable(v) for v in ids)], ensure_ascii=False)
    return hmac.new(seed.encode(), message.encode(), hashlib.sha256).hexdigest()


def _leaves(found: FigureTrace) -> list[Trace]:
    if isinstance(found, DerivedTrace):
        return [leaf for i in found.inputs for leaf in _leaves(i)]
    return [found]


def sample_records(
    engine: Engine,
    ret: Return,
    rule_file: RuleFile,
    size: int,
    seed: str | int,
    measure: str | None = None,
) -> Sample:
    """`size` records drawn reproducibly by `seed` from those behind `ret`'s figures."""
    if size < 1:
        raise UsageError(f"a sample needs at least one record (asked for {size})")
    seed_text = str(seed)
    if not seed_text:
        raise UsageError("give a seed (any number or word) so the sample can be drawn again")
    chosen = figure_named(ret, measure).id if measure is not None else None
    # Derived figures add no records of their own: their inputs are figures too.
    names = [chosen] if chosen is not None else [f.id for f in ret.figures if f.kind != "expr"]
    leaves = [leaf for name in names for leaf in _leaves(trace(engine, ret, rule_file, name))]
    traces = list({leaf.measure: leaf for leaf in leaves}.values())
    found: dict[tuple[str, tuple[Any, ...]], tuple[tuple[Any, ...], dict[str, None]]] = {}
    listed: dict[tuple[str, tuple[Any, ...]], tuple[tuple[str, Any], ...]] = {}
    for leaf in traces:
        width = len(leaf.id_fields)
        for row in leaf.rows:
            ids = tuple(row[:width])
            key = (leaf.table, ids)
            _, measures = found.setdefault(key, (leaf.id_fields, {}))
            measures[leaf.measure] = None
            listed[key] = tuple(
                zip(leaf.listed, row[width : width + len(leaf.listed)], strict=True)
            )
    order = sorted(found, key=lambda k: sort_key(seed_text, k[0], k[1]))
    records = tuple(
        SampledRecord(
            number,
            table,
            tuple(zip(found[(table, ids)][0], ids, strict=True)),
            listed[(table, ids)],
            tuple(found[(table, ids)][1]),
        )
        for number, (table, ids) in enumerate(order[:size], start=1)
    )
    figures = tuple(dict.fromkeys(t.measure for t in traces))
    labels = {f.id: f.label for f in ret.figures}
    lines = {f.id: f.line for f in ret.figures}
    return Sample(seed_text, size, len(found), chosen, figures, labels, lines, records)
