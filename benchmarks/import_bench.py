"""Benchmark: time and peak memory of `peerreport import` on generated CSV files.

Prints a table. Each import runs in its own process so its peak memory can be
read (its own and that of the process it reads ahead in, together: `run.measure`);
figures depend on the machine, so nothing here asserts a limit. Usage:

    .venv/bin/python benchmarks/import_bench.py                 # 10k and 100k rows
    .venv/bin/python benchmarks/import_bench.py 1000000         # one size
    .venv/bin/python benchmarks/import_bench.py \
        --db postgresql+psycopg://postgres@127.0.0.1/test 100000
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

from pg_schema import drop_postgres_schema, fresh_postgres_schema
from run import measure


def run(argv: list[str], cwd: Path) -> tuple[float, float, str]:
    """Seconds, peak MB (the command's and any process it starts, together: see
    `run.measure`), and its output."""
    return measure(argv, cwd)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("sizes", nargs="*", type=int, default=[10_000, 100_000])
    parser.add_argument("--db", help="database URL (default: SQLite in the workspace)")
    args = parser.parse_args()
    exe = str(Path(sys.executable).with_name("peerreport"))
    rows = []
    with tempfile.TemporaryDirectory(prefix="peerreport-bench-") as tmp:
        for size in sorted(args.sizes):
            folder = Path(tmp) / f"ws{size}"
            schema = fresh_postgres_schema(args.db) if args.db else None
            db_args = ["--db", schema[0]] if schema else []
            subprocess.run(
                [
                    exe,
                    "init",
                    str(folder),
                    "--name",
                    "Bench",
                    "--provider-code",
                    f"B{uuid.uuid4().hex[:8]}",
                    *db_args,
                ],
                check=True,
                capture_output=True,
            )
            data = folder / "activities.csv"
            gen_s, _, _ = run(
                [
                    exe,
                    "samples",
                    "generate",
                    "--records",
                    str(size),
                    "--only",
                    "activities",
                    "--out",
                    str(data),
                ],
                folder,
            )
            size_mb = data.stat().st_size / 1e6
            first_s, first_mb, out = run([exe, "import", str(data)], folder)
            again_s, again_mb, _ = run([exe, "import", str(data)], folder)
            rows.append(
                (
                    size,
                    size_mb,
                    gen_s,
                    first_s,
                    size / first_s,
                    first_mb,
                    again_s,
                    again_mb,
                    out.strip().splitlines()[-1],
                )
            )
            if schema:
                drop_postgres_schema(args.db, schema[1])
    print(
        f"backend: {'PostgreSQL' if args.db else 'SQLite'}   python {sys.version.split()[0]}   "
        f"cpus {os.cpu_count()}"
    )
    print(
        f"{'rows':>10} {'CSV MB':>7} {'gen s':>7} {'import s':>9} {'rows/s':>8} "
        f"{'peak MB':>8} {'re-import s':>12} {'peak MB':>8}"
    )
    for size, mb, gen_s, first_s, rate, first_mb, again_s, again_mb, _ in rows:
        print(
            f"{size:>10,} {mb:>7.1f} {gen_s:>7.1f} {first_s:>9.1f} {rate:>8,.0f} "
            f"{first_mb:>8.0f} {again_s:>12.1f} {again_mb:>8.0f}"
        )
    print("last import said:", rows[-1][-1] if rows else "-")


if __name__ == "__main__":
    main()
