"""`peerreport build` and `peerreport export`."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import click

from peerreport.cli.options import database_options, json_option, print_json

SEVERITY_COLOURS = {"error": "red", "warning": "yellow", "info": "cyan"}


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
    from peerreport.returns.periods import check_fits, parse_period
    from peerreport.rulebook import load
    from peerreport.session import open_session

    rule_file = load(rules)
    year_start = rule_file.model.year_start or "07-01"
    period = parse_period(period_text, year_start)
    check_fits(period, rule_file.model.period or "quarter", year_start)
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
    help="Comma-separated: xlsx, csv, json, html.",
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
    ret = build_return(session.engine, org, name, rule_file, parsed, as_of)
    earlier = history(session.engine, org, name, rule_file, parsed) if "html" in wanted else []
    written = export_return(ret, out_dir, wanted, draft=draft, rule_file=rule_file, history=earlier)
    click.echo(
        f"{'DRAFT ' if draft else ''}review copies of {ret.rule.title}, {ret.period.label} "
        f"(records revision {ret.revision}): {len(ret.findings)} finding(s)"
    )
    for path in written:
        click.echo(f"  wrote {path}")
    click.echo(
        f"These are not filed. To file the return: peerreport submit {rule_file.id} "
        f"--period {period}"
    )


def _colour() -> bool | None:
    """Colour on a terminal unless NO_COLOR is set (https://no-color.org)."""
    return False if os.environ.get("NO_COLOR") else None


def render_text(ret: Any, today: dt.date | None = None) -> str:
    """A return as a readable table: when it is due (from `today`), figures, then findings."""
    from peerreport.render.display import due_in_words
    from peerreport.render.words import cell_words, hidden_reason, period_words
    from peerreport.returns.model import SUPPRESSED, PublishedCell, Return

    assert isinstance(ret, Return)
    due = due_in_words(ret, today or dt.date.today())
    symbol = str(ret.disclosure.get("symbol", "S"))

    def shown(cell: PublishedCell) -> str:
        if cell.status == SUPPRESSED:
            return symbol
        if cell.value is None:
            return "-"
        return f"{cell.value:g}" if isinstance(cell.value, float) else str(cell.value)

    lines = [
        click.style(f"{ret.rule.title} ({ret.rule.id} {ret.rule.version})", bold=True),
        f"{ret.organisation_name} ({ret.organisation}), {period_words(ret.period)} "
        f"({ret.period.label}: {ret.period.start} to {ret.period.end})",
        *([f"Due: {due}"] if due else []),
        f"Disclosure: {ret.disclosure['method']}, threshold {ret.disclosure['threshold']}; "
        f"'{symbol}' = suppressed, '~' = rounded",
        "",
    ]
    width = max((len(f.label) for f in ret.figures), default=10) + 2
    reasons: dict[str, str] = {}

    def with_note(cell: PublishedCell, derived: bool) -> str:
        if cell.status != SUPPRESSED:
            return shown(cell)
        reason = hidden_reason(ret, derived)
        mark = reasons.setdefault(reason, "*" * (len(reasons) + 1))
        return f"{shown(cell)}{mark}"

    for figure in ret.figures:
        derived = figure.kind == "expr"
        mark = "~" if figure.total.status == "rounded" else ""
        lines.append(
            f"{figure.line:>6}  {figure.label:<{width}} {with_note(figure.total, derived):>10}"
            f"{mark}  {figure.unit}".rstrip()
        )
        for cell in figure.cells:
            mark = "~" if cell.status == "rounded" else ""
            words = cell_words(figure, cell)
            lines.append(f"{'':>6}    {words:<{width - 2}} {with_note(cell, derived):>10}{mark}")
    for reason, mark in reasons.items():
        lines.append(f"{mark} {reason[:1].upper()}{reason[1:]}.")
    lines.append("")
    if not ret.findings:
        lines.append(click.style("No findings: the return is ready to submit.", fg="green"))
    for finding in ret.findings:
        colour = SEVERITY_COLOURS.get(finding.severity.value)
        where = f" [{finding.location}]" if str(finding.location) else ""
        lines.append(
            click.style(f"{finding.severity.value.upper():7} {finding.code}", fg=colour)
            + f" {finding.message}{where}"
        )
        if finding.hint:
            lines.append(f"        hint: {finding.hint}")
    errors = sum(1 for f in ret.findings if f.severity.value == "error")
    if errors:
        lines.append(
            click.style(
                f"\n{errors} error(s): fix them before submitting (or export a --draft to review).",
                fg="red",
            )
        )
    return "\n".join(lines)
