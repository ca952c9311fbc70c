"""Receiving a bundle a provider's own install made (`peerreport submit`), into the server's ledger.

    bundle bytes ──verify (intact, signed)──▶ its return, rule file, filing
                 ──fits? (organisation, rule file, period, version chain)──▶ ledger (next version)
                 ──store_bundle──▶ received_bundle (the bytes as they came)

A bundle is refused (`BundleRefused`, with the reason in plain words, and
nothing stored) when it
- fails the project's own verification: not a zip, files altered, added or
  missing, the manifest or its seal edited, the signature invalid;
- is of UNVERIFIED ORIGIN: not signed, or signed with a key that is not
  registered for the organisation sending it, or one that was retired or
  revoked (`hosted.keys`; an admin registers keys with `peerreport admin key add`);
- is not a submitted return: an export or a draft, or a return with error
  findings;
- is another organisation's return than the one sending it (the API token's,
  or the coordinator's);
- does not fit its own rule file (the rule file it carries, else the one by
  its id): a period the rule file does not report on, figures that are not
  its measures;
- was built under a rule file a funder published here (by its id) whose
  meaning differs from the newest version published: refused as `peerreport
  collate` refuses it, saying what changed (`collate.releases.release_fit`).
  A version that differs only in presentation (labels, descriptions,
  messages, the version: the same meaning digest) is taken, with the note
  "built under version X: presentation differs" (`Received.presentation`);
- does not follow what the server's ledger holds for that organisation, rule
  file and period: version 1 when the server has none, else the next version,
  amending the server's current one, with the reason and the changed figures
  the bundle states. Version 3 before version 2 arrived is refused (send 2
  first), as is a different bundle claiming a version the server holds.

Who sent it is shown twice: by the API token (or the signed-in coordinator),
and by the key, which must be one the server's register holds for that
organisation (`hosted.keys.origin_problem`). A stolen token alone cannot file
a return, and a bundle signed by a key nobody vouched for is refused before
anything is stored. The key is reported as `Received.signer`.

The same bundle sent twice is not an error: the second time returns the
submission the first one recorded (`Received.created` is False), so a program
may safely send again after a lost connection.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from peerreport.bundle.verify import Trust, verify_bundle
from peerreport.errors import PeerreportError, UsageError
from peerreport.findings import Severity
from peerreport.hosted.bundles import VIA
from peerreport.hosted.published import PublishedFit
from peerreport.ledger import Pending, Submission, get, submit
from peerreport.returns.model import Return
from peerreport.rulebook import RuleFile
from peerreport.store.schema import submitted_return as ledger


class BundleRefused(UsageError):
    """A bundle the server will not take; the message says what is wrong with it."""


class UnverifiedOrigin(BundleRefused):
    """A bundle refused because nothing registered shows it is the sender's (UNVERIFIED ORIGIN)."""

    def __init__(self, message: str, fingerprint: str | None) -> None:
        super().__init__(message)
        #: The key that signed the bundle (None: it is not signed).
        self.fingerprint = fingerprint


class MeaningDiffers(BundleRefused):
    """A bundle refused because its rule file means something else than the published one."""

    #: The key that signed the bundle (set once the origin was checked).
    signer: str | None = None


@dataclass(frozen=True)
class Received:
    """A bundle taken into the server's ledger (or found there already)."""

    submission: Submission
    #: False when this very bundle had been received before (nothing new was recorded).
    created: bool
    #: The fingerprint of the key that signed it.
    signer: str | None
    via: str
    #: "built under version X: presentation differs" when built under a presentation-only
    #: change of the rule file its funder published; None when built with that very file.
    presentation: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data: the ledger entry, whether it is new, the signing key, the note."""
        return {
            **self.submission.to_dict(),
            "created": self.created,
            "signer": self.signer,
            "via": self.via,
            "presentation": self.presentation,
        }


@dataclass(frozen=True)
class _Read:
    """What a verified bundle says about itself."""

    ret: Return
    version: int
    submitted_at: dt.datetime
    reason: str | None
    signer: str | None
    sha256: str
    presentation: str | None  # the note, when built under a presentation-only change


def receive_bundle(
    engine: Engine, org: str, data: bytes, via: str, now: dt.datetime | None = None
) -> Received:
    """Take organisation `org`'s bundle `data` into the ledger, or refuse it plainly.

    `via` is how it came: 'api', 'upload' (a coordinator's page) or 'filed'.
    `now` is when it was received (default: now); the ledger records the
    submission time the bundle states. See the module docstring for what is
    refused and why.
    """
    from peerreport.hosted.directory import bundle_of, store_bundle

    if via not in VIA:
        raise UsageError(f"via must be one of {', '.join(VIA)}, not {via!r}")
    try:
        read = _read(engine, data, org)
    except MeaningDiffers as exc:
        # Published anew since this very bundle was taken: sending it again is still no error.
        before = _received_before(engine, org, data)
        if before is None:
            raise
        return Received(before, False, exc.signer, via)
    held = _held(engine, read)
    if held is None:
        try:
            entry = _record(engine, read, data)
        except UsageError:
            # Someone recorded this period meanwhile (the same bundle, sent twice at once?).
            held = _held(engine, read)
            if held is None:
                raise
        else:
            store_bundle(engine, entry.id, org, data, via, now)
            return Received(entry, True, read.signer, via, read.presentation)
    if held.bundle_sha256 != read.sha256:
        raise BundleRefused(
            f"the server already holds version {held.version} of {_what(read.ret)} "
            f"(submitted {held.submitted_at:%d %B %Y %H:%M} UTC), and this bundle is a "
            "different one claiming the same version. To change a submitted return, file an "
            'amendment (peerreport submit ... --reason "what changed") and send that bundle'
        )
    if bundle_of(engine, held.id) is None:  # recorded, but storing the bytes failed last time
        store_bundle(engine, held.id, org, data, via, now)
    return Received(held, False, read.signer, via, read.presentation)


def _what(ret: Return) -> str:
    return f"{ret.rule.id} {ret.period.label} for {ret.organisation}"


def _read(engine: Engine, data: bytes, org: str) -> _Read:
    """The verified bundle's return and filing, or `BundleRefused` saying what is wrong."""
    from peerreport.hosted.keys import origin_problem

    # Origin is decided below against the server's register of keys, not by `verify_bundle`.
    check = verify_bundle(
        data, Trust(allow_unsigned=True, allow_unknown_keys=True), name="the bundle"
    )
    errors = [f.message for f in check.findings if f.severity is Severity.ERROR]
    if errors:
        raise BundleRefused("the bundle does not verify: " + "; ".join(errors[:5]))
    try:
        ret = check.bundle.ret
    except (KeyError, TypeError, ValueError) as exc:
        raise BundleRefused(f"the bundle's return cannot be read: {exc}") from exc
    if ret is None:
        raise BundleRefused("the bundle carries no return")
    if ret.organisation != org:
        raise BundleRefused(
            f"the bundle is {ret.organisation}'s return ({ret.organisation_name}), "
            f"not {org}'s: send only your own organisation's returns"
        )
    unverified = origin_problem(engine, org, check.signer)
    if unverified is not None:
        raise UnverifiedOrigin(unverified, check.signer)
    submission = check.bundle.submission
    if check.bundle.draft or submission is None or ret.filing is None:
        raise BundleRefused(
            "the bundle is not a submitted return (an export or a draft); send the bundle "
            "`peerreport submit` wrote into submissions/"
        )
    if ret.has_errors:
        raise BundleRefused("the return has error findings, so it cannot be filed")
    try:
        presentation = _check_rule_file(engine, ret, check.bundle.manifest or {})
    except MeaningDiffers as exc:
        exc.signer = check.signer
        raise
    stamp = submission.get("submitted_at")
    version = submission.get("version")
    if not isinstance(stamp, str) or not isinstance(version, int) or version < 1:
        raise BundleRefused("the bundle's submission block has no version or submission time")
    try:
        submitted_at = dt.datetime.fromisoformat(stamp)
    except ValueError as exc:
        raise BundleRefused(f"the bundle's submission time {stamp!r} is not a time") from exc
    if submitted_at.tzinfo is None:
        raise BundleRefused(f"the bundle's submission time {stamp!r} has no time zone")
    reason = submission.get("reason")
    return _Read(
        ret,
        version,
        submitted_at,
        reason if isinstance(reason, str) else None,
        check.signer,
        hashlib.sha256(data).hexdigest(),
        presentation,
    )


def _check_rule_file(engine: Engine, ret: Return, manifest: dict[str, Any]) -> str | None:
    """The return must be one its own rule file makes (its period, its measures) and, when a
    funder published that rule file here, mean what the published version means.

    Returns the note when it was built under a presentation-only change of it.
    """
    from peerreport.collate.gather import unfit_figures
    from peerreport.filing import period_of
    from peerreport.hosted.published import published_fit

    published = published_fit(engine, ret.rule, manifest)
    if published is not None and published.fit.refusal is not None:
        raise MeaningDiffers(
            f"the return was {published.fit.refusal}. Build it again with the rule file as "
            f"published (version {published.version}) and send that bundle"
        )
    rule_file = _own_rule_file(engine, ret, manifest, published)
    try:
        period = period_of(rule_file, ret.period.label)
    except PeerreportError as exc:
        raise BundleRefused(f"the return's period does not fit its rule file: {exc}") from exc
    if (period.start, period.end) != (ret.period.start, ret.period.end):
        raise BundleRefused(
            f"the return says its period {ret.period.label} runs {ret.period.start} to "
            f"{ret.period.end}, but for {rule_file.id} that period runs {period.start} to "
            f"{period.end}"
        )
    unfit = unfit_figures(ret, rule_file)
    if unfit:
        raise BundleRefused(f"the return does not fit its rule file: {unfit}")
    return published.fit.presentation if published is not None else None


def _own_rule_file(
    engine: Engine, ret: Return, manifest: dict[str, Any], published: PublishedFit | None
) -> RuleFile:
    """The rule file the return was built with: the one the bundle carries, else the server's
    by its id; failing both, the published one when it means the same."""
    from peerreport.audit.rules import rule_file_for
    from peerreport.hosted.collation import published_rule_file

    carried = manifest.get("rule_file")
    problem = ""
    try:
        rule_file = rule_file_for(ret, carried=carried if isinstance(carried, dict) else None)
    except PeerreportError as exc:
        rule_file, problem = None, f" ({exc})"
    if rule_file is not None and rule_file.digest == ret.rule.digest:
        return rule_file
    if published is not None:  # it fits the published file: the same periods and measures
        if published.rule_file is not None:
            return published.rule_file
        return published_rule_file(
            engine, Path(tempfile.gettempdir()), published.funder, ret.rule.id
        )
    raise BundleRefused(
        f"the return was built with rule file {ret.rule.id} version {ret.rule.version} "
        f"({ret.rule.digest}), which the bundle does not carry and this server does not have"
        + problem
    )


def _received_before(engine: Engine, org: str, data: bytes) -> Submission | None:
    """The submission this very bundle was recorded as, with its bytes kept, if any."""
    from peerreport.hosted.directory import bundle_of

    with engine.connect() as conn:
        ident = conn.execute(
            select(ledger.c.id).where(
                ledger.c.org == org, ledger.c.bundle_sha256 == hashlib.sha256(data).hexdigest()
            )
        ).scalar()
    if ident is None or bundle_of(engine, int(ident)) != data:
        return None
    return get(engine, int(ident))


def _held(engine: Engine, read: _Read) -> Submission | None:
    """The server's submission of the same organisation, rule file, period and version."""
    ret = read.ret
    with engine.connect() as conn:
        ident = conn.execute(
            select(ledger.c.id).where(
                ledger.c.org == ret.organisation,
                ledger.c.rule_id == ret.rule.id,
                ledger.c.period_start == ret.period.start,
                ledger.c.period_end == ret.period.end,
                ledger.c.version == read.version,
            )
        ).scalar()
    return None if ident is None else get(engine, int(ident))


def _record(engine: Engine, read: _Read, data: bytes) -> Submission:
    """Record the bundle's return as the next version, when it is exactly that version."""
    stated = read.ret.filing
    assert stated is not None

    def the_bundle(pending: Pending) -> bytes:
        # Runs inside the ledger's transaction, after the period's lock: what the
        # server would record now must be what the bundle says was recorded.
        if pending.version != read.version:
            raise BundleRefused(_out_of_order(read, pending.version - 1))
        if pending.filing != stated:
            raise BundleRefused(_differs(read, pending))
        return data

    if read.version > 1 and read.reason is None:
        raise BundleRefused(f"version {read.version} is an amendment but gives no reason")
    done = submit(
        engine,
        read.ret,
        read.reason if read.version > 1 else None,
        bundle=the_bundle,
        now=lambda: read.submitted_at,
    )
    return done.submission


def _out_of_order(read: _Read, latest: int) -> str:
    what = _what(read.ret)
    if latest == 0:
        return (
            f"this bundle is version {read.version} of {what}, but the server has no earlier "
            f"version: send version 1 first (and each later one in order)"
        )
    return (
        f"this bundle is version {read.version} of {what}, but the server's current version "
        f"is {latest}: send version {latest + 1} first"
    )


def _differs(read: _Read, pending: Pending) -> str:
    stated, recorded = read.ret.filing, pending.filing
    assert stated is not None
    fields = [
        name
        for name in ("amends_version", "reason", "submitted_at", "late", "changes")
        if getattr(stated, name) != getattr(recorded, name)
    ]
    return (
        f"version {read.version} of {_what(read.ret)} does not follow what the server holds: "
        f"its filing differs in {', '.join(fields) or 'its details'} (was an earlier version "
        "filed somewhere else than the install that made this one?)"
    )


__all__ = ["BundleRefused", "MeaningDiffers", "Received", "UnverifiedOrigin", "receive_bundle"]
