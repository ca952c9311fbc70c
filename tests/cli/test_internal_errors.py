"""An unexpected exception is not a finding: exit code 3, one sentence, a private log."""

from __future__ import annotations

import re
import stat
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import text

from peerreport.cli.crash import EXIT_INTERNAL
from peerreport.cli.main import cli

SECRET_VALUE = "Aroha Te Whare 021 555 0199"


def _workspace(runner: CliRunner, folder: Path, db_url: str) -> None:
    result = runner.invoke(
        cli, ["init", str(folder), "--name", "Test Org", "--provider-code", "TST1", "--db", db_url]
    )
    assert result.exit_code == 0, result.output


def _log_of(result: Result) -> Path:
    match = re.search(r"Details are in (\S+\.log);", result.stderr)
    assert match, result.stderr
    return Path(match.group(1))


def _assert_plain(result: Result) -> None:
    """One sentence on the terminal: no traceback, no SQL, no values."""
    assert result.exit_code == EXIT_INTERNAL == 3, result.output
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("peerreport hit an internal error and stopped.")
    for leak in ("Traceback", "SELECT", "[SQL", SECRET_VALUE, "no_such_table"):
        assert leak not in result.output


def test_an_unexpected_exception_exits_3_with_a_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = CliRunner()
    _workspace(runner, tmp_path / "ws", f"sqlite:///{tmp_path / 'ws.db'}")
    monkeypatch.chdir(tmp_path / "ws")

    def explode(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError(f"cell value {SECRET_VALUE}")

    monkeypatch.setattr("peerreport.store.summary.records_summary", explode)
    result = runner.invoke(cli, ["records", "summary"])
    _assert_plain(result)
    log = _log_of(result)
    assert log.parent == (tmp_path / "ws" / "logs").resolve()
    assert stat.S_IMODE(log.stat().st_mode) == 0o600
    details = log.read_text("utf-8")
    assert "Traceback (most recent call last)" in details
    assert "RuntimeError: cell value " + SECRET_VALUE in details
    assert "explode" in details


def test_outside_a_workspace_the_log_goes_to_the_user_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("PEERREPORT_WORKSPACE", raising=False)

    def explode(*_args: Any, **_kwargs: Any) -> Any:
        raise KeyError("boom")

    monkeypatch.setattr("peerreport.samples.writer.write_samples", explode)
    result = CliRunner().invoke(cli, ["samples", "generate", "--out", str(tmp_path / "x.csv")])
    assert result.exit_code == EXIT_INTERNAL, result.output
    log = _log_of(result)
    assert log.parent == tmp_path / "cache" / "peerreport" / "logs"
    assert "KeyError: 'boom'" in log.read_text("utf-8")


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def test_a_database_error_prints_no_sql_and_no_values(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = CliRunner()
    _workspace(runner, tmp_path / "ws", db_url)
    monkeypatch.chdir(tmp_path / "ws")

    def bad_query(conn: Any, *_args: Any, **_kwargs: Any) -> Any:
        conn.execute(
            text("SELECT name FROM no_such_table WHERE name = :name"), {"name": SECRET_VALUE}
        )

    monkeypatch.setattr("peerreport.store.summary.records_summary", bad_query)
    result = runner.invoke(cli, ["records", "summary"])
    _assert_plain(result)
    details = _log_of(result).read_text("utf-8")
    assert "no_such_table" in details  # the log has what a developer needs


def test_a_file_that_cannot_be_written_is_a_plain_input_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*_args: Any, **_kwargs: Any) -> Any:
        raise PermissionError(13, "Permission denied", str(tmp_path / "out.csv"))

    monkeypatch.setattr("peerreport.samples.writer.write_samples", refuse)
    result = CliRunner().invoke(cli, ["samples", "generate", "--out", str(tmp_path / "out.csv")])
    assert result.exit_code == 2, result.output
    assert "out.csv: Permission denied" in result.stderr
    assert "Traceback" not in result.output


def test_help_documents_the_exit_codes() -> None:
    result = CliRunner().invoke(cli, ["--help"])
    assert "3  internal error" in result.output
