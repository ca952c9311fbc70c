"""Every vocabulary field takes its label or its code; every column its heading or field name."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from peerreport.intake.headings import match_heading, readable_heading, spellings
from peerreport.privacy.forbidden import forbidden_column
from peerreport.records.models import RECORD_TYPES
from peerreport.records.vocabulary import normalise_token, vocabulary
from peerreport.store.schema import RECORD_TABLES
from tests.helpers import make_workspace, messages, run_import, write_csv


def _vocabulary_fields() -> list[tuple[str, str, str]]:
    found = []
    for record_type, model in RECORD_TYPES.items():
        for name, info in model.model_fields.items():
            extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
            if isinstance(extra.get("vocabulary"), str):
                found.append((record_type, name, str(extra["vocabulary"])))
    return found


@pytest.mark.parametrize(("record_type", "field", "vocab"), _vocabulary_fields())
def test_each_label_and_code_reads_as_the_code(record_type: str, field: str, vocab: str) -> None:
    terms = vocabulary(vocab).terms
    for term in terms:
        assert vocabulary(vocab).resolve(term.label) == term.code, term
        assert vocabulary(vocab).resolve(term.code) == term.code, term
        assert vocabulary(vocab).resolve(term.label.upper()) == term.code, term


@pytest.mark.parametrize("record_type", list(RECORD_TYPES))
def test_each_readable_heading_and_field_name_reads_as_the_field(record_type: str) -> None:
    for name in RECORD_TYPES[record_type].model_fields:
        for heading in (name, readable_heading(name), readable_heading(name).upper()):
            assert match_heading(record_type, heading).field == name, heading
        assert spellings(record_type)[normalise_token(readable_heading(name))] == name
        assert forbidden_column(readable_heading(name)) is None, name


ACTIVITY_ROWS: list[dict[str, str]] = [
    {"activity_id": f"A{i}", "date": "14/08/2026", "attendance": "3"} for i in range(11)
]


def _rows(by_label: bool) -> tuple[list[list[str]], list[list[str]], list[list[str]]]:
    """Activities, breakdowns and workforce using every term, by label or by code."""

    def value(vocab: str, index: int) -> str:
        terms = vocabulary(vocab).terms
        term = terms[index % len(terms)]
        return term.label if by_label else term.code

    def heading(name: str) -> str:
        return readable_heading(name) if by_label else name

    fields = ["activity_id", "date", "attendance", "kind", "mode", "setting", "population_focus"]
    activities = [[heading(f) for f in fields]]
    for i, row in enumerate(ACTIVITY_ROWS):
        activities.append(
            [row["activity_id"], row["date"], row["attendance"]]
            + [value(v, i) for v in ("kind", "mode", "setting", "population_focus")]
        )
    breakdowns = [[heading(f) for f in ("activity_id", "dimension", "category", "count")]]
    for dimension in ("ethnicity", "age_band", "gender"):
        for i, _ in enumerate(vocabulary(dimension).terms):
            shown = vocabulary("dimension").label(dimension) if by_label else dimension
            breakdowns.append(["A0", shown, value(dimension, i), "1"])
    workforce = [[heading(f) for f in ("period_start", "period_end", "role", "paid_fte")]]
    for i, _ in enumerate(vocabulary("role").terms):
        workforce.append(["01/07/2026", "30/09/2026", value("role", i), "0.5"])
    return activities, breakdowns, workforce


def _stored(engine: Engine, org: str) -> dict[str, list[tuple[Any, ...]]]:
    with engine.connect() as conn:
        result = {}
        for record_type, table in RECORD_TABLES.items():
            columns = [c for c in table.c if c.name in RECORD_TYPES[record_type].model_fields]
            rows = conn.execute(select(*columns).where(table.c.org == org)).all()
            result[record_type] = sorted(tuple(r) for r in rows)
    return result


def test_labels_and_readable_headings_store_what_codes_and_field_names_do(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    stored = []
    for by_label in (True, False):
        ws = make_workspace(tmp_path / f"ws-{by_label}", db_url, code=f"ORG-{by_label}")
        activities, breakdowns, workforce = _rows(by_label)
        folder = tmp_path / str(by_label)
        folder.mkdir()
        report = run_import(
            engine,
            ws,
            write_csv(folder / "activities.csv", activities),
            write_csv(folder / "breakdowns.csv", breakdowns),
            write_csv(folder / "workforce.csv", workforce),
        )
        assert report.stored, messages(report)
        assert all(not f.notices for f in report.files), [f.notices for f in report.files]
        stored.append(_stored(engine, ws.provider_code))
    assert stored[0] == stored[1]
    values = {v for rows in stored[0].values() for row in rows for v in row}
    for vocab in ("kind", "mode", "setting", "population_focus", "role", "ethnicity", "gender"):
        assert set(vocabulary(vocab).codes) <= values, vocab  # every term, stored as its code
    assert len(stored[0]["breakdowns"]) == sum(
        len(vocabulary(d).terms) for d in ("ethnicity", "age_band", "gender")
    )
