"""`peerreport records attribution`: which returns count the period's activities, and the
activities two exclusive returns both claim."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import Engine

from peerreport.cli.main import cli
from peerreport.workspace import load_workspace
from tests.helpers import make_workspace, messages, run_import, write_csv

BASE = '[[measure]]\nid = "sessions"\ncount = "activity"\n'


def _rule(folder: Path, rule_id: str, head: str, counting: str) -> Path:
    path = folder / f"{rule_id}.toml"
    path.write_text(
        f'id = "{rule_id}"\ntitle = "{rule_id}"\nversion = "1"\n{head}\n{BASE}'
        f"[counting]\n{counting}\n",
        "utf-8",
    )
    return path


def _setup(engine: Engine, db_url: str, tmp_path: Path) -> tuple[Path, Path, Path, Path]:
    ws = make_workspace(tmp_path / "ws", db_url)
    rows = [
        ["activity_id", "date", "kind", "attendance", "purchase_unit"],
        ["A1", "10/07/2026", "group", "5", "MHC36F"],
        ["A2", "11/07/2026", "group", "5", "MHC36F"],
        ["A3", "12/07/2026", "group", "5", "MHC37"],
        ["A4", "13/07/2026", "group", "5", ""],
        ["LATER", "13/10/2026", "group", "5", "MHC36F"],
    ]
    report = run_import(engine, ws, write_csv(tmp_path / "log.csv", rows))
    assert report.stored, messages(report)
    rules = tmp_path / "rules"
    rules.mkdir()
    adults = _rule(
        rules,
        "adults",
        'purchase_units = ["MHC36F"]',
        'purchase_units = "only"\nunassigned = "exclude"\nexclusive = true',
    )
    regional = _rule(rules, "regional", "", 'purchase_units = "all"\nexclusive = true')
    youth = _rule(
        rules, "youth", 'purchase_units = ["MHC37"]', 'purchase_units = "only"\nexclusive = false'
    )
    return ws.root, adults, regional, youth


def test_two_exclusive_returns_counting_the_same_activities_are_flagged(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    root, adults, regional, youth = _setup(engine, db_url, tmp_path)
    args = ["records", "attribution", "-w", str(root), "--period", "2026-07-01..2026-09-30"]
    args += ["--rules", str(adults), "--rules", str(regional), "--rules", str(youth)]
    result = CliRunner().invoke(cli, [*args, "--json"])
    assert result.exit_code == 1, result.output
    data = json.loads(result.output)
    lines = {u["purchase_unit"]: (u["activities"], u["counted_by"]) for u in data["purchase_units"]}
    assert lines == {
        "MHC36F": (2, ["adults", "regional"]),
        "MHC37": (1, ["regional", "youth"]),
        None: (1, ["regional", "youth"]),
    }
    assert [f["code"] for f in data["findings"]] == ["REC-001"]
    assert data["findings"][0]["details"] == {
        "purchase_unit": "MHC36F",
        "activities": 2,
        "returns": ["adults", "regional"],
    }
    text = CliRunner().invoke(cli, args)
    assert text.exit_code == 1
    assert (
        "CLAIMED TWICE: 2 activities under purchase unit MHC36F (A1, A2) are counted by "
        "adults and regional, which each claim their activities for themselves"
    ) in text.output
    assert "adults (named): counts activities under MHC36F (claims them for itself)" in text.output
    assert "MHC37: 1 activity, counted by regional, youth" in text.output


def test_returns_that_share_nothing_pass(engine: Engine, db_url: str, tmp_path: Path) -> None:
    root, adults, _, youth = _setup(engine, db_url, tmp_path)
    args = ["records", "attribution", "-w", str(root), "--period", "2026-07-01..2026-09-30"]
    result = CliRunner().invoke(cli, [*args, "--rules", str(adults), "--rules", str(youth)])
    assert result.exit_code == 0, result.output
    assert "No activity is claimed by two returns." in result.output
    assert "MHC36F: 2 activities, counted by adults" in result.output


def test_as_of_reads_the_activities_of_an_earlier_revision(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    root, adults, regional, _ = _setup(engine, db_url, tmp_path)  # revision 1
    ws_rows = [
        ["activity_id", "date", "kind", "attendance", "purchase_unit"],
        ["A4", "13/07/2026", "group", "5", "MHC36F"],  # the unit added later: revision 2
    ]
    report = run_import(engine, load_workspace(root), write_csv(tmp_path / "fix.csv", ws_rows))
    assert report.stored, messages(report)
    args = ["records", "attribution", "-w", str(root), "--period", "2026-07-01..2026-09-30"]
    args += ["--rules", str(adults), "--rules", str(regional), "--json"]

    def units(*extra: str) -> tuple[dict[str | None, int], object, list[object]]:
        result = CliRunner().invoke(cli, [*args, *extra])
        assert result.exit_code == 1, result.output  # adults and regional both claim MHC36F
        data = json.loads(result.output)
        lines = {u["purchase_unit"]: u["activities"] for u in data["purchase_units"]}
        return lines, data["as_of"], [f["details"]["activities"] for f in data["findings"]]

    assert units() == ({"MHC36F": 3, "MHC37": 1}, None, [3])
    assert units("--as-of", "2") == ({"MHC36F": 3, "MHC37": 1}, 2, [3])
    assert units("--as-of", "1") == ({"MHC36F": 2, "MHC37": 1, None: 1}, 1, [2])

    text = CliRunner().invoke(cli, [*args[:-1], "--as-of", "1"])
    assert "(01/07/2026 to 30/09/2026), as at revision 1 of the records" in text.output
    assert "no purchase unit: 1 activity, counted by regional" in text.output


def test_as_of_a_revision_that_does_not_exist_is_a_plain_error(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    root, adults, _, _ = _setup(engine, db_url, tmp_path)
    args = ["records", "attribution", "-w", str(root), "--period", "2026-07-01..2026-09-30"]
    result = CliRunner().invoke(cli, [*args, "--rules", str(adults), "--as-of", "9"])
    assert result.exit_code == 2, result.output
    assert "there is no revision 9" in result.output and "revisions are 1 to 1" in result.output
    assert "Traceback" not in result.output
