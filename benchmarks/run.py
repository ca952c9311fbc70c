"""Benchmark: peerreport's import, build and export beside the floors they should approach.

For each size (activities; their breakdowns come with them) and each database
(SQLite, and PostgreSQL when --pg or PEERREPORT_TEST_POSTGRES_URL gives one),
this times, in the same run and on the same generated data:

- **import**: `peerreport import` of the activities and breakdowns CSVs into a
  fresh workspace (wall seconds and peak memory, of the command and any process
  it starts, together; a CSV past intake's 2,000,000-row limit for one file is
  split into parts, all imported in the one command, the split not timed),
  against the floor:
  the same rows read with `csv`, their dates, numbers and yes/no parsed, and
  written with `executemany` into a plain SQLite table, or with psycopg's
  COPY into a plain PostgreSQL table;
- **build**: `build_return` of the quarter with the most activities, using
  `benchmarks/national.toml`, against the floor: one grouped scan per record
  table over peerreport's own stored tables (the same figures, folded in
  Python from a few hundred grouped rows), and a pandas script that reads the
  two CSVs and computes the same figures (pandas is in the `bench` extra:
  `pip install -e '.[bench]'`; without it that column is left empty);
- **export**: `peerreport export` of the same quarter to xlsx, csv, json and
  html.

Each import and build, ours and the floors', is also measured in CPU seconds: the
client's (the command and every process it started, or this process for a build
and the floors) and, when the PostgreSQL server runs on this machine, the
server's (`server_cpu`). On a machine with few cores the wall time of a step
that keeps them all busy is its CPU time shared out, and the "cpu ratio"
column says how much work each does, whatever the cores.

Every baseline's figures are checked against peerreport's before any time is
printed: a baseline that computes something else is a failed run, not a fast
one. Runs are interleaved (peerreport, floor, peerreport, floor...) and the
median of --runs is reported, with the ratio peerreport / floor. The table is
printed and written as JSON (--json FILE) with the machine's cores and memory.
Figures depend on the machine; nothing here asserts a limit. Usage:

    .venv/bin/python benchmarks/run.py                          # 10k and 100k
    .venv/bin/python benchmarks/run.py 10000 100000 1000000 5000000 --runs 3
    .venv/bin/python benchmarks/run.py 100000 --pg postgresql+psycopg://postgres@127.0.0.1:5432/test
    .venv/bin/python benchmarks/run.py 100000 --no-pg --json bench.json
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime as dt
import json
import os
import platform
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from build_bench import _busiest_quarter as busiest_quarter  # the same quarter build_bench times
from pg_schema import drop_postgres_schema, fresh_postgres_schema
from sqlalchemy import Engine, text

HERE = Path(__file__).resolve().parent
RULES = HERE / "national.toml"
#: A figure's cells by key; () is the total. Zeros are left out on every side.
Figures = dict[str, dict[tuple[str | None, ...], int]]

SERVICE_TYPE = {
    "one_to_one": "peer_support",
    "group": "peer_support",
    "drop_in": "peer_support",
    "outreach": "peer_support",
    "warm_line_call": "phone_service",
    "individual_advocacy": "advocacy",
    "education": "resource_information",
    "community_event": "resource_information",
    "consultation": "leadership_consultancy",
    "systemic_advocacy": "leadership_consultancy",
    "other": "other",
}
DELIVERY = {"in_person": "in_person", "phone": "remote", "video": "remote", "text_online": "remote"}
ETHNIC_GROUP = {
    "maori": "maori",
    "pacific": "pacific",
    "european": "other_ethnicity",
    "asian": "other_ethnicity",
    "melaa": "other_ethnicity",
    "other": "other_ethnicity",
    "not_stated": "not_stated",
}


# -- measuring ------------------------------------------------------------------------------


@dataclass
class Timing:
    """The seconds (and peak MB, for child processes) of one step's runs, and the CPU
    seconds they took: the client's (the process and every process it started), and a
    PostgreSQL server's on this machine (`server_cpu`), where there is one."""

    seconds: list[float] = field(default_factory=list)
    peak_mb: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    server_cpu: list[float] = field(default_factory=list)

    def add(self, seconds: float, cpu: float, server: float | None) -> None:
        self.seconds.append(seconds)
        self.cpu.append(cpu)
        if server is not None:
            self.server_cpu.append(server)

    @property
    def cpu_median(self) -> float | None:
        """The median of the runs' CPU seconds, client and server together."""
        if not self.cpu:
            return None
        if not self.server_cpu:  # no server (SQLite), or none that could be read
            return statistics.median(self.cpu)
        if len(self.server_cpu) != len(self.cpu):
            return None  # the server's time read for some runs only: no figure to give
        return statistics.median(c + s for c, s in zip(self.cpu, self.server_cpu, strict=True))

    @property
    def median(self) -> float | None:
        return statistics.median(self.seconds) if self.seconds else None

    @property
    def peak(self) -> float | None:
        return max(self.peak_mb) if self.peak_mb else None


#: Runs a command and writes its wall seconds and peak memory (KiB) to the file argv[1]
#: names. The peak is the larger of the command's own peak RSS (`ru_maxrss`, which also
#: covers any child it waited for, one process at a time) and the highest sum of the RSS of
#: the command and all its descendants, sampled every 20 ms: an import that reads ahead in
#: a second process (`intake.read_ahead`) holds both at once. A sum of RSS counts the pages
#: the processes share (a fork's copy of the interpreter) twice, so it errs high, never low.
#: A command started straight from this process would report a peak no lower than this
#: process's own size: Linux carries the forked copy's high-water mark across exec into the
#: child's ru_maxrss, and this process grows (the baselines, pandas). Started from this small
#: interpreter instead, the command's peak is its own.
_MEASURE = """
import os, sys, time

def tree(pid):
    found = [pid]
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as children:
                for child in children.read().split():
                    found += tree(int(child))
    except OSError:
        pass
    return found

def rss_kib(pid):
    try:
        with open(f"/proc/{pid}/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024
    except OSError:
        return 0

started = time.perf_counter()
pid = os.fork()
if pid == 0:
    os.execvp(sys.argv[2], sys.argv[2:])
summed = 0
while True:
    done, status, usage = os.wait4(pid, os.WNOHANG)
    if done:
        break
    if os.path.isdir("/proc"):
        summed = max(summed, sum(rss_kib(p) for p in tree(pid)))
    time.sleep(0.02)
with open(sys.argv[1], "w") as out:
    cpu = usage.ru_utime + usage.ru_stime  # with every descendant it waited for
    out.write(f"{time.perf_counter() - started} {max(usage.ru_maxrss, summed)} {cpu}")
sys.exit(os.waitstatus_to_exitcode(status))
"""


def run_child(argv: list[str], cwd: Path | None = None) -> tuple[float, float]:
    """Run a command; its wall seconds and its peak memory in MB (see `_MEASURE`)."""
    seconds, peak, _ = measure(argv, cwd)
    return seconds, peak


def measure(argv: list[str], cwd: Path | None = None) -> tuple[float, float, str]:
    """Run a command; its wall seconds, peak memory in MB (see `_MEASURE`) and output."""
    seconds, peak, _, output = measure_cpu(argv, cwd)
    return seconds, peak, output


def measure_cpu(argv: list[str], cwd: Path | None = None) -> tuple[float, float, float, str]:
    """Run a command; its wall seconds, peak memory in MB (see `_MEASURE`), CPU seconds
    (its own and those of every process it started and waited for) and output."""
    with tempfile.TemporaryDirectory(prefix="peerreport-measure-") as folder:
        report = Path(folder) / "measured"
        child = subprocess.run(
            [sys.executable, "-c", _MEASURE, str(report), *argv],
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        output = child.stdout.decode()
        if child.returncode != 0:
            raise SystemExit(f"{' '.join(argv)} failed ({child.returncode}):\n{output}")
        seconds, peak_kib, cpu = report.read_text().split()
    return float(seconds), int(peak_kib) / 1024, float(cpu), output


def timed(step: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = step()
    return time.perf_counter() - started, result


def timed_cpu(step: Callable[[], Any]) -> tuple[float, float, Any]:
    """Wall seconds, this process's CPU seconds (every thread) and the step's result."""
    started, cpu = time.perf_counter(), time.process_time()
    result = step()
    return time.perf_counter() - started, time.process_time() - cpu, result


#: The postmaster's process id of each PostgreSQL URL whose server runs on this machine.
_POSTMASTERS: dict[str, int | None] = {}


def _stat(pid: int | str) -> list[str]:
    """The fields of `/proc/PID/stat` after the process's name (state first)."""
    with open(f"/proc/{pid}/stat") as handle:
        stat = handle.read()
    return stat[stat.rindex(")") + 2 :].split()


def postmaster_of(url: str) -> int | None:
    """The process id of the server `url` connects to, when it runs on this machine (its
    backend's parent, in `/proc`); None when it cannot be seen from here."""
    if url not in _POSTMASTERS:
        import psycopg

        found: int | None = None
        with contextlib.suppress(OSError, psycopg.Error):
            plain = url.replace("postgresql+psycopg://", "postgresql://")
            with psycopg.connect(plain) as conn:
                backend = conn.execute("SELECT pg_backend_pid()").fetchone()
                if backend is not None:
                    found = int(_stat(backend[0])[1])  # the backend's parent
        _POSTMASTERS[url] = found
    return _POSTMASTERS[url]


def server_cpu(url: str | None) -> float | None:
    """CPU seconds used so far by the PostgreSQL server `url` connects to, when it runs on
    this machine: its postmaster's and those of every process the postmaster runs and has
    run (Linux's `/proc`: user and system time, with that of the children it has waited
    for). None for SQLite, or when the server cannot be seen from here. Everything the
    server does counts, its background workers (autovacuum, the checkpointer) and other
    clients' work too, so a step's figure can err high on a shared server."""
    if not url or not os.path.isdir("/proc"):
        return None
    postmaster = postmaster_of(url)
    if postmaster is None:
        return None
    # A backend that exits while the processes are read can be missed twice over: its own
    # time is gone once the postmaster has waited for it, and the postmaster's children's
    # time was read before. So the reading is started again while a process has exited
    # part way through it (or has yet to be waited for).
    ticks = 0
    for _ in range(100):
        ticks, exited = 0, False
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                values = _stat(entry)
            except OSError:
                exited = True
                continue
            if int(entry) == postmaster or int(values[1]) == postmaster:
                exited = exited or values[0] in ("Z", "X")
                ticks += sum(int(v) for v in values[11:15])  # utime, stime, cutime, cstime
        if not exited:
            break
        time.sleep(0.01)
    return ticks / os.sysconf("SC_CLK_TCK")


def _since(before: float | None, url: str | None) -> float | None:
    after = server_cpu(url)
    return None if before is None or after is None else after - before


# -- the data -------------------------------------------------------------------------------


def peerreport_exe() -> str:
    return str(Path(sys.executable).with_name("peerreport"))


def generate(size: int, folder: Path) -> tuple[Path, Path]:
    """Activities and their breakdowns from the sample generator, as CSV."""
    out = folder / "activities.csv"
    run_child(
        [
            peerreport_exe(),
            "samples",
            "generate",
            "--records",
            str(size),
            "--only",
            "activities",
            "--only",
            "breakdowns",
            "--out",
            str(out),
        ]
    )
    return out, out.with_name("activities-breakdowns.csv")


def _date(value: str) -> dt.date:
    day, month, year = value.split("/")
    return dt.date(int(year), int(month), int(day))


def _int(value: str) -> int | None:
    return int(value) if value else None


def _yes(value: str) -> bool:
    return value == "yes"


def activity_rows(path: Path) -> Iterator[tuple[Any, ...]]:
    """The activities CSV's rows, typed as the floor stores them."""
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        next(reader)
        for r in reader:
            yield (
                r[0],
                _date(r[1]),
                r[2] or None,
                _int(r[3]),
                r[4],
                r[5] or None,
                r[6] or None,
                r[7] or None,
                r[8] or None,
                r[9] or None,
                int(r[10]),
                _int(r[11]),
                _int(r[12]),
                _int(r[13]),
                _yes(r[14]),
                _yes(r[15]),
                r[16] or None,
                _yes(r[17]),
                r[18] or None,
                r[19] or None,
                r[20] or None,
                _int(r[21]),
                _int(r[22]),
                _int(r[23]),
            )


def breakdown_rows(path: Path) -> Iterator[tuple[Any, ...]]:
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        next(reader)
        for r in reader:
            yield (
                r[0],
                r[1],
                r[2],
                int(r[3]),
                r[4] if len(r) > 4 else "",
                r[5] if len(r) > 5 else "",
            )


ACTIVITY_COLUMNS = (
    "activity_id text primary key, date date not null, start_time text, duration_minutes integer,"
    " kind text not null, programme text, mode text, setting text, group_id text, topic text,"
    " attendance integer not null, first_time integer, peer_workers integer, volunteers integer,"
    " member_led boolean not null, co_facilitated boolean not null, population_focus text,"
    " community_session boolean not null, member_tokens text, notes text, purchase_unit text,"
    " resources_linked integer, resources_given integer, calls_missed integer"
)
BREAKDOWN_COLUMNS = (
    "activity_id text not null, dimension text not null, category text not null,"
    " count integer not null, dimension2 text not null, category2 text not null,"
    " primary key (activity_id, dimension, category, dimension2, category2)"
)


def floor_sqlite(activities: Path, breakdowns: Path, folder: Path) -> None:
    """The SQLite floor: csv + typed values + executemany in one transaction."""
    db = folder / f"floor-{uuid.uuid4().hex[:6]}.sqlite"
    conn = sqlite3.connect(db)
    conn.execute(f"create table activity ({ACTIVITY_COLUMNS})")
    conn.execute(f"create table breakdown ({BREAKDOWN_COLUMNS})")
    with conn:
        conn.executemany(
            f"insert into activity values ({','.join('?' * 24)})",
            ((*r[:1], r[1].isoformat(), *r[2:]) for r in activity_rows(activities)),
        )
        conn.executemany("insert into breakdown values (?,?,?,?,?,?)", breakdown_rows(breakdowns))
    conn.close()
    db.unlink()


def floor_postgres(activities: Path, breakdowns: Path, url: str) -> None:
    """The PostgreSQL floor: csv + typed values + psycopg COPY into plain tables."""
    import psycopg

    plain = url.replace("postgresql+psycopg://", "postgresql://")
    name = "floor_" + uuid.uuid4().hex[:10]
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'create schema "{name}"')
        try:
            with conn.transaction():
                conn.execute(f'create table "{name}".activity ({ACTIVITY_COLUMNS})')
                conn.execute(f'create table "{name}".breakdown ({BREAKDOWN_COLUMNS})')
                with conn.cursor().copy(f'copy "{name}".activity from stdin') as copy:
                    for row in activity_rows(activities):
                        copy.write_row(row)
                with conn.cursor().copy(f'copy "{name}".breakdown from stdin') as copy:
                    for row in breakdown_rows(breakdowns):
                        copy.write_row(row)
        finally:
            conn.execute(f'drop schema "{name}" cascade')


# -- figures --------------------------------------------------------------------------------


def _add(figures: Figures, measure: str, key: tuple[str | None, ...], value: int | None) -> None:
    if value:
        cells = figures.setdefault(measure, {})
        cells[key] = cells.get(key, 0) + int(value)


def fold_activities(figures: Figures, groups: Any) -> None:
    """Fold grouped rows (community_session, kind, mode, member_led, n, attendance, first_time,
    minutes) into the rule file's activity figures."""
    for community, kind, mode, member_led, n, attendance, first_time, minutes in groups:
        if community:
            _add(figures, "community_sessions", (), n)
            _add(figures, "community_attendances", (), attendance)
            continue
        _add(figures, "direct_activities", (), n)
        _add(figures, "direct_activities", (SERVICE_TYPE[kind],), n)
        _add(figures, "direct_attendances", (), attendance)
        _add(figures, "direct_attendances", (DELIVERY[mode] if mode else None,), attendance)
        _add(figures, "new_people", (), first_time)
        _add(figures, "delivery_minutes", (), minutes)
        if member_led:
            _add(figures, "member_led_sessions", (), n)


def fold_breakdowns(figures: Figures, groups: Any) -> None:
    for category, count in groups:
        _add(figures, "attendances_by_ethnicity", (), count)
        _add(figures, "attendances_by_ethnicity", (ETHNIC_GROUP[category],), count)


def single_scan(engine: Engine, org: str, start: dt.date, end: dt.date) -> Figures:
    """The build floor: one grouped scan of each record table peerreport stored."""
    params = {"org": org, "start": start, "end": end}
    figures: Figures = {}
    with engine.connect() as conn:
        fold_activities(
            figures,
            conn.execute(
                text(
                    "select community_session, kind, mode, member_led, count(*), sum(attendance),"
                    " sum(first_time), sum(duration_minutes) from activity"
                    " where org = :org and date between :start and :end and valid_to is null"
                    " group by community_session, kind, mode, member_led"
                ),
                params,
            ),
        )
        fold_breakdowns(
            figures,
            conn.execute(
                text(
                    "select b.category, sum(b.count) from activity_breakdown b join activity a"
                    " on a.org = b.org and a.activity_id = b.activity_id and a.valid_to is null"
                    " where b.org = :org and b.valid_to is null and b.dimension = 'ethnicity'"
                    " and b.dimension2 = ''"
                    " and a.date between :start and :end group by b.category"
                ),
                params,
            ),
        )
    return figures


def pandas_figures(activities: Path, breakdowns: Path, start: dt.date, end: dt.date) -> Figures:
    """The pandas baseline: read both CSVs and compute the same figures."""
    import pandas as pd

    a = pd.read_csv(
        activities,
        usecols=[
            "activity_id",
            "date",
            "kind",
            "mode",
            "attendance",
            "first_time",
            "duration_minutes",
            "member_led",
            "community_session",
        ],
        dtype={"kind": "category", "mode": "category"},
    )
    a["date"] = pd.to_datetime(a["date"], format="%d/%m/%Y")
    a = a[(a["date"] >= pd.Timestamp(start)) & (a["date"] <= pd.Timestamp(end))]
    a["community_session"] = a["community_session"] == "yes"
    a["member_led"] = a["member_led"] == "yes"
    grouped = (
        a.groupby(["community_session", "kind", "mode", "member_led"], dropna=False, observed=True)
        .agg(
            n=("activity_id", "size"),
            attendance=("attendance", "sum"),
            first_time=("first_time", "sum"),
            minutes=("duration_minutes", "sum"),
        )
        .reset_index()
    )
    rows = [
        (c, k, None if pd.isna(m) else m, led, n, att, ft, mins)
        for c, k, m, led, n, att, ft, mins in grouped.itertuples(index=False)
    ]
    figures: Figures = {}
    fold_activities(figures, rows)
    b = pd.read_csv(breakdowns)
    one = b["dimension2"].isna() if "dimension2" in b else True  # counts by one dimension
    b = b[(b["dimension"] == "ethnicity") & one & b["activity_id"].isin(a["activity_id"])]
    fold_breakdowns(figures, b.groupby("category")["count"].sum().items())
    return figures


def return_figures(ret: Any) -> Figures:
    figures: Figures = {}
    for f in ret.figures:
        _add(figures, f.id, (), f.total.value)
        for cell in f.cells:
            _add(figures, f.id, tuple(cell.key), cell.value)
    return figures


def same_figures(name: str, ours: Figures, theirs: Figures) -> None:
    if ours != theirs:
        diff = sorted(
            (m, k, ours.get(m, {}).get(k), theirs.get(m, {}).get(k))
            for m in set(ours) | set(theirs)
            for k in set(ours.get(m, {})) | set(theirs.get(m, {}))
            if ours.get(m, {}).get(k) != theirs.get(m, {}).get(k)
        )
        raise SystemExit(f"the {name} baseline computes other figures than peerreport: {diff[:10]}")


# -- one size, one database -----------------------------------------------------------------


def import_parts(path: Path) -> list[Path]:
    """`path`, or, past intake's row limit for one file (`InputLimits.max_rows`, a guard
    against hostile files), the same rows in parts under the limit, each with the header:
    how a national provider's 5M records are imported, several files in one import."""
    from peerreport.intake.limits import InputLimits

    per_part = InputLimits().max_rows - 1_000
    with path.open(encoding="utf-8", newline="") as handle:
        header = handle.readline()
        lines = sum(1 for _ in handle)
    if lines <= per_part:
        return [path]
    parts: list[Path] = []
    with path.open(encoding="utf-8", newline="") as handle:
        handle.readline()
        for index in range(-(-lines // per_part)):
            part = path.with_name(f"{path.stem}-part{index + 1}{path.suffix}")
            with part.open("w", encoding="utf-8", newline="") as out:
                out.write(header)
                for _, line in zip(range(per_part), handle, strict=False):
                    out.write(line)
            parts.append(part)
    return parts


def peerreport_import(
    activities: Path, breakdowns: Path, folder: Path, db_url: str | None
) -> tuple[float, float, float, float | None, Path]:
    """Init a fresh workspace and import both files (in parts past the row limit) in one
    import: (seconds, peak MB, CPU seconds, the server's CPU seconds, workspace)."""
    workspace = folder / f"ws-{uuid.uuid4().hex[:6]}"
    db_args = ["--db", db_url] if db_url else []
    code = f"B{uuid.uuid4().hex[:8].upper()}"
    init = [peerreport_exe(), "init", str(workspace), "--name", "Bench", "--provider-code", code]
    run_child([*init, *db_args])
    files = [str(p) for p in (*import_parts(activities), *import_parts(breakdowns))]
    before = server_cpu(db_url)
    seconds, peak, cpu, _ = measure_cpu([peerreport_exe(), "import", *files], cwd=workspace)
    return seconds, peak, cpu, _since(before, db_url), workspace


def bench_database(
    size: int,
    activities: Path,
    breakdowns: Path,
    folder: Path,
    pg_url: str | None,
    runs: int,
) -> dict[str, Any]:
    from peerreport.returns.build import build_return
    from peerreport.returns.periods import parse_period
    from peerreport.rulebook import load
    from peerreport.store.database import open_engine
    from peerreport.workspace import load_workspace

    backend = "postgresql" if pg_url else "sqlite"
    timings = {name: Timing() for name in ("import", "import floor", "build", "build floor")}
    schemas: list[str] = []
    workspace: Path | None = None
    try:
        for _ in range(runs):
            url = None
            if pg_url:
                url, schema = fresh_postgres_schema(pg_url)
                schemas.append(schema)
            seconds, peak, cpu, server, workspace = peerreport_import(
                activities, breakdowns, folder, url
            )
            timings["import"].add(seconds, cpu, server)
            timings["import"].peak_mb.append(peak)
            before = server_cpu(pg_url)
            if pg_url:
                seconds, cpu, _ = timed_cpu(lambda: floor_postgres(activities, breakdowns, pg_url))
            else:
                seconds, cpu, _ = timed_cpu(lambda: floor_sqlite(activities, breakdowns, folder))
            timings["import floor"].add(seconds, cpu, _since(before, pg_url))
        assert workspace is not None
        ws = load_workspace(workspace)
        engine = open_engine(ws.database_url)
        if pg_url:
            with engine.begin() as conn:
                conn.execute(text("analyze activity; analyze activity_breakdown"))
        rule_file = load(str(RULES))
        label = busiest_quarter(engine, ws.provider_code)
        period = parse_period(label, "07-01")
        org, name = ws.provider_code, ws.organisation_name
        ret = build_return(engine, org, name, rule_file, period)  # warm-up
        ours = return_figures(ret)
        same_figures("single-scan SQL", ours, single_scan(engine, org, period.start, period.end))
        for _ in range(runs):
            before = server_cpu(pg_url)
            seconds, cpu, ret = timed_cpu(
                lambda: build_return(engine, org, name, rule_file, period)
            )
            timings["build"].add(seconds, cpu, _since(before, pg_url))
            before = server_cpu(pg_url)
            seconds, cpu, _ = timed_cpu(lambda: single_scan(engine, org, period.start, period.end))
            timings["build floor"].add(seconds, cpu, _since(before, pg_url))
        engine.dispose()
        export = Timing()
        for i in range(runs):
            out = folder / f"export-{i}"
            seconds, peak = run_child(
                [
                    peerreport_exe(),
                    "export",
                    str(RULES),
                    "--period",
                    label,
                    "--out",
                    str(out),
                    "--format",
                    "xlsx,csv,json,html",
                ],
                cwd=workspace,
            )
            export.seconds.append(seconds)
            export.peak_mb.append(peak)
        timings["export"] = export
    finally:
        for schema in schemas:
            drop_postgres_schema(pg_url or "", schema)
    records = ret.record_counts
    return {
        "size": size,
        "backend": backend,
        "period": label,
        "activities_in_period": records.get("activities", 0),
        "ours": ours,
        "start": period.start,
        "end": period.end,
        "timings": timings,
    }


def pandas_timing(
    activities: Path, breakdowns: Path, start: dt.date, end: dt.date, ours: Figures, runs: int
) -> Timing | None:
    try:
        import pandas  # noqa: F401
    except ImportError:
        return None
    timing = Timing()
    for _ in range(runs):
        seconds, figures = timed(lambda: pandas_figures(activities, breakdowns, start, end))
        same_figures("pandas", ours, figures)
        timing.seconds.append(seconds)
    return timing


# -- the table ------------------------------------------------------------------------------


def _fmt(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _ratio(ours: float | None, floor: float | None) -> float | None:
    return None if ours is None or not floor else ours / floor


def machine() -> dict[str, Any]:
    memory_kb = 0
    with open("/proc/meminfo") as handle:
        for line in handle:
            if line.startswith("MemTotal:"):
                memory_kb = int(line.split()[1])
    return {
        "cores": os.cpu_count(),
        "memory_gb": round(memory_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "commit": _commit(),
    }


def _commit() -> str:
    done = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=HERE, capture_output=True, text=True
    )
    return done.stdout.strip() or "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("sizes", nargs="*", type=int, default=[10_000, 100_000])
    parser.add_argument("--runs", type=int, default=3, help="timed runs per step (median)")
    parser.add_argument(
        "--pg",
        default=os.environ.get("PEERREPORT_TEST_POSTGRES_URL"),
        help="PostgreSQL URL (default: PEERREPORT_TEST_POSTGRES_URL)",
    )
    parser.add_argument("--no-pg", action="store_true", help="SQLite only")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    backends: list[str | None] = [None] + ([args.pg] if args.pg and not args.no_pg else [])
    rows: list[dict[str, Any]] = []
    info = machine()
    print(
        f"cores {info['cores']}  memory {info['memory_gb']} GB  python {info['python']}  "
        f"commit {info['commit']}  runs {args.runs} (medians)"
    )
    header = (
        f"{'size':>9} {'db':<10} {'step':<7} {'peerreport s':>12} {'floor s':>8} "
        f"{'ratio':>6} {'pandas s':>9} {'vs pandas':>9} {'peak MB':>8} "
        f"{'cpu s':>7} {'floor cpu s':>11} {'cpu ratio':>9}"
    )
    print(header)
    with tempfile.TemporaryDirectory(prefix="peerreport-run-") as tmp:
        for size in sorted(args.sizes):
            folder = Path(tmp) / str(size)
            folder.mkdir()
            activities, breakdowns = generate(size, folder)
            for pg in backends:
                result = bench_database(size, activities, breakdowns, folder, pg, args.runs)
                start, end, ours = result["start"], result["end"], result["ours"]
                pandas = pandas_timing(activities, breakdowns, start, end, ours, args.runs)
                t = result["timings"]
                for step, floor in (("import", "import floor"), ("build", "build floor")):
                    ours, base = t[step].median, t[floor].median
                    pd_s = pandas.median if pandas and step == "build" else None
                    row = {
                        "size": size,
                        "backend": result["backend"],
                        "step": step,
                        "seconds": ours,
                        "floor_seconds": base,
                        "ratio": _ratio(ours, base),
                        "pandas_seconds": pd_s,
                        "vs_pandas": _ratio(ours, pd_s),
                        "peak_mb": t[step].peak,
                        "cpu_seconds": t[step].cpu_median,
                        "floor_cpu_seconds": t[floor].cpu_median,
                        "cpu_ratio": _ratio(t[step].cpu_median, t[floor].cpu_median),
                        "runs": t[step].seconds,
                        "runs_cpu": t[step].cpu,
                        "runs_server_cpu": t[step].server_cpu,
                        "floor_runs_cpu": t[floor].cpu,
                        "floor_runs_server_cpu": t[floor].server_cpu,
                        "activities_in_period": result["activities_in_period"],
                    }
                    rows.append(row)
                    _print(row)
                export = t["export"]
                row = {
                    "size": size,
                    "backend": result["backend"],
                    "step": "export",
                    "seconds": export.median,
                    "floor_seconds": None,
                    "ratio": None,
                    "pandas_seconds": None,
                    "vs_pandas": None,
                    "peak_mb": export.peak,
                    "cpu_seconds": None,
                    "floor_cpu_seconds": None,
                    "cpu_ratio": None,
                    "runs": export.seconds,
                    "activities_in_period": result["activities_in_period"],
                }
                rows.append(row)
                _print(row)
    if args.json:
        args.json.write_text(json.dumps({"machine": info, "rows": rows}, indent=2) + "\n")
        print(f"wrote {args.json}")


def _print(row: dict[str, Any]) -> None:
    print(
        f"{row['size']:>9,} {row['backend']:<10} {row['step']:<7} {_fmt(row['seconds']):>12} "
        f"{_fmt(row['floor_seconds']):>8} {_fmt(row['ratio'], 1):>6} "
        f"{_fmt(row['pandas_seconds']):>9} {_fmt(row['vs_pandas'], 1):>9} "
        f"{_fmt(row['peak_mb'], 0):>8} {_fmt(row['cpu_seconds']):>7} "
        f"{_fmt(row['floor_cpu_seconds']):>11} {_fmt(row['cpu_ratio'], 1):>9}",
        flush=True,
    )


if __name__ == "__main__":
    main()
