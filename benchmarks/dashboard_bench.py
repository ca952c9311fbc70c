"""Benchmark: the funder's dashboard (`provider_grid`) over N providers' filed returns.

Hosted mode's target is a page for 200 providers in under 500 ms at the 95th
percentile. This makes a fresh database, files a return for every provider
and each of the last four quarters through the ledger (`ledger.submit`, at
times on and after the due date; some amended, some accepted or queried with
`lifecycle.record_event`), leaving a few periods unfiled, then times
`provider_grid` (one warm-up, then --runs) and writing the workbook. Prints
the median, the 95th percentile and the slowest; asserts nothing. Usage:

    .venv/bin/python benchmarks/dashboard_bench.py                    # 200 providers, SQLite
    .venv/bin/python benchmarks/dashboard_bench.py --providers 1000 --runs 50
    .venv/bin/python benchmarks/dashboard_bench.py \\
        --db postgresql+psycopg://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from pg_schema import drop_postgres_schema, fresh_postgres_schema

TODAY = dt.date(2026, 11, 29)
QUARTERS = ("FY2027-Q1", "FY2026-Q4", "FY2026-Q3", "FY2026-Q2")


def file_all(engine: Any, rule_file: Any, providers: list[tuple[str, str]], seed: int) -> int:
    """File every provider's quarters (a few left out); return how many versions were filed."""
    from peerreport.ledger import submit
    from peerreport.ledger.lifecycle import record_event
    from peerreport.returns.build import build_return
    from peerreport.returns.due import due_date
    from peerreport.returns.periods import parse_period

    rng = random.Random(seed)
    filed = 0
    for label in QUARTERS:
        period = parse_period(label)
        built = build_return(engine, "BUILT", "Built", rule_file, period)
        due = due_date(rule_file, period)
        assert due is not None and not built.has_errors
        for org, name in providers:
            if rng.random() < 0.08:
                continue  # never filed: missing
            ret = dataclasses.replace(built, organisation=org, organisation_name=name)
            when = dt.datetime.combine(due, dt.time(9), dt.UTC)
            when += dt.timedelta(days=rng.choice([-10, -3, 0, 0, 5, 21]))
            entry = submit(engine, ret, now=lambda when=when: when).submission
            filed += 1
            roll = rng.random()
            if roll < 0.5:
                record_event(engine, org, entry.id, "accepted")
            elif roll < 0.7:
                record_event(engine, org, entry.id, "queried", "Please check the figures")
                if rng.random() < 0.5:
                    later = when + dt.timedelta(days=7)
                    submit(engine, ret, "Corrected", now=lambda later=later: later)
                    filed += 1
    return filed


def main() -> None:
    """Fill a database, time the dashboard, print a table."""
    from peerreport.render.dashboard_workbook import write_dashboard_xlsx
    from peerreport.returns.dashboard import provider_grid
    from peerreport.rulebook import load
    from peerreport.store.database import open_engine, upgrade

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--providers", type=int, default=200)
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--rules", default="example-peer-support")
    parser.add_argument("--db", help="A PostgreSQL URL (a throwaway schema is made in it).")
    args = parser.parse_args()
    scratch = tempfile.TemporaryDirectory(prefix="dashboard-bench-")
    folder = Path(scratch.name)
    url, schema = (
        fresh_postgres_schema(args.db) if args.db else (f"sqlite:///{folder / 'b.db'}", None)
    )
    engine = open_engine(url)
    try:
        upgrade(engine)
        rule_file = load(args.rules)
        providers = [(f"P{i:04d}", f"Peer Network {i}") for i in range(args.providers)]
        started = time.perf_counter()
        filed = file_all(engine, rule_file, providers, seed=1)
        print(f"filed {filed} versions in {time.perf_counter() - started:.1f} s")
        provider_grid(engine, providers, rule_file, TODAY)  # warm-up
        timings = []
        for _ in range(args.runs):
            started = time.perf_counter()
            grid = provider_grid(engine, providers, rule_file, TODAY)
            timings.append(time.perf_counter() - started)
        started = time.perf_counter()
        write_dashboard_xlsx(grid, folder / "dashboard.xlsx")
        written = time.perf_counter() - started
        timings.sort()
        p95 = timings[min(len(timings) - 1, round(0.95 * len(timings)) - 1)]
        print(f"{engine.dialect.name}, {args.providers} providers, {len(grid.periods)} periods")
        print(f"  provider_grid  median {statistics.median(timings) * 1000:7.1f} ms")
        print(f"                 p95    {p95 * 1000:7.1f} ms")
        print(f"                 max    {timings[-1] * 1000:7.1f} ms")
        print(f"  workbook              {written * 1000:7.1f} ms")
    finally:
        engine.dispose()
        scratch.cleanup()
        if schema is not None:
            drop_postgres_schema(args.db, schema)


if __name__ == "__main__":
    main()
