"""Upload records: one or more XLSX, CSV or JSON Lines files, imported all or nothing.

Each upload is kept in the workspace's `uploads/` folder (a new sub-folder per
upload, names made safe), so nothing is ever written outside the workspace.
When a file has problems, nothing is stored, the problems are listed (values
masked as the command line masks them), and the coordinator can download
their own workbook back with each problem cell highlighted and commented.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import FileResponse, Response

from peerreport.errors import UsageError
from peerreport.findings import Finding
from peerreport.web.pages import page
from peerreport.web.routes import desk

router = APIRouter()

UPLOADS = "uploads"
ACCEPTED = (".xlsx", ".csv", ".jsonl")
_BATCH = re.compile(r"^[0-9]{8}T[0-9]{6}-[0-9a-f]{8}$")
_UNSAFE = re.compile(r"[^A-Za-z0-9._ -]+")


def safe_name(name: str) -> str:
    """A file name with no folders and no unusual characters ("../x.csv" -> "x.csv")."""
    base = Path(name.replace("\\", "/")).name
    cleaned = _UNSAFE.sub("_", base).strip(" .")
    return cleaned[:120] or "upload"


@dataclass(frozen=True)
class ProblemRow:
    """One problem, as the upload page's table shows it."""

    file: str
    place: str
    column: str
    message: str
    hint: str


def problem_rows(problems: list[Finding]) -> list[ProblemRow]:
    """Problems as table rows: where (sheet, cell or row), column, what is wrong, how to fix."""
    rows = []
    for problem in problems:
        where = problem.location
        place = where.address or (f"row {where.row}" if where.row is not None else "")
        rows.append(
            ProblemRow(where.file or "", place, where.column or "", problem.message, problem.hint)
        )
    return rows


@router.get("/upload")
def upload_form(request: Request) -> Response:
    """The upload page."""
    return page(request, "upload.html.j2", result=None)


@router.post("/upload")
def upload(
    request: Request,
    files: Annotated[list[UploadFile], File()],
    drop_forbidden: Annotated[bool, Form()] = False,
) -> Response:
    """Import the uploaded files (all or nothing); show what was stored or every problem."""
    from peerreport.intake import ImportSettings, import_files

    here = desk(request)
    workspace = here.workspace
    chosen = [f for f in files if f.filename]
    if not chosen:
        raise UsageError("Choose at least one file to upload (.xlsx, .csv or .jsonl).")
    wrong = [f.filename for f in chosen if Path(f.filename or "").suffix.lower() not in ACCEPTED]
    if wrong:
        raise UsageError(
            f"{', '.join(str(w) for w in wrong)}: peerreport imports Excel workbooks (.xlsx), "
            "CSV files (.csv) and JSON Lines (.jsonl). Save the file in one of these forms."
        )
    batch = f"{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S}-{secrets.token_hex(4)}"
    folder = workspace.root / UPLOADS / batch
    folder.mkdir(parents=True)
    paths: list[Path] = []
    for upload_file in chosen:
        target = folder / safe_name(upload_file.filename or "upload")
        while target in paths:
            target = target.with_name(f"{target.stem}-{len(paths)}{target.suffix}")
        with target.open("wb") as out:
            shutil.copyfileobj(upload_file.file, out, 1024 * 1024)
        paths.append(target)
    settings = ImportSettings.for_workspace(workspace, drop_forbidden=drop_forbidden)
    report = import_files(here.engine, paths, settings)
    marked = _mark_up(report, folder)
    files_shown = [
        {
            "name": file.path.name,
            "counts": file.counts,
            "problem_count": file.problem_count,
            "problems": problem_rows(file.problems),
            "hidden": file.problem_count - len(file.problems),
            "notices": file.notices,
            "marked_up": marked.get(file.path.name),
        }
        for file in report.files
    ]
    return page(
        request,
        "upload.html.j2",
        status=200 if report.stored else 422,
        result={
            "stored": report.stored,
            "revision": report.revision,
            "counts": report.counts,
            "problem_count": report.problem_count,
            "files": files_shown,
            "batch": batch,
            "forbidden": any(p.code == "PRV-001" for f in report.files for p in f.problems),
        },
    )


def _mark_up(report: object, folder: Path) -> dict[str, str]:
    """Marked-up copies of the files with problems: file name -> download name."""
    from peerreport.errors import PeerreportError
    from peerreport.intake import ImportReport
    from peerreport.intake.markup import mark_up, marked_up_name

    assert isinstance(report, ImportReport)
    made = {}
    for file in report.files:
        if not file.problems or file.refused:
            continue
        out = folder / marked_up_name(file.path)
        try:
            mark_up(file.path, file.problems, out, total=file.problem_count)
        except PeerreportError:
            continue  # nothing to mark up (the file as a whole was refused)
        made[file.path.name] = out.name
    return made


@router.get("/upload/{batch}/{name}")
def marked_up(request: Request, batch: str, name: str) -> Response:
    """Download a marked-up workbook made by an upload (only those, only from uploads/)."""
    if not _BATCH.match(batch) or safe_name(name) != name or not name.endswith(".xlsx"):
        raise UsageError("There is no such marked-up workbook.")
    path = desk(request).workspace.root / UPLOADS / batch / name
    if not path.is_file() or ".problems." not in name:
        raise UsageError("There is no such marked-up workbook; upload the file again.")
    return FileResponse(
        path,
        filename=name,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
