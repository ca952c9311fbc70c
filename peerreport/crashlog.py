"""Private logs of errors nobody planned for: the traceback for whoever fixes peerreport.

A traceback is not for a coordinator, and a database error's text can hold SQL
and the very cell values the privacy guard keeps off screens. So the details go
to a log file readable by its owner only: in the workspace's `logs/` folder
when there is a workspace, else in the user's cache folder (or the system's
temporary folder). The command line (`peerreport.cli.crash`) and the web show
one sentence naming the file.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import sys
import tempfile
import traceback
from pathlib import Path

from peerreport import __version__

LOG_FOLDER = "logs"


def log_folders(workspace: Path | None = None) -> list[Path]:
    """Where a log may go, best first: the workspace, the user's cache, the temporary folder."""
    from peerreport.workspace import find_workspace

    folders: list[Path] = []
    if workspace is None:
        try:
            workspace = find_workspace()
        except Exception:  # a broken environment must not stop the log being written elsewhere
            workspace = None
    if workspace is not None:
        folders.append(workspace / LOG_FOLDER)
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    folders.append(Path(cache) / "peerreport" / LOG_FOLDER)
    folders.append(Path(tempfile.gettempdir()))
    return folders


def write_log(
    exc: BaseException, argv: list[str] | None = None, workspace: Path | None = None
) -> Path | None:
    """Write the traceback of `exc` to a new owner-only log file; its path, or None."""
    now = dt.datetime.now(dt.UTC)
    text = "".join(
        [
            f"peerreport {__version__} internal error at {now.isoformat(timespec='seconds')}\n",
            f"python {platform.python_version()} on {platform.platform()}\n",
            f"command: {' '.join(argv if argv is not None else sys.argv)}\n\n",
            *traceback.format_exception(exc),
        ]
    )
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    for folder in log_folders(workspace):
        try:
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            # mkstemp creates the file readable by its owner only: the traceback may
            # quote SQL and the values of records.
            descriptor, name = tempfile.mkstemp(
                prefix=f"peerreport-error-{stamp}-", suffix=".log", dir=folder
            )
            with os.fdopen(descriptor, "w", encoding="utf-8", errors="replace") as handle:
                handle.write(text)
            return Path(name)
        except OSError:
            continue
    return None
