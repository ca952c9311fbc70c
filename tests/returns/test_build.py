"""Building a return from a small workspace: figures, protection, findings, determinism."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Connection, Engine, text

from peerreport.cli.main import cli
from peerreport.returns import build, record_set
from peerreport.returns.build import build_return
from peerreport.returns.model import SUPPRESSED, Return
from peerreport.returns.periods import parse_period
from peerreport.rulebook import load
from tests.helpers import make_workspace, messages, run_import, write_csv

RULES = """
id = "test-return"
title = "Test return"
version = "1"
period = "quarter"
year_start = "07-01"

[disclosure]
method = "suppress"
threshold = 6
secondary = true

[[measure]]
id = "calls"
label = "Warm-line calls by mode"
count = "activity"
where = "kind = 'warm_line_call'"
by = ["mode"]
line = "T1"

[[measure]]
id = "group_attendance"
label = "Group attendances"
sum = "attendance"
where = "kind = 'group'"
line = "T2"

[[measure]]
id = "groups"
label = "Group sessions"
count = "activity"
where = "kind = 'group'"

[[measure]]
id = "per_group"
label = "Average group size"
expr = "group_attendance / groups"
round = 1

[[check]]
id = "T-001"
severity = "error"
assert = "groups >= 3"
message = "only {groups} group sessions"
hint = "Each quarter should have at least three group sessions."
"""


def _workspace(tmp_path: Path, db_url: str, engine: Engine, groups: int = 6) -> tuple[Path, Path]:
    ws = make_workspace(tmp_path / "ws", db_url)
    rows = [["activity_id", "date", "kind", "mode", "attendance"]]
    for i in range(20):  # phone calls in July and August: 20 by phone, 2 by text
        rows.append([f"W{i}", f"{1 + i % 28:02d}/07/2026", "warm line", "phone", "1"])
    rows += [
        ["T1", "03/08/2026", "warm line", "text", "1"],
        ["T2", "04/08/2026", "warm line", "text", "1"],
    ]
    for i in range(groups):
        rows.append([f"G{i}", f"{2 + i:02d}/08/2026", "group", "in person", str(5 + i)])
    report = run_import(engine, ws, write_csv(tmp_path / "activities.csv", rows))
    assert report.stored, messages(report)
    rules = tmp_path / "test-return.toml"
    rules.write_text(RULES, "utf-8")
    return tmp_path / "ws", rules


def _build(engine: Engine, rules: Path, period: str = "FY2027-Q1") -> Return:
    rule_file = load(rules)
    return build_return(engine, "TEST01", "Test Peer Network", rule_file, parse_period(period))


def test_build_protects_small_cells_and_is_deterministic(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    _, rules = _workspace(tmp_path, db_url, engine)
    ret = _build(engine, rules)
    calls = ret.figure("calls")
    assert calls.total.value == 22 and calls.total.status == "exact"
    cells = {c.key: c for c in calls.cells}
    # 2 text calls are below the threshold; the total would give them away through
    # subtraction, so the phone cell is hidden too.
    assert cells[("text_online",)].status == SUPPRESSED and cells[("text_online",)].value is None
    assert cells[("phone",)].status == SUPPRESSED
    assert ret.figure("group_attendance").total.value == 5 + 6 + 7 + 8 + 9 + 10
    assert ret.figure("per_group").total.value == 7.5
    # September has no activity at all: a completeness warning, not an error.
    assert [f.code for f in ret.findings] == ["RET-010"]
    assert "September 2026" in ret.findings[0].message
    assert not ret.has_errors
    assert ret.record_counts == {}  # left out under suppression (returns/release.py)
    again = _build(engine, rules)
    assert again.to_json() == ret.to_json()  # byte-identical
    assert Return.from_dict(ret.to_dict()).to_dict() == ret.to_dict()


def test_a_build_reads_its_period_without_jit_compilation(
    engine: Engine, backend: str, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past `jit_above_cost` PostgreSQL compiles a statement with LLVM before running it (70
    to 150 ms a statement): the build's figures and the records digest beside them are read
    with JIT off, for their own transactions only."""
    _, rules = _workspace(tmp_path, db_url, engine)

    def jit(conn: Connection) -> str | None:
        if backend != "postgresql":
            return None
        return str(conn.execute(text("SELECT current_setting('jit')")).scalar_one())

    with engine.connect() as conn:
        before = jit(conn)
    seen: list[tuple[str, str | None]] = []
    real_evaluate, real_digest = build.evaluate, record_set.records_digest

    def evaluate(conn: Connection, *args: object) -> object:
        seen.append(("figures", jit(conn)))
        return real_evaluate(conn, *args)  # type: ignore[arg-type]

    def digest(conn: Connection, *args: object) -> object:
        seen.append(("digest", jit(conn)))
        return real_digest(conn, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(build, "evaluate", evaluate)
    monkeypatch.setattr(record_set, "records_digest", digest)
    assert _build(engine, rules).figure("groups").total.value == 6
    off = "off" if backend == "postgresql" else None
    assert sorted(seen) == [("digest", off), ("figures", off)]
    with engine.connect() as conn:
        assert jit(conn) == before  # SET LOCAL: the pooled connections are as they were


def test_records_digest_changes_when_a_record_changes(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    ws_dir, rules = _workspace(tmp_path, db_url, engine)
    before = _build(engine, rules).records_digest
    ws = __import__("peerreport.workspace", fromlist=["load_workspace"]).load_workspace(ws_dir)
    run_import(
        engine,
        ws,
        write_csv(
            tmp_path / "fix.csv",
            [
                ["activity_id", "date", "kind", "mode", "attendance"],
                ["G0", "02/08/2026", "group", "in person", "9"],
            ],
        ),
    )
    assert _build(engine, rules).records_digest != before


def test_error_findings_block_export_but_not_a_draft(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    ws_dir, rules = _workspace(tmp_path, db_url, engine, groups=2)
    runner = CliRunner()
    built = runner.invoke(
        cli,
        ["build", str(rules), "--period", "FY2027-Q1", "-w", str(ws_dir), "--db", db_url],
        env={"NO_COLOR": "1"},
    )
    assert built.exit_code == 1
    # The message is released with the return: the hidden count shows as the symbol.
    assert "T-001" in built.output and "only S group sessions" in built.output
    assert "hint: Each quarter" in built.output
    out = tmp_path / "out"
    refused = runner.invoke(
        cli,
        [
            "export",
            str(rules),
            "--period",
            "FY2027-Q1",
            "--out",
            str(out),
            "-w",
            str(ws_dir),
            "--db",
            db_url,
        ],
    )
    assert refused.exit_code == 2 and "T-001" in refused.output
    assert not out.exists() or not any(out.iterdir())
    draft = runner.invoke(
        cli,
        [
            "export",
            str(rules),
            "--period",
            "FY2027-Q1",
            "--out",
            str(out),
            "--draft",
            "-w",
            str(ws_dir),
            "--db",
            db_url,
        ],
    )
    assert draft.exit_code == 0, draft.output
    names = sorted(p.name for p in out.iterdir())
    # Review copies only: the bundle to send is written by `submit`, never by export.
    assert any(n.endswith(".html") for n in names) and not any(n.endswith(".zip") for n in names)
    assert all("DRAFT" in n.upper() for n in names)


@pytest.mark.parametrize("period", ["2026-08", "FY2027-H1"])
def test_a_period_that_does_not_fit_is_a_plain_error(
    engine: Engine, db_url: str, tmp_path: Path, period: str
) -> None:
    ws_dir, rules = _workspace(tmp_path, db_url, engine)
    result = CliRunner().invoke(
        cli, ["build", str(rules), "--period", period, "-w", str(ws_dir), "--db", db_url]
    )
    assert result.exit_code == 2
    assert "is not a quarter" in result.output and "FY2027-Q1" in result.output


def test_a_figure_derived_from_a_hidden_one_is_hidden(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    _, rules = _workspace(tmp_path, db_url, engine, groups=4)
    ret = _build(engine, rules)
    assert ret.figure("groups").total.status == SUPPRESSED  # 4 sessions, below 6
    assert ret.figure("per_group").total.status == SUPPRESSED
    assert ret.figure("per_group").total.value is None


def test_the_return_is_due_when_the_rule_file_says(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    ws_dir, rules = _workspace(tmp_path, db_url, engine)
    assert _build(engine, rules).due is None  # no [due]: no due date
    rules.write_text(RULES + "\n[due]\nday = 20\nmonths_after = 1\n", "utf-8")
    ret = _build(engine, rules)
    assert ret.due == dt.date(2026, 10, 20)
    assert ret.to_dict()["due"] == "2026-10-20"
    assert Return.from_dict(ret.to_dict()).due == ret.due
    assert _build(engine, rules, "FY2027-Q2").due == dt.date(2027, 1, 20)
    rules.write_text(RULES + "\n[due]\ndays_after_end = 30\n", "utf-8")
    assert _build(engine, rules).due == dt.date(2026, 10, 30)

    runner = CliRunner()
    args = ["build", str(rules), "--period", "FY2027-Q1", "-w", str(ws_dir), "--db", db_url]
    built = runner.invoke(cli, args, env={"NO_COLOR": "1"})
    assert built.exit_code == 0, built.output
    days = (dt.date(2026, 10, 30) - dt.date.today()).days
    when = (
        f"{days} days from today"
        if days > 1
        else f"overdue by {-days} days"
        if days < -1
        else ""  # within a day of it: the wording is tested with a fixed today
    )
    assert f"Due: 30 October 2026 ({when}" in built.output
    as_json = json.loads(runner.invoke(cli, [*args, "--json"]).output)
    assert as_json["due"] == "2026-10-30"
