"""Fuzzing the importers on both databases, at CI scale (issue 15).

The small version in tests/intake/test_never_crash.py runs on every `pytest`;
this one runs the same kinds of input many more times, on SQLite and on
PostgreSQL, with a fixed seed so a CI failure can be replayed. An import only
ever returns a report (or refuses the file with a plain InputFileError), and
when it stores nothing, not one row reaches the database.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select

from peerreport.errors import InputFileError
from peerreport.intake import ImportSettings, import_files
from peerreport.store.database import open_engine
from peerreport.store.schema import (
    activity,
    activity_breakdown,
    feedback,
    member_token,
    record_revision,
    workforce,
)
from tests.conftest import BACKENDS, empty_database
from tests.intake.test_never_crash import (
    DROPPED_SECRET,
    _cell,
    cells,
    headings,
    json_values,
    save_workbook,
    xlsx_cells,
)
from tests.migrated import migrate

pytestmark = pytest.mark.reliability

#: Examples per format and database. The total (see test_example_budget) is the
#: number issue 15 asks for; the split follows what each import costs.
EXAMPLES = {
    ("csv", "sqlite"): 4000,
    ("csv", "postgresql"): 1200,
    ("jsonl", "sqlite"): 2500,
    ("jsonl", "postgresql"): 900,
    ("xlsx", "sqlite"): 800,
    ("xlsx", "postgresql"): 600,
}
#: Only for measuring locally (PEERREPORT_FUZZ_SCALE=0.05); CI runs the full counts.
_SCALE = float(os.environ.get("PEERREPORT_FUZZ_SCALE", "1"))
_STORED_TABLES = (activity, activity_breakdown, workforce, feedback, member_token, record_revision)


def test_example_budget() -> None:
    """At least 10,000 fuzz examples in the marked run."""
    assert sum(EXAMPLES.values()) >= 10_000


@pytest.fixture(scope="module", params=BACKENDS)
def fuzz_engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    """One migrated database per backend for all examples (each uses its own organisation)."""
    with empty_database(str(request.param), tmp_path_factory.mktemp("fuzz")) as url:
        migrate(url)
        engine = open_engine(url)
        yield engine
        engine.dispose()


def _backend(engine: Engine) -> str:
    return "sqlite" if engine.dialect.name == "sqlite" else "postgresql"


def _stored_rows(engine: Engine, org: str) -> int:
    counts = [
        select(func.count()).select_from(table).where(table.c.org == org).scalar_subquery()
        for table in _STORED_TABLES
    ]
    with engine.connect() as conn:
        return sum(int(n) for n in conn.execute(select(*counts)).one())


def _import(engine: Engine, path: Path, skip_invalid: bool, drop_forbidden: bool) -> None:
    """Import into a fresh organisation: a report or a plain refusal, never a crash or a leak."""
    org = "F" + uuid.uuid4().hex[:8]
    settings_ = ImportSettings(
        org=org,
        org_name="Fuzz",
        token_secret=b"k" * 32,
        skip_invalid=skip_invalid,
        drop_forbidden=drop_forbidden,
    )
    try:
        report = import_files(engine, [path], settings_)
    except InputFileError as exc:
        assert str(exc)
        assert _stored_rows(engine, org) == 0
        return
    problems = [p for f in report.files for p in f.problems]
    assert all(p.message and p.location.file for p in problems)
    if problems and not skip_invalid:
        assert not report.stored
    if not report.stored:
        assert _stored_rows(engine, org) == 0, "a refused import stored rows"
    shown = json.dumps(report.to_dict(), ensure_ascii=False)
    for rejects in (r for f in report.files for r in f.rejects_paths):
        shown += rejects.read_text("utf-8-sig")
    assert DROPPED_SECRET not in shown


def _run(engine: Engine, fmt: str, test: Any) -> None:
    """Run a hypothesis test with the example count for this format and database."""
    run = settings(
        max_examples=max(1, int(EXAMPLES[(fmt, _backend(engine))] * _SCALE)),
        deadline=None,
        derandomize=True,  # a fixed seed: the same examples on every CI run
        database=None,
        suppress_health_check=list(HealthCheck),
    )(test)
    run()


def test_csv_never_crashes(fuzz_engine: Engine) -> None:
    @given(
        header=st.lists(headings, min_size=1, max_size=8),
        body=st.lists(st.lists(cells, max_size=9), max_size=6),
        skip_invalid=st.booleans(),
        drop=st.booleans(),
    )
    def one(header: list[str], body: list[list[str]], skip_invalid: bool, drop: bool) -> None:
        rows = [
            [_cell(header[i] if i < len(header) else "", v) for i, v in enumerate(r)] for r in body
        ]
        buffer = io.StringIO()
        csv.writer(buffer).writerows([header, *rows])
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "activities.csv"
            path.write_text(buffer.getvalue(), "utf-8")
            _import(fuzz_engine, path, skip_invalid, drop)

    _run(fuzz_engine, "csv", one)


def test_json_lines_never_crash(fuzz_engine: Engine) -> None:
    @given(
        lines=st.lists(st.dictionaries(headings, json_values, max_size=6), max_size=5),
        raw=st.one_of(st.none(), st.binary(max_size=120)),
        skip_invalid=st.booleans(),
        drop=st.booleans(),
    )
    def one(
        lines: list[dict[str, object]], raw: bytes | None, skip_invalid: bool, drop: bool
    ) -> None:
        shown = [{k: _cell(k, v) if isinstance(v, str) else v for k, v in x.items()} for x in lines]
        content = "\n".join(json.dumps(line) for line in shown).encode()
        if raw is not None:  # broken lines among good ones
            content += b"\n" + raw
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "activities.jsonl"
            path.write_bytes(content)
            _import(fuzz_engine, path, skip_invalid, drop)

    _run(fuzz_engine, "jsonl", one)


def test_workbooks_never_crash(fuzz_engine: Engine) -> None:
    @given(
        sheets=st.lists(
            st.tuples(
                st.sampled_from(["Activities", "Breakdowns", "Workforce", "Feedback", "Log"]),
                st.lists(headings, min_size=1, max_size=7),
                st.lists(
                    st.tuples(st.integers(0, 40), st.lists(xlsx_cells, max_size=8)), max_size=5
                ),
            ),
            min_size=1,
            max_size=3,
            unique_by=lambda sheet: sheet[0],
        ),
        skip_invalid=st.booleans(),
        drop=st.booleans(),
    )
    def one(
        sheets: list[tuple[str, list[str], list[tuple[int, list[object]]]]],
        skip_invalid: bool,
        drop: bool,
    ) -> None:
        with tempfile.TemporaryDirectory() as folder:
            path = save_workbook(sheets, Path(folder) / "log.xlsx")
            _import(fuzz_engine, path, skip_invalid, drop)

    _run(fuzz_engine, "xlsx", one)
