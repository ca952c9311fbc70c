"""A collation: every provider's state, the bundles rejected, and the collated figures.

A provider is late when its bundle was received (UTC date) after its due date:
the provider list's `due` for that provider if given (an extension, say), else
the rule file's `[due]` for the period, else the 20th of the month after the
period (the usual NZ contract date, for rule files that set none).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from peerreport.bundle.verify import Trust
from peerreport.collate.exact import open_exact
from peerreport.collate.gather import Gathered, Received, Rejected, gather
from peerreport.collate.linked import Earlier, unlinked
from peerreport.collate.providers import Provider
from peerreport.collate.totals import CollatedFigure, collate_figures
from peerreport.returns.due import due_date
from peerreport.returns.periods import Period
from peerreport.rulebook.compiled import RuleFile
from peerreport.rulebook.model import Due

RECEIVED, LATE, MISSING, REJECTED = "received", "late", "missing", "rejected"
#: The due date assumed when the rule file sets none: the 20th of the month after.
USUAL_DUE = Due(day=20, months_after=1)


@dataclass(frozen=True)
class ProviderRow:
    """One provider's line of the collation."""

    code: str
    name: str
    status: str  # received | late | missing | rejected
    due: dt.date
    received: Received | None = None
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data."""
        got = self.received
        return {
            "code": self.code,
            "name": self.name,
            "status": self.status,
            "due": self.due.isoformat(),
            "note": self.note,
            "file": got.file if got else None,
            "received": got.received.isoformat() if got else None,
            "received_by": got.received_by if got else None,
            "version": got.version if got else None,
            "signer": got.signer if got else None,
            "sha256": got.sha256 if got else None,
            # "built under version X: presentation differs", or null when built with this file.
            "presentation": got.presentation if got else None,
        }


@dataclass(frozen=True)
class Collation:
    """Everything `collate` found and computed."""

    rule_id: str
    rule_version: str
    rule_digest: str
    rule_title: str
    symbol: str
    period: Period
    due: dt.date  # the rule file's due date for the period, or USUAL_DUE's
    due_from_rules: bool  # False when the rule file sets none and USUAL_DUE is assumed
    providers: tuple[ProviderRow, ...]
    rejected: tuple[Rejected, ...]
    figures: tuple[CollatedFigure, ...]
    exact_from: tuple[str, ...] = ()  # providers whose sealed exact figures were added
    #: Earlier collations given that could not be audited with this one, and why.
    unlinked: tuple[str, ...] = ()

    def count(self, status: str) -> int:
        """How many providers have a status."""
        return sum(1 for p in self.providers if p.status == status)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data (figures as collated and protected)."""
        return {
            "rule_file": {
                "id": self.rule_id,
                "version": self.rule_version,
                "digest": self.rule_digest,
                "title": self.rule_title,
            },
            "period": self.period.to_dict(),
            "due": {"date": self.due.isoformat(), "from_rule_file": self.due_from_rules},
            "providers": [p.to_dict() for p in self.providers],
            "rejected": [
                {"file": r.file, "provider": r.provider, "reason": r.reason}
                for r in self.rejected
                if not r.origin
            ],
            # Refused for their origin alone: intact, but no trusted key shows who made them.
            "unverified": [
                {"file": r.file, "provider": r.provider, "reason": r.reason}
                for r in self.rejected
                if r.origin
            ],
            "figures": [_figure_dict(f) for f in self.figures],
            "exact_from": list(self.exact_from),
            "unlinked": list(self.unlinked),
        }


def _figure_dict(figure: CollatedFigure) -> dict[str, Any]:
    def cell(c: Any) -> dict[str, Any]:
        """One collated cell as JSON data."""
        return {
            "key": list(c.key),
            "value": c.value,
            "status": c.status,
            "providers": c.providers,
            "incomplete": c.incomplete,
            "reason": c.reason,
        }

    return {
        "id": figure.id,
        "label": figure.label,
        "kind": figure.kind,
        "by": list(figure.by),
        "total": cell(figure.total),
        "cells": [cell(c) for c in figure.cells],
        "note": figure.note,
    }


def collate(
    paths: Sequence[Path],
    rule_file: RuleFile,
    providers: Sequence[Provider] | None = None,
    period: Period | None = None,
    trust: Trust | None = None,
    funder_key: Any = None,
    earlier: Sequence[Earlier] = (),
) -> Collation:
    """Verify, sort out and add up providers' bundles for one rule file and period.

    `trust` (default: the provider list's keys, nothing unverified allowed)
    decides which bundles' origin is shown; see `gather`. `funder_key`, the
    funder's loaded X25519 private key, opens providers' sealed exact figures,
    which are then added instead of the published ones (`collate.exact`), and
    the sums audited with the providers' returns and with `earlier`, the
    collations of the period already published (`collate.linked`).
    """
    gathered = gather(paths, rule_file, period, providers, trust)
    kept = [gathered.received[code] for code in sorted(gathered.received)]
    exact = open_exact(kept, funder_key) if funder_key is not None else {}
    figures = collate_figures(rule_file, kept, gathered.period, exact, earlier)
    declared = due_date(rule_file, gathered.period)
    due = declared or due_date(USUAL_DUE, gathered.period)
    assert due is not None
    return Collation(
        rule_id=rule_file.id,
        rule_version=rule_file.version,
        rule_digest=rule_file.digest,
        rule_title=rule_file.model.title,
        symbol=rule_file.disclosure.symbol,
        period=gathered.period,
        due=due,
        due_from_rules=declared is not None,
        providers=tuple(_rows(gathered, providers, due)),
        rejected=tuple(gathered.rejected),
        figures=tuple(figures),
        exact_from=tuple(sorted(exact)),
        unlinked=tuple(unlinked(kept, earlier)) if exact else (),
    )


def _rows(
    gathered: Gathered, providers: Sequence[Provider] | None, default_due: dt.date
) -> list[ProviderRow]:
    if providers is None:
        providers = [
            Provider(code, item.ret.organisation_name)
            for code, item in sorted(gathered.received.items())
        ]
    rows = []
    for provider in providers:
        due = provider.due or default_due
        item = gathered.received.get(provider.code)
        if item is not None:
            late = item.received.astimezone(dt.UTC).date() > due
            note = (
                f"received {item.received.date()} ({item.received_by}), due {due}" if late else ""
            )
            if item.unverified:
                note = "; ".join(n for n in (note, item.unverified) if n)
            if item.presentation:
                note = "; ".join(n for n in (note, item.presentation) if n)
            rows.append(
                ProviderRow(
                    provider.code, provider.name, LATE if late else RECEIVED, due, item, note
                )
            )
            continue
        reasons = [r.reason for r in gathered.rejected if r.provider == provider.code]
        if reasons:
            rows.append(
                ProviderRow(provider.code, provider.name, REJECTED, due, note="; ".join(reasons))
            )
        else:
            rows.append(
                ProviderRow(
                    provider.code,
                    provider.name,
                    MISSING,
                    due,
                    note=f"no bundle received (due {due})",
                )
            )
    return rows
