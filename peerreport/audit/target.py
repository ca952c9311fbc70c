"""The return an audit command works on: a bundle file or a submitted return's ledger id."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from peerreport.bundle import verify_bundle
from peerreport.errors import UsageError
from peerreport.ledger import get
from peerreport.returns.model import Return


@dataclass(frozen=True)
class Target:
    """A return to audit, and a warning when its figures may not be as filed."""

    ret: Return
    warning: str = ""


def open_target(target: str, engine: Engine) -> Target:
    """The return in the bundle file `target`, or submitted return number `target` in the ledger."""
    if Path(target).is_file():
        check = verify_bundle(Path(target))
        ret = check.bundle.ret
        if ret is None:
            raise UsageError(
                f"{target}: not a readable bundle (`peerreport audit verify` says why)"
            )
        warning = "" if check.ok else "the bundle does not verify: its figures may be altered"
        return Target(ret, warning)
    if target.isdigit():
        return Target(get(engine, int(target)).ret)
    raise UsageError(
        f"{target!r} is neither a bundle file nor a submitted return id "
        "(`peerreport returns list` shows the ids)"
    )
