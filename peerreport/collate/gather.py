"""Taking in providers' bundles: verify each, keep the ones that belong, say why others do not.

A bundle is rejected (with the reason) when it fails verification (which
includes a manifest not of the shape `ManifestDocument` defines: a malformed
submission time, a figure value that is text, a list or too large, a negative
count), was built with another rule file or another version of it that means something else
(the reason then lists what changed, when the bundle carries its resolved rule file; a
version differing only in presentation, same meaning digest, is accepted with a note),
carries figures that are not the rule file's measures (another kind or
breakdown, a date where the rule file computes a number), is for another
period, is a draft or has error findings, comes from a provider not on the
provider list, or is of UNVERIFIED ORIGIN: not signed with the key the list
names for the provider it claims (unsigned or signed by an unknown key is
accepted only when allowed, with a warning, and only for a provider with no
key listed; another provider's key never). When a provider
sent several bundles, the highest submission version is kept (an amendment
supersedes); between unversioned exports, the one received last.

When was it received? A submitted bundle carries its submission time; an
exported one does not, and then the file's modification time is used.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from peerreport.bundle import verify_bundle
from peerreport.bundle.sealed import SEALED_NAME
from peerreport.bundle.verify import BundleCheck, Trust
from peerreport.collate.providers import Provider, provider_trust
from peerreport.collate.releases import release_fit
from peerreport.errors import UsageError
from peerreport.findings import Severity
from peerreport.language.types import Type
from peerreport.returns.model import Return
from peerreport.returns.periods import Period
from peerreport.rulebook.compiled import RuleFile


@dataclass(frozen=True)
class Received:
    """A bundle accepted for collation."""

    file: str
    ret: Return
    version: int | None
    received: dt.datetime
    received_by: str  # "submission" (time recorded in the bundle) or "file date"
    signer: str | None
    sha256: str
    unverified: str | None = None  # why its origin is not shown, when accepted all the same
    sealed: bytes | None = None  # the funder's sealed exact figures, when the bundle has them
    #: Built under another version of the rule file that means the same (same meaning digest):
    #: "built under version X: presentation differs". None when built with the same file.
    presentation: str | None = None


@dataclass(frozen=True)
class Rejected:
    """A bundle not collated, and why."""

    file: str
    provider: str | None
    reason: str
    #: True when refused for its origin alone (UNVERIFIED ORIGIN): intact, but no trusted key
    #: shows who made it. The JSON lists these as `unverified`, apart from other rejections.
    origin: bool = False


@dataclass
class Gathered:
    """The bundles kept (one per provider) and the ones rejected."""

    period: Period
    received: dict[str, Received] = field(default_factory=dict)
    rejected: list[Rejected] = field(default_factory=list)


def gather(
    paths: Sequence[Path],
    rule_file: RuleFile,
    period: Period | None = None,
    providers: Sequence[Provider] | None = None,
    trust: Trust | None = None,
) -> Gathered:
    """Verify every bundle; keep those for `rule_file` and the period (default: the usual one).

    `trust` says which unverified origins to accept; its keys default to the
    provider list's.
    """
    rejected: list[Rejected] = []
    candidates: list[Received] = []
    trust = _with_provider_keys(trust or Trust(), providers)
    for path in paths:
        check = verify_bundle(path, trust)
        outcome = _accept(path, check, rule_file)
        if isinstance(outcome, Rejected):
            rejected.append(outcome)
        else:
            candidates.append(outcome)
    chosen = period or _usual_period(candidates, rejected)
    gathered = Gathered(chosen, rejected=rejected)
    listed = {p.code: p for p in providers} if providers is not None else None
    for item in candidates:
        reason = _misfit(item, chosen, listed)
        if reason:
            gathered.rejected.append(Rejected(item.file, item.ret.organisation, reason))
        else:
            _keep(gathered, item)
    return gathered


def _with_provider_keys(trust: Trust, providers: Sequence[Provider] | None) -> Trust:
    """`trust`, also trusting each listed provider's key for that provider."""
    listed = provider_trust(providers)
    return replace(
        trust,
        providers={**listed.providers, **trust.providers},
        sources={**listed.sources, **trust.sources},
    )


def _accept(path: Path, check: BundleCheck, rule_file: RuleFile) -> Received | Rejected:
    ret = check.bundle.ret if check.bundle.manifest is not None else None
    org = ret.organisation if ret is not None else None
    if not check.ok or ret is None:
        errors = [f.message for f in check.findings if f.severity is Severity.ERROR]
        if errors and all(e.startswith("UNVERIFIED ORIGIN") for e in errors):
            return Rejected(str(path), org, "; ".join(errors), origin=True)
        return Rejected(str(path), org, "verification failed: " + "; ".join(errors))
    if ret.rule.id != rule_file.id:
        return Rejected(str(path), org, f"a return for rule file {ret.rule.id}, not {rule_file.id}")
    fit = release_fit(ret.rule, check.bundle.manifest, rule_file)
    if fit.refusal is not None:
        return Rejected(str(path), org, fit.refusal)
    unfit = unfit_figures(ret, rule_file)
    if unfit:
        return Rejected(str(path), org, unfit)
    if check.bundle.draft or ret.has_errors:
        return Rejected(str(path), org, "a draft (or a return with error findings), not for filing")
    submission = check.bundle.submission or {}
    version = submission.get("version")
    stamp = submission.get("submitted_at")
    if isinstance(stamp, str):
        received, received_by = dt.datetime.fromisoformat(stamp), "submission"
    else:
        mtime = path.stat().st_mtime
        received, received_by = dt.datetime.fromtimestamp(mtime, dt.UTC), "file date"
    return Received(
        str(path),
        ret,
        version if isinstance(version, int) else None,
        received,
        received_by,
        check.signer,
        check.bundle.sha256,
        "; ".join(f.message for f in check.findings if f.code == "BUN-035") or None,
        check.bundle.entries.get(SEALED_NAME),
        fit.presentation,
    )


def unfit_figures(ret: Return, rule_file: RuleFile) -> str | None:
    """Why a return's figures cannot be `rule_file`'s measures, or None.

    The digest says the return was built with this rule file, but collation adds
    figures up by the rule file's measures, so a forged or damaged manifest that
    still verifies is rejected here rather than breaking the sums.
    """
    for figure in ret.figures:
        compiled = rule_file.measures.get(figure.id)
        if compiled is None:
            return f"figure {figure.id} is not a measure of {rule_file.id}"
        measure = compiled.measure
        if (figure.kind, figure.by) != (measure.kind, tuple(measure.by)):
            return (
                f"figure {figure.id} is a {figure.kind} by ({', '.join(figure.by)}), but the "
                f"rule file's is a {measure.kind} by ({', '.join(measure.by)})"
            )
        dated = compiled.type is Type.DATE
        for cell in (figure.total, *figure.cells):
            if cell.value is not None and isinstance(cell.value, str) != dated:
                return (
                    f"figure {figure.id} ({cell.label()}) is {cell.value!r}, "
                    f"but the rule file computes {'a date' if dated else 'a number'}"
                )
    return None


def _usual_period(candidates: Sequence[Received], rejected: Sequence[Rejected]) -> Period:
    if not candidates:
        reasons = "; ".join(f"{Path(r.file).name}: {r.reason}" for r in rejected[:5])
        raise UsageError(f"no bundle can be collated for this rule file ({reasons})")
    counts = Counter(c.ret.period for c in candidates)
    ranked = counts.most_common()
    if len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
        listed = ", ".join(f"{p.label} ({n})" for p, n in ranked)
        raise UsageError(f"the bundles are for several periods: {listed}; choose one with --period")
    return ranked[0][0]


def _misfit(item: Received, period: Period, listed: dict[str, Provider] | None) -> str | None:
    ret = item.ret
    if (ret.period.start, ret.period.end) != (period.start, period.end):
        return f"for period {ret.period.label}, not {period.label}"
    if listed is None:
        return None
    provider = listed.get(ret.organisation)
    if provider is None:
        return f"provider {ret.organisation} ({ret.organisation_name}) is not on the provider list"
    if provider.fingerprint and item.signer is None:
        return f"not signed, but {provider.code}'s key is {provider.fingerprint}"
    if provider.fingerprint and item.signer != provider.fingerprint:
        return f"signed by key {item.signer}, not {provider.code}'s key {provider.fingerprint}"
    return None


def _keep(gathered: Gathered, item: Received) -> None:
    org = item.ret.organisation
    held = gathered.received.get(org)
    if held is None:
        gathered.received[org] = item
        return
    if held.sha256 == item.sha256:
        gathered.rejected.append(Rejected(item.file, org, f"the same bundle as {held.file}"))
        return
    newer, older = (item, held) if _rank(item) > _rank(held) else (held, item)
    gathered.received[org] = newer
    why = (
        f"superseded by version {newer.version}"
        if newer.version is not None
        else "replaced by a bundle received later"
    )
    gathered.rejected.append(Rejected(older.file, org, f"{why} ({newer.file})"))


def _rank(item: Received) -> tuple[int, dt.datetime]:
    return (item.version or 0, item.received)
