"""export_return: refusal with errors, file names, every format, the rule file's template."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest

from peerreport.errors import UsageError
from peerreport.render import FORMATS, export_return
from peerreport.render.export import file_stem
from peerreport.rulebook import load
from tests.render.funder_template import SHEET, build_template
from tests.render.sample import clean_return, sample_return

RULE_FILE = """
id = "funder-q"
title = "Funder quarterly return"
version = "2026.1"
extends = ["example-peer-core"]

[export.xlsx]
template = "templates/funder-q.xlsx"

[export.xlsx.cells]
group_sessions = "'Quarterly Return'!D9"
"warm_line_calls[phone]" = "'Quarterly Return'!D10"
"attendances[-]" = "'Quarterly Return'!D12"

[export.xlsx.fields]
organisation_name = "provider_name"
period_label = "quarter"
"""


def test_refuses_a_return_with_errors(tmp_path: Path) -> None:
    with pytest.raises(UsageError) as caught:
        export_return(sample_return(), tmp_path / "out", FORMATS)
    message = str(caught.value)
    assert "1 error finding (NZPS-010)" in message
    assert "--draft" in message
    assert not (tmp_path / "out").exists()


def test_draft_exports_a_return_with_errors(tmp_path: Path) -> None:
    every = [f for f in FORMATS if f != "adx"]  # ADX has no draft (test_adx.py)
    paths = export_return(sample_return(), tmp_path, every, draft=True)
    stem = "nz-peer-support_FY2027-Q1_ORG-01_DRAFT"
    assert [p.name for p in paths] == [f"{stem}.{ext}" for ext in every]
    assert json.loads(paths[2].read_bytes())["draft"] is True
    assert "DRAFT" in paths[1].read_bytes().decode("utf-8-sig")
    assert "DRAFT" in paths[3].read_text("utf-8")
    book = openpyxl.load_workbook(paths[0])
    assert all(str(s["A1"].value).startswith("DRAFT") for s in book.worksheets)


def test_writes_each_format_asked_for(tmp_path: Path) -> None:
    paths = export_return(clean_return(), tmp_path / "new", ["json", "csv", "json"])
    assert [p.name for p in paths] == [
        "nz-peer-support_FY2027-Q1_ORG-01.json",
        "nz-peer-support_FY2027-Q1_ORG-01.csv",
    ]
    assert all(p.is_file() for p in paths)
    assert "draft" not in json.loads(paths[0].read_bytes())


def test_unknown_format(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="unknown export format pdf; choose from xlsx, csv"):
        export_return(clean_return(), tmp_path, ["pdf"])


def test_file_names_are_safe() -> None:
    ret = clean_return(organisation="Ōtautahi / Peer Hub: 1")
    assert file_stem(ret) == "nz-peer-support_FY2027-Q1_tautahi-Peer-Hub-1"


def _rule_file(tmp_path: Path) -> Path:
    (tmp_path / "templates").mkdir()
    build_template(tmp_path / "templates" / "funder-q.xlsx")
    path = tmp_path / "funder-q.toml"
    path.write_text(RULE_FILE, "utf-8")
    return path


def test_fills_the_rule_files_template(tmp_path: Path) -> None:
    rule_file = load(_rule_file(tmp_path))
    assert rule_file.model.export is not None
    (path,) = export_return(clean_return(), tmp_path / "out", ["xlsx"], rule_file=rule_file)
    sheet = openpyxl.load_workbook(path)[SHEET]
    assert (sheet["D9"].value, sheet["D10"].value, sheet["D12"].value) == (45, 93, 7)
    assert sheet["C3"].value == "Te Whare Tāwharau peer collective"
    assert sheet["C5"].value == "FY2027-Q1"
    assert sheet["D16"].value == "=SUM(D11:D13)"


def test_export_section_does_not_change_the_digest(tmp_path: Path) -> None:
    with_export = load(_rule_file(tmp_path))
    plain = tmp_path / "plain.toml"
    plain.write_text(RULE_FILE.split("[export.xlsx]")[0], "utf-8")
    assert load(plain).digest == with_export.digest


def test_without_a_template_writes_peerreports_workbook(tmp_path: Path) -> None:
    path = tmp_path / "plain.toml"
    path.write_text(RULE_FILE.split("[export.xlsx]")[0], "utf-8")
    (out,) = export_return(clean_return(), tmp_path, ["xlsx"], rule_file=load(path))
    assert openpyxl.load_workbook(out).sheetnames == ["Cover", "Figures", "Findings"]


def test_a_bad_mapping_names_the_rule_file_and_key(tmp_path: Path) -> None:
    path = _rule_file(tmp_path)
    path.write_text(RULE_FILE.replace('"attendances[-]"', '"attendances[martian]"'), "utf-8")
    with pytest.raises(UsageError) as caught:
        export_return(clean_return(), tmp_path / "out", ["xlsx"], rule_file=load(path))
    message = str(caught.value)
    assert message.startswith(f"{path}: the export mapping")
    assert "export.xlsx.cells.\"attendances[martian]\": measure 'attendances'" in message


def test_a_missing_template_names_the_key(tmp_path: Path) -> None:
    path = _rule_file(tmp_path)
    path.write_text(RULE_FILE.replace("funder-q.xlsx", "gone.xlsx"), "utf-8")
    with pytest.raises(UsageError, match=r"export\.xlsx\.template: the template .*gone\.xlsx"):
        export_return(clean_return(), tmp_path / "out", ["xlsx"], rule_file=load(path))


def test_an_unknown_export_key_is_a_rule_file_error(tmp_path: Path) -> None:
    from peerreport.rulebook import RuleFileInvalid

    path = _rule_file(tmp_path)
    path.write_text(RULE_FILE.replace("[export.xlsx.fields]", "[export.xlsx.feilds]"), "utf-8")
    with pytest.raises(RuleFileInvalid, match=r"export\.xlsx\.feilds"):
        load(path)
    path.write_text(RULE_FILE.replace("period_label =", "period_lable ="), "utf-8")
    with pytest.raises(RuleFileInvalid, match="period_lable"):
        load(path)
