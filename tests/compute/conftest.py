"""Rule files and records for compute tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from peerreport.records.models import RECORD_TYPES
from peerreport.rulebook import Catalogue, RuleFile, load
from peerreport.store.records import ensure_organisation, save_records

ORG = "TEST01"


@pytest.fixture
def rule_file(tmp_path: Path) -> Callable[[str], RuleFile]:
    """rule_file(body) loads a rule file with that body."""

    def make(body: str) -> RuleFile:
        path = tmp_path / "r.toml"
        path.write_text(f'id = "r"\ntitle = "Test"\nversion = "1"\n{body}', "utf-8")
        return load(path, Catalogue([tmp_path]))

    return make


@pytest.fixture
def store(engine: Engine) -> Callable[..., None]:
    """store(activities=[...], breakdowns=[...], ...) saves records for ORG."""

    def save(org: str = ORG, **records: list[dict[str, Any]]) -> None:
        models = [
            RECORD_TYPES[kind].model_validate(data)
            for kind, rows in records.items()
            for data in rows
        ]
        with engine.begin() as conn:
            ensure_organisation(conn, org, "Test organisation")
            save_records(conn, org, models, b"secret")

    return save


def activity(activity_id: str, date: str = "2026-07-10", **fields: Any) -> dict[str, Any]:
    """An activity record with defaults."""
    return {"activity_id": activity_id, "date": date, "kind": "group", "attendance": 5, **fields}
