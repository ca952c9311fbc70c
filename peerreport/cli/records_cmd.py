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


@records.command()
@click.option(
    "--period",
    "-p",
    "period_text",
    required=True,
    help="The period: 2026-Q3, FY2027-Q1, 2026-08, FY2027-H1, FY2027 or 2026-07-01..2026-09-30.",
)
@click.option(
    "--rules",
    "extra",
    multiple=True,
    help="Another rule file (a path or id) to consider as well; may be given more than once.",
)
@click.option(
    "--as-of",
    "as_of",
    type=click.IntRange(min=0),
    help="Read the activities as they were at this revision of the records "
    "(`peerreport imports list` shows them), as a return built --as-of it counted them. "
    "Default: the records now.",
)
@database_options
@org_option
@json_option
@click.pass_context
def attribution(
    ctx: click.Context,
    period_text: str,
    extra: tuple[str, ...],
    as_of: int | None,
    workspace_dir: Path | None,
    db_url: str | None,
    org: str | None,
    as_json: bool,
) -> None:
    """Show which returns count the period's activities, by purchase unit.

    The returns are the ones this workspace builds ([returns] files in
    peerreport.toml), those the ledger holds a filing of for an overlapping
    period, and any given with --rules. Each counts activities by its rule
    file's [counting] (every activity, unless it counts only its own purchase
    units). Activities that two returns both claim for themselves
    ([counting] exclusive = true) are flagged (REC-001): exit code 1. With
    --as-of, the activities are read as they were at that revision of the
    records, e.g. the one a filed return names.

    \b
    Example:
      peerreport records attribution --period FY2027-Q1
      peerreport records attribution --period FY2027-Q1 --as-of 3
      peerreport records attribution --period 2026-Q3 --rules au-community-sessions --json
    """
    from peerreport.filing import attribution_of
    from peerreport.session import open_session

    session = open_session(workspace_dir, db_url)
    readable = session.organisation(org, "records")
    workspace_returns = session.workspace.returns if session.workspace else ()
    found = attribution_of(session.engine, readable, period_text, workspace_returns, extra, as_of)
    if as_json:
        print_json(found.to_dict())
        ctx.exit(1 if found.findings else 0)
    click.echo(render_attribution(found))
    ctx.exit(1 if found.findings else 0)


def render_attribution(found: object) -> str:
    """The attribution report in plain words."""
    from peerreport.returns.attribution import Attribution, activities

    assert isinstance(found, Attribution)
    period = found.period
    lines = [f"Which returns count the activities of {found.org}, {period.label} "
             f"({period.start:%d/%m/%Y} to {period.end:%d/%m/%Y})"
             + (f", as at revision {found.as_of} of the records"
                if found.as_of is not None else "")]  # fmt: skip
    if not found.claimants:
        lines.append(
            "No returns to compare: add the returns you file to peerreport.toml ([returns] "
            "files), or name rule files with --rules."
        )
    for c in found.claimants:
        lines.append(f"  {c.rule_id} ({c.why}): counts {c.counting_words()}")
    for rule_id in found.missing:
        lines.append(f"  {rule_id} (filed): its rule file is not found here, so it is left out")
    if not found.lines:
        lines.append("No activities are recorded in this period.")
    for line in found.lines:
        unit = line.purchase_unit or "no purchase unit"
        counted = ", ".join(line.counted_by) if line.counted_by else "NO RETURN"
        lines.append(f"  {unit}: {activities(line.activities)}, counted by {counted}")
    if found.uncounted:
        lines.append(f"{activities(found.uncounted)}: counted by none of these returns.")
    for finding in found.findings:
        lines.append(f"CLAIMED TWICE: {finding.message}")
        lines.append(f"  {finding.hint}")
    if not found.findings and found.claimants:
        lines.append("No activity is claimed by two returns.")
    return "\n".join(lines)
