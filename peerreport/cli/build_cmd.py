"""`peerreport build` and `peerreport export`."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click

from peerreport.cli.options import database_options, json_option, print_json
from peerreport.render.text import render_text


def _period_option(func: Any) -> Any:
    return click.option(
        "--period",
        "-p",
        required=True,
        help="The reporting period: 2026-Q3, FY2027-Q1 (financial year), 2026-08, FY2027-H1, "
        "FY2027, or 2026-07-01..2026-09-30.",
    )(func)


def _as_of_option(func: Any) -> Any:
    return click.option(
        "--as-of",
        "as_of",
        type=click.IntRange(min=0),
        help="Build from the records as they were at this revision "
        "(`peerreport imports list` shows them). Default: the records now.",
    )(func)


def _prepare(
    rules: str, period_text: str, workspace_dir: Path | None, db_url: str | None
) -> tuple[Any, Any, Any]:
    """Load the rule file, check the period fits it, open the workspace's database."""
    from peerreport.filing import choose
    from peerreport.session import open_session

    rule_file, period = choose(rules, period_text)
    session = open_session(workspace_dir, db_url)
    return rule_file, period, session


@click.command()
@click.argument("rules")
@_period_option
@_as_of_option
@database_options
@json_option
@click.pass_context
def build(
    ctx: click.Context,
    rules: str,
    period: str,
    as_of: int | None,
    workspace_dir: Path | None,
    db_url: str | None,
    as_json: bool,
) -> None:
    """Build the return RULES (a rule file path or id) for a period, and check it.

    Prints the figures as they would be published (small counts protected)
    and every finding with a hint. Exit code 1 when a finding is an error.
    With --as-of, builds from the records as they were at an earlier
    revision: a return built then is rebuilt exactly.

    \b
    Examples:
      peerreport build nz-peer-support-adults --period FY2027-Q1
      peerreport build nz-peer-support-adults --period FY2027-Q1 --as-of 3
      peerreport build rules/peer-values.toml --period 2026-Q3 --json
    """
    from peerreport.returns.build import build_return

    rule_file, parsed, session = _prepare(rules, period, workspace_dir, db_url)
    workspace = session.require_workspace()
    ret = build_return(
        session.engine,
        workspace.provider_code,
        workspace.organisation_name,
        rule_file,
        parsed,
        as_of,
        contact_role=workspace.contact_role,
    )
    if as_json:
        print_json(ret.to_dict())
    else:
        click.echo(render_text(ret), color=_colour())
    ctx.exit(1 if ret.has_errors else 0)


@click.command()
@click.argument("rules")
@_period_option
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="The folder to write the files to (made if missing).",
)
@click.option(
    "--format",
    "formats",
    default="xlsx,csv,json,html",
    show_default=True,
    help="Comma-separated: xlsx, csv, json, html, adx (IHE ADX XML, when the rule file "
    "has [export.adx]).",
)
@click.option(
    "--draft", is_flag=True, help="Export even with error findings; every file then says DRAFT."
)
@_as_of_option
@database_options
def export(
    rules: str,
    period: str,
    out_dir: Path,
    formats: str,
    draft: bool,
    as_of: int | None,
    workspace_dir: Path | None,
    db_url: str | None,
) -> None:
    """Write REVIEW COPIES of the return RULES for a period (they do not file it).

    Writes the chosen formats for you (and your board or funder contact) to
    read before filing. Refused while the return has error findings, unless
    --draft (then every file says DRAFT). To file the return, use `peerreport
    submit`: it records the version in the ledger and writes the bundle to send.

    \b
    Examples:
      peerreport export nz-peer-support-adults --period FY2027-Q1 --out review/
      peerreport export peer-values --period 2026-Q3 --out drafts/ --format html --draft
    """
    from peerreport.errors import UsageError
    from peerreport.render import FORMATS, export_return
    from peerreport.returns.build import build_return
    from peerreport.returns.history import history

    wanted = [f.strip().lower() for f in formats.split(",") if f.strip()]
    unknown = [f for f in wanted if f not in FORMATS]
    if unknown or not wanted:
        raise UsageError(
            f"--format: {', '.join(unknown) or 'nothing'} is not one of {', '.join(FORMATS)}"
        )
    rule_file, parsed, session = _prepare(rules, period, workspace_dir, db_url)
    workspace = session.require_workspace()
    org, name = workspace.provider_code, workspace.organisation_name
    ret = build_return(
        session.engine,
        org,
        name,
        rule_file,
        parsed,
        as_of,
        contact_role=workspace.contact_role,
    )
    earlier = history(session.engine, org, name, rule_file, parsed) if "html" in wanted else []
    notices: list[Any] = []
    written = export_return(
        ret, out_dir, wanted, draft=draft, rule_file=rule_file, history=earlier, notices=notices
    )
    click.echo(
        f"{'DRAFT ' if draft else ''}review copies of {ret.rule.title}, {ret.period.label} "
        f"(records revision {ret.revision}): {len(ret.findings)} finding(s)"
    )
    for path in written:
        click.echo(f"  wrote {path}")
    for notice in notices:  # e.g. a template formula that reads a hidden figure (EXP-010)
        click.echo(f"  {notice.severity.value} {notice.code}: {notice}")
    click.echo(
        f"These are not filed. To file the return: peerreport submit {rule_file.id} "
        f"--period {period}"
    )


def _colour() -> bool | None:
    """Colour on a terminal unless NO_COLOR is set (https://no-color.org)."""
    return False if os.environ.get("NO_COLOR") else None
