"""`benchmarks/hosted_load.py` runs end to end at a tiny size: every page answers, no errors.

The figures themselves are the benchmark's business (a timed test would only
measure the machine running the suite), so nothing here looks at a time. The
records it loads with COPY are a real revision: the ledger's chain check
accepts every organisation's.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from peerreport.audit.chain_check import check_chain
from peerreport.store.database import open_engine
from tests.conftest import POSTGRES_URL, skip_without_postgres

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "benchmarks" / "hosted_load.py"
PAGES = {"sign-in form", "sign-in", "dashboard", "dashboard.xlsx", "home", "review"}


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.mark.postgres
def test_the_load_benchmark_runs_at_a_tiny_size(tmp_path: Path) -> None:
    skip_without_postgres()
    assert POSTGRES_URL is not None
    out, kept = tmp_path / "load.json", tmp_path / "kept"
    done = _run(
        *("--db", POSTGRES_URL, "--orgs", "3", "--records", "300", "--keep", str(kept)),
        *("--users", "3", "--funder-users", "1", "--seconds", "3", "--ramp", "1"),
        *("--think", "0", "--xlsx-every", "2", "--jobs", "1", "--json", str(out)),
        cwd=tmp_path,
    )
    try:
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        found = json.loads(out.read_text("utf-8"))
        rows = {row["page"]: row for row in found["pages"]}
        assert {name.removesuffix(" (first view)") for name in rows} == PAGES, done.stdout
        assert all(row["errors"] == 0 for row in rows.values()), done.stdout
        assert found["problems"] == []
        assert found["organisations"] == 3 and found["activities"] == 900
        assert found["machine"]["cpus"] >= 1
        assert "timed" in done.stdout and "review (first view)" in done.stdout
        setup = json.loads((kept / "bench.json").read_text("utf-8"))
        engine = open_engine(setup["url"])
        try:
            checks = [check_chain(engine, org) for org in setup["orgs"]]
        finally:
            engine.dispose()
        assert [c.ok for c in checks] == [True] * 3, [c.to_dict() for c in checks]
        assert sum(c.entries for c in checks) > 3  # the revisions, and returns filed
    finally:
        dropped = _run("--drop", str(kept), cwd=tmp_path)
        assert dropped.returncode == 0, dropped.stdout + dropped.stderr
