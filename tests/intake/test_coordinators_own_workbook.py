"""Issue 10, end to end: a coordinator's own workbook, as kept in Excel, through the CLI.

It has columns peerreport does not know, a stray cell far below the data, a
note naming a person, notes the workspace does not keep, a year-long staff
row, and labels written where codes could be. The import stores what it can,
says one thing per kind of problem, keeps nothing identifying, and the return
counts the year-long row's FTE in the quarter.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from openpyxl import Workbook
from sqlalchemy import Engine, select, text

from peerreport.returns.build import build_return
from peerreport.returns.periods import parse_period
from peerreport.rulebook import load
from peerreport.store.schema import activity
from peerreport.workspace import write_workspace

Run = Callable[..., Result]
NAME_NOTE = "Mr T. Walker's medication changed"


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Run:
    from peerreport.cli import main

    monkeypatch.delenv("PEERREPORT_DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    group = main.LazyGroup(name="peerreport", context_settings=main.cli.context_settings)

    def invoke(*args: str | Path) -> Result:
        return CliRunner().invoke(group, [str(a) for a in args], catch_exceptions=False)

    return invoke


def _own_workbook(path: Path) -> Path:
    book = Workbook()
    sheet = book.active
    sheet.title = "Activities"
    sheet.append(
        [
            "Activity ID",
            "Date",
            "Kind of activity",
            "Attendance",
            "Programme",
            "Notes",
            "Room booked",  # not a peerreport column
            "Tea and biscuits",  # nor this
        ]
    )
    for n in range(1, 13):
        note = NAME_NOTE if n == 7 else ("went well" if n % 3 == 0 else None)
        sheet.append(
            [
                f"G-{n:03d}",
                dt.date(2026, 7, n * 2),
                "Peer support group session",  # the label, not the code
                5 + n % 4,
                "Tuesday group",
                note,
                "Hall B",
                "yes",
            ]
        )
    sheet.cell(row=240, column=6, value="checked 3 Oct")  # a stray cell far below
    staff = book.create_sheet("Workforce")
    staff.append(["Period start", "Period end", "Role", "Paid FTE", "Paid headcount"])
    staff.append([dt.date(2026, 7, 1), dt.date(2027, 6, 30), "Peer support worker", 0.8, 1])
    book.save(path)
    return path


def test_a_coordinators_own_workbook_imports_with_plain_notices_and_the_right_fte(
    run: Run, engine: Engine, db_url: str, tmp_path: Path
) -> None:
    workspace = write_workspace(tmp_path / "ws", "Harbour Peer Collective", "HPC001", db_url)
    log = _own_workbook(tmp_path / "our-log.xlsx")
    done = run("import", log, "--skip-invalid", "--workspace", workspace.root)
    assert done.exit_code == 1, done.output  # problems were found: the rejects file says which
    output = done.output
    assert "Traceback" not in output
    # One line per kind of problem, each naming its place.
    assert output.count("Room booked") == 1 and output.count("Tea and biscuits") == 1
    assert output.count("notes column is not stored") == 1
    assert output.count("cell F240") == 1
    assert output.count("looks like a person's name") == 1
    assert "Walker" not in output  # masked, never echoed
    # Eleven activities and the staff row; refused: the row whose note names a person,
    # and the stray cell.
    assert "our-log.xlsx: 12 added, 0 updated, 0 unchanged, 2 rejected" in output
    assert output.count("rows 14 to 239 are empty: skipped") == 1

    with engine.connect() as conn:
        stored = conn.execute(
            select(activity.c.activity_id, activity.c.notes, activity.c.kind)
        ).all()
        everything = " ".join(
            str(v) for row in conn.execute(text("SELECT * FROM activity")) for v in row
        )
    assert len(stored) == 11 and "G-007" not in {r.activity_id for r in stored}
    assert {r.notes for r in stored} == {None}  # the workspace does not keep notes
    assert {r.kind for r in stored} == {"group"}  # the label was read as its code
    assert "Walker" not in everything and "Hall B" not in everything

    written = log.with_name("our-log.xlsx.rejects.csv").read_text("utf-8-sig")
    assert "Walker" not in written and "problem" in written.splitlines()[0]

    rule_file = load("nz-peer-support-adults")
    ret = build_return(
        engine, "HPC001", "Harbour Peer Collective", rule_file, parse_period("FY2027-Q1")
    )
    assert ret.figure("peer_support_fte").total.value == pytest.approx(0.8)
    assert "NZPS-010" not in {f.code for f in ret.findings}
