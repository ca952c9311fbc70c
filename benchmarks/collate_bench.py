"""Benchmark: `peerreport collate` over 1,000 providers' bundles.

Generates the bundles a funder would receive: one return per provider with
random figures, protected by the rule file's own disclosure control, rendered
in every format (XLSX, CSV, JSON, HTML), signed with the provider's own key,
and a provider list naming every key. A few are made to be rejected (another
period, a draft, a tampered file) and a few providers send nothing or send
late. Then it times the collate command as a user runs it (a fresh process)
and, in this process, each phase. Prints a table; asserts nothing. Usage:

    .venv/bin/python benchmarks/collate_bench.py                    # 1,000 bundles
    .venv/bin/python benchmarks/collate_bench.py --bundles 200 --formats json,csv
    .venv/bin/python benchmarks/collate_bench.py --dir /tmp/inbox   # keep (and reuse) them
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import os
import random
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from functools import cache
from pathlib import Path
from typing import Any

PERIOD = "FY2027-Q1"
ROOT = Path(__file__).resolve().parents[1]
COMMAND = (
    "import sys; from peerreport.cli.collate_cmd import collate; "
    "collate(sys.argv[1:], prog_name='peerreport collate')"
)


def provider_return(rule_file: Any, code: str, seed: int, period: Any) -> Any:
    """A provider's return with random figures, published through real disclosure control."""
    from peerreport.compute.figures import Cell, Figure
    from peerreport.returns.build import publish
    from peerreport.returns.model import Return, RuleInfo
    from peerreport.rulebook.cells import measure_codes

    rng = random.Random(seed)
    figures = []
    for ident, compiled in rule_file.measures.items():
        m = compiled.measure
        if m.kind == "expr":
            value: Any = round(rng.uniform(1, 12), m.round or 0)
            figures.append(Figure(ident, m.label, m.kind, value, m.unit, m.line, ()))
            continue
        axes = [measure_codes(rule_file.model, m, f) or [None] for f in m.by]
        cells = tuple(
            Cell(tuple(k), rng.choice([0, 2, 4, 9, 15, 40, 120])) for k in itertools.product(*axes)
        )
        total = sum(int(c.value or 0) for c in cells) if cells else rng.randint(0, 400)
        figures.append(Figure(ident, m.label, m.kind, total, m.unit, m.line, tuple(m.by), cells))
    policy = rule_file.disclosure
    return Return(
        organisation=code,
        organisation_name=f"Peer Network {code}",
        rule=RuleInfo(rule_file.id, rule_file.version, rule_file.digest, rule_file.model.title),
        period=period,
        figures=tuple(publish(rule_file, figures, code, period)),
        findings=(),
        disclosure={
            "method": policy.method,
            "threshold": policy.threshold,
            "secondary": policy.secondary,
            "zero_exempt": policy.zero_exempt,
            "symbol": policy.symbol,
        },
        records_digest="sha256:" + f"{seed:064x}",
        record_counts={"activities": 100 + seed},
    )


@cache
def load_rules(rules: str) -> Any:
    """The rule file, loaded once per worker process."""
    from peerreport.rulebook import load

    return load(rules)


def make_bundle(job: tuple[str, str, int, str, str, list[str]]) -> tuple[str, str, int]:
    """Write one provider's bundle; return (code, key fingerprint, size)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from peerreport.bundle import bundle_bytes, fingerprint, read_archive, write_archive
    from peerreport.render import export_return
    from peerreport.returns.periods import parse_period

    rules, code, seed, kind, folder, formats = job
    rule_file = load_rules(rules)
    period = parse_period("FY2027-Q2" if kind == "other-period" else PERIOD)
    ret = provider_return(rule_file, code, seed, period)
    key = Ed25519PrivateKey.generate()
    with tempfile.TemporaryDirectory() as scratch:
        paths = export_return(
            ret, Path(scratch), formats, draft=kind == "draft", rule_file=rule_file
        )
        files = {p.name: p.read_bytes() for p in paths}
    submitted = dt.datetime(2026, 10, 28 if kind == "late" else 12, 9, tzinfo=dt.UTC)
    submission = {
        "version": 1,
        "supersedes_version": None,
        "reason": None,
        "submitted_at": submitted.isoformat(),
    }
    data = bundle_bytes(ret, files, key, draft=kind == "draft", submission=submission)
    if kind == "tampered":
        archive = read_archive(data)
        name = next(n for n in archive.entries if n.endswith(".csv"))
        changed = archive.entries[name].replace(b",", b";", 1)
        data = write_archive({**archive.entries, name: changed}, archive.comment)
    (Path(folder) / f"{code}.bundle.zip").write_bytes(data)
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return code, fingerprint(raw), len(data)


def generate(rules: str, count: int, folder: Path, formats: list[str]) -> float:
    """Write `count` bundles and providers.csv into `folder`; return the seconds taken."""
    started = time.perf_counter()
    folder.mkdir(parents=True, exist_ok=True)
    special = {3: "other-period", 7: "draft", 11: "tampered"}
    jobs = []
    for i in range(count):
        kind = special.get(i % 200, "late" if i % 100 == 50 else "good")
        jobs.append((rules, f"P{i:04d}", i, kind, str(folder), formats))
    with ProcessPoolExecutor() as pool:
        made = list(pool.map(make_bundle, jobs, chunksize=16))
    lines = ["code,name,fingerprint"]
    lines += [f"{code},Peer Network {code},{key}" for code, key, _ in made]
    lines += [f"X{i:03d},Silent Network {i}," for i in range(10)]  # never send anything
    (folder / "providers.csv").write_text("\n".join(lines) + "\n", "utf-8")
    return time.perf_counter() - started


def phases(rules: str, folder: Path) -> tuple[list[tuple[str, float]], Any]:
    """Time each phase of collation in this process."""
    from peerreport.collate import read_providers, write_summary, write_workbook
    from peerreport.collate.collation import collate
    from peerreport.collate.gather import gather
    from peerreport.collate.totals import collate_figures
    from peerreport.rulebook import load

    rule_file = load(rules)
    paths = sorted(folder.glob("*.zip"))
    providers = read_providers(folder / "providers.csv")
    timings = []
    started = time.perf_counter()
    gathered = gather(paths, rule_file, None, providers)
    timings.append(("verify, sort out (gather)", time.perf_counter() - started))
    started = time.perf_counter()
    collate_figures(rule_file, list(gathered.received.values()), gathered.period)
    timings.append(("add up, protect again", time.perf_counter() - started))
    collation = collate(paths, rule_file, providers)
    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        write_workbook(collation, Path(out) / "c.xlsx")
        timings.append(("write the workbook", time.perf_counter() - started))
        started = time.perf_counter()
        write_summary(collation, Path(out) / "c.html")
        timings.append(("write the HTML summary", time.perf_counter() - started))
    return timings, collation


def main() -> None:
    """Generate (or reuse) the bundles, time the collate command and its phases, print a table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundles", type=int, default=1000)
    parser.add_argument(
        "--rules",
        default="example-peer-support",
        help="Rule file id or path (default: example-peer-support).",
    )
    parser.add_argument("--formats", default="xlsx,csv,json,html")
    parser.add_argument("--dir", type=Path, help="Keep the bundles here (reused if present).")
    args = parser.parse_args()
    folder = args.dir or Path(tempfile.mkdtemp(prefix="collate-bench-"))
    existing = len(list(folder.glob("*.zip"))) if folder.exists() else 0
    made = 0.0
    if existing != args.bundles:
        made = generate(args.rules, args.bundles, folder, args.formats.split(","))
    size = sum(p.stat().st_size for p in folder.glob("*.zip")) / 1e6
    out = folder / "out" / "collated.xlsx"
    argv = [
        sys.executable,
        "-c",
        COMMAND,
        str(folder),
        "--rules",
        args.rules,
        "--providers",
        str(folder / "providers.csv"),
        "--out",
        str(out),
    ]
    started = time.perf_counter()
    done = subprocess.run(
        argv, cwd=ROOT, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}
    )
    command = time.perf_counter() - started
    if done.returncode not in (0, 1):
        raise SystemExit(f"collate failed:\n{done.stdout}\n{done.stderr}")
    timings, collation = phases(args.rules, folder)
    count = args.bundles
    print(
        f"collate: {count:,} bundles ({size:.1f} MB; {args.formats}; signed), rule file "
        f"{args.rules}, {PERIOD}"
    )
    print(
        f"  {collation.count('received')} received, {collation.count('late')} late, "
        f"{collation.count('missing')} missing, {collation.count('rejected')} rejected"
        + (f"; generated in {made:.1f} s" if made else "; bundles reused")
    )
    print(f"\n{'phase':34} {'seconds':>8} {'ms per bundle':>14}")
    for name, seconds in timings:
        print(f"{name:34} {seconds:8.2f} {seconds / count * 1000:14.2f}")
    print(f"{'collate command (fresh process)':34} {command:8.2f} {command / count * 1000:14.2f}")
    print(f"\nbundles in {folder}")


if __name__ == "__main__":
    main()
