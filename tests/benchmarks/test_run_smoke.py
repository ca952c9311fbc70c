"""`benchmarks/run.py` runs end to end at a tiny size; its baselines compute our figures.

The times are the benchmark's business (a timed test would only measure the
machine running the suite). What is checked here: every step is measured and
written to the JSON, and a baseline that computes other figures than
peerreport stops the run instead of being reported as fast.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from peerreport.store.database import open_engine
from tests.conftest import POSTGRES_URL, skip_without_postgres

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "benchmarks" / "run.py"


def test_the_benchmark_runs_at_a_tiny_size_and_writes_every_step(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "400", "--runs", "1", "--no-pg", "--json", str(out)],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    rows = json.loads(out.read_text())["rows"]
    assert [(r["backend"], r["step"]) for r in rows] == [
        ("sqlite", "import"),
        ("sqlite", "build"),
        ("sqlite", "export"),
    ]
    for row in rows:
        assert row["seconds"] > 0
        assert row["activities_in_period"] > 0
    imported, built = rows[0], rows[1]
    assert imported["floor_seconds"] > 0 and imported["peak_mb"] > 0
    assert built["ratio"] == pytest.approx(built["seconds"] / built["floor_seconds"])
    for row in (imported, built):  # CPU seconds: the client's alone, there being no server
        assert row["cpu_seconds"] > 0 and row["floor_cpu_seconds"] > 0
        assert row["runs_server_cpu"] == [] and row["floor_runs_server_cpu"] == []
        assert row["cpu_ratio"] == pytest.approx(row["cpu_seconds"] / row["floor_cpu_seconds"])
    # The import's CPU is the command's, with the processes it started (its interpreter's
    # start-up alone is a tenth of a second or more), not the benchmark's own.
    assert imported["cpu_seconds"] >= 0.1


def test_a_runs_cpu_is_given_only_when_every_run_has_its_servers() -> None:
    timing = _bench().Timing()
    timing.add(1.0, 2.0, None)
    timing.add(1.0, 4.0, None)
    assert timing.cpu_median == 3.0  # no server: the client's alone
    timing.add(1.0, 6.0, 1.0)
    assert timing.cpu_median is None  # a server read for one run of three: unknown
    both = _bench().Timing()
    both.add(1.0, 2.0, 1.0)
    both.add(1.0, 4.0, 3.0)
    assert both.cpu_median == 5.0


def _bench() -> Any:
    sys.path.insert(0, str(SCRIPT.parent))
    try:
        import run as bench
    finally:
        sys.path.remove(str(SCRIPT.parent))
    return bench


@pytest.mark.postgres
def test_the_servers_cpu_is_counted_when_it_runs_here() -> None:
    """A statement that keeps the server busy shows in `server_cpu`; SQLite has no server,
    and a server that cannot be reached cannot be read."""
    skip_without_postgres()
    assert POSTGRES_URL is not None
    bench = _bench()
    assert bench.server_cpu(None) is None
    assert bench.server_cpu("postgresql+psycopg://postgres@127.0.0.1:1/test") is None
    before = bench.server_cpu(POSTGRES_URL)
    if before is None:  # a server in another container or namespace, say
        pytest.skip("the PostgreSQL server's processes cannot be seen from here")
    engine = open_engine(POSTGRES_URL)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT count(*) FROM generate_series(1, 3000000)")).one()
    finally:
        engine.dispose()  # the backend exits, and its time is the postmaster's children's
    assert bench._since(before, POSTGRES_URL) > 0.1


def test_a_baseline_with_other_figures_stops_the_run() -> None:
    sys.path.insert(0, str(SCRIPT.parent))
    try:
        import run as bench  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(SCRIPT.parent))
    ours = {"direct_activities": {(): 7, ("advocacy",): 2}, "new_people": {(): 3}}
    bench.same_figures("equal", ours, {k: dict(v) for k, v in ours.items()})
    for theirs in (
        {"direct_activities": {(): 7, ("advocacy",): 3}, "new_people": {(): 3}},
        {"direct_activities": {(): 7, ("advocacy",): 2}},
    ):
        with pytest.raises(SystemExit, match="other figures"):
            bench.same_figures("wrong", ours, theirs)


def test_the_folds_map_codes_to_the_rule_files_groupings() -> None:
    sys.path.insert(0, str(SCRIPT.parent))
    try:
        import run as bench
    finally:
        sys.path.remove(str(SCRIPT.parent))
    figures: dict[str, dict[tuple[str | None, ...], int]] = {}
    bench.fold_activities(
        figures,
        [
            (False, "group", "in_person", True, 2, 15, 1, 120),
            (False, "warm_line_call", None, False, 3, 3, None, 30),
            (True, "community_event", "in_person", False, 1, 40, 0, 60),
        ],
    )
    bench.fold_breakdowns(figures, [("maori", 4), ("european", 2), ("asian", 1)])
    assert figures == {
        "direct_activities": {(): 5, ("peer_support",): 2, ("phone_service",): 3},
        "direct_attendances": {(): 18, ("in_person",): 15, (None,): 3},
        "new_people": {(): 1},
        "delivery_minutes": {(): 150},
        "member_led_sessions": {(): 2},
        "community_sessions": {(): 1},
        "community_attendances": {(): 40},
        "attendances_by_ethnicity": {(): 7, ("maori",): 4, ("other_ethnicity",): 3},
    }


def test_a_file_past_the_row_limit_is_imported_in_parts_holding_every_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """5M activities are more than one file may hold (intake's row limit): the benchmark
    imports them as parts of one import, each with the header, together every row once."""
    from dataclasses import dataclass

    from peerreport.intake import limits

    module = _script(monkeypatch)

    @dataclass(frozen=True)
    class Small(limits.InputLimits):
        max_rows: int = 1_005  # parts of 5 rows

    monkeypatch.setattr(limits, "InputLimits", Small)
    path = tmp_path / "activities.csv"
    rows = [f"A{i},2026-08-01,group,{i}\n" for i in range(12)]
    path.write_text("activity_id,date,kind,attendance\n" + "".join(rows), encoding="utf-8")
    parts = module.import_parts(path)
    assert [p.name for p in parts] == [f"activities-part{i}.csv" for i in (1, 2, 3)]
    texts = [p.read_text(encoding="utf-8").splitlines(keepends=True) for p in parts]
    assert all(t[0] == "activity_id,date,kind,attendance\n" for t in texts)
    assert [len(t) - 1 for t in texts] == [5, 5, 2]
    assert [line for t in texts for line in t[1:]] == rows
    small = tmp_path / "small.csv"
    small.write_text("activity_id\nA1\n", encoding="utf-8")
    assert module.import_parts(small) == [small]


def _script(monkeypatch: pytest.MonkeyPatch) -> Any:
    """benchmarks/run.py as a module."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_run", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.syspath_prepend(str(SCRIPT.parent))
    monkeypatch.setitem(sys.modules, "bench_run", module)  # its dataclasses look it up
    spec.loader.exec_module(module)
    return module


def test_a_command_s_peak_memory_is_its_own_not_the_benchmark_s(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Linux carries a forked process's high-water mark across exec: measured straight from
    a benchmark grown to 300 MB (baselines, pandas), a tiny command read 300 MB."""
    module = _script(monkeypatch)
    grown = bytearray(300 * 1024 * 1024)
    grown[::4096] = b"\x01" * len(range(0, len(grown), 4096))  # touch every page
    seconds, peak = module.run_child([sys.executable, "-c", "pass"])
    assert peak < 150, peak
    assert seconds > 0
    del grown
