"""The CSV: BOM, columns, one row per total and breakdown cell, numbers unquoted, injection."""

from __future__ import annotations

import csv
import io

import pytest

from peerreport.render import render_csv
from peerreport.render.csv_output import COLUMNS
from tests.render.sample import INJECTIONS, ORG_NAME, injected_return, sample_return

COMMON = ["ORG-01", ORG_NAME, "FY2027-Q1", "2026-10-20", "nz-peer-support", "2026.1"]
LABEL_A = "Attendances — Māori and Pacific whānau"
# The `cell_label` column: each cell in the words a person reads.
CELL_WORDS = {
    "": "",
    "in_person": "In person",
    "phone": "Phone",
    "video": "Video",
    "(not recorded)": "Not recorded",
    "maori": "Māori",
    "pacific": "Pacific Peoples",
    "european": "European",
    "in_person,group": "In person · Peer support group session",
    "phone,group": "Phone · Peer support group session",
}
# line, measure, label, unit, breakdown, cell, value, status, shown (as written in the file)
EXPECTED = [
    [
        "PS-02",
        "group_sessions",
        "Peer support group sessions delivered",
        "sessions",
        "",
        "",
        "45",
        "exact",
        "45",
    ],
    [
        "PS-05",
        "warm_line_calls",
        "Warm-line calls answered",
        "calls",
        "",
        "",
        "96",
        "rounded",
        "96",
    ],
    [
        "PS-05",
        "warm_line_calls",
        "Warm-line calls answered",
        "calls",
        "mode",
        "in_person",
        "0",
        "exact",
        "0",
    ],
    [
        "PS-05",
        "warm_line_calls",
        "Warm-line calls answered",
        "calls",
        "mode",
        "phone",
        "93",
        "rounded",
        "93",
    ],
    [
        "PS-05",
        "warm_line_calls",
        "Warm-line calls answered",
        "calls",
        "mode",
        "video",
        "",
        "suppressed",
        "S",
    ],
    [
        "PS-05",
        "warm_line_calls",
        "Warm-line calls answered",
        "calls",
        "mode",
        "(not recorded)",
        "3",
        "rounded",
        "3",
    ],
    ["PS-03", "attendances", LABEL_A, "attendances", "", "", "110", "exact", "110"],
    ["PS-03", "attendances", LABEL_A, "attendances", "ethnicity", "maori", "40", "exact", "40"],
    ["PS-03", "attendances", LABEL_A, "attendances", "ethnicity", "pacific", "", "suppressed", "S"],
    [
        "PS-03",
        "attendances",
        LABEL_A,
        "attendances",
        "ethnicity",
        "european",
        "",
        "suppressed",
        "S",
    ],
    [
        "PS-03",
        "attendances",
        LABEL_A,
        "attendances",
        "ethnicity",
        "(not recorded)",
        "7",
        "exact",
        "7",
    ],
    ["PS-07", "average_group_size", "Average group size", "people", "", "", "6.4", "exact", "6.4"],
    ["", "membership_change", "Change in members", "members", "", "", "-3", "exact", "-3"],
    ["", "calls_per_volunteer", "Calls per volunteer", "", "", "", "", "exact", ""],
    ["", "first_activity", "First activity", "", "", "", "2026-07-02", "exact", "2026-07-02"],
    [
        "",
        "sessions_by_mode_kind",
        "Sessions by mode and kind",
        "sessions",
        "",
        "",
        "45",
        "exact",
        "45",
    ],
    [
        "",
        "sessions_by_mode_kind",
        "Sessions by mode and kind",
        "sessions",
        "mode,kind",
        "in_person,group",
        "33",
        "exact",
        "33",
    ],
    [
        "",
        "sessions_by_mode_kind",
        "Sessions by mode and kind",
        "sessions",
        "mode,kind",
        "phone,group",
        "12",
        "exact",
        "12",
    ],
]


def _rows(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf"), "UTF-8 with BOM, so Excel shows macrons"
    return list(csv.reader(io.StringIO(data[3:].decode("utf-8"), newline="")))


@pytest.mark.parametrize("draft", [False, True])
def test_every_row_and_column(draft: bool) -> None:
    rows = _rows(render_csv(sample_return(), draft=draft))
    assert rows[0] == list(COLUMNS)
    marker = "DRAFT" if draft else ""
    # A review copy: no version, nothing amended; each cell also in words.
    assert rows[1:] == [
        [*COMMON, *row[:6], CELL_WORDS[row[5]], *row[6:], "", "", "", marker] for row in EXPECTED
    ]


def test_due_column_is_the_iso_date_or_empty() -> None:
    rows = _rows(render_csv(sample_return()))
    column = rows[0].index("due")
    assert rows[0][column - 1] == "period"
    assert {row[column] for row in rows[1:]} == {"2026-10-20"}
    rows = _rows(render_csv(sample_return(due=None)))
    assert {row[column] for row in rows[1:]} == {""}


def test_numbers_are_unquoted_and_lines_end_in_crlf() -> None:
    text = render_csv(sample_return()).decode("utf-8-sig")
    lines = text.split("\r\n")
    assert lines[-1] == ""
    assert lines[1].endswith(
        ",PS-02,group_sessions,Peer support group sessions delivered,sessions,,,,45,exact,45,,,,"
    )
    assert ",-3,exact,-3," in text  # a negative number is not escaped
    assert ",6.4,exact,6.4," in text
    assert '"mode,kind","in_person,group",In person · Peer support group session,33,exact,33,' in (
        text
    )


def test_numbers_parse_as_numbers() -> None:
    rows = _rows(render_csv(sample_return()))
    header = rows[0]
    for row in rows[1:]:
        record = dict(zip(header, row, strict=True))
        if record["status"] == "suppressed":
            assert record["value"] == "" and record["shown"] == "S"
        elif record["value"] and record["measure"] != "first_activity":
            assert float(record["value"]) == float(record["shown"])


@pytest.mark.parametrize("text", INJECTIONS)
def test_formula_injection_is_escaped(text: str) -> None:
    rows = _rows(render_csv(injected_return(text)))
    header = rows[0]
    first = dict(zip(header, rows[1], strict=True))
    for column in ("organisation_name", "line", "label", "unit"):
        assert first[column] == "'" + text, column
    for row in rows[1:]:
        for value in row:
            assert not value.lstrip(" \t\r\n").startswith(("=", "+", "@", "＝")), value
            if value.startswith("-"):
                assert float(value) < 0  # only negative numbers may start with '-'
