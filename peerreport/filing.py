"""Filing a return: the one step that submits, shared by the command line and the web.

    records ──build──▶ Return (draft) ──export──▶ review copies (not filed)
                          │
                          └──file_return──▶ ledger (version N, chained) + THE bundle to send

`file_return` builds nothing itself: it takes a built return, records it in
the ledger as the next version (an amendment needs a reason), renders the
files a funder reads with the filing attached ("version 2, amends version 1",
the reason, the figures that changed, lateness), and seals them into the
bundle with the resolved rule file and the head of the ledger's hash chain.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine

from peerreport.disclosure.release import record_release
from peerreport.errors import RuleFileError, UsageError
from peerreport.ledger import Pending, Submission, figure_changes, submissions
from peerreport.ledger import submit as record
from peerreport.returns.attribution import Attribution
from peerreport.returns.model import Return
from peerreport.returns.periods import Period
from peerreport.rulebook import RuleFile, resolved_text
from peerreport.rulebook.model import RuleFileModel
from peerreport.workspace import Workspace


@dataclass(frozen=True)
class Filed:
    """A filed return: its ledger entry, the return as filed and where its bundle is."""

    submission: Submission
    ret: Return
    bundle_path: Path
    signed: bool
    sealed_to: str | None = None  # the funder key's fingerprint, when exact figures are sealed

    def what(self) -> str:
        """'version 1' or 'amendment (version 2, amends version 1)'."""
        entry = self.submission
        if entry.supersedes_version:
            return f"amendment (version {entry.version}, amends version {entry.supersedes_version})"
        return "version 1"

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data."""
        return {
            **self.submission.to_dict(),
            "bundle": str(self.bundle_path),
            "signed": self.signed,
            "sealed_to": self.sealed_to,
        }


def sealed_entries(engine: Engine, ret: Return, rule_file: RuleFile) -> dict[str, bytes]:
    """The bundle entry of the funder's sealed exact figures, or nothing when not asked for."""
    from peerreport.bundle.sealed import SEALED_NAME, seal_figures
    from peerreport.returns.exact import exact_figures, return_context

    release = rule_file.model.release
    if release is None or not release.funder_exact or release.funder_key is None:
        return {}
    figures = exact_figures(engine, ret, rule_file)
    return {SEALED_NAME: seal_figures(figures, release.funder_key, return_context(ret))}


def current_version(engine: Engine, ret: Return) -> Submission | None:
    """The current submitted version of the same organisation, rule file and period."""
    found = submissions(
        engine,
        ret.organisation,
        ret.rule.id,
        (ret.period.start, ret.period.end),
        current_only=True,
    )
    return found[0] if found else None


def changes_nothing(engine: Engine, ret: Return) -> Submission | None:
    """The current version, when filing `ret` as an amendment would change no published figure."""
    current = current_version(engine, ret)
    if current is None or figure_changes(current.ret, ret):
        return None
    return current


def file_return(
    engine: Engine,
    ret: Return,
    rule_file: RuleFile,
    out_dir: Path,
    *,
    reason: str | None = None,
    key: Any = None,
    formats: Sequence[str] = ("xlsx", "csv", "json", "html"),
    history: Sequence[Return] = (),
    now: Callable[[], Any] | None = None,
) -> Filed:
    """Record `ret` in the ledger and write its bundle into `out_dir`.

    Refused (`UsageError`, by the ledger) while `ret` has error findings, and
    for an amendment without a reason. `key` is a loaded Ed25519 private key to sign
    the bundle with, or None. When the rule file's `[release]` gives the funder
    exact figures, the bundle also carries them sealed to the funder's key.
    """
    from peerreport.bundle import bundle_bytes, bundle_name, save_bundle
    from peerreport.render import export_return

    resolved = {
        "id": rule_file.id,
        "version": rule_file.version,
        "digest": rule_file.digest,
        "meaning": rule_file.meaning,
        "resolved": resolved_text(rule_file),
    }

    # The funder's exact figures, sealed to its key when the rule file's [release] asks.
    sealed = sealed_entries(engine, ret, rule_file)

    def make(pending: Pending) -> bytes:
        filed = ret.filed(pending.filing)
        with tempfile.TemporaryDirectory() as folder:
            written = export_return(
                filed, Path(folder), list(formats), rule_file=rule_file, history=history
            )
            files = {path.name: path.read_bytes() for path in written} | sealed
        return bundle_bytes(
            filed,
            files,
            key,
            submission=pending.to_dict(),
            rule_file=resolved,
            ledger=pending.anchor.to_dict() if pending.anchor is not None else None,
        )

    def released(conn: Connection, ident: int, version: int) -> None:
        # What was released, cell by cell: the next build is audited against it.
        # In the submission's own transaction, so a crash leaves both or neither.
        record_release(conn, ident, version, ret, rule_file)

    done = record(engine, ret, reason, bundle=make, now=now, also=released)
    entry = done.submission
    assert done.bundle is not None
    target = out_dir / bundle_name(ret, entry.version)
    save_bundle(done.bundle, target)
    recipient = None
    if sealed:
        from peerreport.bundle.sealed import SEALED_NAME, sealed_recipient

        recipient = sealed_recipient(sealed[SEALED_NAME])
    return Filed(entry, entry.ret, target, key is not None, recipient)


def choose(rules: str, period_text: str) -> tuple[RuleFile, Period]:
    """The rule file (a path or id) and the period (any accepted form) that fits it.

    Raises a plain `UsageError`/`RuleFileError` naming what is wrong; the
    command line and the web both start here.
    """
    from peerreport.rulebook import load

    rule_file = load(rules)
    return rule_file, period_of(rule_file, period_text)


def period_of(rule_file: RuleFile, period_text: str) -> Period:
    """The period named `period_text`, refused unless it is one of the rule file's periods."""
    from peerreport.returns.periods import check_fits, parse_period

    year_start = rule_file.model.year_start or "07-01"
    period = parse_period(period_text, year_start)
    check_fits(period, rule_file.model.period or "quarter", year_start)
    return period


class NoChange(UsageError):
    """An amendment refused because it would change no published figure."""


@dataclass(frozen=True)
class Submitted:
    """What `submit_return` did: filed it, or not (the built return has error findings)."""

    ret: Return
    filed: Filed | None
    fingerprint: str
    key_created: bool


def submit_return(
    workspace: Workspace,
    engine: Engine,
    rule_file: RuleFile,
    period: Period,
    *,
    reason: str | None = None,
    out_dir: Path | None = None,
    key_path: Path | None = None,
    formats: Sequence[str] = ("xlsx", "csv", "json", "html"),
    same_anyway: Callable[[Submission], bool] = lambda _: False,
) -> Submitted:
    """Build the workspace's return for `period` from the records now, and file it.

    Not filed (`filed` is None) while the return has error findings. An
    amendment that changes no published figure is refused unless
    `same_anyway(current version)` says to file it all the same (the CLI asks,
    or takes --yes; the web shows a confirmation). Every bundle is signed:
    with `key_path`, or the workspace's own key (made here if it has none).
    """
    from peerreport.bundle import load_private_key, public_key_fingerprint
    from peerreport.returns.build import build_return
    from peerreport.returns.history import history
    from peerreport.workspace import ensure_signing_key

    made_key = False
    if key_path is None:
        _, made_key = ensure_signing_key(workspace)
        key_path = workspace.key_path
    key = load_private_key(key_path)
    signer = public_key_fingerprint(key_path)
    org, name = workspace.provider_code, workspace.organisation_name
    ret = build_return(engine, org, name, rule_file, period, contact_role=workspace.contact_role)
    if ret.has_errors:
        return Submitted(ret, None, signer, made_key)
    same = changes_nothing(engine, ret)
    if same is not None and reason and not same_anyway(same):
        raise NoChange(
            f"not submitted: the amendment would change no figure (version {same.version} "
            "already says exactly this); file it all the same only to correct a finding or "
            "the rule file version"
        )
    earlier = history(engine, org, name, rule_file, period) if "html" in formats else []
    filed = file_return(
        engine,
        ret,
        rule_file,
        out_dir or workspace.root / "submissions",
        reason=reason,
        key=key,
        formats=formats,
        history=earlier,
    )
    return Submitted(filed.ret, filed, signer, made_key)


def attribution_of(
    engine: Engine,
    org: str,
    period_text: str,
    workspace_returns: Sequence[str],
    extra: Sequence[str] = (),
    as_of: int | None = None,
) -> Attribution:
    """Which returns count the period's activities (`returns.attribution`), for the CLI and
    the web: the workspace's returns, those filed for an overlapping period, and `extra`;
    the activities as they are now, or as they were at revision `as_of` of the records.

    The period is read with the financial year of the first rule file (07-01 if none).
    """
    from peerreport.ledger.query import submissions
    from peerreport.returns.attribution import attribute, claimant
    from peerreport.returns.periods import parse_period
    from peerreport.rulebook import load

    loaded: dict[str, RuleFileModel] = {}
    why: dict[str, list[str]] = {}
    missing: list[str] = []
    for target, reason in [(r, "workspace") for r in workspace_returns] + [
        (r, "named") for r in extra
    ]:
        rule_file = load(target)
        loaded.setdefault(rule_file.model.id, rule_file.model)
        why.setdefault(rule_file.model.id, []).append(reason)
    first = next(iter(loaded.values()), None)
    period = parse_period(period_text, (first.year_start if first else None) or "07-01")
    for filed in submissions(engine, org, current_only=True):
        if filed.period_end < period.start or filed.period_start > period.end:
            continue
        if filed.rule_id not in loaded:
            try:
                loaded[filed.rule_id] = load(filed.rule_id).model
            except RuleFileError:
                missing.append(filed.rule_id)  # filed from a file this install cannot find
                continue
        if "filed" not in why.setdefault(filed.rule_id, []):
            why[filed.rule_id].append("filed")
    claimants = [claimant(model, ", ".join(why[rule_id])) for rule_id, model in loaded.items()]
    with engine.connect() as conn:
        found = attribute(conn, org, period, claimants, as_of)
    found.missing = sorted(set(missing))
    return found
