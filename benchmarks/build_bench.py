"""Benchmark: time `build_return` for one quarter over N imported activity records.

Records keep history, so every build filters each record table on its revision
columns; this measures what a build costs at a size an organisation (or a
funder holding many) could reach. It makes a workspace, generates a year's
sample records with `peerreport samples generate` (N activities, their
breakdowns, workforce and feedback), imports them with `peerreport import`,
then builds the shipped return `nz-peer-support-adults` for the busiest
financial-year quarter: one warm-up build, then --runs timed builds, reporting
the median and the fastest, in wall-clock seconds and in this process's CPU
seconds (on SQLite a build runs in-process, so CPU time is the steadier figure
on a busy machine). Figures depend on the machine, so nothing here asserts a
limit. Usage:

    .venv/bin/python benchmarks/build_bench.py                      # 100,000 activities
    .venv/bin/python benchmarks/build_bench.py 1000000              # one million
    .venv/bin/python benchmarks/build_bench.py --records big.csv    # an existing sample
    .venv/bin/python benchmarks/build_bench.py 1000000 --keep /tmp/ws1m   # keep, reuse
    .venv/bin/python benchmarks/build_bench.py --keep /tmp/ws1m     # time again, no import
    .venv/bin/python benchmarks/build_bench.py \\
        --db postgresql+psycopg://postgres@127.0.0.1:5432/test 100000

--records FILE imports an activities CSV written by `peerreport samples
generate --out FILE` (its -breakdowns/-workforce/-feedback siblings too, when
present), so two versions of peerreport can be compared on identical records.
--keep DIR keeps the workspace (and, with --db, its schema) and, when DIR
already holds one with records, skips generating and importing. To compare two
checkouts, import once into a kept workspace per checkout, then run each
checkout's own Python with --keep in turn, a few times, alternating.

On PostgreSQL the record tables are ANALYZEd before timing (--no-analyze to
skip): right after a big import, before autovacuum has gathered statistics,
the planner may join breakdowns to activities by nested loop, and a build is
then slower by orders of magnitude and depends on autovacuum's timing.

Only `build_return(engine, org, org_name, rule_file, period)` is called, so
this runs unchanged on versions before and after records kept history. The
"figures" fingerprint hashes every published figure; equal fingerprints mean
two versions built the same return.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

from pg_schema import drop_postgres_schema, fresh_postgres_schema
from sqlalchemy import extract, func, select, text

RULES = "nz-peer-support-adults"
RECORD_TYPES = ("breakdowns", "workforce", "feedback")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("size", nargs="?", type=int, default=100_000, help="activities to generate")
    parser.add_argument("--records", type=Path, help="import this activities CSV instead")
    parser.add_argument("--keep", type=Path, help="workspace folder to keep (and reuse)")
    parser.add_argument("--db", help="PostgreSQL URL (default: SQLite in the workspace)")
    parser.add_argument("--period", help="period to build (default: the busiest FY quarter)")
    parser.add_argument("--rules", default=RULES, help=f"rule file (default: {RULES})")
    parser.add_argument("--runs", type=int, default=5, help="timed builds (default: 5)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed builds first (default: 1)")
    parser.add_argument(
        "--only-activities", action="store_true", help="generate and import activities only"
    )
    parser.add_argument(
        "--no-analyze", action="store_true", help="PostgreSQL: do not ANALYZE before timing"
    )
    args = parser.parse_args()
    if args.keep:
        args.keep.parent.mkdir(parents=True, exist_ok=True)
        _bench(args, args.keep.resolve())
    else:
        with tempfile.TemporaryDirectory(prefix="peerreport-build-bench-") as tmp:
            _bench(args, Path(tmp) / "ws")


def _bench(args: argparse.Namespace, folder: Path) -> None:
    import peerreport
    from peerreport.store.database import open_engine
    from peerreport.workspace import load_workspace

    exe = str(Path(sys.executable).with_name("peerreport"))
    schema = None
    setup: list[tuple[str, float]] = []
    try:
        if not (folder / "peerreport.toml").exists():
            schema = fresh_postgres_schema(args.db) if args.db else None
            _init(exe, folder, schema[0] if schema else None)
        workspace = load_workspace(folder)
        engine = open_engine(workspace.database_url)
        stored = _activity_count(engine, workspace.provider_code)
        if stored == 0:
            files = _sample_files(args, exe, folder, setup)
            started = time.perf_counter()
            _run([exe, "import", *map(str, files)], folder)
            setup.append(("import", time.perf_counter() - started))
            stored = _activity_count(engine, workspace.provider_code)
        analyzed = engine.dialect.name == "postgresql" and not args.no_analyze
        if analyzed:
            _analyze(engine)
        period_text = args.period or _busiest_quarter(engine, workspace.provider_code)
        times, cpu, ret = _time_builds(engine, workspace, args, period_text)
        engine.dispose()
    finally:
        if schema and not args.keep:
            drop_postgres_schema(args.db, schema[1])
    backend = "PostgreSQL" if workspace.database_url.startswith("postgresql") else "SQLite"
    print(
        f"backend: {backend}   python {sys.version.split()[0]}   cpus {os.cpu_count()}   "
        f"peerreport {Path(peerreport.__file__).parent} ({_commit()})"
    )
    if schema and args.keep:
        print(f"kept schema {schema[1]} (drop it when done)")
    if backend == "PostgreSQL":
        print(f"record tables analyzed before timing: {'yes' if analyzed else 'no'}")
    for step, seconds in setup:
        print(f"{step}: {seconds:.1f} s")
    counts = ret.record_counts
    print(f"activities stored: {stored:,}   rule file: {args.rules}   period: {period_text}")
    print("records in period: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
    print(f"figures: {_fingerprint(ret)}   records digest: {ret.records_digest[:23]}")
    print(
        f"{'activities':>12} {'runs':>5} {'median s':>9} {'min s':>7} {'max s':>7} "
        f"{'median cpu s':>13} {'min cpu s':>10}"
    )
    print(
        f"{counts.get('activities', 0):>12,} {len(times):>5} {statistics.median(times):>9.3f} "
        f"{min(times):>7.3f} {max(times):>7.3f} {statistics.median(cpu):>13.3f} {min(cpu):>10.3f}"
    )
    print("times: " + " ".join(f"{t:.3f}" for t in times))
    print("cpu:   " + " ".join(f"{t:.3f}" for t in cpu))


def _time_builds(
    engine: Any, workspace: Any, args: argparse.Namespace, period_text: str
) -> tuple[list[float], list[float], Any]:
    """Wall-clock and CPU seconds of each timed build, and the last return built."""
    from peerreport.returns.build import build_return
    from peerreport.returns.periods import check_fits, parse_period
    from peerreport.rulebook import load

    rule_file = load(args.rules)
    year_start = rule_file.model.year_start or "07-01"
    period = parse_period(period_text, year_start)
    check_fits(period, rule_file.model.period or "quarter", year_start)
    org, name = workspace.provider_code, workspace.organisation_name
    ret = None
    for _ in range(args.warmup):
        ret = build_return(engine, org, name, rule_file, period)
    times, cpu = [], []
    for _ in range(max(1, args.runs)):
        started, started_cpu = time.perf_counter(), time.process_time()
        ret = build_return(engine, org, name, rule_file, period)
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    return times, cpu, ret


def _init(exe: str, folder: Path, db_url: str | None) -> None:
    code = f"B{uuid.uuid4().hex[:8]}"
    db_args = ["--db", db_url] if db_url else []
    _run([exe, "init", str(folder), "--name", "Bench", "--provider-code", code, *db_args])


def _sample_files(
    args: argparse.Namespace, exe: str, folder: Path, setup: list[tuple[str, float]]
) -> list[Path]:
    """The files to import: the given CSV and its siblings, or a freshly generated sample."""
    if args.records:
        data = args.records.resolve()
    else:
        data = folder / "activities.csv"
        only = ["--only", "activities"] if args.only_activities else []
        started = time.perf_counter()
        _run([exe, "samples", "generate", "--records", str(args.size), *only, "--out", str(data)])
        setup.append(("generate", time.perf_counter() - started))
    files = [data]
    if not args.only_activities:
        for record_type in RECORD_TYPES:
            other = data.with_name(f"{data.stem}-{record_type}{data.suffix}")
            if other.exists():
                files.append(other)
    return files


def _run(argv: list[str], cwd: Path | None = None) -> str:
    env = {k: v for k, v in os.environ.items() if k != "PEERREPORT_DATABASE_URL"}
    done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def _activity_count(engine: Any, org: str) -> int:
    from peerreport.store.schema import activity

    with engine.connect() as conn:
        query = select(func.count()).select_from(activity).where(activity.c.org == org)
        return int(conn.execute(query).scalar_one())


def _analyze(engine: Any) -> None:
    """Gather planner statistics for the record tables, as autovacuum would in time."""
    with engine.begin() as conn:
        for table in ("activity", "activity_breakdown", "member_token", "workforce", "feedback"):
            conn.execute(text(f"ANALYZE {table}"))


def _busiest_quarter(engine: Any, org: str) -> str:
    """The NZ financial-year quarter (July start) holding the most activity rows."""
    from peerreport.store.schema import activity

    year, month = extract("year", activity.c.date), extract("month", activity.c.date)
    query = select(year, month, func.count()).where(activity.c.org == org).group_by(year, month)
    quarters: Counter[str] = Counter()
    with engine.connect() as conn:
        for y, m, n in conn.execute(query):
            y, m = int(y), int(m)
            quarters[f"FY{y + 1 if m >= 7 else y}-Q{(m - 7) % 12 // 3 + 1}"] += int(n)
    if not quarters:
        raise SystemExit("no activities stored")
    return quarters.most_common(1)[0][0]


def _fingerprint(ret: Any) -> str:
    """A short hash of every published figure: equal across versions that build alike."""
    figures = [
        [f.id, f.total.value, f.total.status, [[list(c.key), c.value, c.status] for c in f.cells]]
        for f in ret.figures
    ]
    encoded = json.dumps(figures, default=str, sort_keys=True).encode()
    return hashlib.sha256(encoded).hexdigest()[:16]


def _commit() -> str:
    import peerreport

    done = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        cwd=Path(peerreport.__file__).parent,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip() or "unknown commit"


if __name__ == "__main__":
    main()
