"""The sealed bundles a hosted server has received, kept in its database as they came.

One bundle per submitted return: filed on the server (`filed`), uploaded by
a coordinator (`upload`) or sent by a program with an API token (`api`). A
stored bundle is never changed (a trigger refuses it); the funder and the
auditor download exactly the bytes the provider sealed.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from sqlalchemy import Engine, insert, select

from peerreport.errors import UsageError
from peerreport.store.hosted_schema import received_bundle
from peerreport.store.schema import submitted_return

VIA = ("filed", "upload", "api")


def store_bundle(
    engine: Engine,
    submission_id: int,
    org: str,
    data: bytes,
    via: str,
    now: dt.datetime | None = None,
) -> str:
    """Keep the bundle of submitted return `submission_id`; its sha256 (again: no change)."""
    if via not in VIA:
        raise UsageError(f"a bundle comes {' or '.join(repr(v) for v in VIA)}, not {via!r}")
    sha256 = hashlib.sha256(data).hexdigest()
    with engine.begin() as conn:
        filed = conn.execute(
            select(submitted_return.c.bundle_sha256).where(
                submitted_return.c.id == submission_id, submitted_return.c.org == org
            )
        ).first()
        if filed is None:
            raise UsageError(f"{org} has no submitted return {submission_id}")
        if filed.bundle_sha256 and filed.bundle_sha256 != sha256:
            raise UsageError(
                f"this is not the bundle filed as submitted return {submission_id}: "
                "its sha256 differs from the one in the ledger"
            )
        kept = conn.execute(
            select(received_bundle.c.sha256).where(received_bundle.c.submission_id == submission_id)
        ).first()
        if kept is not None:
            if kept.sha256 != sha256:
                raise UsageError(
                    f"a different bundle is already kept for submitted return {submission_id}"
                )
            return sha256
        conn.execute(
            insert(received_bundle).values(
                submission_id=submission_id,
                org=org,
                sha256=sha256,
                data=data,
                received_at=dt.datetime.now(dt.UTC) if now is None else now,
                via=via,
            )
        )
    return sha256


def bundle_of(engine: Engine, submission_id: int) -> bytes | None:
    """The bundle kept for submitted return `submission_id`, if any."""
    with engine.connect() as conn:
        data = conn.execute(
            select(received_bundle.c.data).where(received_bundle.c.submission_id == submission_id)
        ).scalar_one_or_none()
    return None if data is None else bytes(data)


__all__ = ["VIA", "bundle_of", "store_bundle"]
