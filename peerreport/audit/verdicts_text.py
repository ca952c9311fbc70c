"""An audit's verdicts in words for people: the four numbered answers and the findings.

The command line prints them (coloured at a terminal); the web's auditor desk will show them.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from peerreport.render.text import SEVERITY_COLOURS as COLOURS


def _plain(text: str, **_: Any) -> str:
    return text


def verdicts_text(bundle: Path, verdicts: Any, style: Callable[..., str] = _plain) -> str:
    """The verdicts as text: four numbered answers, then the findings behind them.

    `style` colours words at a terminal (`click.style`); plain by default.
    """
    from peerreport.audit.verdict import Verdicts

    assert isinstance(verdicts, Verdicts)
    check, ret = verdicts.check, verdicts.ret
    lines = [f"{bundle} (sha256 {check.bundle.sha256})"]
    if ret is not None:
        filed = f", version {ret.filing.version}" if ret.filing is not None else ""
        lines.append(
            f"  {ret.organisation_name} ({ret.organisation}), {ret.rule.id} {ret.rule.version}, "
            f"{ret.period.label}{filed}: {len(ret.figures)} figures"
        )
    lines.append(
        "1. The bundle: "
        + (
            "INTACT — every file matches the manifest; the manifest and the zip are as written"
            if verdicts.intact
            else "UNVERIFIED ORIGIN — the files match the manifest, but nothing trusted shows "
            "who wrote them (see below)"
            if verdicts.check.unverified_origin
            else "ALTERED — see the errors below"
        )
    )
    if verdicts.recomputation is None:
        lines.append(f"2. The figures: not recomputed ({verdicts.not_recomputed})")
    else:
        at = f" at revision {ret.revision}" if ret is not None and ret.revision else ""
        lines.append(
            "2. The figures: "
            + (
                f"MATCH the records as they were when the return was built{at}"
                if verdicts.figures_match
                else "DO NOT MATCH the records as they were when it was built"
            )
        )
        if verdicts.changes_since:
            covered = verdicts.covered_by
            lines.append(
                f"3. The records since: {len(verdicts.changes_since)} record(s) of the period "
                "changed"
                + (
                    f"; version {covered.version} includes the change"
                    if covered
                    else "; no later version includes the change"
                )
            )
            lines += [f"     {c}" for c in verdicts.changes_since[:20]]
        else:
            lines.append("3. The records since: unchanged")
        entry = verdicts.entry
        if entry is None:
            lines.append("4. The ledger: the bundle is not a submitted version in this ledger")
        else:
            state = (
                f"superseded by version {verdicts.superseded_by.version} "
                f"({verdicts.superseded_by.reason})"
                if verdicts.superseded_by
                else "the current version"
            )
            chain = verdicts.chain
            intact = (
                "its hash chain is intact"
                if chain is None or chain.ok
                else "its hash chain is BROKEN (see below)"
            )
            lines.append(f"4. The ledger: version {entry.version}, {state}; {intact}")
    for finding in verdicts.findings:
        if finding.severity.value == "info" and finding.code in ("LED-050",):
            continue
        severity = finding.severity.value
        head = style(f"{severity.upper():7} {finding.code}", fg=COLOURS.get(severity))
        lines.append(f"   {head} {finding.message}")
    headline = verdicts.headline()
    lines.append(style(headline, fg="green" if verdicts.ok else "red", bold=True))
    return "\n".join(lines)
