"""The auditor's desk on a hosted server: what it lists, and what the server keeps of a return.

The pages (`routes/auditor.py`) show; these gather from the directory
(organisation and funder names), the ledger (every submitted version and its
state) and the bundles the server keeps. Which organisations an auditor may
read is `access.audited_orgs`' answer (and each page's, the guard's): never
decided here. Everything here only reads.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from peerreport.ledger import Submission, get, submissions
from peerreport.ledger.lifecycle import events, state_of


@dataclass(frozen=True)
class FiledVersion:
    """One submitted version of a return, as the desk lists it."""

    id: int
    title: str  # the rule file's title
    period: str  # in words: "April to June 2026"
    period_label: str  # FY2026-Q4
    version: int
    state: str  # submitted | amended | accepted | queried | replied | superseded
    submitted_at: dt.datetime
    reason: str
    late: bool

    @property
    def state_label(self) -> str:
        """The state in a word or two, for a badge."""
        return self.state.capitalize()


@dataclass(frozen=True)
class AuditedOrg:
    """An organisation on the desk: its name and every version it filed, newest first."""

    code: str
    name: str
    versions: tuple[FiledVersion, ...]


def titles(found: Iterable[Submission]) -> dict[str, str]:
    """The title of each rule file the submissions were built with (the newest's words)."""
    newest: dict[str, Submission] = {}
    for submission in found:
        if submission.rule_id not in newest or submission.id > newest[submission.rule_id].id:
            newest[submission.rule_id] = submission
    return {rule_id: s.ret.rule.title or rule_id for rule_id, s in newest.items()}


def filed_versions(engine: Engine, org: str) -> list[FiledVersion]:
    """Every version `org` filed, newest first, with its state in the filing lifecycle."""
    from peerreport.render.words import period_words
    from peerreport.returns.periods import Period

    found = submissions(engine, org)
    named = titles(found)
    happened = events(engine, [s.id for s in found])
    versions = [
        FiledVersion(
            s.id,
            named[s.rule_id],
            period_words(Period(s.period_start, s.period_end, s.period_label, "custom")),
            s.period_label,
            s.version,
            state_of(s, happened.get(s.id, [])),
            s.submitted_at,
            s.reason or "",
            s.late,
        )
        for s in found
    ]
    return sorted(versions, key=lambda v: (v.submitted_at, v.id), reverse=True)


def desk(engine: Engine, orgs: Iterable[str]) -> list[AuditedOrg]:
    """The organisations `orgs` by name, each with every version it filed."""
    from peerreport.hosted.directory import org_names

    codes = sorted(set(orgs))
    names = org_names(engine, codes)
    listed = [AuditedOrg(c, names.get(c, c), tuple(filed_versions(engine, c))) for c in codes]
    return sorted(listed, key=lambda o: (o.name.casefold(), o.code))


def funder_names(engine: Engine, codes: Iterable[str]) -> list[tuple[str, str]]:
    """(code, name) of the funders `codes`, by name."""
    from peerreport.hosted.directory import funders

    wanted = set(codes)
    return sorted(
        ((c, n) for c, n in funders(engine) if c in wanted), key=lambda pair: pair[1].casefold()
    )


def org_name(engine: Engine, org: str) -> str:
    """The organisation's name (its code when it has none)."""
    from peerreport.hosted.directory import org_names

    return org_names(engine, [org]).get(org, org)


def ledger_check(engine: Engine, org: str) -> Any:
    """`org`'s ledger checked (`audit.chain_check.ChainCheck`), against every kept bundle's head.

    A bundle carries the head of the hash chain it was submitted with; a chain
    rewritten since no longer holds it (`peerreport audit ledger BUNDLES`).
    """
    from peerreport.audit.chain_check import anchor_of, check_chain
    from peerreport.bundle import Trust, verify_bundle
    from peerreport.hosted.directory import bundle_of

    anchors = []
    for submission in submissions(engine, org):
        data = bundle_of(engine, submission.id)
        if data is None:
            continue
        opened = verify_bundle(data, Trust(allow_unsigned=True, allow_unknown_keys=True)).bundle
        anchor = anchor_of(opened.manifest)
        if anchor is not None:
            anchors.append(anchor)
    return check_chain(engine, org, anchors)


def records_summary(engine: Engine, org: str) -> Any:
    """What `org` has stored now (`store.summary.RecordsSummary`)."""
    from peerreport.store.summary import records_summary as summary

    with engine.connect() as conn:
        return summary(conn, org)


@dataclass(frozen=True)
class Kept:
    """What the server keeps of one submitted return, for an audit of it."""

    submission: Submission
    bundle: bytes | None  # None for a return filed before the server kept bundles
    trusted: Any  # `bundle.Trust`: the organisation's own signing key on this server
    folders: tuple[Path, ...]  # the rule files its funders published


def kept(engine: Engine, config: Any, desks: Any, ident: int, org: str | None = None) -> Kept:
    """Submitted return `ident` (of `org`, when given: else a plain `UsageError`) and its bundle."""
    from peerreport.audit.trust import own_key_trust
    from peerreport.errors import UsageError
    from peerreport.hosted.directory import bundle_of
    from peerreport.hosted.orgs import org_folder

    try:
        submission = get(engine, ident, org)
    except UsageError:
        raise UsageError("There is no such return of this organisation.") from None
    return Kept(
        submission,
        bundle_of(engine, submission.id),
        _with_registered(engine, own_key_trust(org_folder(config, submission.org)), submission.org),
        tuple(desks.rule_folders(submission.org)),
    )


def _with_registered(engine: Engine, trust: Any, org: str) -> Any:
    """`trust`, also trusting for `org` the keys registered for it (retired ones too: what they
    signed before they were retired is still `org`'s; revoked ones are not)."""
    from dataclasses import replace

    from peerreport.hosted.keys import trusted_keys

    registered = trusted_keys(engine, org)
    if not registered:
        return trust
    return replace(
        trust,
        providers={**trust.providers, org: trust.providers.get(org, frozenset()) | registered},
        sources={
            **{k: f"registered on this server as {org}'s key" for k in registered},
            **trust.sources,
        },
    )


__all__ = [
    "AuditedOrg",
    "FiledVersion",
    "Kept",
    "desk",
    "filed_versions",
    "funder_names",
    "kept",
    "ledger_check",
    "org_name",
    "records_summary",
    "titles",
]
