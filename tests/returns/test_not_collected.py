"""`nothing = "not collected"`: a figure the organisation did not collect is no 0.

Not collected when no record of the source in the period has a value for a
field the measure reads; a filter that matches none of records that carry the
field is a real 0. Every rendering shows the difference.
"""

from __future__ import annotations

import csv
import io
import json
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import jsonschema
import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from sqlalchemy import Engine

from peerreport.compute import evaluate
from peerreport.render import export_return
from peerreport.render.adx import ADX_NS, PEERREPORT_NS
from peerreport.render.csv_output import render_csv
from peerreport.render.html import render_html
from peerreport.render.json_output import render_json, return_schema
from peerreport.render.text import render_text
from peerreport.returns.build import build_return
from peerreport.returns.document import ExportedReturnDocument
from peerreport.returns.model import NOT_COLLECTED, Return
from peerreport.rulebook import RuleFile, load
from tests.bundle.sample import ORG, ORG_NAME, period, store

RULES = """
id = "nothing-test"
title = "Not collected test"
version = "1"

[disclosure]
method = "suppress"
threshold = 3

[[measure]]
id = "minutes"
label = "Minutes of support"
sum = "duration_minutes"
by = ["mode"]
nothing = "not collected"

[[measure]]
id = "minutes_zero"
label = "Minutes of support (zero when not recorded)"
sum = "duration_minutes"

[[measure]]
id = "long_sessions"
label = "Sessions over ten hours"
count = "activity"
where = "duration_minutes > 600"
nothing = "not collected"

[[measure]]
id = "groups"
label = "Group sessions"
count = "activity"
where = "kind = 'group'"

[[measure]]
id = "minutes_per_group"
label = "Minutes per group"
expr = "minutes / groups"
round = 1

[[check]]
id = "T-001"
severity = "warning"
assert = "minutes > 100000"
message = "only {minutes} minutes"

[[check]]
id = "T-002"
severity = "warning"
total = "minutes"
parts = ["minutes_zero"]
tolerance = 0
message = "minutes do not add up"

[export.xlsx]
template = "funder.xlsx"
not_collected = "N/C"

[export.xlsx.cells]
minutes = "'Return'!B2"
"minutes[phone]" = "'Return'!B3"
long_sessions = "'Return'!B4"
groups = "'Return'!B5"

[export.adx]
data_set = "DS"

[export.adx.data_elements]
minutes = "MINUTES"
long_sessions = "LONG"
groups = "GROUPS"

[export.adx.categories]
mode = "MODE"
"""


def _rules(folder: Path, text: str = RULES) -> RuleFile:
    folder.mkdir(parents=True, exist_ok=True)
    book = Workbook()
    sheet = book.active
    sheet.title = "Return"
    sheet["B6"] = "=B2+B5"  # the funder's own formula reads the minutes
    book.save(folder / "funder.xlsx")
    (folder / "nothing-test.toml").write_text(text, "utf-8")
    return load(folder / "nothing-test.toml")


def _records(engine: Engine, minutes: int | None) -> None:
    """Eight groups by phone or in person; every one with `minutes`, or none recorded."""
    rows: list[dict[str, Any]] = []
    for i in range(8):
        row: dict[str, Any] = {
            "activity_id": f"A{i}",
            "date": f"2026-07-{i + 1:02d}",
            "kind": "group",
            "mode": "phone" if i % 2 else "in_person",
            "attendance": 4,
        }
        if minutes is not None:
            row["duration_minutes"] = minutes
        rows.append(row)
    store(engine, rows)


def _build(engine: Engine, rule_file: RuleFile) -> Return:
    return build_return(engine, ORG, ORG_NAME, rule_file, period())


def test_not_collected_only_when_no_record_has_the_field(engine: Engine, tmp_path: Path) -> None:
    rule_file = _rules(tmp_path / "rules")
    _records(engine, None)
    result = evaluate(engine, ORG, rule_file, period().start, period().end)
    figures = result.figures
    assert not figures["minutes"].collected and figures["minutes"].value is None
    assert all(c.value is None for c in figures["minutes"].cells)
    assert not figures["long_sessions"].collected
    assert figures["minutes_zero"].collected and figures["minutes_zero"].value == 0
    assert figures["groups"].value == 8
    # A derived measure of a figure not collected is not collected (and divides by nothing).
    assert not figures["minutes_per_group"].collected
    assert figures["minutes_per_group"].value is None
    status = {o.check: o.status for o in result.outcomes}
    assert status == {"T-001": "unknown", "T-002": "unknown"}
    assert not result.findings


def test_a_filter_that_matches_nothing_is_a_real_zero(engine: Engine, tmp_path: Path) -> None:
    rule_file = _rules(tmp_path / "rules")
    _records(engine, 30)  # every group recorded its minutes; none was over ten hours
    result = evaluate(engine, ORG, rule_file, period().start, period().end)
    figures = result.figures
    assert figures["long_sessions"].collected and figures["long_sessions"].value == 0
    assert figures["minutes"].collected and figures["minutes"].value == 240
    assert figures["minutes"].cell("phone") == 120 and figures["minutes"].cell("video") == 0
    assert figures["minutes_per_group"].value == 30.0
    status = {o.check: o.status for o in result.outcomes}
    assert status == {"T-001": "fail", "T-002": "pass"}
    ret = _build(engine, rule_file)
    assert ret.figure("long_sessions").total.value == 0
    assert ret.figure("long_sessions").total.status == "exact"


def test_one_record_with_the_field_collects_it(engine: Engine, tmp_path: Path) -> None:
    rule_file = _rules(tmp_path / "rules")
    _records(engine, None)
    store(
        engine,
        [
            {
                "activity_id": "Z1",
                "date": "2026-08-01",
                "kind": "group",
                "attendance": 3,
                "duration_minutes": 5,
            }
        ],
    )
    figures = evaluate(engine, ORG, rule_file, period().start, period().end).figures
    assert figures["minutes"].collected and figures["minutes"].value == 5
    assert figures["long_sessions"].collected and figures["long_sessions"].value == 0


def test_the_default_still_publishes_zero_and_checks_read_it(
    engine: Engine, tmp_path: Path
) -> None:
    rule_file = _rules(tmp_path / "rules", RULES.replace('nothing = "not collected"\n', ""))
    _records(engine, None)
    result = evaluate(engine, ORG, rule_file, period().start, period().end)
    assert result.figures["minutes"].value == 0 and result.figures["minutes"].collected
    assert [f.code for f in result.findings] == ["T-001"]


def test_published_as_not_collected_and_left_alone_by_disclosure(
    engine: Engine, tmp_path: Path
) -> None:
    rule_file = _rules(tmp_path / "rules")
    _records(engine, None)
    ret = _build(engine, rule_file)
    for ident in ("minutes", "long_sessions", "minutes_per_group"):
        figure = ret.figure(ident)
        cells = (figure.total, *figure.cells)
        assert all(c.status == NOT_COLLECTED and c.value is None for c in cells), ident
    assert len(ret.figure("minutes").cells) >= 4  # every mode, each not collected
    assert ret.figure("minutes_zero").total.value == 0
    assert ret.figure("groups").total == ret.figure("groups").total.__class__((), 8, "exact")
    assert not [f for f in ret.findings if f.code in ("T-001", "T-002")]
    # The whole-release audit had nothing to link the figures not collected to.
    assert ret.disclosure.get("audit", {}).get("hidden", 0) in (0, None)


def _renderings(engine: Engine, tmp_path: Path) -> tuple[RuleFile, Return]:
    rule_file = _rules(tmp_path / "rules")
    _records(engine, None)
    return rule_file, _build(engine, rule_file)


def test_csv_and_json_say_not_collected(engine: Engine, tmp_path: Path) -> None:
    _, ret = _renderings(engine, tmp_path)
    rows = list(csv.DictReader(io.StringIO(render_csv(ret).decode("utf-8-sig"))))
    minutes = [r for r in rows if r["measure"] == "minutes"]
    assert minutes and all(
        (r["value"], r["status"], r["shown"]) == ("", "not_collected", "not collected")
        for r in minutes
    )
    zero = next(r for r in rows if r["measure"] == "minutes_zero")
    assert (zero["value"], zero["status"], zero["shown"]) == ("0", "exact", "0")
    data = json.loads(render_json(ret))
    jsonschema.validate(data, return_schema())
    ExportedReturnDocument.model_validate(data)
    figure = next(f for f in data["figures"] if f["id"] == "minutes")
    assert figure["total"] == {"key": [], "value": None, "status": "not_collected"}
    assert {c["status"] for c in figure["cells"]} == {"not_collected"}
    # A not-collected cell with a value is not a valid return.json.
    figure["total"]["value"] = 0
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, return_schema())


def test_the_review_page_marks_not_collected(engine: Engine, tmp_path: Path) -> None:
    _, ret = _renderings(engine, tmp_path)
    page = render_html(ret)
    assert 'badge-not-collected">not collected</span>' in page
    assert "did not record what the figure counts" in page  # the legend
    clean = render_html(_build_collected(engine, tmp_path))
    assert 'badge-not-collected">' not in clean
    assert "did not record what the figure counts" not in clean


def _build_collected(engine: Engine, tmp_path: Path) -> Return:
    rule_file = _rules(tmp_path / "other", RULES.replace('nothing = "not collected"\n', ""))
    return _build(engine, rule_file)


def test_own_workbook_cell_by_cell(engine: Engine, tmp_path: Path) -> None:
    _, ret = _renderings(engine, tmp_path)
    (path,) = export_return(ret, tmp_path / "out", ["xlsx"])  # no rule file: own workbook
    sheet = openpyxl.load_workbook(path)["Figures"]
    rows = {}
    for row in sheet.iter_rows(min_row=3, values_only=True):
        if row[7]:
            rows.setdefault(row[7], []).append(row)
    assert {r[5] for r in rows["minutes"]} == {"not collected"}
    assert {r[6] for r in rows["minutes"]} == {"not_collected"}
    assert rows["long_sessions"][0][5:7] == ("not collected", "not_collected")
    assert rows["minutes_per_group"][0][5:7] == ("not collected", "not_collected")
    assert rows["minutes_zero"][0][5:7] == (0, "exact")
    assert rows["groups"][0][5:7] == (8, "exact")


def test_funder_template_gets_the_rule_files_marker(engine: Engine, tmp_path: Path) -> None:
    rule_file, ret = _renderings(engine, tmp_path)
    notices: list[Any] = []
    (path,) = export_return(ret, tmp_path / "out", ["xlsx"], rule_file=rule_file, notices=notices)
    sheet = openpyxl.load_workbook(path)["Return"]
    assert (sheet["B2"].value, sheet["B2"].data_type) == ("N/C", "s")
    assert sheet["B3"].value == "N/C" and sheet["B4"].value == "N/C"
    assert sheet["B5"].value == 8
    # The funder's formula reads a figure not collected: said on the cell and as a notice.
    comment = sheet["B6"].comment
    assert comment is not None and "did not collect" in comment.text
    assert [n.code for n in notices] == ["EXP-010"]


def test_funder_template_marker_may_be_empty(engine: Engine, tmp_path: Path) -> None:
    rule_file = _rules(
        tmp_path / "rules", RULES.replace('not_collected = "N/C"', 'not_collected = ""')
    )
    _records(engine, None)
    ret = _build(engine, rule_file)
    (path,) = export_return(ret, tmp_path / "out", ["xlsx"], rule_file=rule_file)
    sheet = openpyxl.load_workbook(path)["Return"]
    assert sheet["B2"].value is None and sheet["B5"].value == 8


def test_adx_lists_not_collected_and_writes_no_value(engine: Engine, tmp_path: Path) -> None:
    rule_file, ret = _renderings(engine, tmp_path)
    (path,) = export_return(ret, tmp_path / "out", ["adx"], rule_file=rule_file)
    root = ET.fromstring(path.read_bytes())
    group = root.find(f"{{{ADX_NS}}}group")
    assert group is not None
    listed = group.get(f"{{{PEERREPORT_NS}}}notCollected", "").split()
    assert "LONG" in listed and "MINUTES(MODE=phone)" in listed
    elements = {v.get("dataElement") for v in group.iter(f"{{{ADX_NS}}}dataValue")}
    assert elements == {"GROUPS"}
    assert group.get(f"{{{PEERREPORT_NS}}}hidden") is None


_RECORD = st.tuples(
    st.one_of(st.none(), st.integers(min_value=0, max_value=900)),
    st.sampled_from(["phone", "in_person", "video"]),
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(records=st.lists(_RECORD, max_size=6))
def test_sql_and_python_agree_on_what_was_collected(
    engine: Engine, tmp_path_factory: pytest.TempPathFactory, records: list[Any]
) -> None:
    rule_file = _rules(tmp_path_factory.mktemp("rules"))
    org = f"H{uuid.uuid4().hex[:8].upper()}"
    rows = []
    for i, (minutes, mode) in enumerate(records):
        row = {"activity_id": f"R{i}", "date": "2026-08-01", "kind": "group", "mode": mode}
        rows.append(
            {**row, "attendance": 2, **({} if minutes is None else {"duration_minutes": minutes})}
        )
    store(engine, rows, org)
    figures = evaluate(engine, org, rule_file, period().start, period().end).figures
    given_minutes = [m for m, _ in records if m is not None]
    collected = bool(given_minutes)
    for ident in ("minutes", "long_sessions", "minutes_per_group"):
        assert figures[ident].collected is collected, ident
    if collected:
        assert figures["minutes"].value == sum(given_minutes)
        assert figures["long_sessions"].value == sum(1 for m in given_minutes if m > 600)
        phone = [m for m, mode in records if m is not None and mode == "phone"]
        assert figures["minutes"].cell("phone") == sum(phone)
    else:
        assert figures["minutes"].value is None and figures["long_sessions"].value is None
        assert all(c.value is None for c in figures["minutes"].cells)
    assert figures["minutes_zero"].value == sum(given_minutes)


def test_the_text_summary_says_not_collected(engine: Engine, tmp_path: Path) -> None:
    _, ret = _renderings(engine, tmp_path)
    text = render_text(ret, period().end)
    line = next(row for row in text.splitlines() if "Sessions over ten hours" in row)
    assert "not collected" in line
    zero = next(row for row in text.splitlines() if "zero when not recorded" in row)
    assert zero.split()[-1] == "0"


def test_an_amendment_that_collects_a_figure_says_so(engine: Engine, tmp_path: Path) -> None:
    """The change list of an amendment reads 'not collected' -> the value, not '-' -> value."""
    from peerreport.ledger.changes import figure_changes

    rule_file = _rules(tmp_path / "rules")
    _records(engine, None)
    before = _build(engine, rule_file)
    _records(engine, 30)  # the same activities, now with their minutes
    after = _build(engine, rule_file)
    minutes = next(c for c in figure_changes(before, after) if c.measure == "minutes")
    assert minutes.cell == "total"
    assert (minutes.before, minutes.after) == ("not collected", "240")
