"""A return built from stored records (SQLite and PostgreSQL) fills a funder's template:
the suppressed cells a template total reads are flagged, cell by cell, comments included."""

from __future__ import annotations

from pathlib import Path

import openpyxl
from openpyxl import Workbook
from sqlalchemy import Engine

from peerreport.render import export_return
from peerreport.returns.build import build_return
from peerreport.returns.periods import parse_period
from peerreport.rulebook import load
from tests.bundle.sample import ORG_NAME, store

RULE_FILE = """
id = "funder-calls"
title = "Warm-line return"
version = "2026.1"

[disclosure]
method = "suppress"
threshold = 6

[[measure]]
id = "groups"
count = "activity"
where = "kind = 'group'"

[[measure]]
id = "calls"
count = "activity"
where = "kind = 'warm_line_call'"
by = ["mode"]

[export.xlsx]
template = "calls.xlsx"
period_format = "Quarter {number} {year_before}/{yy}"

[export.xlsx.cells]
groups = "'Return'!B2"
"calls[phone]" = "'Return'!B3"
"calls[video]" = "'Return'!B4"
"calls[text_online]" = "'Return'!B5"
calls = "'Return'!B7"

[export.xlsx.fields]
period_words = "'Return'!B1"

[export.xlsx.text]
"'Return'!C1" = "Provider's own words"
"""


def _template(path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.title = "Return"
    sheet["B6"] = "=SUM(B3:B5)"  # the funder's own total of the calls
    sheet["B8"] = "=B2*2"  # reads an exact figure only
    sheet["B9"] = "=B7-B3"  # the return's own total (exact) less a published cell
    book.save(path)


def test_a_built_return_fills_the_template_and_flags_totals(engine: Engine, tmp_path: Path) -> None:
    _template(tmp_path / "calls.xlsx")
    (tmp_path / "funder-calls.toml").write_text(RULE_FILE, "utf-8")
    rule_file = load(tmp_path / "funder-calls.toml")
    rows = [
        *({"kind": "group", "mode": "in_person", "day": d} for d in range(20)),
        *({"kind": "warm_line_call", "mode": "phone", "day": d} for d in range(30)),
        *({"kind": "warm_line_call", "mode": "video", "day": d} for d in range(2)),
    ]
    store(
        engine,
        [
            {
                "activity_id": f"T-{i}",
                "date": f"2026-07-{r['day'] + 1:02d}",
                "kind": r["kind"],
                "mode": r["mode"],
                "attendance": 1,
            }
            for i, r in enumerate(rows)
        ],
        "TPL01",
    )
    ret = build_return(engine, "TPL01", ORG_NAME, rule_file, parse_period("FY2027-Q1"))
    calls = ret.figure("calls")
    status = {c.key[0]: c.status for c in calls.cells}
    assert status["video"] == "suppressed"  # 2 calls: below the threshold
    assert ret.figure("groups").total.value == 20 and calls.total.status == "exact"
    notices: list = []
    (path,) = export_return(ret, tmp_path / "out", ["xlsx"], rule_file=rule_file, notices=notices)
    sheet = openpyxl.load_workbook(path)["Return"]
    assert sheet["B1"].value == "Quarter 1 2026/27"
    assert sheet["C1"].value == "Provider's own words"
    assert sheet["B2"].value == 20
    assert sheet["B4"].value == "S"
    assert sheet["B7"].value == calls.total.value
    hidden = [
        f"'Return'!B{row}"
        for row, code in ((3, "phone"), (4, "video"), (5, "text_online"))
        if status[code] == "suppressed"
    ]
    assert "'Return'!B4" in hidden
    comment = sheet["B6"].comment
    assert comment is not None
    for where in hidden:
        assert where in comment.text
    assert "leaves out hidden figures" in comment.text
    b9 = sheet["B9"].comment  # reads B3: flagged exactly when phone is hidden too
    assert (b9 is not None) == ("'Return'!B3" in hidden)
    assert sheet["B8"].comment is None  # reads only the exact B2
    flagged = [n.location.address for n in notices]
    assert "'Return'!B6" in flagged and "'Return'!B8" not in flagged
    assert all(n.code == "EXP-010" and n.severity.value == "warning" for n in notices)
