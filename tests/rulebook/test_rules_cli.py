"""`peerreport rules`: list, show, lint, test, schema through the real command group."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from peerreport.cli.main import cli

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "rules"

GOOD = """id = "good"
title = "Good"
version = "1"
[[measure]]
id = "groups"
count = "activity"
where = "kind = 'group'"
[[check]]
id = "G-1"
assert = "groups > 0"
message = "no groups"
[[fixture]]
name = "one group"
period = ["2026-07-01", "2026-09-30"]
activities = [{ activity_id = "A", date = "2026-07-01", kind = "group", attendance = 3 }]
[fixture.expect]
figures = { groups = 1 }
findings = []
[[fixture]]
name = "wrong on purpose"
period = ["2026-07-01", "2026-09-30"]
[fixture.expect]
figures = { groups = 2 }
findings = []
"""


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> CliRunner:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PEERREPORT_RULES_PATH", str(RULES))
    return CliRunner()


def test_help_has_examples(runner: CliRunner) -> None:
    for command in ("list", "show", "lint", "test", "schema"):
        result = runner.invoke(cli, ["rules", command, "--help"])
        assert result.exit_code == 0
        assert "Example" in result.output and "peerreport rules" in result.output


def test_list(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["rules", "list", "--json"])
    assert result.exit_code == 0
    ids = {row["id"]: row for row in json.loads(result.output)}
    assert ids["example-peer-support"]["extends"] == ["example-peer-core"]


def test_show_prints_the_resolved_rule_file(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["rules", "show", "example-peer-support"])
    assert result.exit_code == 0, result.output
    assert "extends: example-peer-core" in result.output
    assert "EXC-040 [info] (disabled)" in result.output
    assert "group_attendances: sum attendance where kind = 'group' by mode" in result.output
    data = json.loads(
        runner.invoke(cli, ["rules", "show", "example-peer-support", "--json"]).output
    )
    assert data["digest"].startswith("sha256:") and data["lineage"] == ["example-peer-core"]
    assert data["disclosure"]["threshold"] == 5 and data["disclosure"]["method"] == "suppress"


def test_show_unknown_id_is_a_plain_error(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["rules", "show", "example-peer-suport"])
    assert result.exit_code == 2
    assert "Did you mean 'example-peer-support'?" in result.output
    assert "Traceback" not in result.output


def test_schema(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["rules", "schema"])
    assert result.exit_code == 0
    schema = json.loads(result.output)
    assert schema["title"] == "RuleFileModel" and "Measure" in schema["$defs"]


def test_failing_fixture_exits_1(runner: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "good.toml").write_text(GOOD, "utf-8")
    result = runner.invoke(cli, ["rules", "test", "good.toml"])
    assert result.exit_code == 1
    assert "PASS good: one group" in result.output
    assert "FAIL good: wrong on purpose" in result.output
    assert "groups: expected 2, got 0" in result.output
    data = json.loads(runner.invoke(cli, ["rules", "test", "good.toml", "--json"]).output)
    assert [r["passed"] for r in data] == [True, False]


def test_lint_reports_every_error_and_exits_1(runner: CliRunner, tmp_path: Path) -> None:
    bad = GOOD.replace("kind = 'group'\"", "kind = 'grop' and nhi = 'x'\"").replace(
        "figures = { groups = 2 }", "figures = { grops = 2 }"
    )
    (tmp_path / "bad.toml").write_text(bad, "utf-8")
    result = runner.invoke(cli, ["rules", "lint", "bad.toml"])
    assert result.exit_code == 1
    assert "FAIL bad.toml" in result.output
    assert "'nhi' is a forbidden field" in result.output
    data = json.loads(runner.invoke(cli, ["rules", "lint", "bad.toml", "--json"]).output)
    assert [f["code"] for f in data["bad.toml"]] == ["RUL-020", "RUL-013"]
    fixed = bad.replace(" and nhi = 'x'", "")
    (tmp_path / "bad.toml").write_text(fixed, "utf-8")
    data = json.loads(runner.invoke(cli, ["rules", "lint", "bad.toml", "--json"]).output)
    assert [(f["code"], f["location"]["key"]) for f in data["bad.toml"]] == [
        ("RUL-013", "measure[0].where")
    ]
    (tmp_path / "bad.toml").write_text(fixed.replace("'grop'", "'group'"), "utf-8")
    data = json.loads(runner.invoke(cli, ["rules", "lint", "bad.toml", "--json"]).output)
    assert [(f["code"], f["location"]["key"]) for f in data["bad.toml"]] == [
        ("RUL-040", "fixture[1].expect.figures.grops")
    ]


def test_test_with_invalid_rule_file_fails(runner: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "broken.toml").write_text(
        GOOD.replace('count = "activity"', 'count = "activities"'), "utf-8"
    )
    result = runner.invoke(cli, ["rules", "test", "broken.toml"])
    assert result.exit_code == 1
    assert "FAIL broken.toml" in result.output and "measure[0].count" in result.output
