"""One audit of one bundle, gathered for an auditor's working papers: `AuditReport`.

`audit_report` runs every check there is on a bundle and words each outcome
for a person who is not a programmer:

1. verification: is the bundle exactly as written (and who signed it)?
2. recomputation: do the records and the rule file still give its figures?
3. identifier scan: did anything identifying leave the organisation?
4. ledger: which submitted version is it, and what came before and after?
5. import log: which files the records came from, and when.

Without the organisation's database only 1 and 3 can run (3 without the
member-token hashes); the others say they were not checked, and why. Nothing
here renders: `report_page` turns the report into HTML, and a web page can
use the same object.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from peerreport.audit.scan import scan_bundle, token_hashes
from peerreport.audit.verdict import Verdicts, verify
from peerreport.bundle import BundleCheck, Trust
from peerreport.findings import Finding, Severity
from peerreport.ledger import Submission, submissions
from peerreport.render.charts import number_text
from peerreport.returns.model import SUPPRESSED, PublishedCell, Return
from peerreport.store.history import ImportRun, imports

PASSED, FAILED, WARNING, INFO, NOT_CHECKED = "passed", "failed", "warning", "info", "not checked"


@dataclass(frozen=True)
class Section:
    """One check: its outcome in a word (`state`), in a sentence (`verdict`), and its findings."""

    key: str  # verification | recomputation | scan | ledger | imports
    title: str
    state: str  # passed | failed | warning | info | not checked
    verdict: str
    findings: tuple[Finding, ...] = ()
    note: str = ""  # what was left out and why

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data."""
        return {
            "key": self.key,
            "title": self.title,
            "state": self.state,
            "verdict": self.verdict,
            "note": self.note or None,
            "findings": [f.to_dict() for f in self.findings],
        }


@dataclass(frozen=True)
class FigureCheck:
    """One figure's total: as published, and as the records give it as of its revision."""

    measure: str
    line: str
    label: str
    published: str
    recomputed: str | None  # None when not recomputed
    agrees: bool | None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data."""
        return dict(vars(self))


@dataclass(frozen=True)
class AuditReport:
    """Everything one audit of one bundle found, ready to print or show."""

    bundle_name: str
    bundle_sha256: str
    made_at: dt.datetime  # UTC
    ret: Return | None  # None when the manifest is unreadable
    submission: dict[str, Any] | None  # the bundle's own record of its submission
    signer: str | None
    files: tuple[dict[str, Any], ...]  # the manifest's files: name, sha256, size
    database: str | None  # where the records were read from (password hidden), or None
    verification: Section
    recomputation: Section
    scan: Section
    ledger: Section
    imports: Section
    figures: tuple[FigureCheck, ...] = ()
    history: tuple[Submission, ...] = ()
    import_log: tuple[ImportRun, ...] = ()

    @property
    def sections(self) -> tuple[Section, ...]:
        """The five checks, in the order the page shows them."""
        return (self.verification, self.recomputation, self.scan, self.ledger, self.imports)

    @property
    def ok(self) -> bool:
        """True when no check failed (checks not run do not count as failed)."""
        return all(s.state != FAILED for s in self.sections)

    @property
    def state(self) -> str:
        """The whole audit in a word: failed, not checked (partly), warning or passed."""
        states = {s.state for s in self.sections}
        for state in (FAILED, NOT_CHECKED, WARNING):
            if state in states:
                return state
        return PASSED

    @property
    def summary(self) -> str:
        """The whole audit in one sentence."""
        titles = {
            state: [s.title.lower() for s in self.sections if s.state == state]
            for state in (FAILED, NOT_CHECKED, WARNING)
        }
        if titles[FAILED]:
            return f"Attention needed: {_join(titles[FAILED])} did not pass."
        if titles[NOT_CHECKED]:
            return (
                f"No problem found in what was checked; {len(titles[NOT_CHECKED])} of the "
                f"{len(self.sections)} checks could not be run (see each section)."
            )
        if titles[WARNING]:
            return f"No check failed; see the notes on {_join(titles[WARNING])}."
        return "Every check passed."

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data."""
        return {
            "bundle": {"name": self.bundle_name, "sha256": self.bundle_sha256},
            "made_at": self.made_at.isoformat(),
            "ok": self.ok,
            "state": self.state,
            "summary": self.summary,
            "return": None
            if self.ret is None
            else {
                "organisation": self.ret.organisation,
                "rule_file": self.ret.rule.id,
                "rule_version": self.ret.rule.version,
                "period": self.ret.period.label,
            },
            "submission": self.submission,
            "signer": self.signer,
            "database": self.database,
            "sections": [s.to_dict() for s in self.sections],
            "figures": [f.to_dict() for f in self.figures],
            "history": [s.to_dict() for s in self.history],
            "import_log": [r.to_dict() for r in self.import_log],
        }


def _join(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def audit_report(
    bundle: Path | bytes,
    engine: Engine | None = None,
    *,
    trusted: Collection[str] | Trust = (),
    rules: str | Path | None = None,
    no_database: str = "no database was given",
    now: dt.datetime | None = None,
    name: str | None = None,
    database: str | None = None,
) -> AuditReport:
    """Run every check on `bundle` (with the organisation's records when `engine` is given).

    `name` is what to call a bundle given as bytes; `database` what to call the
    database the records were read from (default: its URL, without the password).
    """
    verdicts = verify(
        bundle, engine, trusted=trusted, rules=rules, not_recomputed=no_database, name=name
    )
    check = verdicts.check
    made_at = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    ret = check.bundle.ret
    manifest = check.bundle.manifest or {}
    files = tuple(f for f in manifest.get("files", ()) if isinstance(f, dict))
    verification = _verification(check)
    hashes = token_hashes(engine, ret.organisation) if engine and ret else frozenset()
    scan = _scan(check, hashes, no_database if engine is None else "")
    why = (
        no_database
        if ret is not None
        else "the bundle's manifest cannot be read, so there is no return to check"
    )
    report = AuditReport(
        bundle_name=check.bundle.name,
        bundle_sha256=check.bundle.sha256,
        made_at=made_at,
        ret=ret,
        submission=check.bundle.submission,
        signer=check.signer,
        files=files,
        database=None,
        verification=verification,
        recomputation=_not_checked("recomputation", why),
        scan=scan,
        ledger=_not_checked("ledger", why),
        imports=_not_checked("imports", why),
        figures=tuple(_figure_checks(ret, None)) if ret is not None else (),
    )
    if ret is None or engine is None:
        return report
    recomputation, figures = _recomputation(verdicts, ret, check.ok)
    history = tuple(submissions(engine, ret.organisation, ret.rule.id, _period(ret)))
    log = tuple(imports(engine, ret.organisation))
    return replace(
        report,
        database=database or engine.url.render_as_string(hide_password=True),
        recomputation=recomputation,
        ledger=_ledger(verdicts, check, history),
        imports=_imports(log, check.bundle.submission, ret.revision),
        figures=figures,
        history=history,
        import_log=log,
    )


def _period(ret: Return) -> tuple[dt.date, dt.date]:
    return ret.period.start, ret.period.end


_TITLES = {
    "verification": "Bundle verification",
    "recomputation": "Recomputation",
    "scan": "Identifier scan",
    "ledger": "Ledger history",
    "imports": "Import log",
}


def _not_checked(key: str, why: str) -> Section:
    return Section(key, _TITLES[key], NOT_CHECKED, f"Not checked: {why}.")


def _errors(findings: Sequence[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity is Severity.ERROR]


def _state(findings: Sequence[Finding]) -> str:
    if _errors(findings):
        return FAILED
    return WARNING if any(f.severity is Severity.WARNING for f in findings) else PASSED


#: What each bundle finding means, in a few words ({file}: the file it is about).
_ALTERED = {
    "BUN-001": "the zip cannot be read",
    "BUN-010": "manifest.json is missing or was edited",
    "BUN-011": "the manifest was altered (its seal does not match)",
    "BUN-020": "{file} was changed",
    "BUN-021": "{file} is missing",
    "BUN-022": "{file} was added",
    "BUN-030": "the signature is not valid",
    "BUN-031": "UNVERIFIED ORIGIN: it is signed with a key that is not the provider's",
    "BUN-032": "UNVERIFIED ORIGIN: it is not signed",
    "BUN-033": "UNVERIFIED ORIGIN: it is signed by a key no one vouched for",
    "BUN-034": "UNVERIFIED ORIGIN: it is signed with another provider's key",
    "BUN-040": "the zip's own bytes were changed (the files themselves are intact)",
}
_UNTRUSTED = {"BUN-031", "BUN-032", "BUN-033", "BUN-034"}


def _verification(check: BundleCheck) -> Section:
    findings = tuple(check.findings)
    problems = tuple(f for f in findings if f.severity is not Severity.INFO)
    errors = _errors(findings)
    if not errors:
        signed = (
            f"It is signed with key {check.signer}."
            if check.signer
            else "It is not signed, so who made it rests on how it was received."
        )
        verdict = (
            "Intact: every file matches the manifest, and the manifest and the zip are "
            f"exactly as they were written. {signed}"
        )
    else:
        what = dict.fromkeys(
            _ALTERED.get(f.code, f.message).format(file=f.location.file or "a file") for f in errors
        )
        head = "Not trusted" if {f.code for f in errors} <= _UNTRUSTED else "Altered"
        verdict = f"{head}: {'; '.join(what)}. Do not rely on this bundle's figures."
    return Section("verification", _TITLES["verification"], _state(findings), verdict, problems)


def _scan(check: BundleCheck, hashes: frozenset[str], no_database: str) -> Section:
    entries = check.bundle.entries
    findings = tuple(scan_bundle(entries, hashes))
    note = (
        f"Member-token hashes were not looked for: {no_database}."
        if no_database
        else "Member-token hashes were looked for too."
    )
    errors = _errors(findings)
    if errors:
        verdict = (
            f"Found {_plural(len(errors), 'identifier')} in the bundle (shown masked below). "
            "Treat the bundle as a privacy breach."
        )
    elif findings:
        verdict = "Nothing identifying was found, but some files could not be read to scan."
    else:
        verdict = (
            f"Clean: no identifier, diagnosis or member token was found in the "
            f"{_plural(len(entries), 'file')} of the bundle."
        )
    return Section("scan", _TITLES["scan"], _state(findings), verdict, findings, note)


def _shown(cell: PublishedCell, symbol: str) -> str:
    if cell.status == SUPPRESSED:
        return symbol
    return "—" if cell.value is None else number_text(cell.value)


def _figure_checks(ret: Return, rebuilt: Return | None) -> list[FigureCheck]:
    symbol = str(ret.disclosure.get("symbol") or "S")
    rows = []
    for figure in ret.figures:
        published = _shown(figure.total, symbol)
        recomputed = agrees = None
        if rebuilt is not None:
            try:
                again = rebuilt.figure(figure.id).total
            except KeyError:
                recomputed, agrees = "(not in the rule file)", False
            else:
                recomputed = _shown(again, symbol)
                agrees = again == figure.total
        rows.append(
            FigureCheck(figure.id, figure.line, figure.label, published, recomputed, agrees)
        )
    return rows


def _recomputation(
    verdicts: Verdicts, ret: Return, verified: bool
) -> tuple[Section, tuple[FigureCheck, ...]]:
    found = verdicts.recomputation
    if found is None:
        figures = tuple(_figure_checks(ret, None))
        return _not_checked("recomputation", verdicts.not_recomputed.rstrip(".")), figures
    findings = tuple(found.findings) + tuple(
        f for f in verdicts.since if f.severity is not Severity.INFO
    )
    figures = tuple(_figure_checks(ret, found.recomputed))
    records = found.records
    shown = tuple(f for f in findings if f.code != "AUD-030")
    when = f" as they were when it was built (revision {ret.revision})" if ret.revision else ""
    if found.ok:
        verdict = (
            f"The figures match: rebuilding the return from the {number_text(records)} records "
            f"in the period{when} with the same rule file gives every figure the bundle's "
            "manifest records, and the records are the ones it was built from."
        )
    else:
        differ = len({c.measure for c in found.changes})
        parts = [f"{_plural(differ, 'figure')} differ"] if differ else []
        codes = {f.code for f in findings}
        if "AUD-002" in codes:
            parts.append("the records changed since the return was built")
        if "AUD-001" in codes:
            parts.append("the rule file is not the one the return was built with")
        verdict = f"Does not match: {_join(parts)}."
    changes = verdicts.changes_since
    if changes:
        covered = verdicts.covered_by
        listed = "; ".join(str(c) for c in changes[:5]) + (" ..." if len(changes) > 5 else "")
        verdict += (
            f" Since then, {_plural(len(changes), 'record')} of the period changed ({listed})"
            + (
                f"; version {covered.version} ({covered.reason}) includes the change."
                if covered is not None
                else "; no later version includes the change."
            )
        )
    elif ret.revision is not None:
        verdict += " No record of the period has changed since."
    note = (
        ""
        if verified
        else "The bundle did not verify: these are the figures its manifest records; "
        "its altered files may show others."
    )
    section = Section(
        "recomputation", _TITLES["recomputation"], _state(findings), verdict, shown, note
    )
    return section, figures


def _ledger(verdicts: Verdicts, check: BundleCheck, history: Sequence[Submission]) -> Section:
    chain = verdicts.chain
    findings = tuple(verdicts.ledger) + (
        tuple(f for f in chain.findings if f.severity is not Severity.INFO) if chain else ()
    )
    versions = _plural(len(history), "submitted version")
    if check.bundle.submission is None:
        verdict = (
            f"This bundle was exported, not submitted, so it is not in the ledger. The ledger "
            f"holds {versions} of this return."
        )
        return Section("ledger", _TITLES["ledger"], WARNING, verdict)
    version = check.bundle.submission.get("version")
    entry = next((s for s in history if s.version == version), None)
    state = _state(findings)
    if any(f.code == "AUD-040" for f in findings):
        verdict = (
            f"Does not match the ledger: the ledger records another bundle for version "
            f"{version}. This is not the bundle that was submitted."
        )
    elif entry is None:
        verdict = (
            f"The bundle says it is version {version}, but this database's ledger has no such "
            "submission. Check this is the organisation's own database."
        )
    else:
        newer = verdicts.superseded_by
        status = (
            f"superseded by version {newer.version} ({newer.reason})"
            if newer is not None
            else "the current version"
        )
        verdict = (
            f"Matches the ledger: version {version}, submitted "
            f"{entry.submitted_at:%Y-%m-%d %H:%M} UTC, {status}. The ledger holds {versions} "
            "of this return."
        )
    if chain is not None:
        verdict += (
            f" Its hash chain is intact ({chain.entries} "
            f"{'entry' if chain.entries == 1 else 'entries'}) and still holds "
            "the head this bundle was submitted with."
            if chain.ok
            else " Its hash chain is BROKEN: the ledger was edited after the fact (see below)."
        )
    shown = tuple(f for f in findings if f.severity is not Severity.INFO)
    return Section("ledger", _TITLES["ledger"], state, verdict, shown)


def _imports(
    log: Sequence[ImportRun], submission: dict[str, Any] | None, revision: int | None
) -> Section:
    stored = [r for r in log if r.status == "stored"]
    if not stored:
        return Section(
            "imports",
            _TITLES["imports"],
            WARNING,
            "No imports are recorded for this organisation: the records did not come "
            "through `peerreport import`.",
        )
    first, last = stored[0].finished_at, stored[-1].finished_at
    verdict = (
        f"{_plural(len(stored), 'import')} recorded, from {first:%Y-%m-%d} to {last:%Y-%m-%d}, "
        f"adding {number_text(sum(r.added for r in stored))} and updating "
        f"{number_text(sum(r.updated for r in stored))} records."
    )
    refused = len(log) - len(stored)
    if refused:
        verdict += f" {_plural(refused, 'import')} refused (nothing stored)."
    later = after_submission(log, submission, revision)
    if later:
        verdict += (
            f" {_plural(len(later), 'import')} came after this return was built "
            "(marked below), so the records may have changed since."
        )
    return Section("imports", _TITLES["imports"], INFO, verdict)


def after_submission(
    log: Sequence[ImportRun], submission: dict[str, Any] | None, revision: int | None = None
) -> frozenset[int]:
    """The ids of imports that changed the records after the return was built.

    A return names the revision of the records it was built from, so an import
    that made a later revision came after it. A bundle without a revision
    (made before history was kept) falls back to its submission time.
    """
    if revision is not None:
        return frozenset(r.id for r in log if r.revision is not None and r.revision > revision)
    when = (submission or {}).get("submitted_at")
    if not isinstance(when, str):
        return frozenset()
    submitted = dt.datetime.fromisoformat(when)
    if submitted.tzinfo is None:
        submitted = submitted.replace(tzinfo=dt.UTC)
    return frozenset(r.id for r in log if r.finished_at.replace(microsecond=0) > submitted)
