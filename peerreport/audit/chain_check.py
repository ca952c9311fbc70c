"""Checking the ledger's hash chain against itself and against what it describes.

| code    | what was found                                                          |
| ------- | ----------------------------------------------------------------------- |
| LED-001 | an entry was edited: its hash is not the hash of its content            |
| LED-002 | the chain is broken: an entry is missing, or entries were reordered     |
| LED-010 | a submitted return differs from its ledger entry (it was edited)         |
| LED-011 | a submitted return, event or revision has no ledger entry (added directly)   |
| LED-012 | a ledger entry names a submission, event or revision that is gone (deleted) |
| LED-020 | a revision's record versions differ from its entry (edited, added, deleted) |
| LED-021 | a stored record's content no longer matches its digest (edited in place) |
| LED-030 | a bundle's chain head is not in this chain (the chain was rewritten since) |
| LED-050 | (info) the chain is intact: N entries, head hash                        |

Every check reads the organisation's own rows only. Record contents are
re-hashed from their columns, so an edit that bypassed the triggers (as the
database owner, or with SQLite's `INSERT OR REPLACE`) is found even when the
stored digest was left as it was.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, select

from peerreport.findings import Finding, Severity
from peerreport.findings_catalogue import finding
from peerreport.store import chain
from peerreport.store.records import content_digest
from peerreport.store.revisions import Tally
from peerreport.store.schema import (
    RECORD_TABLES,
    VERSION_COLUMNS,
    import_run,
    member_token,
    record_revision,
    return_event,
    submitted_return,
)


def _problem(code: str, message: str) -> Finding:
    return finding(code, message)


@dataclass(frozen=True)
class ChainCheck:
    """The outcome of checking one organisation's ledger."""

    org: str
    entries: int
    head: chain.Anchor | None
    findings: tuple[Finding, ...]

    @property
    def ok(self) -> bool:
        """True when nothing was found."""
        return not any(f.severity is Severity.ERROR for f in self.findings)

    @property
    def verdict(self) -> str:
        """The check in a word or two: INTACT or TAMPERED WITH."""
        return "INTACT" if self.ok else "TAMPERED WITH"

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data."""
        return {
            "org": self.org,
            "ok": self.ok,
            "entries": self.entries,
            "head": self.head.to_dict() if self.head else None,
            "findings": [f.to_dict() for f in self.findings],
        }


def check_chain(engine: Engine, org: str, anchors: Sequence[chain.Anchor] = ()) -> ChainCheck:
    """Recompute `org`'s chain and compare it with the rows it describes (and bundles' anchors)."""
    with engine.connect() as conn:
        entries = chain.entries(conn, org)
        findings = _links(entries)
        findings += _submissions(conn, org, entries)
        findings += _events(conn, org, entries)
        findings += _revisions(conn, org, entries)
        findings += _contents(conn, org)
    findings += anchor_findings(entries, anchors)
    head = chain.Anchor(entries[-1].seq, entries[-1].hash) if entries else None
    if not any(f.severity is Severity.ERROR for f in findings):
        findings.append(
            finding(
                "LED-050",
                f"the ledger's chain is intact: {len(entries)} entries"
                + (f", head {head.head} (entry {head.seq})" if head else ""),
                hint="",
            )
        )
    return ChainCheck(org, len(entries), head, tuple(findings))


def _links(entries: list[chain.Entry]) -> list[Finding]:
    findings: list[Finding] = []
    previous = chain.GENESIS
    for index, entry in enumerate(entries, start=1):
        if entry.seq != index:
            findings.append(
                _problem(
                    "LED-002",
                    f"ledger entry {index} is missing: the entry after entry {index - 1} is "
                    f"numbered {entry.seq} (deleted or reordered)",
                )
            )
            return findings
        if entry.hash != chain.entry_hash(
            entry.prev_hash, entry.kind, entry.subject, entry.payload
        ):
            findings.append(
                _problem(
                    "LED-001",
                    f"ledger entry {entry.seq} ({entry.subject}) was edited: its hash does not "
                    "match its content",
                )
            )
        if entry.prev_hash != previous:
            findings.append(
                _problem(
                    "LED-002",
                    f"the chain is broken before entry {entry.seq} ({entry.subject}): it does not "
                    "follow the entry before it (an entry was deleted, replaced or reordered)",
                )
            )
        previous = entry.hash
    return findings


def _by_subject(entries: list[chain.Entry], prefix: str) -> dict[int, chain.Entry]:
    found: dict[int, chain.Entry] = {}
    for entry in entries:
        if entry.subject.startswith(prefix):
            tail = entry.subject[len(prefix) :].strip()
            if tail.isdigit():
                found[int(tail)] = entry
    return found


def _compare_rows(
    rows: dict[int, Any],
    entries: dict[int, chain.Entry],
    payload: Any,
    what: str,
) -> list[Finding]:
    findings: list[Finding] = []
    for ident, row in sorted(rows.items()):
        entry = entries.get(ident)
        if entry is None:
            findings.append(
                _problem("LED-011", f"{what} {ident} has no ledger entry: it was added directly")
            )
        elif chain.canonical(payload(row)) != entry.payload:
            findings.append(
                _problem(
                    "LED-010",
                    f"{what} {ident} was edited: it differs from ledger entry {entry.seq}",
                )
            )
    for ident, entry in sorted(entries.items()):
        if ident not in rows:
            findings.append(
                _problem(
                    "LED-012",
                    f"{what} {ident}, recorded in ledger entry {entry.seq}, is gone (deleted)",
                )
            )
    return findings


def _submissions(conn: Connection, org: str, entries: list[chain.Entry]) -> list[Finding]:
    rows = {
        int(r.id): r
        for r in conn.execute(select(submitted_return).where(submitted_return.c.org == org))
    }
    return _compare_rows(
        rows,
        _by_subject(entries, "submitted return"),
        chain.submission_payload,
        "submitted return",
    )


def _events(conn: Connection, org: str, entries: list[chain.Entry]) -> list[Finding]:
    rows = {
        int(r.id): r for r in conn.execute(select(return_event).where(return_event.c.org == org))
    }
    return _compare_rows(
        rows, _by_subject(entries, "return event"), chain.event_payload, "return event"
    )


def _revisions(conn: Connection, org: str, entries: list[chain.Entry]) -> list[Finding]:
    tallies: dict[int, Tally] = defaultdict(Tally)
    for table in RECORD_TABLES.values():
        keys = [c.name for c in table.primary_key.columns if c.name not in ("org", "valid_from")]
        query = select(
            *(table.c[k] for k in keys), table.c.digest, table.c.valid_from, table.c.valid_to
        ).where(table.c.org == org)
        for row in conn.execute(query):
            key = tuple(row[: len(keys)])
            digest, valid_from, valid_to = row[len(keys) :]
            tallies[int(valid_from)].add(table.name, key, str(digest))
            if valid_to is not None:
                tallies[int(valid_to)].close(table.name, key, str(digest))
    files: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for run in conn.execute(
        select(import_run)
        .where(import_run.c.org == org, import_run.c.revision.is_not(None))
        .order_by(import_run.c.id)
    ):
        files[int(run.revision)].append(chain.import_payload(run))
    rows = {
        int(r.revision): r
        for r in conn.execute(select(record_revision).where(record_revision.c.org == org))
    }

    def payload(row: Any) -> dict[str, Any]:
        number = int(row.revision)
        return chain.revision_payload(row, files.get(number, []), tallies[number].to_dict())

    findings = _compare_rows(rows, _by_subject(entries, "revision"), payload, "revision")
    findings = [
        _problem(
            "LED-020",
            f.message.replace("was edited", "was altered")
            + ": its records, their versions or its import log were changed, added or deleted",
        )
        if f.code == "LED-010"
        else f
        for f in findings
    ]
    strays = sorted(set(tallies) - set(rows))
    if strays:
        findings.append(
            _problem(
                "LED-020",
                f"records name revision(s) {', '.join(map(str, strays))}, which do not exist: "
                "they were inserted directly",
            )
        )
    return findings


def _contents(conn: Connection, org: str) -> list[Finding]:
    """Re-hash every stored version from its columns (tokens included) and compare digests."""
    tokens: dict[tuple[str, int], list[str]] = defaultdict(list)
    for row in conn.execute(
        select(member_token.c.activity_id, member_token.c.valid_from, member_token.c.token_hash)
        .where(member_token.c.org == org)
        .order_by(member_token.c.token_hash)
    ):
        tokens[(row.activity_id, int(row.valid_from))].append(row.token_hash)
    findings: list[Finding] = []
    for name, table in RECORD_TABLES.items():
        content = [c.name for c in table.columns if c.name not in VERSION_COLUMNS]
        query = select(table).where(table.c.org == org)
        bad = 0
        first = ""
        for row in conn.execute(query):
            mapping = row._mapping
            values = {"org": org, **{c: mapping[c] for c in content}}
            hashed = (
                tokens.get((mapping["activity_id"], int(mapping["valid_from"])), [])
                if name == "activities"
                else []
            )
            if content_digest(values, hashed) != mapping["digest"]:
                bad += 1
                if not first:
                    keys = [c.name for c in table.primary_key.columns if c.name != "org"]
                    first = " / ".join(str(mapping[k]) for k in keys)
        if bad:
            findings.append(
                _problem(
                    "LED-021",
                    f"{bad} stored {name} version(s) no longer match their content digest "
                    f"(first: {first}): edited in place",
                )
            )
    return findings


def anchor_of(manifest: dict[str, Any] | None) -> chain.Anchor | None:
    """The chain head a bundle was submitted with (its manifest's `ledger` block), if any."""
    found = (manifest or {}).get("ledger")
    if isinstance(found, dict) and "seq" in found and "head" in found:
        return chain.Anchor(int(found["seq"]), str(found["head"]))
    return None


def anchor_findings(entries: list[chain.Entry], anchors: Sequence[chain.Anchor]) -> list[Finding]:
    """Each bundle's chain head must be the hash of the entry it names."""
    by_seq = {e.seq: e for e in entries}
    findings: list[Finding] = []
    for anchor in anchors:
        entry = by_seq.get(anchor.seq)
        if entry is None or entry.hash != anchor.head:
            findings.append(
                _problem(
                    "LED-030",
                    f"the bundle was submitted when the ledger's entry {anchor.seq} had hash "
                    f"{anchor.head}; this ledger's entry {anchor.seq} is "
                    + (entry.hash if entry else "missing")
                    + ": the ledger was rewritten after it was submitted",
                )
            )
    return findings
