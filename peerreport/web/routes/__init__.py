"""The web's routes, one module per page group; each is thin over the application layer."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from fastapi import Request

from peerreport.web.desk import Desk


def desk(request: Request) -> Desk:
    """The desk this request works on: the local workspace's, or (hosted) the chosen one's."""
    found = getattr(request.state, "desk", None) or getattr(request.app.state, "desk", None)
    if not isinstance(found, Desk):
        from peerreport.errors import UsageError

        raise UsageError("Choose the organisation to work on first.")
    return found


def today() -> dt.date:
    """Today's date (one place, so pages agree)."""
    return dt.date.today()


def remove_folder(folder: Path) -> None:
    """Delete a temporary folder a download was written in, once it has been sent."""
    import shutil

    shutil.rmtree(folder, ignore_errors=True)
