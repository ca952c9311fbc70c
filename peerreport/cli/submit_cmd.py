"""`peerreport submit`: build a return, record it in the ledger, write its signed bundle.

With `--to URL`, the bundle is also sent to a hosted peerreport server
(`peerreport.hosted.client`); `--bundle FILE --to URL` sends one written before.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from peerreport.cli.options import database_options, json_option, print_json


@click.command()
@click.argument("rules", required=False)
@click.option(
    "--period",
    "-p",
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
    help="Comma-separated files to put in the bundle: xlsx, csv, json, html, adx (IHE ADX "
    "XML, when the rule file has [export.adx]).",
)
@click.option(
    "--yes",
    "-y",
    is_flag=True,
    help="Do not ask for confirmation when an amendment changes no published figure.",
)
@click.option(
    "--to",
    "server",
    metavar="URL",
    help="Also send the bundle to this hosted peerreport server (its address, like "
    "https://reports.example.org), with your organisation's API token.",
)
@click.option(
    "--token-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The file holding the API token for --to. Default: the PEERREPORT_API_TOKEN "
    "environment variable. Never give the token itself on the command line.",
)
@click.option(
    "--bundle",
    "bundle_file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Send this bundle (written by an earlier submit) with --to, instead of filing a "
    "return now: for when sending failed, or the server was not ready.",
)
@database_options
@json_option
@click.pass_context
def submit(
    ctx: click.Context,
    rules: str | None,
    period: str | None,
    reason: str | None,
    out_dir: Path | None,
    key_path: Path | None,
    formats: str,
    yes: bool,
    server: str | None,
    token_file: Path | None,
    bundle_file: Path | None,
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

    With --to URL, the bundle is then sent to your funder's hosted peerreport
    server, with your organisation's API token (--token-file, or the
    PEERREPORT_API_TOKEN environment variable). The server checks it as a
    funder would and records it; if it refuses, or cannot be reached, the
    return stays filed here: send it again with --bundle FILE --to URL.

    \b
    Examples:
      peerreport submit nz-peer-support-adults --period FY2027-Q1
      peerreport submit nz-peer-support-adults --period FY2027-Q1 \\
          --reason "March drop-ins were missing from the log"
      peerreport submit nz-peer-support-adults --period FY2027-Q1 \\
          --to https://reports.example.org --token-file ~/.peerreport-token
      peerreport submit --to https://reports.example.org --token-file ~/.peerreport-token \\
          --bundle submissions/nz-peer-support-adults_FY2027-Q1_HPC001_v1.bundle.zip
    """
    from peerreport.errors import UsageError
    from peerreport.filing import NoChange, choose, submit_return
    from peerreport.render import FORMATS
    from peerreport.render.text import render_text
    from peerreport.session import open_session

    token = _token(server, token_file, bundle_file)
    if bundle_file is not None:
        if rules is not None or period is not None or reason is not None:
            raise UsageError(
                "--bundle sends a bundle filed before: give no rule file, --period or --reason"
            )
        assert server is not None and token is not None
        _send(server, token, bundle_file, as_json, None)
        return
    if rules is None or period is None:
        raise UsageError(
            "give the rule file and --period to file a return "
            "(or --bundle FILE --to URL to send one filed before)"
        )

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
        found = {**filed.to_dict(), "fingerprint": signer, "key_created": made_key}
        if server is None:
            print_json(found)
            return
        assert token is not None
        _send(server, token, filed.bundle_path, as_json, found)
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
    if filed.sealed_to is not None:
        click.echo(f"  exact figures sealed to the funder's key {filed.sealed_to}")
    click.echo(f"  bundle sha256 {entry.bundle_sha256}")
    if server is not None:
        assert token is not None
        _send(server, token, filed.bundle_path, as_json, None)
        return
    click.echo(
        "Send this bundle file to your funder, as it is: it holds the return in every format, "
        "and they can check that nothing in it was changed."
    )
    click.echo(
        f"Give your funder this key fingerprint once, by phone or a channel they already "
        f"trust, so they can tell your bundles from forgeries: {signer} "
        "(`peerreport keys show` prints it again)."
    )


def _token(server: str | None, token_file: Path | None, bundle_file: Path | None) -> str | None:
    """The API token for --to (read before filing, so a missing one stops nothing half-done)."""
    from peerreport.errors import UsageError
    from peerreport.hosted.client import bundles_url, read_token

    if server is None:
        if token_file is not None or bundle_file is not None:
            raise UsageError("--token-file and --bundle are for sending with --to URL")
        return None
    bundles_url(server)  # a wrong address is refused before anything is filed
    return read_token(token_file)


def _send(
    server: str, token: str, bundle: Path, as_json: bool, filed: dict[str, object] | None
) -> None:
    """Send the bundle to the server and say what it said (a plain error when it refused)."""
    from peerreport.errors import UsageError
    from peerreport.hosted.client import DeliveryError, send_bundle

    try:
        data = bundle.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read the bundle {bundle}: {exc.strerror or exc}") from exc
    try:
        delivery = send_bundle(server, token, data)
    except DeliveryError as exc:
        if as_json and filed is not None:
            print_json(filed)  # the return is filed all the same
        again = f"peerreport submit --bundle {bundle} --to {server}"
        raise DeliveryError(f"not delivered: {exc}. Send it again with: {again}") from exc
    if as_json:
        print_json({**(filed or {}), "server": {"status": delivery.status, **delivery.answer}})
        return
    click.echo(f"Sent {bundle.name} to {server}. {delivery.words()}")
