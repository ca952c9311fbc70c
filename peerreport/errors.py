"""The exception tree. Exceptions are for failures; problems in data are findings.

The CLI turns every `PeerreportError` into a plain message and exit code 2 in one
place (`peerreport.cli.main`), so a user's mistake never becomes a traceback; any
other exception is a fault in peerreport, logged privately, with exit code 3.
"""

from __future__ import annotations


class PeerreportError(Exception):
    """Base of every error peerreport raises on purpose."""


class UsageError(PeerreportError):
    """The command was asked for something it cannot do as asked."""


class WorkspaceError(PeerreportError):
    """The workspace (peerreport.toml) is missing or malformed."""


class DatabaseError(PeerreportError):
    """The database cannot be reached or its schema is not at the expected version."""


class InputFileError(PeerreportError):
    """An input file cannot be read at all (missing, wrong format, unreadable)."""


class RuleFileError(PeerreportError):
    """A rule file cannot be loaded: syntax, unknown names, types, privacy lint."""
