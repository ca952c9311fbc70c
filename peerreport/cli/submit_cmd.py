"""`peerreport submit`: build a return, record it in the ledger, write its signed bundle."""

from __future__ import annotations

import tempfile
from pathlib import Path

import click

from peerreport.cli.options import database_options, json_option, print_json


@click.command()
@click.argument("rules")
@click.option(
    "--period",
    "-p",
    required=True,
    help="The reporting period: 2026-Q3, FY2027-Q1 (financial year), 2026-08, "
    "FY2027-H1, FY2027, or 2026-07-01..2026-09-30.",
)
@click.option(
    "--reason",
    help="Why the return is submitted again: required for an amendment "
    "(a second submission of the same rule file and period).",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="The folder to write the bundle to. Default: submissions/ in the workspace.",
)
@click.option(
    "--sign",
    "--key",
    "key_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Sign the bundle with this private key (from `peerreport keys new`).",
)
@click.option(
    "--format",
    "formats",
    default="xlsx,csv,json,html",
    show_default=True,
    help="Comma-separated files to put in the bundle: xlsx, csv, json, html.",
)
@database_options
@json_option
@click.pass_context
def submit(
    ctx: click.Context,
    rules: str,
    period: str,
    reason: str | None,
    out_dir: Path | None,
    key_path: Path | None,
    formats: str,
    workspace_dir: Path | None,
    db_url: str | None,
    as_json: bool,
) -> None:
    """Build the return RULES for a period and record it as submitted.

    Refused (exit code 1) while the return has error findings. A return is
    never changed once submitted: submitting the same rule file and period
    again records an AMENDMENT (version 2, 3, ...) that supersedes the
    earlier one, and needs --reason. Writes the bundle (the files, a
    manifest, and a signature with --sign) to send to the funder.

    \b
    Examples:
      peerreport submit nz-peer-support-adults --period FY2027-Q1 --sign keys/peerreport.key
      peerreport submit nz-peer-support-adults --period FY2027-Q1 \\
          --reason "March drop-ins were missing from the log"
    """
    from peerreport.bundle import bundle_bytes, bundle_name, load_private_key, save_bundle
    from peerreport.cli.build_cmd import render_text
    from peerreport.errors import UsageError
    from peerreport.ledger import Pending
    from peerreport.ledger import submit as record
    from peerreport.render import FORMATS, export_return
    from peerreport.returns.build import build_return
    from peerreport.returns.history import history
    from peerreport.returns.periods import check_fits, parse_period
    from peerreport.rulebook import load
    from peerreport.session import open_session

    wanted = [f.strip().lower() for f in formats.split(",") if f.strip()]
    unknown = [f for f in wanted if f not in FORMATS]
    if unknown or not wanted:
        raise UsageError(
            f"--format: {', '.join(unknown) or 'nothing'} is not one of {', '.join(FORMATS)}"
        )
    key = load_private_key(key_path) if key_path is not None else None
    rule_file = load(rules)
    year_start = rule_file.model.year_start or "07-01"
    parsed = parse_period(period, year_start)
    check_fits(parsed, rule_file.model.period or "quarter", year_start)
    session = open_session(workspace_dir, db_url)
    workspace = session.require_workspace()
    org, name = workspace.provider_code, workspace.organisation_name
    ret = build_return(session.engine, org, name, rule_file, parsed)
    if ret.has_errors:
        click.echo(render_text(ret), err=True)
        click.echo("Not submitted: fix the errors above and submit again.", err=True)
        ctx.exit(1)
    earlier = history(session.engine, org, name, rule_file, parsed) if "html" in wanted else []
    with tempfile.TemporaryDirectory() as folder:
        written = export_return(ret, Path(folder), wanted, rule_file=rule_file, history=earlier)
        files = {path.name: path.read_bytes() for path in written}

    def make(pending: Pending) -> bytes:
        return bundle_bytes(ret, files, key, submission=pending.to_dict())

    done = record(session.engine, ret, reason, bundle=make)
    entry = done.submission
    assert done.bundle is not None
    target = (out_dir or workspace.root / "submissions") / bundle_name(ret, entry.version)
    save_bundle(done.bundle, target)
    if as_json:
        print_json({**entry.to_dict(), "bundle": str(target)})
        return
    what = (
        f"amendment (version {entry.version}, supersedes version {entry.supersedes_version})"
        if entry.supersedes_version
        else "version 1"
    )
    click.echo(f"Submitted {ret.rule.title}, {ret.period.label}: {what}; ledger id {entry.id}")
    click.echo(f"  wrote {target}{' (signed)' if key is not None else ''}")
    click.echo(f"  bundle sha256 {entry.bundle_sha256}")
