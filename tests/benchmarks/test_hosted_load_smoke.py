"""`benchmarks/hosted_load.py` runs end to end at a tiny size: every page answers, no errors.

The figures themselves are the benchmark's business (a timed test would only
measure the machine running the suite), so nothing here looks at a time.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import POSTGRES_URL, skip_without_postgres

ROOT = Path(__file__).resolve().parents[2]
PAGES = {"sign-in form", "sign-in", "dashboard", "dashboard.xlsx", "home", "review"}


@pytest.mark.postgres
def test_the_load_benchmark_runs_at_a_tiny_size(tmp_path: Path) -> None:
    skip_without_postgres()
    assert POSTGRES_URL is not None
    out = tmp_path / "load.json"
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "hosted_load.py"),
            *("--db", POSTGRES_URL, "--orgs", "3", "--records", "300"),
            *("--users", "3", "--funder-users", "1", "--seconds", "3"),
            *("--think", "0", "--xlsx-every", "2", "--jobs", "1", "--json", str(out)),
        ],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    found = json.loads(out.read_text("utf-8"))
    rows = {row["page"]: row for row in found["pages"]}
    assert {name.removesuffix(" (first view)") for name in rows} == PAGES, done.stdout
    assert all(row["errors"] == 0 for row in rows.values()), done.stdout
    assert found["problems"] == []
    assert found["organisations"] == 3 and found["activities"] == 900
    assert found["machine"]["cpus"] >= 1
    for line in ("sign-in", "dashboard", "review"):
        assert line in done.stdout
