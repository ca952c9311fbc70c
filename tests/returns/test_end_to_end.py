"""From a small workspace to filed files: every exported cell matches the built return."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from jsonschema import Draft202012Validator
from openpyxl import load_workbook
from sqlalchemy import Engine

from peerreport.render import export_return, return_schema
from peerreport.returns.model import SUPPRESSED, PublishedCell
from peerreport.rulebook import load
from tests.returns.test_build import _build, _workspace


def _shown(cell: PublishedCell, symbol: str) -> object:
    return symbol if cell.status == SUPPRESSED else cell.value


def test_exports_match_the_return_cell_by_cell(engine: Engine, db_url: str, tmp_path: Path) -> None:
    _, rules = _workspace(tmp_path, db_url, engine)
    ret = _build(engine, rules)
    symbol = ret.disclosure["symbol"]
    files = export_return(
        ret, tmp_path / "out", ["xlsx", "csv", "json", "html"], rule_file=load(rules)
    )
    by_suffix = {p.suffix: p for p in files}
    expected = [
        (
            f.line or None,
            f.id,
            cell.label() if cell.key else "total",
            _shown(cell, symbol),
            cell.status,
        )
        for f in ret.figures
        for cell in (f.total, *f.cells)
    ]

    sheet = load_workbook(by_suffix[".xlsx"])["Figures"]
    rows = list(sheet.iter_rows(min_row=3, values_only=True))
    # Line, Figure, Unit, Breakdown, Cell (words), Value, Status, Measure id.
    got = [(r[0], r[7], r[4], r[5], r[6]) for r in rows if r[7]]
    assert len(got) == len(expected)
    for (line, measure, _, value, status), row in zip(expected, got, strict=True):
        assert row[0] == line and row[1] == measure and row[4] == status
        assert row[3] == value, (measure, row)
        if status != SUPPRESSED and isinstance(value, int):
            assert isinstance(row[3], int)  # numbers stay numbers
    cover = {
        r[0]: r[1]
        for r in load_workbook(by_suffix[".xlsx"])["Cover"].iter_rows(values_only=True)
        if r and r[0]
    }
    assert any(v == "TEST01" for v in cover.values())

    text = by_suffix[".csv"].read_bytes().decode("utf-8-sig")
    records = list(csv.DictReader(io.StringIO(text)))
    assert len(records) == len(expected)
    for (_, measure, _, value, status), record in zip(expected, records, strict=True):
        assert record["measure"] == measure and record["status"] == status
        assert record["shown"] == str(value)

    data = json.loads(by_suffix[".json"].read_text("utf-8"))
    assert not list(Draft202012Validator(return_schema()).iter_errors(data))
    assert data == ret.to_dict()

    page = by_suffix[".html"].read_text("utf-8")
    for figure in ret.figures:
        assert figure.label in page
        if figure.total.status != SUPPRESSED and isinstance(figure.total.value, int):
            assert f"{figure.total.value:,}" in page
