"""Auditing a submitted return by its ledger entry: what the hosted auditor's desk calls.

A hosted server keeps the sealed bundle of every return filed or received
on it. Given a submission and that bundle (or None, for a return filed
before bundles were kept), these functions

- verify it (`audit_submission`): the bundle's verdicts, or, with no bundle,
  the return as the ledger recorded it (`verdict.verify_recorded`);
- trace a figure to its records and draw a sample, as `audit trace` and
  `audit sample` do for a submitted return id;
- make the one-page audit report of the bundle.

The rule file is the one the bundle carries (when its digest is the
return's), else the one of the same id in the folders given (the rule files
the organisation's funders published) or the shipped ones. A bundle that
names another organisation than its ledger entry is checked on its own,
never against any organisation's records.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from peerreport.audit.report import AuditReport, audit_report
from peerreport.audit.rules import rule_file_for
from peerreport.audit.sample import Sample, sample_records
from peerreport.audit.trace import FigureTrace, trace
from peerreport.audit.verdict import RecordedCheck, Verdicts, verify, verify_recorded
from peerreport.audit.verdicts_text import Answer, answers, shown_findings
from peerreport.bundle import Trust, verify_bundle
from peerreport.errors import UsageError
from peerreport.findings import Finding
from peerreport.ledger import Submission
from peerreport.rulebook.compiled import RuleFile

#: What the records are read from, as a report names it.
THIS_SERVER = "this server's database"


@dataclass(frozen=True)
class SubmittedAudit:
    """The verdicts on one submitted return, from its bundle or from the ledger."""

    submission: Submission
    verdicts: Verdicts | RecordedCheck
    bundle_name: str  # the bundle's file name, as the organisation's copy is named
    bundle_sha256: str  # '' when no bundle was kept

    @property
    def bundle_kept(self) -> bool:
        """Whether the server keeps this return's bundle."""
        return isinstance(self.verdicts, Verdicts)

    @property
    def answers(self) -> list[Answer]:
        """The numbered verdicts in words."""
        return answers(self.verdicts)

    @property
    def findings(self) -> list[Finding]:
        """The findings behind the answers."""
        return shown_findings(self.verdicts)

    @property
    def ok(self) -> bool:
        """Nothing failed."""
        return self.verdicts.ok

    def headline(self) -> str:
        """The verdict in a line: VERIFIED, NOT VERIFIED — why, ..."""
        return self.verdicts.headline()


def bundle_file_name(submission: Submission) -> str:
    """The name of a submission's bundle file: `<rule>_<period>_<org>_vN.bundle.zip`."""
    from peerreport.bundle import bundle_name

    return bundle_name(submission.ret, submission.version)


def _opened(bundle: bytes) -> Any:
    """A bundle's contents, whoever signed it (its verdicts are `verify`'s to give)."""
    return verify_bundle(bundle, Trust(allow_unsigned=True, allow_unknown_keys=True)).bundle


def _carried(opened: Any) -> dict[str, Any] | None:
    """The resolved rule file a bundle carries (its manifest's `rule_file` block), if any."""
    found = (opened.manifest or {}).get("rule_file") if opened is not None else None
    return found if isinstance(found, dict) else None


def _published(rule_id: str, folders: Sequence[Path]) -> Path | None:
    from peerreport.rulebook import Catalogue
    from peerreport.rulebook.resolve import default_search_path

    return Catalogue([*folders, *default_search_path()]).find(rule_id)


def rule_file_of(
    submission: Submission, bundle: bytes | None, folders: Sequence[Path] = ()
) -> RuleFile:
    """The rule file to recompute and trace `submission` with, or a plain `UsageError`."""
    ret = submission.ret
    carried = _carried(_opened(bundle) if bundle is not None else None)
    if carried is not None and carried.get("digest") == ret.rule.digest:
        return rule_file_for(ret, None, carried)
    path = _published(ret.rule.id, folders)
    if path is None:
        raise UsageError(_no_rule_file(submission))
    return rule_file_for(ret, path)


def _no_rule_file(submission: Submission) -> str:
    return (
        f"the rule file {submission.rule_id} (version {submission.rule_version}) that this "
        "return was built with is not on this server, so its figures cannot be recomputed"
    )


_OTHER_ORGANISATION = (
    "the stored bundle names another organisation than its ledger entry, so it was not "
    "compared with any records"
)


def audit_submission(
    engine: Engine,
    submission: Submission,
    bundle: bytes | None,
    *,
    trusted: Trust,
    folders: Sequence[Path] = (),
) -> SubmittedAudit:
    """Verify `submission`: its kept bundle (`trusted` keys show its origin), or its ledger entry.

    Figures are recomputed as of the records revision the return names.
    """
    name = bundle_file_name(submission)
    if bundle is None:
        checked = verify_recorded(engine, submission, rule_file_of(submission, None, folders))
        return SubmittedAudit(submission, checked, name, "")
    rules, why = _rules(submission, bundle, folders)
    verdicts = verify(
        bundle,
        engine if not why else None,
        trusted=trusted,
        rules=rules,
        not_recomputed=why,
        name=name,
    )
    return SubmittedAudit(submission, verdicts, name, verdicts.check.bundle.sha256)


def _rules(
    submission: Submission, bundle: bytes, folders: Sequence[Path]
) -> tuple[Path | None, str]:
    """(the rule file to give `verify`, None for the one carried; why not to recompute, or '')."""
    opened = _opened(bundle)
    ret = opened.ret if opened.manifest is not None else None
    if ret is None or ret.organisation != submission.org:
        return None, _OTHER_ORGANISATION if ret is not None else ""
    carried = _carried(opened)
    if carried is not None and carried.get("digest") == submission.rule_digest:
        return None, ""
    path = _published(submission.rule_id, folders)
    return path, "" if path is not None else _no_rule_file(submission)


def trace_submission(
    engine: Engine,
    submission: Submission,
    bundle: bytes | None,
    figure: str,
    cell: str | None = None,
    folders: Sequence[Path] = (),
) -> FigureTrace:
    """The records behind `figure` (measure id, line code or label) of the return as filed."""
    rule_file = rule_file_of(submission, bundle, folders)
    return trace(engine, submission.ret, rule_file, figure, cell)


def sample_submission(
    engine: Engine,
    submission: Submission,
    bundle: bytes | None,
    size: int,
    seed: str,
    figure: str | None = None,
    folders: Sequence[Path] = (),
) -> Sample:
    """`size` records behind the return's figures (or one), drawn reproducibly by `seed`."""
    rule_file = rule_file_of(submission, bundle, folders)
    return sample_records(engine, submission.ret, rule_file, size, seed, figure)


def report_submission(
    engine: Engine,
    submission: Submission,
    bundle: bytes,
    *,
    trusted: Trust,
    folders: Sequence[Path] = (),
    now: dt.datetime | None = None,
) -> AuditReport:
    """The one-page audit report of `submission`'s kept bundle, with the organisation's records."""
    rules, why = _rules(submission, bundle, folders)
    return audit_report(
        bundle,
        engine if not why else None,
        trusted=trusted,
        rules=rules,
        no_database=why or "no database was given",
        now=now,
        name=bundle_file_name(submission),
        database=THIS_SERVER,
    )
