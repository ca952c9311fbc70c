"""The funder's provider list: who should send a return, by when, signed with which key.

A CSV file with a header row. Columns (case and spaces in headings ignored):

| column        | required | what                                                          |
| ------------- | -------- | ------------------------------------------------------------- |
| `code`        | yes      | the provider code (the organisation's `provider_code`)        |
| `name`        | yes      | the provider's name                                           |
| `due`         | no       | the due date (YYYY-MM-DD); empty: the rule file's `[due]`     |
|               |          | for the period, or the 20th of the month after if it has none |
| `fingerprint` | no       | the provider's public key fingerprint (`SHA256:...`, as       |
|               |          | `peerreport keys show` prints it; several separated by spaces |
|               |          | while a provider changes keys): its bundles must be signed    |
|               |          | with that key                                                 |

Trust by default: a provider's bundle is collated only when it is signed
with the key listed for it. A provider with no fingerprint listed has its
bundles refused as of UNVERIFIED ORIGIN unless the funder passes
`--allow-unsigned` / `--allow-unknown-keys`; a bundle signed with ANOTHER
listed provider's key is always refused.

`provider_code`, `provider` and `due_date` are accepted for `code`, `name`
and `due`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from peerreport.bundle.verify import Trust
from peerreport.errors import InputFileError

_ALIASES = {
    "code": "code",
    "provider_code": "code",
    "provider code": "code",
    "name": "name",
    "provider": "name",
    "provider_name": "name",
    "provider name": "name",
    "due": "due",
    "due_date": "due",
    "due date": "due",
    "fingerprint": "fingerprint",
    "key": "fingerprint",
    "key_fingerprint": "fingerprint",
}


@dataclass(frozen=True)
class Provider:
    """A provider the funder expects a return from."""

    code: str
    name: str
    due: dt.date | None = None
    fingerprint: str | None = None

    @property
    def keys(self) -> frozenset[str]:
        """The key fingerprints listed for the provider (none, one, or several)."""
        return frozenset((self.fingerprint or "").replace(";", " ").split())


def provider_trust(
    providers: Sequence[Provider] | None,
    *,
    allow_unsigned: bool = False,
    allow_unknown_keys: bool = False,
) -> Trust:
    """The keys the provider list vouches for, each for its own provider only."""
    listed = {p.code: p.keys for p in providers or () if p.keys}
    sources = {
        key: f"{code}'s key on the provider list" for code, keys in listed.items() for key in keys
    }
    return Trust(
        providers=listed,
        sources=sources,
        allow_unsigned=allow_unsigned,
        allow_unknown_keys=allow_unknown_keys,
    )


def read_providers(path: Path) -> list[Provider]:
    """The providers listed in a CSV file; `InputFileError` naming the row for any mistake."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputFileError(f"{path}: cannot read the provider list ({exc})") from exc
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        raise InputFileError(f"{path}: the provider list is empty")
    columns = [_ALIASES.get(h.strip().lower(), "") for h in rows[0]]
    for needed in ("code", "name"):
        if needed not in columns:
            raise InputFileError(
                f"{path}: no {needed!r} column; the header must name code and name "
                "(and optionally due, fingerprint)"
            )
    providers: dict[str, Provider] = {}
    for number, row in enumerate(rows[1:], start=2):
        values = {c: v.strip() for c, v in zip(columns, row, strict=False) if c}
        if not any(values.values()):
            continue
        code = values.get("code", "")
        if not code:
            raise InputFileError(f"{path}, row {number}: the provider code is empty")
        if code in providers:
            raise InputFileError(f"{path}, row {number}: provider {code} is listed twice")
        providers[code] = Provider(
            code,
            values.get("name", "") or code,
            _date(path, number, values.get("due", "")),
            values.get("fingerprint") or None,
        )
    return list(providers.values())


def _date(path: Path, number: int, text: str) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InputFileError(
            f'{path}, row {number}, column "due": {text!r} is not a date; write YYYY-MM-DD'
        ) from None
