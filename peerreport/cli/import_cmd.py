"""`peerreport import`."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from peerreport.cli.options import database_options, json_option, print_json

RECORD_TYPE_CHOICES = ["activities", "breakdowns", "workforce", "feedback"]


@click.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--skip-invalid",
    is_flag=True,
    help="Store the valid rows and write the rejected ones to FILE.rejects.csv beside each "
    "input: your own columns plus a 'problem' column saying why. Correct it and import it as "
    "it is. Without this option, one bad row means nothing is stored.",
)
@click.option(
    "--drop-forbidden",
    is_flag=True,
    help="Discard columns whose headings name identifying or clinical details (names, dates of "
    "birth, NHI, diagnosis...) unread, instead of refusing the file. Their cells are never "
    "read, stored or shown.",
)
@click.option(
    "--mark-up",
    "mark_up_dir",
    metavar="DIR",
    type=click.Path(file_okay=False, path_type=Path),
    help="When the import finds problems, write each file that has them to DIR (made if "
    "missing) as NAME.problems.xlsx: your own workbook, or your CSV's rows, with each problem "
    "cell highlighted and a comment on it, and a Problems sheet listing them. Fix them there "
    "and import that file again.",
)
@click.option(
    "--type",
    "record_type",
    type=click.Choice(RECORD_TYPE_CHOICES),
    help="What records a CSV or JSON Lines file holds (default: from the file name or headings).",
)
@database_options
@json_option
@click.pass_context
def import_(
    ctx: click.Context,
    files: tuple[Path, ...],
    skip_invalid: bool,
    drop_forbidden: bool,
    mark_up_dir: Path | None,
    record_type: str | None,
    workspace_dir: Path | None,
    db_url: str | None,
    as_json: bool,
) -> None:
    """Import activity records from CSV, XLSX or JSON Lines FILES.

    All or nothing: if any row has a problem, nothing is stored and every
    problem is listed with its file, cell and column. Importing the same file
    again changes nothing; importing a corrected file updates the changed rows.

    Columns peerreport does not know are not stored (a note names them). A
    column that looks like identifying or clinical details (a name, a date of
    birth, an NHI, a diagnosis) refuses the file, unless --drop-forbidden.
    Without an activity_id column, each activity's id is made from its date,
    start time, kind, programme, group, topic, mode and setting, so importing
    the same file again finds the same activities.

    Name the files in any order: files of breakdowns are read after the files
    of activities, so a breakdown may be of an activity in another file of the
    same import.

    With --mark-up DIR, each file with problems is also written to DIR as a
    workbook to correct in Excel: each problem cell highlighted, with a
    comment saying what is wrong and how to fix it.

    Files of more than a few megabytes are read in a second process while
    this one stores what it has read: on a computer with more than one core,
    a large import takes much less time.

    \b
    Examples:
      peerreport import activity-log.xlsx
      peerreport import activity-log.xlsx --mark-up to-fix/
      peerreport import activities.csv breakdowns.csv
      peerreport import q3.xlsx --skip-invalid
      peerreport import q3.xlsx.rejects.csv
      peerreport import own-log.xlsx --drop-forbidden
    """
    from peerreport.intake import ImportSettings, import_files
    from peerreport.session import open_session

    session = open_session(workspace_dir, db_url)
    workspace = session.require_workspace()
    settings = ImportSettings.for_workspace(
        workspace,
        skip_invalid=skip_invalid,
        record_type=record_type,
        drop_forbidden=drop_forbidden,
        read_ahead=True,  # large files are read in a second process (intake.read_ahead)
    )
    progress = _Progress() if sys.stderr.isatty() and not as_json else None
    report = import_files(session.engine, list(files), settings, progress)
    if progress:
        progress.done()
    marked = _mark_up(report, mark_up_dir, record_type) if mark_up_dir is not None else []
    if as_json:
        data = report.to_dict()
        if mark_up_dir is not None:
            data["marked_up"] = [m.to_dict() for m in marked]
        print_json(data)
    else:
        _print_report(report)
        _print_marked(marked)
    ctx.exit(1 if report.problem_count else 0)


@dataclass(frozen=True)
class _Marked:
    """A file's marked-up copy, or why there is none."""

    source: Path
    path: Path | None
    problem: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"file": str(self.source), "marked_up": self.path, "problem": self.problem}


def _mark_up(report: object, folder: Path, record_type: str | None) -> list[_Marked]:
    """Each file with problems, marked up in `folder` (a name used twice gets a number)."""
    from peerreport.errors import InputFileError, UsageError
    from peerreport.intake import ImportReport
    from peerreport.intake.markup import mark_up, marked_up_name

    assert isinstance(report, ImportReport)
    files = [f for f in report.files if f.problem_count]
    if not files:
        return []
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"{folder}: cannot make the folder ({exc.strerror})") from exc
    marked: list[_Marked] = []
    used: set[str] = set()
    for file in files:
        name = marked_up_name(file.path)
        stem, number = name.removesuffix(".problems.xlsx"), 2
        while name.casefold() in used:
            name, number = f"{stem} ({number}).problems.xlsx", number + 1
        used.add(name.casefold())
        try:
            path = mark_up(
                file.path,
                file.problems,
                folder / name,
                total=file.problem_count,
                record_type=record_type,
            )
        except InputFileError as exc:
            marked.append(_Marked(file.path, None, str(exc)))
        else:
            marked.append(_Marked(file.path, path))
    return marked


def _print_marked(marked: list[_Marked]) -> None:
    for item in marked:
        if item.path is None:
            click.secho(f"not marked up: {item.problem}", fg="red", err=True)
        else:
            click.echo(f"{item.source.name}: marked up in {item.path}")
    done = [m for m in marked if m.path is not None]
    if done:
        click.echo(
            f"Open {'it' if len(done) == 1 else 'each'} in Excel: each problem cell is "
            "highlighted with a comment, and the Problems sheet lists them; fix them and import "
            f"the {'file' if len(done) == 1 else 'files'} again."
        )


class _Progress:
    """A row counter on stderr for long imports."""

    def __init__(self) -> None:
        self.rows = 0
        self.shown = 0

    def __call__(self, rows: int) -> None:
        self.rows += rows
        if self.rows - self.shown >= 50_000:
            self.shown = self.rows
            click.echo(f"\r  {self.rows:,} rows read", err=True, nl=False)

    def done(self) -> None:
        if self.shown:
            click.echo("", err=True)


def _print_report(report: object) -> None:
    from peerreport.intake import ImportReport
    from peerreport.intake.wording import plural

    assert isinstance(report, ImportReport)
    for file in report.files:
        for notice in file.notices:
            click.echo(f"note: {notice}", err=True)
        for problem in file.problems:
            click.secho(f"{problem.location}: {problem.message}", fg="red", err=True)
        hidden = file.problem_count - len(file.problems)
        if hidden:
            click.secho(
                f"... and {plural(hidden, 'more problem')} in {file.path.name}", fg="red", err=True
            )
        if report.stored:
            click.echo(f"{file.path.name}: {file.counts}")
        for path in file.rejects_paths:
            click.echo(f"  rejected rows and why: {path} (correct it and import it as it is)")
    if any(p.code == "PRV-001" for f in report.files for p in f.problems):
        click.secho(
            "A file with a column that looks like identifying or clinical details is refused: "
            "delete the column, or import with --drop-forbidden to discard such columns unread.",
            fg="red",
            err=True,
        )
    if not report.stored:
        click.secho(
            f"Nothing was stored: {plural(report.problem_count, 'problem')} to fix. Correct "
            f"{'it' if report.problem_count == 1 else 'them'} and import again, or use "
            "--skip-invalid to store the valid rows.",
            fg="red",
            err=True,
        )
    else:
        if len(report.files) > 1:
            click.echo(f"Total: {report.counts}")
        if report.revision is not None:
            click.echo(
                f"Stored as revision {report.revision} of your records "
                "(`peerreport imports list` shows every import)."
            )
