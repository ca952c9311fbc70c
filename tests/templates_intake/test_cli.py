"""`peerreport template intake` as a coordinator meets it: exit codes and plain messages."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from openpyxl import load_workbook

from peerreport.cli.template_cmd import template


def test_intake_writes_the_workbook(tmp_path: Path) -> None:
    out = tmp_path / "intake.xlsx"
    result = CliRunner().invoke(template, ["intake", "--out", str(out), "--rows", "50"])
    assert result.exit_code == 0, result.output
    assert out.is_file()
    assert f"wrote {out}" in result.output
    assert "peerreport import" in result.output
    assert load_workbook(out, read_only=True).sheetnames[1] == "Activities"


def test_intake_for_a_rule_file_is_titled_for_its_return(tmp_path: Path) -> None:
    out = tmp_path / "ps.xlsx"
    result = CliRunner().invoke(
        template, ["intake", "example-peer-support", "--out", str(out), "--rows", "10"]
    )
    assert result.exit_code == 0, result.output
    assert "Example peer support service for adults" in result.output
    title = load_workbook(out)["How to fill this in"]["A1"].value
    assert str(title).startswith("Activity log for: Example peer support service for adults")


def test_an_unknown_rule_file_is_a_plain_usage_error(tmp_path: Path) -> None:
    out = tmp_path / "intake.xlsx"
    result = CliRunner().invoke(template, ["intake", "no-such-return", "--out", str(out)])
    assert result.exit_code == 2
    assert "no rule file 'no-such-return'" in result.output
    assert "RULES" in result.output
    assert "Traceback" not in result.output
    assert not out.exists()


def test_a_broken_rule_file_is_a_plain_usage_error(tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text('id = "broken"\ntitle = "Broken"\n[[measure]]\nid = "x"\n', "utf-8")
    result = CliRunner().invoke(
        template, ["intake", str(broken), "--out", str(tmp_path / "i.xlsx")]
    )
    assert result.exit_code == 2
    assert "broken.toml" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_an_existing_file_is_not_replaced_without_force(tmp_path: Path) -> None:
    out = tmp_path / "intake.xlsx"
    out.write_bytes(b"someone's records")
    result = CliRunner().invoke(template, ["intake", "--out", str(out)])
    assert result.exit_code == 2
    assert "already exists" in result.output and "--force" in result.output
    assert out.read_bytes() == b"someone's records"
    forced = CliRunner().invoke(template, ["intake", "--out", str(out), "--rows", "5", "--force"])
    assert forced.exit_code == 0, forced.output
    assert out.read_bytes().startswith(b"PK")  # now an .xlsx (a zip)


def test_the_workbook_must_be_an_xlsx(tmp_path: Path) -> None:
    result = CliRunner().invoke(template, ["intake", "--out", str(tmp_path / "intake.csv")])
    assert result.exit_code == 2
    assert ".xlsx" in result.output


def test_help_has_an_example() -> None:
    result = CliRunner().invoke(template, ["intake", "--help"])
    assert result.exit_code == 0
    assert "peerreport template intake --out intake.xlsx" in result.output
