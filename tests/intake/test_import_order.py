"""The files of one import are read breakdowns last, whatever order they were named in.

A breakdown is of an activity stored before or given in the same import (IMP-041).
`peerreport import log*.csv` names `log-breakdowns.csv` before `log.csv`: the
import still reads the activities first (`intake.reading.import_order`).
"""

from __future__ import annotations

import itertools
import re
from contextlib import ExitStack
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from peerreport.errors import InputFileError
from peerreport.intake.jsonl import jsonl_record_type, jsonl_table
from peerreport.intake.limits import InputLimits, InputRefused
from peerreport.intake.reading import import_order
from peerreport.store.schema import activity, activity_breakdown
from tests.helpers import (
    make_workspace,
    messages,
    run_import,
    settings_for,
    write_csv,
    write_workbook,
)

ACTIVITY_HEADER = ["activity_id", "date", "kind", "attendance"]
BREAKDOWN_HEADER = ["activity_id", "dimension", "category", "count"]


def _files(folder: Path) -> list[Path]:
    """Activities in a CSV; breakdowns of them and of the workbook's in another CSV; a
    workbook holding activities and breakdowns of the first CSV's."""
    folder.mkdir()
    return [
        write_csv(
            folder / "log.csv",
            [
                ACTIVITY_HEADER,
                ["A1", "14/08/2026", "group", "5"],
                ["A2", "15/08/2026", "drop_in", "3"],
            ],
        ),
        write_csv(
            folder / "log-breakdowns.csv",
            [BREAKDOWN_HEADER, ["A1", "gender", "female", "2"], ["W1", "gender", "male", "1"]],
        ),
        write_workbook(
            folder / "more.xlsx",
            {
                "Activities": [ACTIVITY_HEADER, ["W1", "16/08/2026", "group", "4"]],
                "Breakdowns": [BREAKDOWN_HEADER, ["A2", "gender", "male", "3"]],
            },
        ),
    ]


def _stored(engine: Engine, org: str) -> tuple[list[str], list[tuple[str, str, int]]]:
    with engine.connect() as conn:
        ids = conn.execute(
            select(activity.c.activity_id).where(activity.c.org == org).order_by("activity_id")
        ).scalars()
        breakdowns = conn.execute(
            select(
                activity_breakdown.c.activity_id,
                activity_breakdown.c.category,
                activity_breakdown.c.count,
            )
            .where(activity_breakdown.c.org == org)
            .order_by("activity_id")
        ).all()
        return list(ids), [tuple(b) for b in breakdowns]


@pytest.mark.parametrize("order", list(itertools.permutations(range(3))))
def test_files_in_any_order_store_the_same_records(
    engine: Engine, db_url: str, tmp_path: Path, order: tuple[int, ...]
) -> None:
    files = _files(tmp_path / "files")
    workspace = make_workspace(tmp_path / "ws", db_url)
    given = [files[i] for i in order]
    report = run_import(engine, workspace, *given)
    assert report.stored, messages(report)
    read = [f.path.name for f in report.files]
    # Breakdowns only, last; the workbook (activities too) after the file of activities alone.
    assert read == ["log.csv", "more.xlsx", "log-breakdowns.csv"]
    assert [f.counts.added for f in report.files] == [2, 2, 2]
    assert _stored(engine, workspace.provider_code) == (
        ["A1", "A2", "W1"],
        [("A1", "female", 2), ("A2", "male", 3), ("W1", "male", 1)],
    )


def test_the_order_given_is_kept_where_nothing_depends_on_it(tmp_path: Path) -> None:
    workforce = [["period_start", "period_end", "peer_workers"], ["01/07/2026", "30/09/2026", "3"]]
    files = [
        write_csv(tmp_path / "b-breakdowns.csv", [BREAKDOWN_HEADER, ["A1", "gender", "male", "1"]]),
        write_csv(
            tmp_path / "z-activities.csv", [ACTIVITY_HEADER, ["A1", "14/08/2026", "group", "5"]]
        ),
        write_csv(tmp_path / "a-breakdowns.csv", [BREAKDOWN_HEADER, ["A1", "age", "25-44", "1"]]),
        write_csv(tmp_path / "workforce.csv", workforce),
        write_csv(
            tmp_path / "y-activities.csv", [ACTIVITY_HEADER, ["A2", "14/08/2026", "group", "5"]]
        ),
    ]
    settings = settings_for(make_workspace(tmp_path / "ws", "sqlite://"))
    assert [p.name for p in import_order(files, settings)] == [
        "z-activities.csv",
        "workforce.csv",
        "y-activities.csv",
        "b-breakdowns.csv",
        "a-breakdowns.csv",
    ]
    # --type says what every file holds: nothing to reorder.
    typed = settings_for(make_workspace(tmp_path / "ws2", "sqlite://"), record_type="breakdowns")
    assert import_order(files, typed) == files


@pytest.mark.parametrize("name", ["missing.csv", "missing.jsonl", "folder.jsonl", "folder.xlsx"])
def test_a_file_that_cannot_be_opened_is_still_reported(
    engine: Engine, db_url: str, tmp_path: Path, name: str
) -> None:
    """Ordering opens every file first; one it cannot open (missing, or a folder) is left
    to the import to report in its own words, and nothing is stored."""
    files = _files(tmp_path / "files")
    workspace = make_workspace(tmp_path / "ws", db_url)
    missing = tmp_path / name
    if name.startswith("folder"):
        missing.mkdir()
    ordered = import_order([files[1], missing, files[0]], settings_for(workspace))
    assert ordered == [missing, files[0], files[1]]
    said = "a folder, not a file" if name.startswith("folder") else "no such file"
    with pytest.raises(InputFileError, match=rf"{re.escape(name)}: {said}"):
        run_import(engine, workspace, files[1], missing, files[0])
    assert _stored(engine, workspace.provider_code) == ([], [])
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(activity)).scalar() == 0


def _jsonl(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(f"{line}\n" for line in lines), "utf-8")
    return path


BREAKDOWN_LINE = '{"activity_id": "A1", "dimension": "gender", "category": "male", "count": 1}'
ACTIVITY_LINE = '{"activity_id": "A1", "date": "2026-08-14", "kind": "group", "attendance": 5}'


@pytest.mark.parametrize(
    ("name", "lines"),
    [
        ("activities-breakdowns.jsonl", [ACTIVITY_LINE]),  # the name says, whatever the lines
        ("export.jsonl", [BREAKDOWN_LINE, ACTIVITY_LINE]),  # the first object's keys
        ("export.jsonl", ["[1, 2]", "not json", BREAKDOWN_LINE]),  # the first object
        ("export.jsonl", ['{"record_type": "workforce", "activity_id": "A1"}']),
        ("export.jsonl", ["", "[]"]),  # no object: no type
    ],
)
def test_a_json_lines_file_is_typed_as_reading_it_types_it(
    tmp_path: Path, name: str, lines: list[str]
) -> None:
    path = _jsonl(tmp_path / name, lines)
    limits = settings_for(make_workspace(tmp_path / "ws", "sqlite://")).limits
    with ExitStack() as stack:
        read = jsonl_table(path, None, stack, limits).record_type
    assert jsonl_record_type(path, limits) == read


def test_a_json_lines_file_is_ordered_by_its_first_object_alone(tmp_path: Path) -> None:
    """Ordering reads a JSON Lines file up to its first object, not every line (the keys
    pass of its table): a later line past the limits does not stop it being ordered."""
    unnamed = _jsonl(tmp_path / "export.jsonl", [BREAKDOWN_LINE, '{"note": "' + "x" * 80 + '"}'])
    activities = _jsonl(tmp_path / "more.jsonl", [ACTIVITY_LINE])
    limits = InputLimits(max_cell_chars=60)
    settings = settings_for(make_workspace(tmp_path / "ws", "sqlite://"), limits=limits)
    with pytest.raises(InputRefused), ExitStack() as stack:  # reading every line refuses it
        jsonl_table(unnamed, None, stack, limits)
    assert import_order([unnamed, activities], settings) == [activities, unnamed]
