"""The tailoring example end to end: removed measures, out-of-hours calls, the funder's workbook.

`rules/example-tailored.toml` removes a measure, counts calls out of hours by
their start time, and fills `rules/templates/example-tailored.xlsx`, whose
"calls in office hours" line is a formula over two mapped cells.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
from sqlalchemy import Engine

from peerreport.findings import Finding
from peerreport.render import export_return
from peerreport.returns.model import Return
from peerreport.rulebook import load
from peerreport.samples.templates import FILE, LINES, SHEET, example_workbook
from tests.bundle.sample import build, store

RULES = Path(__file__).resolve().parents[2] / "rules" / "example-tailored.toml"


def test_the_committed_template_is_what_its_generator_makes(tmp_path: Path) -> None:
    fresh = tmp_path / "fresh.xlsx"
    example_workbook().save(fresh)
    committed = openpyxl.load_workbook(FILE)[SHEET]
    made = openpyxl.load_workbook(fresh)[SHEET]
    assert committed.merged_cells.ranges == made.merged_cells.ranges
    for row in range(1, 12):
        for column in range(1, 5):
            assert committed.cell(row, column).value == made.cell(row, column).value, (row, column)
    assert committed["C11"].value == "=C9-C10"
    assert [line[1] for line in LINES] == ["T1", "GS", "WL1", "WL2", "WL3"]


def _calls(hidden: bool) -> list[dict[str, object]]:
    """Groups, and warm line calls: 5 out of hours (or 12 when not `hidden`), 2 in hours."""
    rows: list[dict[str, object]] = [
        {
            "activity_id": f"G{i}",
            "date": f"2026-07-{7 + i:02d}",
            "kind": "group",
            "mode": "in_person",
            "attendance": 6,
            "member_led": i % 2 == 0,
        }
        for i in range(8)
    ]
    evening = 5 if hidden else 12
    rows += [
        {
            "activity_id": f"E{i}",
            "date": f"2026-08-{3 + i % 5:02d}",
            "start_time": "19:30",
            "kind": "warm_line_call",
            "mode": "phone",
            "attendance": 1,
        }
        for i in range(evening)
    ]
    rows += [  # in office hours, and one on a weekday without a time (not out of hours)
        {
            "activity_id": f"D{i}",
            "date": "2026-08-04",
            "start_time": "11:00",
            "kind": "warm_line_call",
            "mode": "phone",
            "attendance": 1,
        }
        for i in range(7)
    ]
    rows.append(
        {
            "activity_id": "N1",
            "date": "2026-08-05",
            "kind": "warm_line_call",
            "mode": "phone",
            "attendance": 1,
        }
    )
    return rows


def _export(engine: Engine, tmp_path: Path, hidden: bool) -> tuple[Any, list[Finding], Return]:
    rule_file = load(RULES)
    store(engine, _calls(hidden))
    ret = build(engine, rule_file)
    notices: list[Finding] = []
    [path] = export_return(ret, tmp_path, ["xlsx"], rule_file=rule_file, notices=notices)
    return openpyxl.load_workbook(path)[SHEET], notices, ret


def test_out_of_hours_calls_hidden_mark_the_funders_formula(engine: Engine, tmp_path: Path) -> None:
    sheet, notices, ret = _export(engine, tmp_path, hidden=True)
    assert "unique_members" not in [f.id for f in ret.figures]  # removed by the file
    assert ret.figure("warm_line_calls").total.value == 13
    assert ret.figure("out_of_hours_calls").total.status == "suppressed"  # 5 < 6
    assert sheet["C9"].value == 13 and sheet["C10"].value == "S"
    assert sheet["C11"].value == "=C9-C10"  # the funder's formula is kept
    assert sheet["C11"].comment is not None and "C10" in sheet["C11"].comment.text
    assert [n.code for n in notices] == ["EXP-010"]
    assert sheet["C3"].value and sheet["C4"].value == "FY2027-Q1"


def test_shown_out_of_hours_calls_leave_the_formula_alone(engine: Engine, tmp_path: Path) -> None:
    sheet, notices, ret = _export(engine, tmp_path, hidden=False)
    # 12 evening calls; the weekday call without a start time is not out of hours.
    assert ret.figure("out_of_hours_calls").total.value == 12
    assert sheet["C9"].value == 20 and sheet["C10"].value == 12
    assert sheet["C11"].comment is None and notices == []
