"""A small rule file, records and returns shared by the bundle, ledger, audit and collate tests."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from peerreport.bundle import MANIFEST_NAME, Trust, manifest_bytes, read_archive, write_archive
from peerreport.bundle.manifest import seal
from peerreport.records.models import RECORD_TYPES
from peerreport.returns.build import build_return
from peerreport.returns.model import (
    EXACT,
    SUPPRESSED,
    PublishedCell,
    Return,
    ReturnFigure,
    RuleInfo,
)
from peerreport.returns.periods import Period, parse_period
from peerreport.rulebook import Catalogue, RuleFile, load
from peerreport.store.records import ensure_organisation, save_records

#: Verify an unsigned bundle as `--allow-unsigned` does: tests of what else verify finds.
ALLOW_UNSIGNED = Trust(allow_unsigned=True)

ORG = "TEST01"
ORG_NAME = "Test Peer Network"
SECRET = b"workspace-secret"
PERIOD = "FY2027-Q1"  # 2026-07-01 to 2026-09-30

RULES = """\
id = "audit-test"
title = "Audit test return"
version = "1"
period = "quarter"
year_start = "07-01"

[disclosure]
method = "{method}"
threshold = 6

[[measure]]
id = "sessions"
label = "Sessions delivered"
count = "activity"
unit = "sessions"

[[measure]]
id = "group_attendance"
label = "Attendances at groups"
sum = "attendance"
where = "kind = 'group'"
by = ["mode"]
unit = "attendances"

[[measure]]
id = "calls"
label = "Warm-line calls"
count = "activity"
where = "kind = 'warm_line_call'"
by = ["mode"]

[[measure]]
id = "people"
label = "Members who took part"
distinct = "member_tokens"

[[measure]]
id = "average_group_size"
label = "Average attendance per session"
expr = "group_attendance / sessions"
round = 1
"""


def write_rules(folder: Path, method: str = "none", version: str = "1") -> Path:
    """The test rule file in `folder` (disclosure `method`), as a path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "audit-test.toml"
    text = RULES.format(method=method).replace('version = "1"', f'version = "{version}"')
    path.write_text(text, "utf-8")
    return path


def load_rules(path: Path) -> RuleFile:
    """Load a rule file written by `write_rules`."""
    return load(path, Catalogue([path.parent]))


def period() -> Period:
    """The test period, FY2027-Q1."""
    return parse_period(PERIOD)


def activity(ident: str, day: int = 10, **fields: Any) -> dict[str, Any]:
    """An activity in July 2026 with defaults (a group session of 5, in person)."""
    values: dict[str, Any] = {
        "activity_id": ident,
        "date": dt.date(2026, 7, day).isoformat(),
        "kind": "group",
        "attendance": 5,
        "mode": "in_person",
    }
    values.update(fields)
    return values


def records() -> list[dict[str, Any]]:
    """A varied set of activities: groups and calls in several modes, with member tokens."""
    rows = [
        activity(
            f"G-{i:02d}",
            1 + i % 28,
            attendance=3 + i % 7,
            mode=("in_person", "video", "phone")[i % 3],
            member_tokens=[f"m{i % 5}", f"m{(i + 2) % 7}"],
        )
        for i in range(14)
    ]
    rows += [
        activity(
            f"W-{i:02d}",
            2 + i,
            kind="warm_line_call",
            attendance=1,
            mode=("phone", "text_online")[i % 2],
        )
        for i in range(9)
    ]
    rows.append({**activity("OLD-1", 1), "date": "2026-06-30"})  # before the period
    return rows


def store(engine: Engine, rows: list[dict[str, Any]], org: str = ORG) -> None:
    """Save activities (dicts) for `org`."""
    models = [RECORD_TYPES["activities"].model_validate(r) for r in rows]
    with engine.begin() as conn:
        ensure_organisation(conn, org, ORG_NAME)
        save_records(conn, org, models, SECRET)


def build(engine: Engine, rule_file: RuleFile, org: str = ORG) -> Return:
    """The test return for `org` and FY2027-Q1."""
    return build_return(engine, org, ORG_NAME, rule_file, period())


def published(
    rule_file: RuleFile,
    org: str,
    values: Mapping[str, Any],
    span: Period | None = None,
    name: str | None = None,
) -> Return:
    """A return as a provider would publish it, with the figures given directly.

    `values` maps a measure id to its total, or to (total, {cell code: value});
    None means suppressed.
    """
    figures = []
    for ident, compiled in rule_file.measures.items():
        if ident not in values:
            continue
        m = compiled.measure
        given = values[ident]
        total, cells = given if isinstance(given, tuple) else (given, {})
        figures.append(
            ReturnFigure(
                id=ident,
                label=m.label or ident,
                kind=m.kind,
                unit=m.unit,
                line=m.line,
                by=tuple(m.by),
                total=_cell((), total),
                cells=tuple(_cell((code,), v) for code, v in cells.items()),
            )
        )
    policy = rule_file.disclosure
    return Return(
        organisation=org,
        organisation_name=name or f"Provider {org}",
        rule=RuleInfo(rule_file.id, rule_file.version, rule_file.digest, rule_file.model.title),
        period=span or period(),
        figures=tuple(figures),
        findings=(),
        disclosure={
            "method": policy.method,
            "threshold": policy.threshold,
            "secondary": policy.secondary,
            "zero_exempt": policy.zero_exempt,
            "symbol": policy.symbol,
        },
        records_digest="sha256:" + "0" * 64,
        record_counts={"activities": 1},
    )


def _cell(key: tuple[str | None, ...], value: Any) -> PublishedCell:
    return PublishedCell(key, value, SUPPRESSED if value is None else EXACT)


def resealed(bundle: bytes, change: Callable[[dict[str, Any]], None]) -> bytes:
    """The bundle with its manifest changed by `change` and sealed again, as a forger would.

    The manifest stays canonical and its seal matches, so only the manifest's
    shape (and what collation checks) can catch the change.
    """
    archive = read_archive(bundle)
    manifest = json.loads(archive.entries[MANIFEST_NAME])
    change(manifest)
    data = manifest_bytes(manifest)
    return write_archive({**archive.entries, MANIFEST_NAME: data}, seal(data))
