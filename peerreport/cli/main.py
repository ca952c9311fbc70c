"""The `peerreport` command.

Subcommands live in their own modules and are imported only when run, so
`peerreport --help` answers instantly. Every `PeerreportError` becomes a plain
message and exit code 2 here, in one place, and any other exception becomes one
sentence, a private log file with the traceback and exit code 3
(`peerreport.cli.crash`); commands return exit code 1 when they report findings
of error severity.
"""

from __future__ import annotations

import importlib
from typing import Any

import click

from peerreport import __version__

# name -> (module, attribute, one-line help shown by `peerreport --help`)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "init": ("peerreport.cli.workspace_cmd", "init", "Create a workspace (settings and database)."),
    "db": ("peerreport.cli.workspace_cmd", "db", "Database schema: show version, upgrade."),
    "import": ("peerreport.cli.import_cmd", "import_", "Import activity records from files."),
    "records": (
        "peerreport.cli.records_cmd",
        "records",
        "Stored records: summary, history of one, withdraw.",
    ),
    "imports": ("peerreport.cli.imports_cmd", "imports", "The import log: list, show."),
    "samples": ("peerreport.cli.samples_cmd", "samples", "Generate synthetic sample records."),
    "demo": ("peerreport.cli.demo_cmd", "demo", "Run the whole job on sample data."),
    "rules": ("peerreport.cli.rules_cmd", "rules", "Rule files: list, show, lint, test, schema."),
    "template": ("peerreport.cli.template_cmd", "template", "Make an intake workbook."),
    "build": ("peerreport.cli.build_cmd", "build", "Build a return for a period and check it."),
    "export": ("peerreport.cli.build_cmd", "export", "Export a return as XLSX, CSV, JSON, HTML."),
    "submit": (
        "peerreport.cli.submit_cmd",
        "submit",
        "Submit a return: record it in the ledger, write its bundle.",
    ),
    "returns": (
        "peerreport.cli.returns_cmd",
        "returns",
        "Submitted returns: list, show history and amendments.",
    ),
    "audit": (
        "peerreport.cli.audit_cmd",
        "audit",
        "Audit a bundle: verify, trace a figure, scan for identifiers.",
    ),
    "collate": (
        "peerreport.cli.collate_cmd",
        "collate",
        "Collate providers' bundles into one workbook (funders).",
    ),
    "keys": ("peerreport.cli.keys_cmd", "keys", "Signing keys: make an Ed25519 key pair."),
    "admin": (
        "peerreport.cli.admin_cmd",
        "admin",
        "Hosted server: accounts, organisations, funders, tokens, published rule files.",
    ),
    "serve": (
        "peerreport.cli.serve_cmd",
        "serve",
        "Open peerreport in your web browser (on this computer only).",
    ),
}


class InputError(click.ClickException):
    """A user's mistake, shown as one plain message with exit code 2."""

    exit_code = 2


class LazyGroup(click.Group):
    """A group whose subcommands are imported only when they are used."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(n for n, (mod, _, _) in COMMANDS.items() if _module_exists(mod))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module_name, attribute, _ = COMMANDS[cmd_name]
        command = getattr(importlib.import_module(module_name), attribute)
        assert isinstance(command, click.Command)
        _short_help_everywhere(command)
        return command

    def invoke(self, ctx: click.Context) -> Any:
        from peerreport.errors import PeerreportError

        try:
            return super().invoke(ctx)
        except PeerreportError as exc:
            raise InputError(str(exc)) from exc
        except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except BrokenPipeError:
            # `peerreport ... | head`: the reader stopped reading, which is no crash. Point
            # stdout at nothing so Python's own flush at exit does not fail again.
            import os
            import sys

            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            raise click.exceptions.Exit(1) from None
        except OSError as exc:
            if exc.filename is None or exc.strerror is None:
                raise _internal(exc) from exc
            # A file that cannot be read or written is the user's to fix, not a crash.
            raise InputError(f"{exc.filename}: {exc.strerror}") from exc
        except Exception as exc:
            raise _internal(exc) from exc

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][2]) for name in self.list_commands(ctx)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


HELP_OPTIONS = ["-h", "--help"]


def _internal(exc: Exception) -> click.ClickException:
    """Log an unexpected exception privately; the error to show instead of its traceback."""
    from peerreport.cli.crash import InternalError, write_log

    return InternalError(write_log(exc))


def _short_help_everywhere(command: click.Command) -> None:
    """`-h` works on every command, however the command is reached (even on its own in tests)."""
    if command.context_settings.get("help_option_names") != HELP_OPTIONS:
        command.context_settings["help_option_names"] = HELP_OPTIONS
        # Click caches a command's help option the first time it is shown; a command
        # invoked on its own before (as tests do) would keep `--help` only.
        if hasattr(command, "_help_option"):
            command._help_option = None
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            _short_help_everywhere(sub)


def _module_exists(module_name: str) -> bool:
    from importlib.util import find_spec

    return find_spec(module_name) is not None


@click.group(cls=LazyGroup, context_settings={"help_option_names": HELP_OPTIONS})
@click.version_option(__version__, prog_name="peerreport")
def cli() -> None:
    """peerreport: accountability returns for peer-run mental health and addiction services.

    Record what your organisation does (groups, drop-ins, calls, advocacy,
    education), and turn it into each funder's return: validated, with small
    counts protected, and a trail an auditor can verify.

    \b
    From activity log to filed return:
      peerreport demo                      # the whole job on sample data
      peerreport init myorg --name "Harbour Peer Collective" --provider-code HPC001
      cd myorg
      peerreport template intake nz-peer-support-adults --out activity-log.xlsx
      peerreport import activity-log.xlsx  # after filling it in
      peerreport build nz-peer-support-adults --period FY2027-Q1     # check it
      peerreport export nz-peer-support-adults --period FY2027-Q1 --out review/
      peerreport submit nz-peer-support-adults --period FY2027-Q1    # file it
      # send submissions/..._v1.bundle.zip to the funder

    \b
    Exit codes:
      0  success
      1  findings of error severity (in the records or the return)
      2  usage or input errors (a wrong option, a missing or unreadable file)
      3  internal error: peerreport itself failed; the message names a log file
    """


def main() -> None:
    """Entry point of the `peerreport` console script."""
    cli(prog_name="peerreport")
