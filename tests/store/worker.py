"""A process that imports one file, started several times at once by the concurrency test.

Kept apart from the test module so that spawned processes import little.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def import_once(url: str, workspace_root: str, path: str, start: Any, results: Any) -> None:
    """Connect, wait for every other process, import, report what was stored (or the error)."""
    from peerreport.intake.importer import import_files
    from peerreport.intake.reports import ImportSettings
    from peerreport.store.database import open_engine
    from peerreport.workspace import load_workspace

    engine = open_engine(url)
    try:
        workspace = load_workspace(Path(workspace_root))
        settings = ImportSettings(
            org=workspace.provider_code,
            org_name=workspace.organisation_name,
            date_order=workspace.date_order,
            token_secret=workspace.token_secret(),
        )
        with engine.connect():
            pass  # connected before the start line, so the imports really race
        start.wait(timeout=60)
        report = import_files(engine, [Path(path)], settings)
        results.put(("ok", report.stored, report.revision))
    except Exception as exc:  # reported to the test, which fails with it
        results.put(("error", repr(exc), None))
    finally:
        engine.dispose()
