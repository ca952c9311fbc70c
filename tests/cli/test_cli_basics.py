"""The command line as a coordinator meets it: init, import, summary, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from peerreport.cli.main import cli
from tests.helpers import ACTIVITY_HEADER, write_csv


def test_help_is_instant_and_imports_nothing_heavy() -> None:
    code = (
        "import sys, time; t=time.perf_counter();"
        "from peerreport.cli.main import cli;"
        "heavy=[m for m in ('openpyxl','sqlalchemy','jinja2','psycopg','alembic','lark','pydantic')"
        " if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    started = time.perf_counter()
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    assert "import" in result.output and "records" in result.output
    assert time.perf_counter() - started < 5  # generous; the import check above is the real test


def _init(runner: CliRunner, folder: Path, db_url: str) -> None:
    result = runner.invoke(
        cli,
        [
            "init",
            str(folder),
            "--name",
            "Kōwhai Test Network",
            "--provider-code",
            "KTN01",
            "--db",
            db_url,
        ],
    )
    assert result.exit_code == 0, result.output
    assert "Created workspace" in result.output


def test_init_import_summary(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    runner = CliRunner()
    folder = tmp_path / "ws"
    _init(runner, folder, db_url)
    assert (folder / "peerreport.toml").is_file()
    assert (folder / "peerreport.secret").stat().st_mode & 0o077 == 0
    monkeypatch.chdir(folder)
    log = write_csv(
        folder / "activities.csv",
        [
            ACTIVITY_HEADER,
            ["A1", "14/08/2026", "group", "9", "", ""],
            ["A2", "02/09/2026", "warm line", "1", "", ""],
            ["A3", "03/09/2026", "warm line", "1", "", ""],
        ],
    )
    result = runner.invoke(cli, ["import", str(log)])
    assert result.exit_code == 0, result.output
    assert "activities.csv: 3 added, 0 updated, 0 unchanged, 0 rejected" in result.output
    again = runner.invoke(cli, ["import", str(log)])
    assert "0 added, 0 updated, 3 unchanged, 0 rejected" in again.output
    summary = runner.invoke(cli, ["records", "summary", "--json"])
    assert summary.exit_code == 0, summary.output
    data = json.loads(summary.output)
    assert data["totals"]["activities"] == 3
    assert {(m["month"], m["kind"], m["activities"]) for m in data["by_month"]} == {
        ("2026-08", "group", 1),
        ("2026-09", "warm_line_call", 2),
    }
    table = runner.invoke(cli, ["records", "summary"])
    assert "2026-09" in table.output and "warm_line_call" in table.output


def test_bad_rows_exit_1_and_name_the_cell(db_url: str, tmp_path: Path) -> None:
    runner = CliRunner()
    folder = tmp_path / "ws"
    _init(runner, folder, db_url)
    log = write_csv(
        tmp_path / "activities.csv", [ACTIVITY_HEADER, ["A1", "31/02/2026", "group", "9", "", ""]]
    )
    result = runner.invoke(cli, ["import", str(log), "--workspace", str(folder)])
    assert result.exit_code == 1
    assert 'activities.csv, row 2, column "date": "31/02/2026" is not a date' in result.output
    assert "Nothing was stored" in result.output
    assert "Traceback" not in result.output


def test_user_mistakes_exit_2_without_traceback(db_url: str, tmp_path: Path) -> None:
    runner = CliRunner()
    folder = tmp_path / "ws"
    _init(runner, folder, db_url)
    missing = runner.invoke(cli, ["import", str(tmp_path / "nope.csv"), "-w", str(folder)])
    assert missing.exit_code == 2
    assert "no such file" in missing.output
    # A folder is named as one, with what to type instead (the shell expands the pattern).
    folder_given = runner.invoke(cli, ["import", str(tmp_path), "-w", str(folder)])
    assert folder_given.exit_code == 2
    assert f"{tmp_path}: a folder, not a file; name the files in it" in folder_given.output
    assert str(tmp_path / "*.csv") in folder_given.output
    wrong = tmp_path / "log.pdf"
    wrong.write_bytes(b"%PDF")
    refused = runner.invoke(cli, ["import", str(wrong), "-w", str(folder)])
    assert refused.exit_code == 2 and ".csv, .xlsx and .jsonl" in refused.output
    nowhere = runner.invoke(cli, ["records", "summary", "-w", str(tmp_path / "empty")])
    assert nowhere.exit_code == 2 and "peerreport init" in nowhere.output
    again = runner.invoke(cli, ["init", str(folder), "--name", "X", "--provider-code", "X1"])
    assert again.exit_code == 2 and "already" in again.output
    for result in (missing, refused, nowhere, again):
        assert result.exception is None or isinstance(result.exception, SystemExit)


def test_console_script_runs(tmp_path: Path) -> None:
    """The installed `peerreport` entry point works (not just the click object)."""
    env = {**os.environ, "NO_COLOR": "1"}
    out = subprocess.run(
        [sys.executable, "-m", "peerreport", "--version"], capture_output=True, text=True, env=env
    )
    assert out.returncode == 0 and "peerreport" in out.stdout
