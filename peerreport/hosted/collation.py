"""A funder's collation on a hosted server: one period, from the returns the funder accepted.

    published rule file ──load (the funder's folder first)──▶ RuleFile
    ledger: current versions of the funder's providers, state ACCEPTED
        ──their stored bundles, in a temporary folder──▶ collate (verify again, add up, protect)

Shared by the JSON API and the funder's pages. A provider whose current
return is not accepted yet (submitted, queried, replied) counts as missing,
with a note saying where its return stands. Each stored bundle is checked
against the sha256 the ledger recorded when it was received, and verified again
by `collate`, with the key that signed it when it was received trusted for
that provider only. When the funder's private key for exact figures is kept
in the data folder (`funder_key_path`), the providers' sealed exact figures
are added and the regional table is protected once.
"""

from __future__ import annotations

import hashlib
import tempfile
from dataclasses import replace
from pathlib import Path

from sqlalchemy import Engine

from peerreport.collate import Collation, Provider, collate
from peerreport.collate.collation import MISSING
from peerreport.errors import UsageError
from peerreport.ledger import submissions
from peerreport.ledger.lifecycle import ACCEPTED, STATE_WORDS, events, state_of
from peerreport.returns.periods import Period
from peerreport.rulebook import RuleFile


class NotPublished(UsageError):
    """The funder has not published the rule file asked for."""


def published_rule_file(engine: Engine, data_dir: Path, funder: str, rule_id: str) -> RuleFile:
    """The newest version of rule file `rule_id` `funder` published; `NotPublished` when none.

    Loaded from the database, written out to a folder of its own (with the
    funder's other published files, which it may extend), so it is never a
    copy left over from an earlier publication.
    """
    from peerreport.hosted.directory import materialise_rules, published_rules
    from peerreport.rulebook import Catalogue, load
    from peerreport.rulebook.resolve import default_search_path

    if not any(p.rule_id == rule_id for p in published_rules(engine, funder=funder)):
        raise NotPublished(f"funder {funder} has not published a rule file {rule_id}")
    data_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="published-", dir=data_dir) as temporary:
        folder = Path(temporary)
        materialise_rules(engine, folder, [funder])
        return load(rule_id, Catalogue([folder, *default_search_path()]))


def funder_key_path(data_dir: Path, funder: str) -> Path:
    """Where the server keeps `funder`'s private key for exact figures, if the funder left it.

    With it, the funder's collation adds the exact figures providers sealed to
    the funder's key and protects the regional table once. Leaving it here
    lets whoever runs the server read them too (who already holds the records
    behind them in hosted mode).
    """
    return data_dir / "funder-keys" / f"{funder}.x25519.key"


def collate_accepted(
    engine: Engine, data_dir: Path, funder: str, rule_file: RuleFile, period: Period
) -> Collation:
    """Collate `period` of `rule_file` from the accepted current returns of `funder`'s providers."""
    from peerreport.bundle import bundle_name
    from peerreport.bundle.sealed import load_funder_private_key
    from peerreport.hosted.directory import bundle_of, providers_of

    listed = providers_of(engine, funder)
    codes = {code for code, _ in listed}
    current = [
        s
        for s in submissions(
            engine, rule_id=rule_file.id, period=(period.start, period.end), current_only=True
        )
        if s.org in codes
    ]
    found = events(engine, [s.id for s in current])
    notes: dict[str, str] = {}
    keys: dict[str, str] = {}
    data_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="collate-", dir=data_dir) as temporary:
        folder = Path(temporary)
        paths = []
        for entry in current:
            state = state_of(entry, found[entry.id])
            if state != ACCEPTED:
                notes[entry.org] = (
                    f"version {entry.version} is {STATE_WORDS.get(state, state)}; "
                    "only accepted returns are collated"
                )
                continue
            data = bundle_of(engine, entry.id)
            if data is None or hashlib.sha256(data).hexdigest() != entry.bundle_sha256:
                notes[entry.org] = (
                    f"version {entry.version} was accepted, but its bundle is not stored as "
                    "it was received"
                )
                continue
            path = folder / bundle_name(entry.ret, entry.version)
            path.write_bytes(data)
            paths.append(path)
            signer = _signer(data)
            if signer is not None:
                keys[entry.org] = signer
        providers = [Provider(code, name, fingerprint=keys.get(code)) for code, name in listed]
        key_path = funder_key_path(data_dir, funder)
        funder_key = load_funder_private_key(key_path) if key_path.is_file() else None
        collation = collate(paths, rule_file, providers, period, funder_key=funder_key)
    return _named(collation, notes)


def _signer(data: bytes) -> str | None:
    """The fingerprint of the key whose valid signature the bundle carries."""
    from peerreport.bundle import MANIFEST_NAME, SIGNATURE_NAME, ArchiveError, read_archive
    from peerreport.bundle.signing import check_signature

    try:
        entries = read_archive(data).entries
    except ArchiveError:
        return None
    manifest, signature = entries.get(MANIFEST_NAME), entries.get(SIGNATURE_NAME)
    if manifest is None or signature is None:
        return None
    signer, problem = check_signature(manifest, signature)
    return None if problem else signer


def _named(collation: Collation, notes: dict[str, str]) -> Collation:
    """The collation with bundles named by file name (not the temporary folder) and notes added."""
    rows = []
    for row in collation.providers:
        if row.received is not None:
            row = replace(row, received=replace(row.received, file=Path(row.received.file).name))
        if row.status == MISSING and row.code in notes:
            row = replace(row, note=notes[row.code])
        rows.append(row)
    rejected = tuple(replace(r, file=Path(r.file).name) for r in collation.rejected)
    return replace(collation, providers=tuple(rows), rejected=rejected)


__all__ = [
    "NotPublished",
    "collate_accepted",
    "published_rule_file",
]
