"""The return an audit command works on: a bundle file or a submitted return's ledger id."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from peerreport.bundle import Trust, verify_bundle
from peerreport.errors import UsageError
from peerreport.ledger import get
from peerreport.returns.model import Return


@dataclass(frozen=True)
class Target:
    """A return to audit, and a warning when its figures may not be as filed."""

    ret: Return
    warning: str = ""


def bundle_target(path: Path) -> Target:
    """The return in the bundle file `path`, with a warning when the bundle does not verify."""
    # Whose bundle it is, is `audit verify`'s question; here only alterations matter,
    # so an unsigned bundle or an unknown key does not warn that the figures are altered.
    check = verify_bundle(path, Trust(allow_unsigned=True, allow_unknown_keys=True))
    ret = check.bundle.ret
    if ret is None:
        raise UsageError(f"{path}: not a readable bundle (`peerreport audit verify` says why)")
    warning = "" if check.ok else "the bundle does not verify: its figures may be altered"
    return Target(ret, warning)


def open_target(target: str, engine: Engine) -> Target:
    """The return in the bundle file `target`, or submitted return number `target` in the ledger.

    The caller checks that the return is of an organisation it may read
    (`peerreport.session`).
    """
    if Path(target).is_file():
        return bundle_target(Path(target))
    if target.isdigit():
        return Target(get(engine, int(target)).ret)
    raise UsageError(
        f"{target!r} is neither a bundle file nor a submitted return id "
        "(`peerreport returns list` shows the ids)"
    )
