"""Hostile files are refused with one plain finding, in bounded time, and nothing is stored.

Each file is built here, small: the limits are lowered through
`ImportSettings.limits` so a few hundred KB show what a few GB would.
`benchmarks/hostile_files.py` runs the full-size files with the default limits.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from peerreport.intake.limits import InputLimits
from tests.helpers import make_workspace, messages, run_import, stored_activities
from tests.intake import hostile

ORG = "TEST01"


def _refused(engine: Engine, db_url: str, tmp_path: Path, path: Path, **settings: Any) -> str:
    """Import one file; assert nothing is stored and one finding; its code and message."""
    ws = make_workspace(tmp_path / "ws", db_url)
    report = run_import(engine, ws, path, **settings)
    assert not report.stored
    assert stored_activities(engine, ws.provider_code) == {}
    assert report.problem_count == 1, messages(report)
    problem = report.files[0].problems[0]
    return f"{problem.code} {problem}"


def test_a_zip_bomb_of_empty_rows_is_refused_before_reading(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    path = hostile.empty_rows_workbook(tmp_path / "bomb.xlsx", 200_000, numbered=False)
    limits = InputLimits(ratio_floor_bytes=100_000)
    found = _refused(engine, db_url, tmp_path, path, limits=limits)
    assert found.startswith("IMP-051 bomb.xlsx: the workbook part xl/worksheets/sheet1.xml ")
    assert "times its packed size (the limit is 100)" in found


def test_a_workbook_part_too_large_unpacked_is_refused(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    path = hostile.empty_rows_workbook(tmp_path / "big.xlsx", 100_000)
    limits = InputLimits(max_part_bytes=500_000, max_ratio=1_000_000)
    found = _refused(engine, db_url, tmp_path, path, limits=limits)
    assert found.startswith("IMP-050 big.xlsx: the workbook part xl/worksheets/sheet1.xml ")
    assert found.endswith("unpacks to 1.6 MB; the limit is 0.5 MB: nothing is read")


def test_shared_strings_past_their_limit_are_refused(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    path = hostile.shared_strings_workbook(tmp_path / "strings.xlsx", 50_000)
    limits = InputLimits(max_shared_strings_bytes=100_000)
    found = _refused(engine, db_url, tmp_path, path, limits=limits)
    assert found.startswith("IMP-050 strings.xlsx: the workbook part xl/sharedStrings.xml ")
    assert found.endswith("the limit is 0.1 MB: nothing is read")


def test_too_many_rows_of_a_workbook_stop_the_import(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    path = hostile.empty_rows_workbook(tmp_path / "tall.xlsx", 5_000)
    limits = InputLimits(max_rows=1_000, max_ratio=1_000_000)
    found = _refused(engine, db_url, tmp_path, path, limits=limits)
    assert found == (
        'IMP-052 tall.xlsx, sheet "Activities": more than 1,000 rows (empty ones included); '
        "the limit is 1,000: nothing is stored"
    )


def test_a_sheet_claiming_every_column_is_not_padded_to_it(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    # A dimension of A1:XFD... would make openpyxl pad each of the rows to 16,384 cells.
    path = hostile.empty_rows_workbook(tmp_path / "wide.xlsx", 20_000, dimension="A1:XFD20001")
    ws = make_workspace(tmp_path / "ws", db_url)
    report = run_import(engine, ws, path, limits=InputLimits(max_ratio=1_000_000))
    assert report.stored and report.counts.added == 0  # headings and empty rows only


def test_a_csv_of_100000_columns_is_refused_at_its_heading_row(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    path = hostile.wide_csv(tmp_path / "activities.csv", 100_000)
    found = _refused(engine, db_url, tmp_path, path)  # the default limits
    assert found == (
        "IMP-053 activities.csv, row 1: row 1 has 100,000 columns; the limit is 500: "
        "nothing is stored"
    )


def test_too_many_csv_rows_stop_the_import(engine: Engine, db_url: str, tmp_path: Path) -> None:
    path = hostile.tall_csv(tmp_path / "activities.csv", 3_000)
    found = _refused(engine, db_url, tmp_path, path, limits=InputLimits(max_rows=2_000))
    assert found.startswith("IMP-052 activities.csv: more than 2,000 rows")


def test_a_cell_past_the_limit_is_refused(engine: Engine, db_url: str, tmp_path: Path) -> None:
    path = tmp_path / "activities.csv"
    row = [*hostile.ACTIVITY[:-1], "x" * 200]
    path.write_text(",".join(hostile.HEADINGS) + "\n" + ",".join(row) + "\n", encoding="utf-8")
    found = _refused(engine, db_url, tmp_path, path, limits=InputLimits(max_cell_chars=100))
    assert found == (
        'IMP-054 activities.csv, row 2, column "6": row 2, column 6: the cell has 200 '
        "characters; the limit is 100 (Excel's own): nothing is stored"
    )


def test_a_row_longer_than_the_limit_with_no_cell_past_it_is_read(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    # The limit is on each cell; a row's whole text past it (tested first, as the cheaper
    # test) is no reason to refuse.
    path = tmp_path / "activities.csv"
    row = [*hostile.ACTIVITY[:-1], "x" * 90]
    assert len("".join(row)) > 100
    path.write_text(",".join(hostile.HEADINGS) + "\n" + ",".join(row) + "\n", encoding="utf-8")
    ws = make_workspace(tmp_path / "ws", db_url)
    report = run_import(engine, ws, path, limits=InputLimits(max_cell_chars=100))
    assert report.stored, messages(report)
    assert report.counts.added == 1


def test_a_line_without_end_is_read_no_further_than_the_limit(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    path = hostile.long_line_csv(tmp_path / "activities.csv", 3_000_000)
    limits = InputLimits(max_line_bytes=1024 * 1024)
    found = _refused(engine, db_url, tmp_path, path, limits=limits)
    assert found.startswith("IMP-054 activities.csv, row 2: line 2 is longer than 1 MB")


def test_a_limit_refuses_the_whole_import_even_when_skipping_invalid_rows(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "activities.csv"
    rows = [",".join([f"A{n}", *hostile.ACTIVITY[1:]]) for n in range(1, 40)]
    path.write_text(",".join(hostile.HEADINGS) + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    found = _refused(
        engine, db_url, tmp_path, path, skip_invalid=True, limits=InputLimits(max_rows=20)
    )
    assert found.startswith("IMP-052")
    assert not list(tmp_path.glob("*rejects*"))


def test_a_nul_byte_in_a_cell_is_one_finding_with_the_value_masked(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    path = hostile.nul_csv(tmp_path / "activities.csv")
    found = _refused(engine, db_url, tmp_path, path)
    assert found == (
        'IMP-055 activities.csv, row 2, column "notes": the cell holds a NUL character '
        "(byte 0), which cannot be stored; its value is not shown"
    )
    assert "the hall" not in found


def test_a_nul_byte_in_a_json_lines_string_is_one_finding(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "activities.jsonl"
    path.write_text(
        '{"activity_id": "A1", "date": "2026-08-14", "kind": "group", "attendance": 5, '
        '"programme": "Peer groups", "notes": "a\\u0000b"}\n',
        encoding="utf-8",
    )
    assert _refused(engine, db_url, tmp_path, path).startswith("IMP-055 activities.jsonl, row 1")


def test_deep_json_nesting_is_a_finding_for_its_line(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    path = hostile.deep_jsonl(tmp_path / "activities.jsonl", 100_000)
    found = _refused(engine, db_url, tmp_path, path)
    assert found == (
        "IMP-057 activities.jsonl, row 2: the line nests lists or objects too deeply to read; "
        "each record is one flat object"
    )


def test_a_5000_digit_number_is_a_finding_for_its_line(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    path = hostile.big_number_jsonl(tmp_path / "activities.jsonl", 5_000)
    found = _refused(engine, db_url, tmp_path, path)
    assert found == (
        "IMP-058 activities.jsonl, row 2: the line holds a number with more than 4,300 digits"
    )


def test_json_lines_with_too_many_keys_are_refused(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "activities.jsonl"
    path.write_text("{" + ", ".join(f'"k{i}": 1' for i in range(600)) + "}\n", encoding="utf-8")
    assert _refused(engine, db_url, tmp_path, path).startswith("IMP-053 activities.jsonl")


def test_a_utf16_csv_is_named_as_utf16_with_how_to_save_it(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    path = hostile.utf16_csv(tmp_path / "activities.csv")
    found = _refused(engine, db_url, tmp_path, path)
    assert found.startswith("IMP-056 activities.csv: the file is saved as UTF-16 text")
    assert "CSV UTF-8 (Comma delimited)" in found


def test_utf16_without_a_byte_order_mark_is_named_too(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "activities.csv"
    path.write_bytes((",".join(hostile.HEADINGS) + "\n").encode("utf-16-le"))
    assert _refused(engine, db_url, tmp_path, path).startswith("IMP-056")


def test_an_ordinary_workbook_passes_the_zip_checks(tmp_path: Path) -> None:
    from openpyxl import Workbook

    from peerreport.intake.limits import check_workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for n in range(2_000):
        sheet.append(["A", 1, "group", n])
    book.save(tmp_path / "ok.xlsx")
    check_workbook(tmp_path / "ok.xlsx", InputLimits())  # raises nothing
    with zipfile.ZipFile(tmp_path / "ok.xlsx") as archive:
        assert archive.testzip() is None
