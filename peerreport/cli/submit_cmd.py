"""`peerreport submit`: build a return, record it in the ledger, write its signed bundle."""

from __future__ import annotations

import sys
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
    help="Sign the bundle with this private key (from `peerreport keys new`) instead of "
    "the workspace's own key (peerreport.key, made for you).",
)
@click.option(
    "--format",
    "formats",
    default="xlsx,csv,json,html",
    show_default=True,
    help="Comma-separated files to put in the bundle: xlsx, csv, json, html.",
)
@click.option(
    "--yes",
    "-y",
    is_flag=True,
    help="Do not ask for confirmation when an amendment changes no published figure.",
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
    yes: bool,
    workspace_dir: Path | None,
    db_url: str | None,
    as_json: bool,
) -> None:
    """File the return RULES for a period: record it in the ledger and write THE bundle to send.

    This is the one step that files a return. Refused (exit code 1) while the
    return has error findings. A return is never changed once submitted:
    submitting the same rule file and period again records an AMENDMENT
    (version 2, 3, ...) that supersedes the earlier one and needs --reason;
    every file in its bundle says which version it amends, why, and which
    figures changed. Writes the bundle (the files, a manifest with the rule
    file and the ledger's chain head, and an Ed25519 signature) to
    submissions/ in the workspace: send that file to the funder. Submitting
    after the rule file's due date records the lateness.

    Every bundle is signed, with the workspace's key (peerreport.key, made by
    `init`, or here on first use if the workspace has none) or --sign FILE.
    Funders refuse bundles they cannot trace to a key they know: give your
    funder the printed fingerprint once (`peerreport keys show`).

    \b
    Examples:
      peerreport submit nz-peer-support-adults --period FY2027-Q1
      peerreport submit nz-peer-support-adults --period FY2027-Q1 \\
          --reason "March drop-ins were missing from the log"
    """
    from peerreport.errors import UsageError
    from peerreport.filing import NoChange, choose, submit_return
    from peerreport.render import FORMATS
    from peerreport.render.text import render_text
    from peerreport.session import open_session

    wanted = [f.strip().lower() for f in formats.split(",") if f.strip()]
    unknown = [f for f in wanted if f not in FORMATS]
    if unknown or not wanted:
        raise UsageError(
            f"--format: {', '.join(unknown) or 'nothing'} is not one of {', '.join(FORMATS)}"
        )
    rule_file, parsed = choose(rules, period)
    session = open_session(workspace_dir, db_url)
    workspace = session.require_workspace()

    def same_anyway(same: object) -> bool:
        if yes:
            return True
        version = getattr(same, "version", "?")
        question = (
            f"Version {version} already says exactly this: the amendment changes no "
            "published figure. Submit it anyway?"
        )
        return sys.stdin.isatty() and click.confirm(question, default=False, err=True)

    try:
        done = submit_return(
            workspace,
            session.engine,
            rule_file,
            parsed,
            reason=reason,
            out_dir=out_dir,
            key_path=key_path,
            formats=wanted,
            same_anyway=same_anyway,
        )
    except NoChange as exc:
        raise UsageError(f"{exc} (give --yes to submit it all the same)") from exc
    if done.filed is None:
        click.echo(render_text(done.ret), err=True)
        click.echo("Not submitted: fix the errors above and submit again.", err=True)
        ctx.exit(1)
    filed, ret, signer, made_key = done.filed, done.ret, done.fingerprint, done.key_created
    if made_key and not as_json:
        click.echo(
            f"This workspace had no signing key: made {workspace.key_path} (keep it secret) "
            f"and {workspace.public_key_path}."
        )
    if as_json:
        print_json({**filed.to_dict(), "fingerprint": signer, "key_created": made_key})
        return
    entry = filed.submission
    click.echo(
        f"Submitted {ret.rule.title}, {ret.period.label}: {filed.what()}; ledger id {entry.id}"
    )
    if entry.late and entry.due_date is not None:
        click.secho(
            f"  LATE: it was due on {entry.due_date:%d %B %Y}; the lateness is recorded.",
            fg="yellow",
        )
    elif entry.due_date is not None:
        click.echo(f"  due {entry.due_date:%d %B %Y}: on time")
    click.echo(f"  wrote {filed.bundle_path} (signed)")
    click.echo(f"  signed with key {signer}")
    click.echo(f"  bundle sha256 {entry.bundle_sha256}")
    click.echo(
        "Send this bundle file to your funder, as it is: it holds the return in every format, "
        "and they can check that nothing in it was changed."
    )
    click.echo(
        f"Give your funder this key fingerprint once, by phone or a channel they already "
        f"trust, so they can tell your bundles from forgeries: {signer} "
        "(`peerreport keys show` prints it again)."
    )
