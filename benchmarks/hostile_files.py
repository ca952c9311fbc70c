"""Benchmark: full-size hostile files through `peerreport import`, with peak memory and time.

The tests in tests/intake/test_hostile_files.py use small files and lowered
limits; this script builds the real-size files of issue 15 (a workbook of
empty rows that unpacks to gigabytes, a CSV of a million columns, ...) in a
temporary folder, imports each with the default limits in its own
`peerreport import --json` process, and prints the exit code, the finding
code, the seconds and the child's peak resident memory (from os.wait4). Each
child runs under a 4 GB address-space limit and a time limit, so a regression
fails here instead of taking the machine down. Nothing is asserted: the
figures depend on the machine. Usage:

    .venv/bin/python benchmarks/hostile_files.py
    .venv/bin/python benchmarks/hostile_files.py --only csv-1m-columns
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.intake import hostile

MEMORY_CAP = 4 * 1024**3  # address space of each import, so a regression cannot exhaust RAM
TIME_CAP = 600  # seconds

CASES: dict[str, tuple[str, Callable[[Path], Path]]] = {
    "xlsx-bomb-empty-rows": (
        "workbook: 280 million <row/> (1.7 GB of XML)",
        lambda d: hostile.empty_rows_workbook(d / "bomb.xlsx", 280_000_000, numbered=False),
    ),
    "xlsx-bomb-300mb": (
        "workbook: 50 million <row/> (300 MB of XML, under the part limit)",
        lambda d: hostile.empty_rows_workbook(d / "bomb.xlsx", 50_000_000, numbered=False),
    ),
    "xlsx-1m-numbered-empty-rows": (
        "workbook: 1,048,575 numbered empty rows (ratio under 100)",
        lambda d: hostile.empty_rows_workbook(d / "tall.xlsx", 1_048_575),
    ),
    "xlsx-1m-rows-dimension-XFD": (
        "workbook: the same, claiming A1:XFD1048576",
        lambda d: hostile.empty_rows_workbook(
            d / "wide.xlsx", 1_048_575, dimension="A1:XFD1048576"
        ),
    ),
    "csv-1m-columns": (
        "CSV: 1,000,000 columns",
        lambda d: hostile.wide_csv(d / "activities.csv", 1_000_000),
    ),
    "csv-3m-empty-rows": (
        "CSV: 3,000,000 empty rows",
        lambda d: hostile.tall_csv(d / "activities.csv", 3_000_000),
    ),
    "csv-100mb-line": (
        "CSV: one 100 MB line without a newline",
        lambda d: hostile.long_line_csv(d / "activities.csv", 100_000_000),
    ),
    "csv-nul": ("CSV: a NUL byte in a notes cell", lambda d: hostile.nul_csv(d / "activities.csv")),
    "csv-utf16": ("CSV: UTF-16 with a BOM", lambda d: hostile.utf16_csv(d / "activities.csv")),
    "jsonl-deep-1m": (
        "JSON Lines: lists nested 1,000,000 deep",
        lambda d: hostile.deep_jsonl(d / "activities.jsonl", 1_000_000),
    ),
    "jsonl-5000-digits": (
        "JSON Lines: a 5,000-digit number",
        lambda d: hostile.big_number_jsonl(d / "activities.jsonl", 5_000),
    ),
}


def _limit() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


def _codes(out: bytes, err: bytes) -> str:
    try:
        report = json.loads(out)
        codes = sorted({p["code"] for f in report["files"] for p in f["problems"]})
        return ", ".join(codes) or ("stored" if report["stored"] else "-")
    except (ValueError, KeyError, TypeError):
        return (err or out).decode("utf-8", "replace").strip().splitlines()[-1][:60]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--only", nargs="*", choices=sorted(CASES), help="cases to run")
    args = parser.parse_args()
    exe = str(Path(sys.executable).with_name("peerreport"))
    names = args.only or list(CASES)
    print(
        f"{'case':30} {'file':>9} {'build s':>8} {'exit':>4} {'finding':10} {'s':>7} {'peak MB':>8}"
    )
    for name in names:
        build = CASES[name][1]
        with tempfile.TemporaryDirectory(prefix="peerreport-hostile-") as tmp:
            folder = Path(tmp)
            workspace = folder / "ws"
            subprocess.run(
                [
                    exe,
                    "init",
                    str(workspace),
                    "--name",
                    "Hostile",
                    "--provider-code",
                    f"H{uuid.uuid4().hex[:8]}",
                ],
                check=True,
                capture_output=True,
            )
            started = time.perf_counter()
            path = build(folder)
            built = time.perf_counter() - started
            size = path.stat().st_size
            code, seconds, peak, found = _measured(exe, workspace, path)
            print(
                f"{name:30} {_size(size):>9} {built:8.1f} {code:>4} {found:10} "
                f"{seconds:7.2f} {peak:8.0f}",
                flush=True,
            )
    print("\n" + "\n".join(f"{n}: {CASES[n][0]}" for n in names))


def _measured(exe: str, workspace: Path, path: Path) -> tuple[int, float, float, str]:
    """Run one import in its own process; its peak memory from os.wait4, not the running max."""
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        child = subprocess.Popen(
            [exe, "import", "--json", str(path)],
            cwd=workspace,
            stdout=out,
            stderr=err,
            preexec_fn=_limit,
        )
        deadline = started + TIME_CAP
        while True:
            pid, status, usage = os.wait4(child.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                child.kill()
            time.sleep(0.05)
        child.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        found = _codes(out.read(), err.read())
    return child.returncode, seconds, usage.ru_maxrss / 1024, found


def _size(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024**2:
        return f"{size / 1024:.1f} KB"
    return f"{size / 1024**2:.1f} MB"


if __name__ == "__main__":
    main()
