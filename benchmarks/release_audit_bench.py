"""Benchmark: the audit of everything an organisation released, on a year of records.

Takes a workspace with records (made by `benchmarks/build_bench.py --keep DIR`,
e.g. 100,000 activities over a year), copies its SQLite database, then files,
one after another, the four quarterly returns of the financial year under
`nz-peer-core` and under `peer-values`, and last an annual return (nz-peer-core
with `period = "year"`). Every build runs the audit against everything filed
before it (`peerreport.disclosure.release.audit_release`); the table shows, for
each build, how many returns it was audited with, the atoms (from one grouped
SQL statement per record source), the cells, the integer programs solved, the
suppressions added, and the seconds in the audit and in the whole build.
Figures depend on the machine, so nothing here asserts a limit. Usage:

    .venv/bin/python benchmarks/build_bench.py 100000 --keep /tmp/ws100k --runs 1
    .venv/bin/python benchmarks/release_audit_bench.py /tmp/ws100k
    .venv/bin/python benchmarks/release_audit_bench.py --demo     # the demo's year
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("workspace", nargs="?", type=Path, help="a workspace with records")
    parser.add_argument("--demo", action="store_true", help="use `peerreport demo`'s records")
    parser.add_argument("--year", default="FY2026", help="financial year (default: FY2026)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="peerreport-release-bench-") as tmp:
        folder = Path(tmp) / "ws"
        if args.demo:
            exe = str(Path(sys.executable).with_name("peerreport"))
            subprocess.run([exe, "demo", "--out", str(folder)], check=True, capture_output=True)
        elif args.workspace is not None:
            shutil.copytree(args.workspace, folder)
        else:
            parser.error("give a workspace folder, or --demo")
        _bench(folder, args.year, Path(tmp))


def _bench(folder: Path, year: str, tmp: Path) -> None:
    import peerreport.disclosure.release as release
    from peerreport.filing import file_return
    from peerreport.findings import Severity
    from peerreport.returns.build import build_return
    from peerreport.returns.periods import parse_period
    from peerreport.rulebook import Catalogue, load, locate
    from peerreport.store.database import open_engine
    from peerreport.workspace import load_workspace

    workspace = load_workspace(folder)
    engine = open_engine(workspace.database_url)
    org, name = workspace.provider_code, workspace.organisation_name
    rules = tmp / "rules"
    rules.mkdir()
    text = locate("nz-peer-core").read_text("utf-8")
    annual_path = rules / "nz-peer-core-annual.toml"
    annual_path.write_text(
        text.replace('id = "nz-peer-core"', 'id = "nz-peer-core-annual"').replace(
            'period = "quarter"', 'period = "year"'
        ),
        "utf-8",
    )
    annual = load(annual_path, Catalogue([rules]))
    seen: list[Any] = []
    original = release.audit

    def timed(conn: Any, org_: str, releases: Any) -> Any:
        started = time.perf_counter()
        result = original(conn, org_, releases)
        seen.append((len(releases), result, time.perf_counter() - started))
        return result

    release.audit = timed  # type: ignore[assignment]
    plan = [
        (load(r), f"{year}-Q{q}") for r in ("nz-peer-core", "peer-values") for q in (1, 2, 3, 4)
    ]
    plan.append((annual, year))
    print(
        f"{'return':<32} {'with':>4} {'atoms':>6} {'cells':>6} {'MILPs':>6} "
        f"{'hidden+':>7} {'audit s':>8} {'build s':>8}"
    )
    for rule_file, label in plan:
        period = parse_period(label, rule_file.model.year_start or "07-01")
        started = time.perf_counter()
        ret = build_return(engine, org, name, rule_file, period)
        took = time.perf_counter() - started
        count, result, audit_s = seen[-1]
        print(
            f"{rule_file.id + ' ' + label:<32} {count - 1:>4} {result.atoms:>6} {result.cells:>6} "
            f"{result.programs:>6} {len(result.hide):>7} {audit_s:>8.2f} {took:>8.2f}"
        )
        if not ret.has_errors:
            file_return(engine, ret, rule_file, tmp / "out", formats=("json",))
        else:
            errors = [f.message[:160] for f in ret.findings if f.severity == Severity.ERROR]
            print("   not filed: " + "; ".join(errors))
    engine.dispose()


if __name__ == "__main__":
    main()
