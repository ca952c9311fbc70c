"""Small helpers shared by tests: workspaces, files and imports."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from sqlalchemy import Engine, select

from peerreport.intake import ImportReport, ImportSettings, import_files
from peerreport.store.schema import activity
from peerreport.workspace import Workspace, write_workspace

ACTIVITY_HEADER = ["activity_id", "date", "kind", "attendance", "programme", "notes"]


def make_workspace(root: Path, db_url: str, code: str = "TEST01") -> Workspace:
    """A workspace in `root` using the given (already migrated) database."""
    return write_workspace(root, "Test Peer Network", code, db_url)


def settings_for(workspace: Workspace, **overrides: Any) -> ImportSettings:
    """Import settings for a workspace."""
    values: dict[str, Any] = {
        "org": workspace.provider_code,
        "org_name": workspace.organisation_name,
        "date_order": workspace.date_order,
        "token_secret": workspace.token_secret(),
    }
    values.update(overrides)
    return ImportSettings(**values)


def write_workbook(path: Path, sheets: dict[str, list[list[Any]]]) -> Path:
    """Write a workbook of sheets (title: rows, the first its headings, or anything)."""
    book = Workbook()
    default = book.active
    assert default is not None
    book.remove(default)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def write_csv(path: Path, rows: list[list[Any]], encoding: str = "utf-8") -> Path:
    """Write rows (the first is the header) as CSV in an encoding."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def run_import(
    engine: Engine, workspace: Workspace, *paths: Path, **overrides: Any
) -> ImportReport:
    """Import files into a workspace's organisation."""
    return import_files(engine, list(paths), settings_for(workspace, **overrides))


def stored_activities(engine: Engine, org: str) -> dict[str, dict[str, Any]]:
    """The stored activity rows of an organisation, by activity id."""
    with engine.connect() as conn:
        rows = conn.execute(select(activity).where(activity.c.org == org)).mappings().all()
    return {row["activity_id"]: dict(row) for row in rows}


def messages(report: ImportReport) -> list[str]:
    """Every problem as the CLI prints it: 'FILE, row N, column "X": message'."""
    return [str(p) for f in report.files for p in f.problems]
