"""An audit of one bundle, as separate verdicts a non-programmer can act on.

1. **The bundle**: intact, or altered (and what was altered).
2. **The figures**: they match the records as they were when the return was
   built (rebuilt at the revision it names, with the rule file it carries).
3. **The records since**: unchanged, or which records of the period changed
   (field by field, in which revision) and whether a later amendment covers
   the change.
4. **The ledger**: which version this is, whether it is current or
   superseded (and why), and whether the ledger's hash chain is intact and
   still holds the head the bundle was submitted with.

An honest version that a later amendment superseded is VERIFIED, with the
amendment named; only an altered bundle, figures that do not match the
records as built, or a rewritten ledger make it NOT VERIFIED.

A submitted return whose bundle was not kept is checked as the ledger
recorded it (`verify_recorded`): verdicts 2 to 4 only.

| code    | what was found                                                           |
| ------- | ------------------------------------------------------------------------ |
| AUD-060 | (warning) records changed since the return was built; no later version covers it |
| AUD-061 | (info) records changed since, and a later version covers the change     |
| AUD-062 | (info) no record of the period changed since the return was built       |
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from peerreport.audit.chain_check import ChainCheck, anchor_of, check_chain
from peerreport.audit.ledger_check import ledger_findings
from peerreport.audit.recompute import Recomputation, recompute
from peerreport.audit.rules import rule_file_for
from peerreport.bundle import BundleCheck, Trust, verify_bundle
from peerreport.findings import Finding, has_errors
from peerreport.findings_catalogue import finding
from peerreport.ledger import Submission, submissions
from peerreport.returns.model import Return
from peerreport.rulebook.compiled import RuleFile
from peerreport.store.history import RecordChange, changes_between
from peerreport.store.revisions import latest_revision

INTACT, ALTERED = "intact", "altered"


@dataclass(frozen=True)
class Verdicts:
    """Everything `audit verify` found about one bundle."""

    check: BundleCheck
    recomputation: Recomputation | None = None
    not_recomputed: str = ""  # why there is no recomputation
    changes_since: tuple[RecordChange, ...] = ()
    latest_revision: int | None = None
    covered_by: Submission | None = None
    entry: Submission | None = None
    superseded_by: Submission | None = None
    chain: ChainCheck | None = None
    ledger: tuple[Finding, ...] = ()
    since: tuple[Finding, ...] = field(default_factory=tuple)

    @property
    def ret(self) -> Return | None:
        """The return the bundle carries."""
        return self.check.bundle.ret if self.check.bundle.manifest is not None else None

    @property
    def intact(self) -> bool:
        """The bundle is exactly as written."""
        return self.check.ok

    @property
    def figures_match(self) -> bool | None:
        """The figures match the records as built (None: not recomputed)."""
        return None if self.recomputation is None else self.recomputation.ok

    @property
    def ledger_ok(self) -> bool | None:
        """The ledger agrees with the bundle and its chain is intact (None: no database)."""
        if self.chain is None and not self.ledger:
            return None
        chain_ok = self.chain.ok if self.chain is not None else True
        return chain_ok and not has_errors(list(self.ledger))

    @property
    def ok(self) -> bool:
        """VERIFIED: intact, and (where checked) figures and ledger agree."""
        return self.intact and self.figures_match is not False and self.ledger_ok is not False

    @property
    def findings(self) -> list[Finding]:
        """Every finding, in the order of the verdicts."""
        found = list(self.check.findings)
        if self.recomputation is not None:
            found += self.recomputation.findings
        found += self.since
        found += self.ledger
        if self.chain is not None:
            found += self.chain.findings
        return found

    def headline(self) -> str:
        """'VERIFIED', 'VERIFIED — superseded by version 2 (reason)' or 'NOT VERIFIED — why'."""
        if not self.ok:
            why = []
            if self.check.unverified_origin:
                why.append("UNVERIFIED ORIGIN: nothing trusted shows who wrote the bundle")
            elif not self.intact:
                why.append("the bundle was altered")
            if self.figures_match is False:
                why.append("its figures do not match the records as they were when it was built")
            if self.ledger_ok is False:
                why.append("the ledger does not agree with it or was rewritten")
            return "NOT VERIFIED — " + "; ".join(why)
        if self.superseded_by is not None:
            newer = self.superseded_by
            return f"VERIFIED — superseded by version {newer.version} ({newer.reason})"
        return "VERIFIED"

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data."""
        return {
            "verdict": self.headline(),
            "ok": self.ok,
            "bundle": {
                "name": self.check.bundle.name,
                "sha256": self.check.bundle.sha256,
                "state": INTACT if self.intact else ALTERED,
                "signer": self.check.signer,
            },
            "figures": {
                "recomputed": self.recomputation is not None,
                "match": self.figures_match,
                "not_recomputed": self.not_recomputed or None,
                "revision": self.ret.revision if self.ret is not None else None,
            },
            "records_since": {
                "latest_revision": self.latest_revision,
                "changes": [c.to_dict() for c in self.changes_since],
                "covered_by_version": self.covered_by.version if self.covered_by else None,
            },
            "ledger": {
                "ok": self.ledger_ok,
                "version": self.entry.version if self.entry else None,
                "superseded_by": (
                    {"version": self.superseded_by.version, "reason": self.superseded_by.reason}
                    if self.superseded_by
                    else None
                ),
                "chain": self.chain.to_dict() if self.chain else None,
            },
            "findings": [f.to_dict() for f in self.findings],
        }


def verify(
    bundle: Path | bytes,
    engine: Engine | None = None,
    *,
    trusted: Collection[str] | Trust = (),
    rules: str | Path | None = None,
    not_recomputed: str = "",
    name: str | None = None,
) -> Verdicts:
    """Verify a bundle and, with the organisation's database, recompute and check the ledger.

    `name` is what to call a bundle given as bytes (its file name, as a person knows it).
    """
    check = verify_bundle(bundle, trusted, name)
    manifest = check.bundle.manifest
    ret = check.bundle.ret if manifest is not None else None
    if ret is None or engine is None:
        reason = not_recomputed or "the manifest is unreadable: nothing to recompute"
        return Verdicts(check, not_recomputed=reason)
    carried = manifest.get("rule_file") if manifest else None
    rule_file = rule_file_for(ret, rules, carried if isinstance(carried, dict) else None)
    recomputation = recompute(engine, ret, rule_file)
    submission = check.bundle.submission
    number = submission.get("version") if submission else None
    place = _place(engine, ret, number)
    ledger = ledger_findings(engine, ret, submission, check.bundle.sha256)
    anchor = anchor_of(manifest)
    chain = (
        check_chain(engine, ret.organisation, [anchor] if anchor is not None else [])
        if submission
        else None
    )
    return Verdicts(
        check,
        recomputation,
        changes_since=place.changes,
        latest_revision=place.latest,
        covered_by=place.covered,
        entry=place.entry,
        superseded_by=place.superseded_by,
        chain=chain,
        ledger=tuple(ledger),
        since=place.since,
    )


@dataclass(frozen=True)
class RecordedCheck:
    """A submitted return checked as the ledger recorded it, without its bundle.

    For a return whose bundle was not kept (filed before a hosted server kept
    every bundle): its figures recomputed as of the revision it names, the
    records changed since, its place in the ledger and the ledger's hash
    chain. Whether the bundle sent to the funder was altered cannot be told
    without that bundle.
    """

    submission: Submission
    ret: Return
    recomputation: Recomputation
    changes_since: tuple[RecordChange, ...] = ()
    latest_revision: int | None = None
    covered_by: Submission | None = None
    superseded_by: Submission | None = None
    chain: ChainCheck | None = None
    since: tuple[Finding, ...] = ()

    @property
    def entry(self) -> Submission:
        """The ledger entry checked."""
        return self.submission

    @property
    def figures_match(self) -> bool:
        """The figures match the records as built."""
        return self.recomputation.ok

    @property
    def ledger_ok(self) -> bool:
        """The ledger's hash chain is intact (its entry for this return included)."""
        return self.chain is None or self.chain.ok

    @property
    def ok(self) -> bool:
        """The figures match the records as built, and the ledger is intact."""
        return self.figures_match and self.ledger_ok

    @property
    def findings(self) -> list[Finding]:
        """Every finding, in the order of the verdicts."""
        found = [*self.recomputation.findings, *self.since]
        if self.chain is not None:
            found += self.chain.findings
        return found

    def headline(self) -> str:
        """'MATCHES THE RECORDS — no bundle was kept ...' or 'NOT VERIFIED — why'."""
        if not self.ok:
            why = []
            if not self.figures_match:
                why.append("its figures do not match the records as they were when it was built")
            if not self.ledger_ok:
                why.append("the ledger was edited after the fact")
            return "NOT VERIFIED — " + "; ".join(why)
        newer = self.superseded_by
        later = f"; superseded by version {newer.version} ({newer.reason})" if newer else ""
        return (
            "MATCHES THE RECORDS — no bundle was kept, so the return as the ledger recorded "
            f"it was checked{later}"
        )


def verify_recorded(engine: Engine, submission: Submission, rule_file: RuleFile) -> RecordedCheck:
    """Check the return the ledger recorded for `submission`: figures, records since, chain."""
    ret = submission.ret
    recomputation = recompute(engine, ret, rule_file)
    place = _place(engine, ret, submission.version)
    return RecordedCheck(
        submission,
        ret,
        recomputation,
        changes_since=place.changes,
        latest_revision=place.latest,
        covered_by=place.covered,
        superseded_by=place.superseded_by,
        chain=check_chain(engine, ret.organisation),
        since=place.since,
    )


@dataclass(frozen=True)
class _Place:
    """A return's version in the ledger, and the records of its period changed since."""

    latest: int
    entry: Submission | None
    superseded_by: Submission | None
    changes: tuple[RecordChange, ...]
    covered: Submission | None
    since: tuple[Finding, ...]


def _place(engine: Engine, ret: Return, number: Any) -> _Place:
    with engine.connect() as conn:
        latest = latest_revision(conn, ret.organisation)
    versions = submissions(
        engine, ret.organisation, ret.rule.id, (ret.period.start, ret.period.end)
    )
    entry = next((s for s in versions if s.version == number), None)
    newest = versions[-1] if versions else None
    superseded_by = newest if entry is not None and newest is not entry else None
    changes: list[RecordChange] = []
    covered: Submission | None = None
    since: list[Finding] = []
    if ret.revision is not None:
        changes = changes_between(
            engine, ret.organisation, ret.period.start, ret.period.end, ret.revision, latest
        )
        covered, since = _since(changes, ret, versions, number)
    return _Place(latest, entry, superseded_by, tuple(changes), covered, tuple(since))


def _since(
    changes: list[RecordChange], ret: Return, versions: list[Submission], number: Any
) -> tuple[Submission | None, list[Finding]]:
    if not changes:
        return None, [
            finding(
                "AUD-062",
                f"no record of {ret.period.label} changed since the return was built "
                f"(revision {ret.revision})",
                hint="",
            )
        ]
    last = max(c.revision for c in changes)
    later = [
        s
        for s in versions
        if isinstance(number, int)
        and s.version > number
        and s.records_revision is not None
        and s.records_revision >= last
    ]
    listed = "; ".join(str(c) for c in changes[:10])
    more = f" (and {len(changes) - 10} more)" if len(changes) > 10 else ""
    if later:
        covered = later[0]
        return covered, [
            finding(
                "AUD-061",
                f"{len(changes)} record(s) of {ret.period.label} changed since this return was "
                f"built, and version {covered.version} ({covered.reason}) includes the "
                f"change: {listed}{more}",
                hint="",
            )
        ]
    return None, [
        finding(
            "AUD-060",
            f"{len(changes)} record(s) of {ret.period.label} changed since this return was "
            f"built, and no later version includes the change: {listed}{more}",
            "If the change matters to the funder, build the return again and submit an "
            "amendment with --reason.",
        )
    ]
