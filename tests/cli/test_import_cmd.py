"""`peerreport import` on a coordinator's own workbook: notes, refusals, --drop-forbidden."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from click.testing import CliRunner
from openpyxl import Workbook, load_workbook

from peerreport.cli.main import cli


def _init(runner: CliRunner, folder: Path, db_url: str) -> None:
    result = runner.invoke(
        cli,
        ["init", str(folder), "--name", "Harbour", "--provider-code", "HPC001", "--db", db_url],
    )
    assert result.exit_code == 0, result.output


def _own_workbook(path: Path) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Activities"
    sheet.append(["Date", "Kind of activity", "Attendance", "Client name", "Room", "Notes"])
    sheet.append([dt.date(2026, 8, 14), "Warm-line call", 1, "Aroha Walker", "B", None])
    sheet.append([dt.date(2026, 8, 14), "Peer support group session", 9, "Tama", "A", None])
    sheet.append(["08/15/2026", "Drop-in", 12, None, "A", None])
    sheet.cell(row=250, column=6, value="stock take done")
    book.save(path)
    return path


def test_a_forbidden_column_refuses_and_points_at_drop_forbidden(
    db_url: str, tmp_path: Path
) -> None:
    runner = CliRunner()
    _init(runner, tmp_path / "ws", db_url)
    path = _own_workbook(tmp_path / "own-log.xlsx")
    result = runner.invoke(cli, ["import", str(path), "-w", str(tmp_path / "ws")])
    assert result.exit_code == 1
    assert (
        'own-log.xlsx, sheet "Activities", column "Client name": "Client name" looks like a name'
        in result.output
    )
    assert "or import with --drop-forbidden to discard such columns unread" in result.output
    assert "Nothing was stored: 1 problem to fix. Correct it and import again" in result.output
    assert "Aroha" not in result.output and "Traceback" not in result.output


def test_drop_forbidden_with_skip_invalid_on_a_coordinators_own_workbook(
    db_url: str, tmp_path: Path
) -> None:
    runner = CliRunner()
    _init(runner, tmp_path / "ws", db_url)
    path = _own_workbook(tmp_path / "own-log.xlsx")
    args = ["import", str(path), "-w", str(tmp_path / "ws"), "--drop-forbidden", "--skip-invalid"]
    result = runner.invoke(cli, args)
    assert result.exit_code == 1  # two rows were rejected
    out = result.output
    where = 'own-log.xlsx, sheet "Activities"'
    assert f"note: {where}: rows 5 to 249 are empty: skipped" in out
    assert f'note: {where}: "Client name" (column D) looks like identifying or clinical' in out
    assert f'note: {where}: peerreport does not know the column "Room" (column E)' in out
    assert f"note: {where}: there is no Activity ID column, so each row's id is made" in out
    assert f'{where}, cell A4 (column "Date"): "08/15/2026" is not a date: did you mean ' in out
    assert f'{where}, cell F250 (column "Notes"): is the only filled cell in row 250' in out
    assert "own-log.xlsx: 2 added, 0 updated, 0 unchanged, 2 rejected" in out
    assert "rejected rows and why: " in out and "own-log.xlsx.rejects.csv" in out
    assert out.count("note: ") == 4  # one line per kind of thing, not one per row
    assert "Aroha" not in out and "Tama" not in out
    assert "Aroha" not in (tmp_path / "own-log.xlsx.rejects.csv").read_text("utf-8-sig")


def test_mark_up_writes_each_file_with_problems_to_the_folder(db_url: str, tmp_path: Path) -> None:
    runner = CliRunner()
    _init(runner, tmp_path / "ws", db_url)
    path = _own_workbook(tmp_path / "own-log.xlsx")
    csv_file = tmp_path / "activities.csv"
    csv_file.write_text("activity_id,date,kind,attendance\nC1,31/02/2026,group,3\n", "utf-8")
    folder = tmp_path / "to-fix" / "q3"  # made, parents too
    args = ["import", str(path), str(csv_file), "-w", str(tmp_path / "ws"), "--drop-forbidden"]
    result = runner.invoke(cli, [*args, "--mark-up", str(folder)])
    assert result.exit_code == 1
    assert sorted(p.name for p in folder.iterdir()) == [
        "activities.problems.xlsx",
        "own-log.problems.xlsx",
    ]
    assert f"own-log.xlsx: marked up in {folder / 'own-log.problems.xlsx'}" in result.output
    assert f"activities.csv: marked up in {folder / 'activities.problems.xlsx'}" in result.output
    assert (
        "Open each in Excel: each problem cell is highlighted with a comment, and the Problems "
        "sheet lists them; fix them and import the files again." in result.output
    )
    book = load_workbook(folder / "own-log.problems.xlsx")
    assert book.sheetnames == ["Activities", "Problems"]
    assert book["Activities"]["A4"].comment.text.startswith('"08/15/2026" is not a date')
    assert "Aroha" not in str(list(book["Problems"].values))

    # The corrected copy imports as it is.
    book["Activities"]["A4"] = dt.date(2026, 8, 15)
    book["Activities"]["F250"] = None
    book.save(folder / "own-log.problems.xlsx")
    again = [str(folder / "own-log.problems.xlsx"), "-w", str(tmp_path / "ws"), "--drop-forbidden"]
    result = runner.invoke(cli, ["import", *again])
    assert result.exit_code == 0, result.output
    assert 'own-log.problems.xlsx, sheet "Problems": not read' in result.output


def test_mark_up_says_why_a_refused_file_is_not_marked_up(db_url: str, tmp_path: Path) -> None:
    runner = CliRunner()
    _init(runner, tmp_path / "ws", db_url)
    utf16 = tmp_path / "activities.csv"
    utf16.write_bytes("activity_id,date\r\nA1,14/08/2026\r\n".encode("utf-16"))
    folder = tmp_path / "to-fix"
    args = ["import", str(utf16), "-w", str(tmp_path / "ws"), "--mark-up", str(folder), "--json"]
    result = runner.invoke(cli, args)
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    marked = json.loads(result.stdout)["marked_up"]
    assert marked == [
        {
            "file": str(utf16),
            "marked_up": None,
            "problem": marked[0]["problem"],
        }
    ]
    assert "There is nothing to mark up: the file is refused as a whole" in marked[0]["problem"]
    assert list(folder.iterdir()) == []
    result = runner.invoke(cli, args[:-1])
    assert "not marked up: activities.csv: the file is saved as UTF-16 text" in result.output


def test_mark_up_writes_nothing_when_there_are_no_problems(db_url: str, tmp_path: Path) -> None:
    runner = CliRunner()
    _init(runner, tmp_path / "ws", db_url)
    path = tmp_path / "activities.csv"
    path.write_text("activity_id,date,kind,attendance\nC1,14/08/2026,group,3\n", "utf-8")
    folder = tmp_path / "to-fix"
    result = runner.invoke(
        cli, ["import", str(path), "-w", str(tmp_path / "ws"), "--mark-up", str(folder)]
    )
    assert result.exit_code == 0, result.output
    assert not folder.exists() and "marked up" not in result.output
