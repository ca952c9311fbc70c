"""Does a bundle match the ledger? A submitted bundle names its version; the ledger has its hash.

| code    | what was found                                                     |
| ------- | ------------------------------------------------------------------ |
| AUD-040 | the ledger records another bundle for this version (sha256 differs) |
| AUD-041 | (warning) the bundle says it was submitted, the ledger has no such version |
| AUD-042 | (info) the bundle is version N in the ledger, current or superseded |
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from peerreport.findings import Finding
from peerreport.findings_catalogue import finding
from peerreport.ledger import submissions
from peerreport.returns.model import Return


def ledger_findings(
    engine: Engine, ret: Return, submission: dict[str, Any] | None, bundle_sha256: str
) -> list[Finding]:
    """Compare a bundle with its ledger entry (nothing for a bundle that was only exported)."""
    if submission is None:
        return []
    version = submission.get("version")
    rows = submissions(engine, ret.organisation, ret.rule.id, (ret.period.start, ret.period.end))
    entry = next((s for s in rows if s.version == version), None)
    if entry is None:
        return [
            finding(
                "AUD-041",
                f"the bundle says it is version {version} of {ret.rule.id} {ret.period.label}, "
                "but this database's ledger has no such submission",
                "Check you are auditing the organisation's own database.",
            )
        ]
    if entry.bundle_sha256 and entry.bundle_sha256 != bundle_sha256:
        return [
            finding(
                "AUD-040",
                f"the ledger records bundle sha256 {entry.bundle_sha256} for version {version} "
                f"(ledger id {entry.id}); this bundle is {bundle_sha256}",
                "This is not the bundle that was submitted.",
            )
        ]
    newest = max(s.version for s in rows)
    state = "the current version" if entry.current else f"superseded (newest: version {newest})"
    return [
        finding(
            "AUD-042",
            f"matches ledger id {entry.id}: version {version}, submitted "
            f"{entry.submitted_at:%Y-%m-%d %H:%M} UTC, {state}",
            hint="",
        )
    ]
