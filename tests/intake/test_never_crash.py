"""Importers never crash: any file gives a report or a plain InputFileError."""

from __future__ import annotations

import csv
import io
import json
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from peerreport.errors import InputFileError
from peerreport.intake import ImportSettings, import_files
from peerreport.store.database import open_engine, upgrade

HEADINGS = [
    "activity_id",
    "date",
    "kind",
    "attendance",
    "first_time",
    "notes",
    "member_led",
    "start_time",
    "Client name",
    "colour",
    "",
]

cells = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        [
            "",
            "group",
            "Drop in",
            "14/08/2026",
            "2026-02-30",
            "31/31/2031",
            "-1",
            "1e9",
            "yes",
            "maybe",
            "ZAA0067",
            "18:30",
            "25:99",
            "NaN",
            "=1+1",
            "Kōrero Māori",
            "\x00",
            "1,200",
            "9.5",
        ]
    ),
    st.integers(min_value=-(10**12), max_value=10**12).map(str),
)


@pytest.fixture(scope="module")
def shared_engine() -> Iterator[Engine]:
    with tempfile.TemporaryDirectory() as folder:
        engine = open_engine(f"sqlite:///{folder}/fuzz.db")
        upgrade(engine)
        yield engine
        engine.dispose()


def _import(engine: Engine, path: Path, skip_invalid: bool) -> None:
    settings_ = ImportSettings(
        org="F" + uuid.uuid4().hex[:8],
        org_name="Fuzz",
        token_secret=b"k" * 32,
        skip_invalid=skip_invalid,
    )
    try:
        report = import_files(engine, [path], settings_)
    except InputFileError as exc:
        assert str(exc)  # a plain message, never empty
        return
    for problem in (p for f in report.files for p in f.problems):
        assert problem.message and problem.location.file


@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    header=st.lists(st.sampled_from(HEADINGS), min_size=1, max_size=8),
    body=st.lists(st.lists(cells, max_size=9), max_size=6),
    skip_invalid=st.booleans(),
)
def test_random_csv_rows_never_crash(
    shared_engine: Engine, header: list[str], body: list[list[str]], skip_invalid: bool
) -> None:
    buffer = io.StringIO()
    csv.writer(buffer).writerows([header, *body])
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "activities.csv"
        path.write_text(buffer.getvalue(), "utf-8")
        _import(shared_engine, path, skip_invalid)


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(content=st.binary(max_size=300))
def test_random_bytes_never_crash(shared_engine: Engine, content: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        for name in ("activities.csv", "activities.jsonl", "activities.xlsx"):
            path = Path(folder) / name
            path.write_bytes(content)
            _import(shared_engine, path, skip_invalid=False)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    lines=st.lists(st.dictionaries(st.sampled_from(HEADINGS), json_values, max_size=6), max_size=5)
)
def test_random_json_lines_never_crash(
    shared_engine: Engine, lines: list[dict[str, object]]
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "activities.jsonl"
        path.write_text("\n".join(json.dumps(line) for line in lines), "utf-8")
        _import(shared_engine, path, skip_invalid=True)
