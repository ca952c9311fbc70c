"""peerreport's own workbook, read back cell by cell: Cover, Figures, Findings."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from peerreport.render import render_xlsx
from peerreport.render.workbook import FIGURE_COLUMNS, FINDING_COLUMNS
from tests.render.sample import INJECTIONS, ORG_NAME, injected_return, sample_return

DISCLOSURE = (
    "suppress: counts below 6 are suppressed and shown as 'S', with secondary suppression so "
    "they cannot be worked out from totals; zeros are published as 0"
)


def _cover(status: str) -> list[tuple[Any, ...]]:
    return [
        ("Organisation", ORG_NAME),
        ("Provider code", "ORG-01"),
        ("Return", "Peer support service for adults"),
        ("Funder", "Example funder (Ōtautahi)"),
        ("Service specification", "MHC36F"),
        ("Purchase units", "MHC36F, MHC37"),
        ("Rule file", "nz-peer-support"),
        ("Rule file version", "2026.1"),
        ("Rule file digest", "sha256:" + "ab" * 32),
        ("Period", "FY2027-Q1"),
        ("Period start", dt.datetime(2026, 7, 1)),
        ("Period end", dt.datetime(2026, 9, 30)),
        ("Due", dt.datetime(2026, 10, 20)),
        ("Status", status),
        ("Filing", "Not yet submitted: a review copy"),
        ("Disclosure control", DISCLOSURE),
        ("Records digest", "sha256:" + "cd" * 32),
        ("Records", "activity 120, breakdown 48"),
        ("Tool version", "peerreport 0.1.0"),
    ]


A = "Attendances — Māori and Pacific whānau"
W = "Warm-line calls answered"
M, E = "Delivery mode", "Ethnicity (Stats NZ level 1)"
MK = "Delivery mode and kind of activity"
GROUP = "Peer support group session"
# Line, Figure, Unit, Breakdown and Cell in words, Value, Status, Measure id.
FIGURES = [
    (
        "PS-02",
        "Peer support group sessions delivered",
        "sessions",
        None,
        "total",
        45,
        "exact",
        "group_sessions",
    ),
    ("PS-05", W, "calls", None, "total", 96, "rounded", "warm_line_calls"),
    ("PS-05", W, "calls", M, "In person", 0, "exact", "warm_line_calls"),
    ("PS-05", W, "calls", M, "Phone", 93, "rounded", "warm_line_calls"),
    ("PS-05", W, "calls", M, "Video", "S", "suppressed", "warm_line_calls"),
    ("PS-05", W, "calls", M, "Not recorded", 3, "rounded", "warm_line_calls"),
    ("PS-03", A, "attendances", None, "total", 110, "exact", "attendances"),
    ("PS-03", A, "attendances", E, "Māori", 40, "exact", "attendances"),
    ("PS-03", A, "attendances", E, "Pacific Peoples", "S", "suppressed", "attendances"),
    ("PS-03", A, "attendances", E, "European", "S", "suppressed", "attendances"),
    ("PS-03", A, "attendances", E, "Not recorded", 7, "exact", "attendances"),
    ("PS-07", "Average group size", "people", None, "total", 6.4, "exact", "average_group_size"),
    (None, "Change in members", "members", None, "total", -3, "exact", "membership_change"),
    (None, "Calls per volunteer", None, None, "total", None, "exact", "calls_per_volunteer"),
    (
        None,
        "First activity",
        None,
        None,
        "total",
        dt.datetime(2026, 7, 2),
        "exact",
        "first_activity",
    ),
    (
        None,
        "Sessions by mode and kind",
        "sessions",
        None,
        "total",
        45,
        "exact",
        "sessions_by_mode_kind",
    ),
    (
        None,
        "Sessions by mode and kind",
        "sessions",
        MK,
        f"In person · {GROUP}",
        33,
        "exact",
        "sessions_by_mode_kind",
    ),
    (
        None,
        "Sessions by mode and kind",
        "sessions",
        MK,
        f"Phone · {GROUP}",
        12,
        "exact",
        "sessions_by_mode_kind",
    ),
]
FINDINGS = [
    (
        "error",
        "NZPS-010",
        "45 group sessions but only 0 attendances",
        "A group session needs at least one attendee; check for sessions logged with attendance 0.",
        'figure "Peer support group sessions delivered" (PS-02)',
    ),
    (
        "warning",
        "RET-010",
        "no activities are recorded in August 2026",
        "Import the activity log for that month.",
        "period FY2027-Q1",
    ),
    (
        "info",
        "INFO-1",
        "Rōpū session notes were left empty",
        None,
        'activities.xlsx, row 14, column "notes"',
    ),
]


def _values(sheet: Any) -> list[tuple[Any, ...]]:
    return [tuple(row) for row in sheet.iter_rows(values_only=True)]


def _render(tmp_path: Path, draft: bool, ret: Any = None) -> Any:
    path = tmp_path / "return.xlsx"
    render_xlsx(ret or sample_return(), path, draft=draft)
    return openpyxl.load_workbook(path)


def _heading(draft: bool, text: str) -> str:
    return f"DRAFT — not for submission: {text}" if draft else text


@pytest.mark.parametrize("draft", [False, True])
def test_every_cell(tmp_path: Path, draft: bool) -> None:
    book = _render(tmp_path, draft)
    assert book.sheetnames == ["Cover", "Figures", "Findings"]
    title = "Peer support service for adults"
    status = "DRAFT (has errors)" if draft else "has errors"
    cover_head = f"{title}: {ORG_NAME}, July to September 2026 (FY2027-Q1)"
    assert _values(book["Cover"]) == [
        (_heading(draft, cover_head), None),
        (None, None),
        *_cover(status),
    ]
    figures_head = _heading(draft, f"Figures — {title}, FY2027-Q1")
    assert _values(book["Figures"]) == [(figures_head, *[None] * 7), FIGURE_COLUMNS, *FIGURES]
    findings_head = _heading(draft, f"Findings — {title}, FY2027-Q1")
    assert _values(book["Findings"]) == [(findings_head, *[None] * 4), FINDING_COLUMNS, *FINDINGS]


def test_cell_types(tmp_path: Path) -> None:
    book = _render(tmp_path, False)
    sheet = book["Figures"]
    for row in sheet.iter_rows(min_row=3):
        value_cell = row[5]
        if isinstance(value_cell.value, int | float):
            assert value_cell.data_type == "n"
        if value_cell.value == "S":
            assert value_cell.data_type == "s" and row[6].value == "suppressed"
            # Every hidden cell says why, as a comment on the cell itself.
            assert value_cell.comment is not None
            assert value_cell.comment.text.startswith("Hidden to protect people: it is fewer than")
        elif value_cell.value is not None:
            assert value_cell.comment is None
    assert sheet["F3"].number_format == "#,##0"
    assert sheet["F17"].is_date and sheet["F17"].number_format == "yyyy-mm-dd"
    assert book["Cover"]["B13"].is_date
    due = book["Cover"]["B15"]
    assert book["Cover"]["A15"].value == "Due"
    assert due.is_date and due.value == dt.datetime(2026, 10, 20)
    assert due.number_format == "yyyy-mm-dd"
    for name in book.sheetnames:
        for row in book[name].iter_rows():
            for cell in row:
                assert cell.data_type != "f", cell.coordinate


@pytest.mark.parametrize("draft", [False, True])
def test_draft_marks_every_sheet(tmp_path: Path, draft: bool) -> None:
    book = _render(tmp_path, draft)
    for sheet in book.worksheets:
        assert str(sheet["A1"].value).startswith("DRAFT") is draft
        assert ("DRAFT" in (sheet.oddHeader.center.text or "")) is draft
        assert ("DRAFT" in (sheet.oddFooter.left.text or "")) is draft
    assert (book.properties.title or "").startswith("DRAFT") is draft


def test_no_findings_says_so(tmp_path: Path) -> None:
    book = _render(tmp_path, False, sample_return(findings=()))
    assert _values(book["Findings"])[2] == ("No findings.", None, None, None, None)


def test_cover_due_is_empty_without_a_due_date(tmp_path: Path) -> None:
    cover = _render(tmp_path, False, sample_return(due=None))["Cover"]
    assert cover["A15"].value == "Due" and cover["B15"].value is None


@pytest.mark.parametrize("text", INJECTIONS)
def test_formula_injection_is_neutralised(tmp_path: Path, text: str) -> None:
    book = _render(tmp_path, False, injected_return(text))
    escaped = ("'" + text).replace("\r", "\n")  # XML reads a carriage return back as \n
    assert book["Cover"]["B3"].value == escaped
    assert book["Cover"]["B3"].data_type == "s"
    assert book["Figures"]["A3"].value == escaped
    assert book["Findings"]["C3"].value == escaped
    assert book["Findings"]["D3"].value == escaped
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", cell.coordinate
                if isinstance(cell.value, str):
                    assert not cell.value.lstrip(" \t\r\n").startswith(("=", "+", "-", "@", "＝"))
    assert book["Figures"]["F15"].value == -3  # numbers are not mangled


def test_equal_returns_give_identical_files(tmp_path: Path) -> None:
    first, second = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    render_xlsx(sample_return(), first)
    render_xlsx(sample_return(), second)
    assert first.read_bytes() == second.read_bytes()
    book = openpyxl.load_workbook(first)
    assert book.properties.modified == dt.datetime(2026, 9, 30)
    with zipfile.ZipFile(first) as archive:  # no time of saving anywhere
        assert {i.date_time for i in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
