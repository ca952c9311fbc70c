"""`peerreport records`."""

from __future__ import annotations

from pathlib import Path

import click

from peerreport.cli.options import database_options, json_option, org_option, print_json


@click.group()
def records() -> None:
    """Look at the stored records."""


@records.command()
@database_options
@org_option
@json_option
def summary(workspace_dir: Path | None, db_url: str | None, org: str | None, as_json: bool) -> None:
    """Count the stored records by month and kind of activity.

    \b
    Example:
      peerreport records summary
      peerreport records summary --json
    """
    from peerreport.session import open_session
    from peerreport.store.summary import records_summary

    session = open_session(workspace_dir, db_url)
    readable = session.organisation(org, "records")
    with session.engine.connect() as conn:
        result = records_summary(conn, readable)
    if as_json:
        print_json(result.to_dict())
        return
    name = session.workspace.organisation_name if session.workspace else readable
    click.echo(f"Records of {name} ({readable})" if name != readable else f"Records of {readable}")
    if not result.by_month:
        click.echo("No activities stored yet. Import your log with `peerreport import FILE`.")
    else:
        click.echo(render_month_table(result))
    click.echo(
        f"Breakdown counts: {result.breakdowns}   workforce entries: {result.workforce}   "
        f"feedback tallies: {result.feedback}"
    )


def render_month_table(result: object) -> str:
    """Months down, kinds across, activities (and attendance) in the cells."""
    from peerreport.store.summary import month_table

    header, rows = month_table(result)  # type: ignore[arg-type]
    lines = [header, *rows]
    widths = [max(len(r[i]) for r in lines) for i in range(len(header))]
    out = []
    for index, line in enumerate(lines):
        out.append(
            "  ".join(
                cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i])
                for i, cell in enumerate(line)
            ).rstrip()
        )
        if index == 0 or index == len(lines) - 2:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


@records.command()
@click.argument("activity_id")
@database_options
@org_option
@json_option
def history(
    activity_id: str, workspace_dir: Path | None, db_url: str | None, org: str | None, as_json: bool
) -> None:
    """Show every version of an activity: its imports, what changed, field by field.

    Each version names the revision that brought it in (and the file, sheet
    and row it came from) and the revision that replaced or withdrew it.

    \b
    Example:
      peerreport records history A-2026-0412
    """
    from peerreport.session import open_session
    from peerreport.store.history import record_history

    session = open_session(workspace_dir, db_url)
    found = record_history(session.engine, session.organisation(org, "records"), activity_id)
    if as_json:
        print_json(found.to_dict())
        return
    click.echo(f"Activity {activity_id}: {len(found.versions)} version(s)")
    for version in found.versions:
        click.echo(_version_text(version, found.revisions))
    for key, versions in found.breakdowns.items():
        click.echo(f"  breakdown {key}:")
        for version in versions:
            click.echo("  " + _version_text(version, found.revisions, brief=True))


def _version_text(version: object, known: object, brief: bool = False) -> str:
    from peerreport.store.history import Revision, Version

    assert isinstance(version, Version) and isinstance(known, dict)

    def name(number: int | None) -> str:
        revision = known.get(number)
        return revision.describe() if isinstance(revision, Revision) else f"revision {number}"

    lines = [f"  from {name(version.valid_from)}"]
    if version.withdrawn:
        lines.append(f"    WITHDRAWN in {name(version.valid_to)}")
    elif version.valid_to is not None:
        lines.append(f"    replaced in {name(version.valid_to)}")
    else:
        lines.append("    current")
    lines.append(f"    source: {version.source}")
    if version.changes:
        lines += [f"    changed {change}" for change in version.changes]
    elif not brief:
        shown = ", ".join(
            f"{k}={v}" for k, v in version.values.items() if v not in (None, "") and k != "org"
        )
        lines.append(f"    {shown}")
    return "\n".join(lines)


@records.command()
@click.argument("activity_id")
@click.option("--reason", required=True, help="Why the activity is withdrawn (kept for good).")
@database_options
def withdraw(activity_id: str, reason: str, workspace_dir: Path | None, db_url: str | None) -> None:
    """Withdraw an activity that should not have been recorded (nothing is deleted).

    Makes a new revision in which the activity and its breakdowns are no
    longer current. Returns built before still rebuild exactly, and the
    activity's history shows when and why it was withdrawn. Build and submit
    an amendment if a submitted return counted it.

    \b
    Example:
      peerreport records withdraw A-2026-0412 --reason "entered twice; A-2026-0411 is the session"
    """
    from peerreport.session import open_session
    from peerreport.store.history import withdraw as withdraw_activity

    session = open_session(workspace_dir, db_url)
    workspace = session.require_workspace()
    number = withdraw_activity(session.engine, workspace.provider_code, activity_id, reason)
    click.echo(f'Withdrew activity "{activity_id}": revision {number} of the records.')
    click.echo("  Returns that counted it can be amended: build, then submit with --reason.")


@records.command()
@database_options
@org_option
@json_option
@click.pass_context
def scan(
    ctx: click.Context,
    workspace_dir: Path | None,
    db_url: str | None,
    org: str | None,
    as_json: bool,
) -> None:
    """Look for identifiers, names, ages and addresses in the stored records.

    Runs every privacy detector that intake uses (NHI and other numbers,
    e-mail, phone, dates of birth, diagnoses, personal names, ages, street
    addresses) over the free-text fields of the organisation's current
    records: records stored before a detector existed were never checked by
    it. Each finding names the record and the field; values are masked.
    Exit code 1 if anything is found.

    \b
    Example:
      peerreport records scan
      peerreport records scan --json
    """
    from peerreport.audit.records_scan import scan_records
    from peerreport.session import open_session

    session = open_session(workspace_dir, db_url)
    readable = session.organisation(org, "records")
    found = scan_records(session.engine, readable)
    if as_json:
        print_json(found.to_dict())
        ctx.exit(0 if found.clean else 1)
    click.echo(f"scanned {found.records} current records of {readable}")
    for finding in found.findings:
        click.secho(finding.message, fg="red")
    if found.clean:
        click.secho("CLEAN: no identifier, diagnosis, name, age or address found", fg="green")
    else:
        click.echo(f"{len(found.findings)} found. {found.findings[0].hint}")
    ctx.exit(0 if found.clean else 1)
