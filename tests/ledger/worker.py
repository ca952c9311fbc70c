"""A process that submits one return, started 20 times at once by the concurrency test.

Kept apart from the test module so that spawned processes import little.
"""

from __future__ import annotations

import json
from typing import Any


def submit_once(url: str, return_json: str, reason: str, start: Any, results: Any) -> None:
    """Connect, wait for every other process, submit, report the version (or the error)."""
    from peerreport.ledger import submit
    from peerreport.returns.model import Return
    from peerreport.store.database import open_engine

    engine = open_engine(url)
    try:
        with engine.connect():
            pass  # connected before the start line, so the submissions really race
        start.wait(timeout=60)
        done = submit(engine, Return.from_dict(json.loads(return_json)), reason)
        results.put(("ok", done.submission.version))
    except Exception as exc:  # reported to the test, which fails with it
        results.put(("error", repr(exc)))
    finally:
        engine.dispose()
