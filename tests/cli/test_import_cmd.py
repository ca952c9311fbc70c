"""`peerreport import` on a coordinator's own workbook: notes, refusals, --drop-forbidden."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from click.testing import CliRunner
from openpyxl import Workbook

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
