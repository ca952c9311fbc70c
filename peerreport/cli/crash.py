"""What the command line does with an error nobody planned for: a private log, one plain sentence.

A traceback is for whoever fixes peerreport, not for a coordinator, and the text of
a database error can hold SQL and the very cell values the privacy guard keeps off
screens. So the details go to a log file readable by its owner only: in the
workspace's `logs/` folder when there is a workspace, else in the user's cache
folder (or the system's temporary folder), and the terminal shows one sentence
with the log's path.
"""

from __future__ import annotations

from pathlib import Path

import click

from peerreport.crashlog import LOG_FOLDER, log_folders, write_log

__all__ = ["EXIT_INTERNAL", "LOG_FOLDER", "InternalError", "log_folders", "write_log"]

EXIT_INTERNAL = 3


class InternalError(click.ClickException):
    """An unexpected failure: one sentence on the terminal, the details in a log file."""

    exit_code = EXIT_INTERNAL

    def __init__(self, log: Path | None) -> None:
        if log is None:
            message = (
                "peerreport hit an internal error and stopped; no log file could be "
                "written; please report it."
            )
        else:
            message = (
                f"peerreport hit an internal error and stopped. Details are in {log}; "
                "please report it."
            )
        super().__init__(message)
        self.log = log

    def show(self, file: object = None) -> None:
        """Print the sentence alone, without click's "Error:" prefix."""
        click.echo(self.message, err=True)
