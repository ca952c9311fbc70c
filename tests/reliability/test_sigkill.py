"""SIGKILL at random moments never leaves a partial state (issue 15).

`peerreport import` of a file that takes a second or two, `peerreport submit`,
and a second import that makes a new revision are each killed with SIGKILL at
a handful of moments (a fixed seed), on SQLite and PostgreSQL. Each kill starts
from a fresh copy of the same state; afterwards the database holds exactly the
rows it held before or exactly the rows an unkilled run leaves, and the
ledger's hash chain checks out (`peerreport audit ledger` exits 0).

An import large enough to read ahead (`intake.read_ahead`: a second process
reads while the first writes) is killed the same way, and the process reading
for it must not outlive it.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, make_url, select, text

from peerreport.intake.read_ahead import READ_AHEAD_BYTES
from peerreport.store.database import open_engine
from peerreport.store.schema import metadata
from tests.conftest import BACKENDS, POSTGRES_URL, skip_without_postgres

pytestmark = pytest.mark.reliability

PEERREPORT = str(Path(sys.executable).parent / "peerreport")
RULES, PERIOD = "nz-peer-support-adults", "FY2027-Q1"
KILLS_PER_STEP = 3
#: Activity rows to import: about a second or two of work on each database.
RECORDS = {"sqlite": "9000", "postgresql": "1200"}
#: Activity rows in a file past READ_AHEAD_BYTES (4 MB), which is read in a second process.
READ_AHEAD_RECORDS = "36000"


def _run(ws: Path, url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PEERREPORT, *args], cwd=ws, env=_env(url), capture_output=True, text=True, timeout=120
    )


def _env(url: str) -> dict[str, str]:
    return {**os.environ, "PEERREPORT_DATABASE_URL": url}


def _counts(url: str) -> dict[str, int]:
    """Rows in every table: the state a kill must leave as it was or as a full run leaves it."""
    engine = open_engine(url)
    try:
        with engine.connect() as conn:
            return {
                table.name: int(conn.execute(select(func.count()).select_from(table)).scalar_one())
                for table in metadata.sorted_tables
            }
    finally:
        engine.dispose()


@dataclass
class Store:
    """Copies of one workspace and its database: saved states, fresh copies to kill in."""

    backend: str
    root: Path

    def __post_init__(self) -> None:
        self.databases: list[str] = []

    def url(self, name: str) -> str:
        if self.backend == "sqlite":
            return f"sqlite:///{self.root / name / 'peerreport.db'}"
        assert POSTGRES_URL is not None
        return make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)

    def _admin(self, sql: str) -> None:
        assert POSTGRES_URL is not None
        engine = open_engine(POSTGRES_URL).execution_options(isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                conn.execute(text(sql))
        finally:
            engine.dispose()

    def new(self, name: str) -> str:
        if self.backend == "postgresql":
            self._admin(f'CREATE DATABASE "{name}"')
            self.databases.append(name)
        (self.root / name).mkdir()
        return self.url(name)

    def copy(self, source: str, name: str) -> str:
        """A copy of workspace (and database) `source` named `name`."""
        shutil.copytree(self.root / source, self.root / name)
        if self.backend == "postgresql":
            self._admin(f'CREATE DATABASE "{name}" TEMPLATE "{source}"')
            self.databases.append(name)
        return self.url(name)

    def drop_all(self) -> None:
        for name in self.databases:
            self._admin(f'DROP DATABASE IF EXISTS "{name}"')


@pytest.fixture(scope="module", params=BACKENDS)
def store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Store]:
    """Saved states s0 (new workspace), s1 (imported), s2 (submitted)."""
    backend = str(request.param)
    if backend == "postgresql":
        skip_without_postgres()
    root = tmp_path_factory.mktemp(f"kill_{backend}")
    kept = Store(backend, root)
    prefix = "k" + uuid.uuid4().hex[:8]
    kept.prefix = prefix  # type: ignore[attr-defined]
    try:
        data = root / "data"
        data.mkdir()
        for args in (
            (
                "--records",
                RECORDS[backend],
                "--start",
                "2026-07-01",
                "--out",
                str(data / "log.csv"),
            ),
            (
                "--records",
                "2500",
                "--seed",
                "2",
                "--only",
                "activities",
                "--start",
                "2026-07-01",
                "--out",
                str(data / "more" / "more.csv"),
            ),
            (
                "--records",
                READ_AHEAD_RECORDS,
                "--seed",
                "3",
                "--only",
                "activities",
                "--start",
                "2026-07-01",
                "--out",
                str(data / "large" / "large.csv"),
            ),
        ):
            done = subprocess.run([PEERREPORT, "samples", "generate", *args], capture_output=True)
            assert done.returncode == 0, done.stderr
        url = kept.new(f"{prefix}_s0")
        ws = root / f"{prefix}_s0"
        shutil.rmtree(ws)
        done = subprocess.run(
            [
                PEERREPORT,
                "init",
                str(ws),
                "--name",
                "Kill Test",
                "--provider-code",
                "KILL01",
                *([] if backend == "sqlite" else ["--db", url]),
            ],
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, done.stderr
        yield kept
    finally:
        kept.drop_all()


def _children(pid: int) -> list[int]:
    """The processes `pid` started that are still its children (Linux's /proc)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(child) for child in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def _alive(pid: int) -> bool:
    """Is `pid` running (not gone, and not a zombie waiting to be reaped)?"""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _reader_started(process: subprocess.Popen[bytes]) -> float:
    """Wait until `process` has started a process of its own, or ended: the seconds waited."""
    started = time.monotonic()
    while process.poll() is None and not _children(process.pid):
        assert time.monotonic() - started < 120, "the command never started its reader"
        time.sleep(0.005)
    return time.monotonic() - started


def _kill_step(
    store: Store,
    before: str,
    step: str,
    args: list[str],
    seed: int,
    *,
    from_reader: bool = False,
) -> list[tuple[float, bool, str, int]]:
    """Run `args` once to the end (the 'after' state), then killed at several moments: the
    moments, whether each kill found the command running, what it left, and how many
    processes it had started (none outlives it).

    With `from_reader`, the moments count from when the command has started its reading
    process, and fall in the first half of what is left of the run after that: a slow
    start (imports, the workspace) would otherwise put every moment before the fork."""
    prefix = store.prefix  # type: ignore[attr-defined]
    reference = f"{prefix}_{step}_ref"
    url = store.copy(before, reference)
    expected_before = _counts(url)
    started = time.monotonic()
    lead = 0.0
    if from_reader:
        running = subprocess.Popen(
            [PEERREPORT, *args],
            cwd=store.root / reference,
            env=_env(url),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        lead = _reader_started(running)
        output, _ = running.communicate(timeout=120)
        done = subprocess.CompletedProcess(args, running.returncode, output.decode(), "")
    else:
        done = _run(store.root / reference, url, *args)
    duration = time.monotonic() - started - lead
    assert done.returncode == 0, done.stdout + done.stderr
    expected_after = _counts(url)
    assert expected_after != expected_before
    rng = random.Random(seed)
    widest = 0.5 if from_reader else 1.0
    moments = sorted(rng.uniform(0.05, widest) * duration for _ in range(KILLS_PER_STEP))
    outcomes = []
    for number, moment in enumerate(moments):
        name = f"{prefix}_{step}_{number}"
        url = store.copy(before, name)
        ws = store.root / name
        process = subprocess.Popen(
            [PEERREPORT, *args],
            cwd=ws,
            env=_env(url),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        if from_reader:
            _reader_started(process)
        time.sleep(moment)
        children = _children(process.pid)
        killed = process.poll() is None
        if killed:
            process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
        deadline = time.monotonic() + 10
        while any(map(_alive, children)) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not any(map(_alive, children)), f"{step}: a process outlived the killed one"
        state = _counts(url)
        outcome = (
            "before" if state == expected_before else "after" if state == expected_after else None
        )
        assert outcome, f"{step} killed at {moment:.2f}s left a partial state: {state}"
        outcomes.append((round(moment, 2), killed, outcome, len(children)))
        ledger = _run(ws, url, "audit", "ledger")
        assert ledger.returncode == 0, ledger.stdout + ledger.stderr
    assert any(killed for _, killed, _, _ in outcomes), outcomes
    return outcomes


def test_sigkill_import_submit_and_revision(store: Store) -> None:
    prefix = store.prefix  # type: ignore[attr-defined]
    data = store.root / "data"
    # Activities first: breakdowns name them.
    files = sorted((str(p) for p in data.glob("*.csv")), key=lambda p: not p.endswith("log.csv"))
    _kill_step(store, f"{prefix}_s0", "import", ["import", *files], seed=1)
    # The saved states the next steps start from: s1 imported, s2 submitted.
    url = store.copy(f"{prefix}_s0", f"{prefix}_s1")
    assert _run(store.root / f"{prefix}_s1", url, "import", *files).returncode == 0
    _kill_step(store, f"{prefix}_s1", "submit", ["submit", RULES, "--period", PERIOD], seed=2)
    url = store.copy(f"{prefix}_s1", f"{prefix}_s2")
    done = _run(store.root / f"{prefix}_s2", url, "submit", RULES, "--period", PERIOD)
    assert done.returncode == 0, done.stdout + done.stderr
    more = str(data / "more" / "more.csv")
    _kill_step(store, f"{prefix}_s2", "revision", ["import", more], seed=3)


def test_sigkill_an_import_that_reads_ahead(store: Store) -> None:
    """Killed while its second process reads: nothing partial, and that process dies too."""
    prefix = store.prefix  # type: ignore[attr-defined]
    large = str(store.root / "data" / "large" / "large.csv")
    assert Path(large).stat().st_size >= READ_AHEAD_BYTES
    outcomes = _kill_step(
        store, f"{prefix}_s0", "read-ahead", ["import", large], seed=4, from_reader=True
    )
    assert any(killed and readers for _, killed, _, readers in outcomes), outcomes
