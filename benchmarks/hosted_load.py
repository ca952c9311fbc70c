"""Benchmark: a hosted server on PostgreSQL under many people at once (issue 13's load figure).

Makes a fresh PostgreSQL schema and fills it as a hosted server would hold it:
--orgs organisations with one coordinator account each, one funder with all
of them as providers and a published rule file of its own (`bench-adults`,
extending the shipped `nz-peer-support-adults`) and a funder account. Each
organisation gets --records activities over one year (the sample generator's
rows, their dates spread evenly over the four quarters the funder's dashboard
shows as past), their ethnicity breakdowns, quarterly workforce entries and
feedback tallies: one import's worth, loaded with COPY (not through the
importer) as ONE real revision of its records: the `record_revision` row,
an `import_run` row, each version's digest, and the hash chain's revision
entry with the versions' tally, so builds and `audit ledger` accept it. Then
most organisations file most of those quarters (`filing.file_return` after
`build_return`, as `filing.submit_return` does, but with a filing time so that
some arrive on time and some late; the bundle kept as a hosted filing keeps
it), and the funder accepts or queries some.

Then it starts the real hosted server (`peerreport.hosted.server.make_hosted_server`
in a subprocess, on a free port of 127.0.0.1) and runs --users simulated
people for --seconds, with asyncio and httpx: each signs in through the
sign-in form (GET /login for the CSRF token, POST /login; they arrive evenly
over the first --ramp seconds) and sees each of their pages once: the warm-up.
When everyone has, the timed phase of --seconds begins: with a random pause
of 1/3 to 5/3 x --think seconds between pages (1 to 5 s by default, as
locust's `between(1, 5)`), a funder user opens the dashboard (`/funder/{code}`)
over and over and downloads its workbook every --xlsx-every views; a
coordinator opens their home (`/`) and the review page of the newest past
quarter (`/returns/bench-adults/{period}`) in turn.
Each simulated person sends its own X-Forwarded-For address, as the TLS proxy
in front of a real server would (the server trusts it from 127.0.0.1): the
sign-in limit counts attempts per address.

Prints, per page: requests, errors (anything but the expected status),
median, 95th and 99th percentile and slowest (ms, wall-clock at the client,
HTTP over loopback included) and requests per second, for the warm-up and the
timed phase apart: the first view of a review page builds the return, later
views of the same records revision reuse the build. Times
depend on the machine (the client shares it with the server and PostgreSQL),
so nothing here asserts a limit. --json writes the table with the machine's
cores and memory. Usage:

    .venv/bin/python benchmarks/hosted_load.py                     # 200 orgs x 5,000, 50 users
    .venv/bin/python benchmarks/hosted_load.py --orgs 3 --records 300 --users 3 --seconds 3
    .venv/bin/python benchmarks/hosted_load.py --keep /tmp/load1m   # keep, then reuse
    .venv/bin/python benchmarks/hosted_load.py --keep /tmp/load1m --think 0 --json out.json

--db is the PostgreSQL database (default: PEERREPORT_TEST_POSTGRES_URL, else
postgresql://postgres@127.0.0.1:5432/test); the schema made in it is dropped
at the end. --keep DIR keeps the schema and the server's data folder (its
name is in DIR/bench.json) and, when DIR already holds one, reuses it without
loading anything (--orgs and --records are then ignored): drop it with
--drop DIR. Passwords: every account's hash is ONE argon2id hash made at the
start with the server's own hasher (argon2-cffi's defaults), so sign-in costs
what it costs on a real server while setting up 200 accounts does not.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import datetime as dt
import hashlib
import json
import multiprocessing
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pg_schema import drop_postgres_schema, fresh_postgres_schema

DEFAULT_DB = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
RULE_ID = "bench-adults"
RULE_TEXT = f"""\
id = "{RULE_ID}"
title = "Bench District: adult peer support, quarterly"
version = "2026.1"
extends = ["nz-peer-support-adults"]
"""
FUNDER, FUNDER_NAME = "BENCHF", "Bench District Funder"
FUNDER_USER = "funder-bench"
PASSWORD = "load-bench-password-2026"
SECRET = "bench-secret-" + "k" * 40
#: The pages, in the table's order; each person's first view of one is counted apart.
PAGES = ("sign-in form", "sign-in", "dashboard", "dashboard.xlsx", "home", "review")
KEPT_NAME = "bench.json"
SERVE = """\
import sys
from peerreport.hosted.config import load_config
from peerreport.hosted.server import make_hosted_server
make_hosted_server(load_config(None), int(sys.argv[1])).run()
"""


@dataclasses.dataclass(frozen=True)
class Setup:
    """What a filled schema holds: enough for the load to find its way."""

    url: str
    schema: str
    data_dir: Path
    orgs: list[str]
    periods: list[str]  # the dashboard's past quarters, newest first
    activities: int
    breakdowns: int


def main() -> None:
    """Fill a schema, serve it, load it, print the table."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--orgs", type=int, default=200, help="organisations (default 200)")
    parser.add_argument(
        "--records", type=int, default=5000, help="activities per organisation (default 5,000)"
    )
    parser.add_argument("--users", type=int, default=50, help="simulated people (default 50)")
    parser.add_argument(
        "--funder-users", type=int, default=5, help="of them, funder users (default 5)"
    )
    parser.add_argument(
        "--seconds", type=float, default=60, help="how long the load runs (default 60)"
    )
    parser.add_argument(
        "--think",
        type=float,
        default=3.0,
        help="mean pause between one person's pages, in seconds: a random 1/3 to 5/3 of it "
        "(default 3: 1 to 5 s, as locust's between(1, 5); 0: none)",
    )
    parser.add_argument(
        "--ramp",
        type=float,
        default=10.0,
        help="people arrive evenly over this many seconds (default 10; 0: all at once)",
    )
    parser.add_argument(
        "--xlsx-every", type=int, default=10, help="a funder downloads the workbook every N views"
    )
    parser.add_argument("--db", help="PostgreSQL URL (a throwaway schema is made in it)")
    parser.add_argument("--keep", type=Path, help="keep the schema and data here (and reuse)")
    parser.add_argument("--drop", type=Path, help="drop what --keep DIR kept, and stop")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="setup processes")
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    db = args.db or os.environ.get("PEERREPORT_TEST_POSTGRES_URL") or DEFAULT_DB
    if args.drop:
        _drop_kept(args.drop)
        return
    if args.funder_users > args.users:
        parser.error("--funder-users is more than --users")
    if args.users - args.funder_users > args.orgs:
        parser.error("more coordinators than organisations (one account each)")
    started = time.perf_counter()
    setup, steps, made = _setup(args, db)
    try:
        results = _run(args, setup)
        _report(args, setup, steps, results, time.perf_counter() - started)
    finally:
        if made and not args.keep:
            drop_postgres_schema(db, setup.schema)
            shutil.rmtree(setup.data_dir.parent, ignore_errors=True)


# -- setting up ---------------------------------------------------------------------------


def _setup(args: argparse.Namespace, db: str) -> tuple[Setup, list[tuple[str, float]], bool]:
    """The filled schema (made now, or the kept one), the setup's steps and their seconds."""
    kept = args.keep / KEPT_NAME if args.keep else None
    if kept is not None and kept.exists():
        found = json.loads(kept.read_text("utf-8"))
        fields = {f.name for f in dataclasses.fields(Setup)}
        setup = Setup(**{k: v for k, v in found.items() if k in fields})
        setup = dataclasses.replace(setup, data_dir=Path(found["data_dir"]))
        _bring_up_to_date(setup.url)  # kept before a newer migration, say
        return setup, [("reused", 0.0)], False
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        base = args.keep.resolve()
    else:
        base = Path(tempfile.mkdtemp(prefix="peerreport-load-"))
    url, schema = fresh_postgres_schema(db)
    try:
        setup, steps = _fill(args, url, schema, base / "data")
    except BaseException:
        drop_postgres_schema(db, schema)
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
        raise
    if kept is not None:
        kept.write_text(
            json.dumps({**dataclasses.asdict(setup), "data_dir": str(setup.data_dir), "db": db}),
            "utf-8",
        )
    return setup, steps, True


def _drop_kept(folder: Path) -> None:
    kept = folder / KEPT_NAME
    if kept.exists():  # else the run that made it failed and dropped its schema itself
        found = json.loads(kept.read_text("utf-8"))
        drop_postgres_schema(found["db"], found["schema"])
        print(f"dropped schema {found['schema']}")
    shutil.rmtree(folder, ignore_errors=True)
    print(f"removed {folder}")


def _fill(
    args: argparse.Namespace, url: str, schema: str, data_dir: Path
) -> tuple[Setup, list[tuple[str, float]]]:
    from peerreport.hosted.directory import (
        add_funder,
        add_organisation,
        grant,
        link_provider,
        publish_rule,
    )
    from peerreport.hosted.orgs import ensure_org_workspace
    from peerreport.hosted.published import funder_rule_file, write_published
    from peerreport.returns.overview import period_scheme
    from peerreport.returns.periods import recent_periods
    from peerreport.store.database import open_engine, upgrade
    from peerreport.store.records import refresh_statistics

    steps: list[tuple[str, float]] = []
    clock = time.perf_counter()

    def step(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        steps.append((name, now - clock))
        print(f"  {name}: {now - clock:.1f} s", flush=True)
        clock = now

    print(f"setting up schema {schema}: {args.orgs} organisations x {args.records:,} activities")
    config = _server_config(url, data_dir, "http://127.0.0.1")
    engine = open_engine(url)
    upgrade(engine)
    orgs = [f"LD{i:04d}" for i in range(args.orgs)]
    names = {org: f"Load Peer Network {i}" for i, org in enumerate(orgs)}
    add_funder(engine, FUNDER, FUNDER_NAME)
    for org in orgs:
        add_organisation(engine, org, names[org])
        link_provider(engine, FUNDER, org)
        ensure_org_workspace(config, org, names[org], returns=(RULE_ID,))
    publish_rule(engine, FUNDER, RULE_TEXT, None, None)
    write_published(config, engine)
    _accounts(engine, orgs)
    grant(engine, FUNDER_USER, "funder", FUNDER)
    for org in orgs:
        grant(engine, _coordinator(org), "org", org)
    step("organisations, funder, rule file, accounts")

    kind, year_start = period_scheme(funder_rule_file(config, engine, FUNDER, RULE_ID))
    periods = recent_periods(kind, year_start, dt.date.today(), 4)
    first_day, last_day = periods[-1].start, periods[0].end
    jobs = [(url, org, names[org], str(data_dir), args.records, i) for i, org in enumerate(orgs)]
    loaded = _each(args.jobs, _load_org, [(*job, first_day, last_day) for job in jobs])
    step("records (COPY, one revision each)")
    refresh_statistics(engine)
    step("ANALYZE")
    labels = [p.label for p in periods]
    filed = _each(
        args.jobs,
        _file_org,
        [(url, org, str(data_dir), labels, args.seed + i) for i, org in enumerate(orgs)],
    )
    versions = sum(n for n, _ in filed)
    builds = [s for _, times in filed for s in times]
    step(f"filing ({versions} versions)")
    if builds:
        print(
            f"  return build + filing: median {statistics.median(builds) * 1000:.0f} ms, "
            f"max {max(builds) * 1000:.0f} ms each"
        )
    _analyze(engine)
    step("ANALYZE (every table)")
    engine.dispose()
    setup = Setup(
        url=url,
        schema=schema,
        data_dir=data_dir,
        orgs=orgs,
        periods=labels,
        activities=sum(a for a, _ in loaded),
        breakdowns=sum(b for _, b in loaded),
    )
    return setup, steps


def _bring_up_to_date(url: str) -> None:
    """A kept schema at the newest migration, with fresh statistics."""
    from peerreport.store.database import open_engine, upgrade

    engine = open_engine(url)
    try:
        upgrade(engine)
        _analyze(engine)
    finally:
        engine.dispose()


def _analyze(engine: Any) -> None:
    """Fresh statistics for every table of the schema, as autovacuum would make in time."""
    from sqlalchemy import text

    from peerreport.store.schema import metadata

    with engine.begin() as conn:
        conn.execute(text(f"ANALYZE {', '.join(t.name for t in metadata.sorted_tables)}"))


def _server_config(url: str, data_dir: Path, base_url: str) -> Any:
    from peerreport.hosted.config import ServerConfig

    return ServerConfig(database_url=url, secret_key=SECRET, base_url=base_url, data_dir=data_dir)


def _coordinator(org: str) -> str:
    return f"coord-{org.lower()}"


def _accounts(engine: Any, orgs: list[str]) -> None:
    """A funder account and a coordinator per organisation, all with one real argon2id hash."""
    from peerreport.hosted import accounts

    real = accounts.HASHER.hash(PASSWORD)  # the server's own parameters: sign-in costs as much

    class OneHash:
        """Hands out the hash made above (setting up 200 accounts in milliseconds)."""

        def hash(self, password: str) -> str:
            assert password == PASSWORD
            return real

    original = accounts.HASHER
    accounts.HASHER = OneHash()  # type: ignore[assignment]
    try:
        accounts.create_account(engine, FUNDER_USER, PASSWORD, "funder", FUNDER_NAME)
        for org in orgs:
            accounts.create_account(engine, _coordinator(org), PASSWORD, "coordinator")
    finally:
        accounts.HASHER = original


_ENGINES: dict[str, Any] = {}


def _each(jobs: int, work: Any, arguments: list[tuple[Any, ...]]) -> list[Any]:
    """`work(*a)` for each of `arguments`, in `jobs` processes (1: in this one)."""
    if jobs <= 1:
        try:
            return [work(*a) for a in arguments]
        finally:
            for engine in _ENGINES.values():
                engine.dispose()
            _ENGINES.clear()
    with multiprocessing.get_context("fork").Pool(jobs) as pool:
        return pool.starmap(work, arguments)


def _engine(url: str) -> Any:
    """One engine per setup process."""
    from peerreport.store.database import open_engine

    if url not in _ENGINES:
        _ENGINES[url] = open_engine(url)
    return _ENGINES[url]


def _load_org(
    url: str,
    org: str,
    name: str,
    data_dir: str,
    records: int,
    seed: int,
    first_day: dt.date,
    last_day: dt.date,
) -> tuple[int, int]:
    """Load one organisation's year as one revision; (activities, breakdown rows) stored."""
    from sqlalchemy import insert, select

    from peerreport.records.models import Activity, BreakdownCount, FeedbackTally, WorkforceEntry
    from peerreport.samples.generator import (
        SampleSpec,
        activities,
        breakdowns,
        feedback,
        workforce,
    )
    from peerreport.store import chain
    from peerreport.store.records import (
        RecordWriter,
        content_digest,
        hash_token,
        record_values,
    )
    from peerreport.store.revisions import RevisionMaker
    from peerreport.store.schema import RECORD_TABLES, import_run
    from peerreport.workspace import load_workspace

    workspace = load_workspace(Path(data_dir) / "orgs" / org)
    secret = workspace.token_secret()
    spec = SampleSpec(records=records, seed=seed, start=first_day)
    rows = list(activities(spec))
    span = max(1, (rows[-1]["date"] - first_day).days) if rows else 1
    days = (last_day - first_day).days
    models: dict[str, list[Any]] = {
        "activities": [],
        "breakdowns": [BreakdownCount.model_validate(r) for r in breakdowns(spec)],
        "workforce": [WorkforceEntry.model_validate(r) for r in workforce(spec)],
        "feedback": [FeedbackTally.model_validate(r) for r in feedback(spec)],
    }
    for row in rows:  # the same rows, spread evenly over the year
        row["date"] = first_day + dt.timedelta(days=(row["date"] - first_day).days * days // span)
        models["activities"].append(Activity.model_validate(row))
    engine = _engine(url)
    sheets = {"activities": "Activities", "breakdowns": "Breakdowns"}
    with engine.begin() as conn:
        maker = RevisionMaker(conn, org, "import")
        revision = maker()
        run = conn.execute(
            insert(import_run)
            .values(
                org=org,
                file_name=f"{org.lower()}-year.xlsx",
                file_sha256=hashlib.sha256(f"{org} {seed}".encode()).hexdigest(),
                finished_at=dt.datetime.now(dt.UTC),
                added=sum(len(v) for v in models.values()),
                updated=0,
                unchanged=0,
                rejected=0,
                status="stored",
                revision=revision,
            )
            .returning(import_run.c.id)
        ).scalar_one()
        raw = conn.connection.driver_connection
        assert raw is not None
        tokens: list[tuple[Any, ...]] = []
        for record_type, found in models.items():
            table = RECORD_TABLES[record_type]
            columns = [c.name for c in table.columns]
            key_names = type(found[0]).natural_key if found else ()
            with (
                raw.cursor() as cursor,
                cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy,
            ):
                for index, record in enumerate(found):
                    values = record_values(org, record)
                    hashed = []
                    if isinstance(record, Activity) and record.member_tokens:
                        hashed = sorted({hash_token(secret, t) for t in record.member_tokens})
                        tokens += [(org, record.activity_id, revision, h) for h in hashed]
                    values["digest"] = content_digest(values, hashed)
                    key = tuple(values[k] for k in key_names)
                    maker.tally.add(table.name, key, values["digest"])
                    values.update(
                        valid_from=revision,
                        valid_to=None,
                        source_import=run,
                        source_sheet=sheets.get(record_type, record_type.title()),
                        source_row=index + 2,
                    )
                    copy.write_row([values[c] for c in columns])
        with (
            raw.cursor() as cursor,
            cursor.copy(
                "COPY member_token (org, activity_id, valid_from, token_hash) FROM STDIN"
            ) as copy,
        ):
            for token in tokens:
                copy.write_row(token)
        writer = RecordWriter(conn, org, secret, maker)
        imports = conn.execute(select(import_run).where(import_run.c.id == run)).all()
        writer.finish([chain.import_payload(row) for row in imports])
    return len(models["activities"]), len(models["breakdowns"])


def _file_org(
    url: str, org: str, data_dir: str, labels: list[str], seed: int
) -> tuple[int, list[float]]:
    """File most of the organisation's quarters, some late, some decided on by the funder.

    (versions filed, seconds of each build + filing).
    """
    from peerreport.bundle import load_private_key
    from peerreport.filing import file_return
    from peerreport.hosted.bundles import store_bundle
    from peerreport.hosted.published import funder_rule_file
    from peerreport.ledger.lifecycle import record_event
    from peerreport.returns.build import build_return
    from peerreport.returns.due import due_date
    from peerreport.returns.history import history
    from peerreport.returns.periods import parse_period
    from peerreport.workspace import ensure_signing_key, load_workspace

    rng = random.Random(seed)
    engine = _engine(url)
    config = _server_config(url, Path(data_dir), "http://127.0.0.1")
    rule_file = funder_rule_file(config, engine, FUNDER, RULE_ID)
    workspace = load_workspace(Path(data_dir) / "orgs" / org)
    ensure_signing_key(workspace)
    key = load_private_key(workspace.key_path)
    name = workspace.organisation_name
    filed, times = 0, []
    for label in reversed(labels):  # oldest first, so the ledger's times run forwards
        if rng.random() < 0.1:
            continue  # never filed: missing on the dashboard
        period = parse_period(label)
        due = due_date(rule_file, period)
        assert due is not None
        days = rng.choice([-15, -8, -3, -1, -1, 0, 4, 12])  # a quarter of them late
        when = dt.datetime.combine(due, dt.time(9), dt.UTC) + dt.timedelta(days=days)
        started = time.perf_counter()
        ret = build_return(engine, org, name, rule_file, period)
        earlier = history(engine, org, name, rule_file, period)
        with tempfile.TemporaryDirectory() as folder:
            done = file_return(
                engine, ret, rule_file, Path(folder), key=key, history=earlier, now=_at(when)
            )
            store_bundle(engine, done.submission.id, org, done.bundle_path.read_bytes(), "filed")
            times.append(time.perf_counter() - started)
            filed += 1
            roll = rng.random()
            later = when + dt.timedelta(days=3)
            if roll < 0.45:
                record_event(engine, org, done.submission.id, "accepted", now=_at(later))
            elif roll < 0.6:
                note = "Please check the attendance figures"
                record_event(engine, org, done.submission.id, "queried", note, now=_at(later))
                if rng.random() < 0.5:
                    amended = when + dt.timedelta(days=7)
                    again = file_return(
                        engine,
                        ret,
                        rule_file,
                        Path(folder),
                        reason="Corrected after the funder's query",
                        key=key,
                        history=earlier,
                        now=_at(amended),
                    )
                    data = again.bundle_path.read_bytes()
                    store_bundle(engine, again.submission.id, org, data, "filed")
                    filed += 1
    return filed, times


def _at(moment: dt.datetime) -> Any:
    """A clock stopped at `moment` (the ledger's `now`)."""
    return lambda: moment


# -- the load -----------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Hit:
    """One request: which page, in which phase, how it went."""

    page: str
    warm_up: bool  # signing in and each person's first view of each page
    ok: bool
    seconds: float
    at: float = 0.0  # when it started (time.monotonic)


@dataclasses.dataclass
class Results:
    """What the load measured."""

    hits: list[Hit]
    warm_up_seconds: float
    seconds: float  # the timed phase, after everyone's warm-up
    server_peak_mb: float | None
    problems: list[str]
    review_period: str
    postgres: str
    #: The machine's load average (1 minute) before and after: other work on it shows here.
    load: tuple[float, float] = (0.0, 0.0)


def _run(args: argparse.Namespace, setup: Setup) -> Results:
    import peerreport
    from peerreport.web.server import free_port

    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    # The server runs the peerreport this process imported, whatever folder it starts in.
    source = str(Path(peerreport.__file__).resolve().parent.parent)
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([source, *filter(None, [os.environ.get("PYTHONPATH")])]),
        "PEERREPORT_DATABASE_URL": setup.url,
        "PEERREPORT_SECRET_KEY": SECRET,
        "PEERREPORT_BASE_URL": base_url,
        "PEERREPORT_DATA_DIR": str(setup.data_dir),
        "PEERREPORT_BIND": "127.0.0.1",
    }
    log = setup.data_dir / "server.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-c", SERVE, str(port)],
            env=env,
            cwd=setup.data_dir,
            stdout=out,
            stderr=out,
        )
    try:
        _wait_until_up(server, base_url, log)
        before = os.getloadavg()[0]
        hits, problems, phases = asyncio.run(_people(args, setup, base_url))
        after = os.getloadavg()[0]
        peak = _peak_mb(server.pid)
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
    version = _postgres_version(setup.url)
    warm_up, seconds = phases
    return Results(
        hits, warm_up, seconds, peak, problems, setup.periods[0], version, (before, after)
    )


def _wait_until_up(server: subprocess.Popen[bytes], base_url: str, log: Path) -> None:
    import httpx

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the hosted server stopped:\n{log.read_text('utf-8')[-3000:]}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(base_url + "/healthz", timeout=2).status_code == 200:
                return
        time.sleep(0.2)
    raise SystemExit("the hosted server did not start within 2 minutes")


def _peak_mb(pid: int) -> float | None:
    """The server process's peak resident memory (Linux), in MB."""
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return None


async def _people(
    args: argparse.Namespace, setup: Setup, base_url: str
) -> tuple[list[Hit], list[str], tuple[float, float]]:
    """Everyone's requests, the problems seen, and how long the warm-up and timed phases took."""
    rng = random.Random(args.seed)
    coordinators = rng.sample(setup.orgs, args.users - args.funder_users)
    names = [FUNDER_USER] * args.funder_users + [_coordinator(org) for org in coordinators]
    hits: list[Hit] = []
    problems: list[str] = []
    together = asyncio.Barrier(args.users)
    clock: dict[str, float] = {"started": time.monotonic()}
    people = [
        _person(i, name, args, setup, base_url, together, clock, hits, problems)
        for i, name in enumerate(names)
    ]
    await asyncio.gather(*people)
    timed = clock.get("ended", time.monotonic()) - clock.get("timed", clock["started"])
    return hits, problems, (clock.get("timed", clock["started"]) - clock["started"], timed)


async def _person(
    number: int,
    username: str,
    args: argparse.Namespace,
    setup: Setup,
    base_url: str,
    together: asyncio.Barrier,
    clock: dict[str, float],
    hits: list[Hit],
    problems: list[str],
) -> None:
    """One simulated person: sign in and see each page once (the warm-up); once everyone has,
    their pages over and over until --seconds have passed."""
    import httpx

    rng = random.Random(args.seed * 1000 + number)
    # Behind the TLS proxy each person has their own address (the sign-in limit is per address).
    headers = {"x-forwarded-for": f"10.13.{number // 250}.{number % 250 + 1}"}
    warming = True

    async def get(client: httpx.AsyncClient, page: str, path: str) -> Any:
        started, at = time.perf_counter(), time.monotonic()
        try:
            response = await client.get(path)
        except httpx.HTTPError as exc:
            hits.append(Hit(page, warming, False, time.perf_counter() - started, at))
            problems.append(f"{username} GET {path}: {type(exc).__name__}: {exc}")
            return None
        ok = response.status_code == 200
        hits.append(Hit(page, warming, ok, time.perf_counter() - started, at))
        if not ok:
            problems.append(
                f"{username} GET {path}: {response.status_code} {response.text[:300]!r}"
            )
        return response

    async def pause() -> None:
        if args.think > 0:
            await asyncio.sleep(args.think * rng.uniform(1 / 3, 5 / 3))

    async def sign_in(client: httpx.AsyncClient) -> bool:
        form = await get(client, "sign-in form", "/login")
        if form is None or form.status_code != 200:
            return False
        found = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        token = found.group(1) if found else ""
        data = {"csrf_token": token, "next": "/", "username": username, "password": PASSWORD}
        started = time.perf_counter()
        try:
            answer = await client.post("/login", data=data, headers={"origin": base_url})
            ok = answer.status_code == 303 and "peerreport_session" in client.cookies
            detail = f"{answer.status_code} {answer.text[:300]!r}"
        except httpx.HTTPError as exc:
            ok, detail = False, f"{type(exc).__name__}: {exc}"
        hits.append(Hit("sign-in", True, ok, time.perf_counter() - started))
        if not ok:
            problems.append(f"{username} POST /login: {detail}")
        return ok

    funder = username == FUNDER_USER
    review = f"/returns/{RULE_ID}/{setup.periods[0]}"
    workbook = f"/funder/{FUNDER}/dashboard.xlsx?rule={RULE_ID}"
    # A browser drops an idle connection before the server does (uvicorn: after 5 s), so a
    # request never races the server closing it.
    limits = httpx.Limits(max_connections=2, keepalive_expiry=2.0)
    async with httpx.AsyncClient(
        base_url=base_url, headers=headers, timeout=300, limits=limits
    ) as client:
        signed_in = False
        try:
            await asyncio.sleep(args.ramp * number / max(1, args.users))  # people arrive in turn
            signed_in = await sign_in(client)
            if signed_in and funder:
                await get(client, "dashboard", f"/funder/{FUNDER}")
            elif signed_in:
                await get(client, "home", "/")
                await get(client, "review", review)
        finally:
            await together.wait()  # the timed phase starts when everyone is warmed up
        warming = False
        started = clock.setdefault("timed", time.monotonic())
        deadline = started + args.seconds
        views = 0
        while signed_in and time.monotonic() < deadline:
            await pause()
            if time.monotonic() >= deadline:
                break
            if funder:
                views += 1
                if args.xlsx_every and views % args.xlsx_every == 0:
                    await get(client, "dashboard.xlsx", workbook)
                else:
                    await get(client, "dashboard", f"/funder/{FUNDER}")
            else:
                await get(client, "review" if views % 2 else "home", review if views % 2 else "/")
                views += 1
        clock["ended"] = max(clock.get("ended", 0.0), time.monotonic())


# -- the table ----------------------------------------------------------------------------


def _postgres_version(url: str) -> str:
    from sqlalchemy import text

    from peerreport.store.database import open_engine

    engine = open_engine(url)
    with engine.connect() as conn:
        version = str(conn.execute(text("SHOW server_version")).scalar_one())
    engine.dispose()
    return version


def _memory_bytes() -> int | None:
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) * 1024
    return None


def _rows(results: Results) -> Iterator[dict[str, Any]]:
    by_page: dict[tuple[str, bool], list[Hit]] = defaultdict(list)
    for hit in results.hits:
        by_page[(hit.page, hit.warm_up)].append(hit)
    for page in PAGES:
        for warm_up in (True, False):
            hits = by_page.get((page, warm_up))
            if not hits:
                continue
            ms = sorted(h.seconds * 1000 for h in hits)
            first = warm_up and page not in ("sign-in form", "sign-in")
            seconds = results.warm_up_seconds if warm_up else results.seconds
            yield {
                "page": page + (" (first view)" if first else ""),
                "phase": "warm-up" if warm_up else "timed",
                "requests": len(hits),
                "errors": sum(not h.ok for h in hits),
                "median_ms": statistics.median(ms),
                "p95_ms": _percentile(ms, 95),
                "p99_ms": _percentile(ms, 99),
                "max_ms": ms[-1],
                "per_second": len(hits) / seconds if seconds > 0 else 0.0,
            }


def _timeline(results: Results, width: float = 10.0) -> list[dict[str, Any]]:
    """The timed phase's requests in windows of `width` seconds: how many, median, p95."""
    timed = [h for h in results.hits if not h.warm_up]
    if not timed:
        return []
    start = min(h.at for h in timed)
    windows: dict[int, list[float]] = defaultdict(list)
    for hit in timed:
        windows[int((hit.at - start) // width)].append(hit.seconds * 1000)
    return [
        {
            "from_s": index * width,
            "requests": len(ms),
            "median_ms": statistics.median(ms),
            "p95_ms": _percentile(sorted(ms), 95),
        }
        for index, ms in sorted(windows.items())
    ]


def _percentile(ms: list[float], q: int) -> float:
    if len(ms) == 1:
        return ms[0]
    return statistics.quantiles(ms, n=100, method="inclusive")[q - 1]


def _report(
    args: argparse.Namespace,
    setup: Setup,
    steps: list[tuple[str, float]],
    results: Results,
    total: float,
) -> None:
    import peerreport

    rows = sorted(_rows(results), key=lambda row: row["phase"] == "timed")
    printed_timed = printed_warm_up = False
    memory = _memory_bytes()
    gib = f"{memory / 2**30:.1f} GiB" if memory else "?"
    print(
        f"\nPostgreSQL {results.postgres}   python {sys.version.split()[0]}   "
        f"{platform.machine()} cpus {os.cpu_count()} memory {gib}   "
        f"peerreport {Path(peerreport.__file__).parent} ({_commit()})"
    )
    print(
        f"{len(setup.orgs)} organisations, {setup.activities:,} activities, "
        f"{setup.breakdowns:,} breakdown rows; "
        f"review page: /returns/{RULE_ID}/{results.review_period}"
    )
    print(
        f"{args.users} people ({args.funder_users} funder, {args.users - args.funder_users} "
        f"coordinators), arriving over {args.ramp:g} s: warm-up (signing in, each person's "
        f"first view of each page) {results.warm_up_seconds:.0f} s, then {results.seconds:.0f} s "
        f"timed, pausing {args.think:g} s on average between pages"
    )
    print(
        f"server peak memory {results.server_peak_mb or 0:.0f} MB; machine load average "
        f"{results.load[0]:.1f} before, {results.load[1]:.1f} after (other work shows here)"
    )
    heading = (
        f"{'page':<26} {'requests':>8} {'errors':>6} {'median ms':>9} {'p95 ms':>8} "
        f"{'p99 ms':>8} {'max ms':>8} {'per s':>6}"
    )
    print(heading)
    for row in rows:
        if row["phase"] == "timed" and not printed_timed:
            print(f"-- timed ({results.seconds:.0f} s) " + "-" * (len(heading) - 16))
            printed_timed = True
        elif row["phase"] == "warm-up" and not printed_warm_up:
            print(f"-- warm-up ({results.warm_up_seconds:.0f} s) " + "-" * (len(heading) - 18))
            printed_warm_up = True
        print(
            f"{row['page']:<26} {row['requests']:>8} {row['errors']:>6} {row['median_ms']:>9.0f} "
            f"{row['p95_ms']:>8.0f} {row['p99_ms']:>8.0f} {row['max_ms']:>8.0f} "
            f"{row['per_second']:>6.1f}"
        )
    timed = sum(not h.warm_up for h in results.hits)
    rate = timed / results.seconds if results.seconds > 0 else 0.0
    print(f"timed requests: {timed} in {results.seconds:.0f} s ({rate:.1f}/s)")
    for problem in results.problems[:10]:
        print(f"  problem: {problem}")
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "machine": {
                        "cpus": os.cpu_count(),
                        "memory_bytes": memory,
                        "platform": platform.platform(),
                        "python": sys.version.split()[0],
                        "postgres": results.postgres,
                    },
                    "commit": _commit(),
                    "organisations": len(setup.orgs),
                    "activities": setup.activities,
                    "breakdowns": setup.breakdowns,
                    "users": args.users,
                    "funder_users": args.funder_users,
                    "seconds": results.seconds,
                    "warm_up_seconds": results.warm_up_seconds,
                    "ramp_seconds": args.ramp,
                    "think_seconds": args.think,
                    "review_period": results.review_period,
                    "server_peak_mb": results.server_peak_mb,
                    "load_average": {"before": results.load[0], "after": results.load[1]},
                    "setup_seconds": dict(steps),
                    "total_seconds": total,
                    "pages": rows,
                    "timeline": _timeline(results),
                    "problems": results.problems[:50],
                },
                indent=2,
            ),
            "utf-8",
        )


def _commit() -> str:
    done = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        cwd=Path(__file__).parent,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip() or "?"


if __name__ == "__main__":
    main()
