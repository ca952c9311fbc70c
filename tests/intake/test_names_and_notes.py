"""Names in free-text cells are refused at import; notes are stored only if the workspace says."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine

from peerreport.cli.main import cli
from peerreport.errors import WorkspaceError
from peerreport.intake.importer import NOTES_NOT_STORED
from peerreport.workspace import CONFIG_NAME, Workspace, load_workspace
from tests.helpers import (
    ACTIVITY_HEADER,
    make_workspace,
    messages,
    run_import,
    stored_activities,
    write_csv,
)

HEADER = [*ACTIVITY_HEADER, "topic", "group_id"]
NONE = ["", ""]  # no topic, no group


def _keep_notes(workspace: Workspace, keep: bool) -> Workspace:
    config = workspace.root / CONFIG_NAME
    text = config.read_text("utf-8")
    config.write_text(
        text.replace("keep_notes = false", f"keep_notes = {str(keep).lower()}"), "utf-8"
    )
    return load_workspace(workspace.root)


def test_a_name_in_a_free_text_cell_is_refused_and_masked(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    workspace = make_workspace(tmp_path / "ws", db_url)
    path = write_csv(
        tmp_path / "activities.csv",
        [
            HEADER,
            ["A1", "14/08/2026", "group", "9", "", "", "Aroha led the session tonight", ""],
            ["A2", "14/08/2026", "one_to_one", "1", "", "Mr T. Walker's medication changed", *NONE],
            ["A3", "15/08/2026", "group", "7", "", "", "", "Sione's group"],
        ],
    )
    report = run_import(engine, workspace, path, keep_notes=workspace.keep_notes)

    assert not report.stored
    assert stored_activities(engine, workspace.provider_code) == {}
    assert messages(report) == [
        'activities.csv, row 2, column "topic": looks like a person\'s name (A****). '
        "peerreport never stores client identifiers or clinical details: remove it from the cell",
        'activities.csv, row 3, column "notes": looks like a person\'s name (M* *. ******). '
        "peerreport never stores client identifiers or clinical details: remove it from the cell",
        'activities.csv, row 4, column "group_id": looks like a person\'s name (S****). '
        "peerreport never stores client identifiers or clinical details: remove it from the cell",
    ]
    shown = json.dumps(report.to_dict(), ensure_ascii=False)
    for secret in ("Aroha", "Walker", "Sione"):
        assert secret not in shown


def test_te_reo_words_groups_and_places_are_accepted(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    workspace = make_workspace(tmp_path / "ws", db_url)
    rows = [
        ("Whānau Ora group", "Aroha and manaakitanga", "Aroha Peer Collective"),
        ("Hearing Voices Network", "Kōrero about hope and recovery", "Tuesday evening group"),
        ("Ōtautahi peer groups", "Hui at Hoani Waititi Marae", "Tui room group"),
        ("Wellington peer groups", "Met at the Cuba Street hub", "Hope and belonging"),
    ]
    path = write_csv(
        tmp_path / "activities.csv",
        [
            HEADER,
            *[
                [f"A{n}", "14/08/2026", "group", "9", programme, "", topic, group]
                for n, (programme, topic, group) in enumerate(rows, start=1)
            ],
        ],
    )
    report = run_import(engine, workspace, path)

    assert report.stored, messages(report)
    stored = stored_activities(engine, workspace.provider_code)
    assert [stored[f"A{n}"]["topic"] for n in range(1, 5)] == [topic for _, topic, _ in rows]


def test_notes_are_not_stored_unless_the_workspace_keeps_them(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    workspace = make_workspace(tmp_path / "ws", db_url)
    assert workspace.keep_notes is False  # the default of a new workspace
    path = write_csv(
        tmp_path / "activities.csv",
        [
            ACTIVITY_HEADER,
            ["A1", "14/08/2026", "group", "9", "", "Moved to the small room"],
            ["A2", "15/08/2026", "group", "8", "", "Heater broken"],
            ["A3", "16/08/2026", "group", "7", "", ""],
        ],
    )
    report = run_import(engine, workspace, path, keep_notes=workspace.keep_notes)

    assert report.stored
    assert report.files[0].notices == [f"activities.csv: {NOTES_NOT_STORED}"]  # once
    stored = stored_activities(engine, workspace.provider_code)
    assert {stored[a]["notes"] for a in ("A1", "A2", "A3")} == {None}

    kept = _keep_notes(workspace, True)
    assert kept.keep_notes is True
    again = run_import(engine, kept, path, keep_notes=kept.keep_notes)
    assert again.files[0].notices == []
    assert (again.counts.updated, again.counts.unchanged) == (2, 1)  # the notes are content
    stored = stored_activities(engine, workspace.provider_code)
    assert stored["A1"]["notes"] == "Moved to the small room"


def test_a_name_in_notes_is_refused_even_when_notes_are_not_stored(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    workspace = make_workspace(tmp_path / "ws", db_url)
    path = write_csv(
        tmp_path / "activities.csv",
        [ACTIVITY_HEADER, ["A1", "14/08/2026", "group", "9", "", "Aroha led the session"]],
    )
    report = run_import(engine, workspace, path, keep_notes=False)
    assert not report.stored
    assert "Aroha" not in " ".join(messages(report))


@pytest.mark.parametrize("value", ['"yes"', "1", '"false"'])
def test_keep_notes_must_be_true_or_false(db_url: str, tmp_path: Path, value: str) -> None:
    workspace = make_workspace(tmp_path / "ws", db_url)
    config = workspace.root / CONFIG_NAME
    config.write_text(
        config.read_text("utf-8").replace("keep_notes = false", f"keep_notes = {value}"), "utf-8"
    )
    with pytest.raises(WorkspaceError, match=r"\[records\] keep_notes must be true or false"):
        load_workspace(workspace.root)


def test_import_command_drops_notes_with_one_notice(db_url: str, tmp_path: Path) -> None:
    workspace = make_workspace(tmp_path / "ws", db_url)
    path = write_csv(
        tmp_path / "activities.csv",
        [
            ACTIVITY_HEADER,
            ["A1", "14/08/2026", "group", "9", "", "Moved to the small room"],
            ["A2", "15/08/2026", "group", "8", "", "Heater broken"],
        ],
    )
    result = CliRunner().invoke(cli, ["import", str(path), "-w", str(workspace.root)])
    assert result.exit_code == 0, result.output
    assert result.output.count("the notes column is not stored") == 1
    assert "set keep_notes = true in peerreport.toml" in result.output
