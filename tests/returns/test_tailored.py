"""Returns built from tailored rule files ([[remove]], [define]) on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import Engine

from peerreport.render.csv_output import render_csv
from peerreport.returns.build import build_return
from peerreport.returns.model import Return
from peerreport.returns.periods import parse_period
from peerreport.rulebook import Catalogue, load
from tests.helpers import make_workspace, messages, run_import, write_csv

HEADER = 'title = "Tailored"\nversion = "1"\ndisclosure = { method = "none" }\n'

#: The same return, its formulas written once in [define] or inline in every place.
DEFINED = """
[define]
long_group = "kind = 'group' and duration_minutes > 60"
effort = "attendance * 2 + coalesce(first_time, 0)"
per_session = "long_effort / long_groups"
[[measure]]
id = "long_groups"
count = "activity"
where = "long_group"
[[measure]]
id = "long_effort"
sum = "effort"
where = "long_group and mode = 'in_person'"
[[measure]]
id = "calls"
count = "activity"
where = "kind = 'warm_line_call'"
[[measure]]
id = "effort_per_long_group"
expr = "per_session"
[[check]]
id = "T-1"
severity = "warning"
source = "activity"
where = "long_group"
assert = "effort < 20"
message = "{count} long groups with effort 20 or more: {sample}"
[[check]]
id = "T-2"
severity = "warning"
assert = "per_session < 10"
message = "effort per long group {effort_per_long_group}"
"""
_MEASURES = DEFINED.split("[[measure]]", 1)[1]
INLINE = "[[measure]]" + (
    _MEASURES.replace(
        '"long_group and mode', "\"(kind = 'group' and duration_minutes > 60) and mode"
    )
    .replace('"long_group"', "\"kind = 'group' and duration_minutes > 60\"")
    .replace('"effort"', '"attendance * 2 + coalesce(first_time, 0)"')
    .replace('"per_session', '"(long_effort / long_groups)')
    .replace('"effort < 20"', '"(attendance * 2 + coalesce(first_time, 0)) < 20"')
)
CHILD = """
extends = ["defined"]
[[remove]]
measure = "calls"
reason = "calls are reported to another funder"
"""


def _build(engine: Engine, db_url: str, tmp_path: Path) -> dict[str, Return]:
    ws = make_workspace(tmp_path / "ws", db_url)
    rows = [["activity_id", "date", "kind", "mode", "attendance", "duration_minutes", "first_time"]]
    for i in range(8):
        rows.append(
            [
                f"G{i}",
                f"{2 + i:02d}/08/2026",
                "group",
                ["in person", "video"][i % 2],
                str(3 + i),
                str(45 + 10 * i),
                "" if i % 3 else str(i),
            ]
        )
    rows += [[f"W{i}", "03/08/2026", "warm line", "phone", "1", "", ""] for i in range(3)]
    report = run_import(engine, ws, write_csv(tmp_path / "activities.csv", rows))
    assert report.stored, messages(report)
    folder = tmp_path / "rules"
    folder.mkdir()
    for name, body in (("defined", DEFINED), ("inline", INLINE), ("child", CHILD)):
        (folder / f"{name}.toml").write_text(f'id = "{name}"\n{HEADER}{body}', "utf-8")
    period = parse_period("FY2027-Q1")
    return {
        name: build_return(
            engine,
            "TEST01",
            "Test Peer Network",
            load(folder / f"{name}.toml", Catalogue([folder])),
            period,
        )
        for name in ("defined", "inline", "child")
    }


def _values(ret: Return) -> dict[str, object]:
    return {f.id: f.total.value for f in ret.figures}


def test_a_define_gives_the_inline_figures_and_a_removed_measure_is_gone(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    built = _build(engine, db_url, tmp_path)
    defined, inline, child = built["defined"], built["inline"], built["child"]
    assert (
        "[define]" not in INLINE and 'sum = "effort"' not in INLINE and "per_session" not in INLINE
    )
    # Groups G2..G7 last over 60 minutes; of those, G2, G4, G6 are in person.
    assert _values(defined) == {
        "long_groups": 6,
        "long_effort": (5 * 2 + 0) + (7 * 2 + 0) + (9 * 2 + 6),
        "calls": 3,
        "effort_per_long_group": 48 / 6,
    }
    assert _values(inline) == _values(defined)
    assert [(f.code, f.message) for f in inline.findings] == [
        (f.code, f.message) for f in defined.findings
    ]
    assert [(f.code, f.message) for f in defined.findings if f.code.startswith("T-")] == [
        ("T-1", "2 long groups with effort 20 or more: G6, G7")
    ]
    # The tailored child: everything but the removed measure, the same figures.
    assert _values(child) == {k: v for k, v in _values(defined).items() if k != "calls"}
    document = json.loads(child.to_json())
    assert "calls" not in [f["id"] for f in document["figures"]]
    csv_text = render_csv(child).decode("utf-8-sig")
    assert "calls" not in csv_text and "long_groups" in csv_text
