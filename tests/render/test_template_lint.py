"""`rules lint` checks a rule file's `[export.xlsx]` mapping against the funder's workbook."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from peerreport.cli.main import cli
from peerreport.findings import Severity
from peerreport.render.template_lint import lint_template, rule_shapes
from peerreport.rulebook import load
from tests.render.funder_template import SHEET, build_template

HEAD = """
id = "funder-q"
title = "Funder quarterly return"
version = "2026.1"
extends = ["example-peer-core"]

[[measure]]
id = "calls"
label = "Warm-line calls"
count = "activity"
where = "kind = 'warm_line_call'"
by = ["mode"]

[export.xlsx]
template = "templates/funder-q.xlsx"
"""


def _rule_file(tmp_path: Path, mapping: str, template: bool = True) -> Path:
    (tmp_path / "templates").mkdir(exist_ok=True)
    if template:
        build_template(tmp_path / "templates" / "funder-q.xlsx")
    path = tmp_path / "funder-q.toml"
    path.write_text(HEAD + mapping, "utf-8")
    return path


def _lint(tmp_path: Path, mapping: str, template: bool = True) -> list[tuple[str, str, str]]:
    found = lint_template(load(_rule_file(tmp_path, mapping, template)))
    return [(f.code, f.location.key or "", f.message) for f in found]


GOOD = f"""
[export.xlsx.cells]
group_sessions = "'{SHEET}'!D9"
"calls[phone]" = "'{SHEET}'!D10"
"calls[-]" = "'{SHEET}'!D11"
"group_attendances[video]" = "'{SHEET}'!D12"
[export.xlsx.fields]
organisation_name = "provider_name"
period_label = "quarter"
[export.xlsx.text]
"'{SHEET}'!E9" = "Groups run by the collective"
"""


def test_a_good_mapping_has_no_findings(tmp_path: Path) -> None:
    assert _lint(tmp_path, GOOD) == []


@pytest.mark.parametrize(
    ("mapping", "code", "key", "message"),
    [
        (
            '[export.xlsx.cells]\ngroup_sesions = "quarter"',
            "RUL-064",
            'export.xlsx.cells."group_sesions"',
            "the return has no measure 'group_sesions' (its measures: sessions, "
            "group_sessions, group_attendances,",
        ),
        (
            '[export.xlsx.cells]\ngroup_sesions = "quarter"',
            "RUL-064",
            'export.xlsx.cells."group_sesions"',
            "Did you mean 'group_sessions'?",
        ),
        (
            '[export.xlsx.cells]\n"calls[fone]" = "quarter"',
            "RUL-064",
            'export.xlsx.cells."calls[fone]"',
            "measure 'calls' (by mode) has no cell [fone]; its cells are [in_person], [phone], "
            "[video], [text_online], [-]. Did you mean 'phone'?",
        ),
        (
            '[export.xlsx.cells]\n"group_sessions[phone]" = "quarter"',
            "RUL-064",
            'export.xlsx.cells."group_sessions[phone]"',
            "measure 'group_sessions' has no breakdown, so it has no cell [phone]",
        ),
        (
            '[export.xlsx.cells]\n"calls[phone,video]" = "quarter"',
            "RUL-064",
            'export.xlsx.cells."calls[phone,video]"',
            "measure 'calls' is broken down by mode: write one code for each, [mode]",
        ),
        (
            "[export.xlsx.cells]\ncalls = \"'Quartely Return'!D9\"",
            "RUL-061",
            'export.xlsx.cells."calls"',
            "the template has no sheet 'Quartely Return' (its sheets: 'Quarterly Return', "
            "'Guidance'). Did you mean 'Quarterly Return'?",
        ),
        (
            '[export.xlsx.fields]\nprovider_code = "provider_numbr"',
            "RUL-061",
            "export.xlsx.fields.provider_code",
            "the template has no named range 'provider_numbr' (its named ranges: due_day, "
            "provider_name, provider_number, quarter). Did you mean 'provider_number'?",
        ),
        (
            '[export.xlsx.cells]\ncalls = "D9"',
            "RUL-061",
            'export.xlsx.cells."calls"',
            "'D9' has no sheet",
        ),
        (
            f"[export.xlsx.cells]\ncalls = \"'{SHEET}'!D16\"",
            "RUL-062",
            'export.xlsx.cells."calls"',
            f"'{SHEET}'!D16 holds a formula (=SUM(D11:D13)); map to an input cell",
        ),
        (
            f"[export.xlsx.fields]\norganisation_name = \"'{SHEET}'!E3\"",
            "RUL-063",
            "export.xlsx.fields.organisation_name",
            f"'{SHEET}'!E3 is inside merged cells, so it is written to their top-left cell C3: "
            "map to C3",
        ),
        (
            f'[export.xlsx.cells]\ncalls = "quarter"\n[export.xlsx.text]\n"\'{SHEET}\'!C5" = "Q"',
            "RUL-065",
            f"export.xlsx.text.\"'{SHEET}'!C5\"",
            f"'{SHEET}'!C5 is also the cell of export.xlsx.cells.\"calls\"",
        ),
    ],
)
def test_each_problem_names_the_key(
    tmp_path: Path, mapping: str, code: str, key: str, message: str
) -> None:
    found = _lint(tmp_path, mapping)
    assert [(c, k) for c, k, _ in found] == [(code, key)]
    assert message in found[0][2]


def test_the_merged_cell_is_a_warning_the_rest_errors(tmp_path: Path) -> None:
    merged = lint_template(
        load(_rule_file(tmp_path, f"[export.xlsx.fields]\nrule_id = \"'{SHEET}'!D3\""))
    )
    assert [f.severity for f in merged] == [Severity.WARNING]


def test_a_missing_template(tmp_path: Path) -> None:
    found = _lint(tmp_path, GOOD, template=False)
    assert [(c, k) for c, k, _ in found] == [("RUL-060", "export.xlsx.template")]
    assert "does not exist (its path is relative to the rule file)" in found[0][2]


def test_the_shapes_are_the_rule_files_measures_and_codes(tmp_path: Path) -> None:
    shapes = rule_shapes(load(_rule_file(tmp_path, "")))
    assert "average_group_size" in shapes and shapes["average_group_size"].by == ()
    assert shapes["calls"].cells is not None and len(shapes["calls"].cells) == 5
    assert shapes["calls"].codes == (("in_person", "phone", "video", "text_online", None),)
    assert shapes["group_attendances"].by == ("mode",)


def test_rules_lint_reports_every_problem_and_fails(tmp_path: Path) -> None:
    path = _rule_file(
        tmp_path,
        "[export.xlsx.cells]\n"
        'group_sesions = "quarter"\n'
        '"calls[fax]" = "\'Quarterly Return\'!D10"\n'
        f"calls = \"'{SHEET}'!D16\"\n"
        "[export.xlsx.fields]\n"
        'provider_code = "provider_numbr"\n'
        'period_label = "quarter"\n'
        "[export.xlsx.text]\n"
        '"\'Quarterly Return\'!C5" = "Quarter"\n',
    )
    result = CliRunner().invoke(cli, ["rules", "lint", str(path)])
    assert result.exit_code == 1, result.output
    assert result.output.startswith(f"FAIL {path}")
    for expected in (
        'export.xlsx.cells."group_sesions": the return has no measure',
        "export.xlsx.cells.\"calls[fax]\": measure 'calls' (by mode) has no cell [fax]",
        "holds a formula (=SUM(D11:D13))",
        "export.xlsx.fields.provider_code: the template has no named range 'provider_numbr'",
        "export.xlsx.text.\"'Quarterly Return'!C5\": 'Quarterly Return'!C5 is also the cell "
        "of export.xlsx.fields.period_label",
    ):
        assert expected in result.output
    assert "Traceback" not in result.output
    as_json = CliRunner().invoke(cli, ["rules", "lint", str(path), "--json"])
    codes = [f["code"] for f in json.loads(as_json.output)[str(path)]]
    assert codes == ["RUL-064", "RUL-064", "RUL-062", "RUL-061", "RUL-065"]


def test_rules_lint_says_ok_to_a_good_mapping(tmp_path: Path) -> None:
    path = _rule_file(tmp_path, GOOD)
    result = CliRunner().invoke(cli, ["rules", "lint", str(path), "--json"])
    assert result.exit_code == 0, result.output
    assert "RUL-06" not in result.output
