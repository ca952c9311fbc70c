"""The web's routes, one module per page group; each is thin over the application layer."""

from __future__ import annotations

import datetime as dt

from fastapi import Request

from peerreport.web.desk import Desk


def desk(request: Request) -> Desk:
    """The running application's desk (its workspace and database)."""
    found = request.app.state.desk
    assert isinstance(found, Desk)
    return found


def today() -> dt.date:
    """Today's date (one place, so pages agree)."""
    return dt.date.today()
