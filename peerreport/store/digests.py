"""Content digests of record versions: a short hash of what a record says.

A stored version's digest tells an unchanged record from an updated one, and
the ledger's hash chain commits to it, so its bytes are fixed for good: the
SHA-256 (first 32 hex digits) of the JSON text

    [[["key","value"],...],["token",...]]

with the items sorted by key, every value spelled by `canonical` (a Decimal
without trailing zeros, anything else as `str()` gives it), JSON strings as
`json.dumps(..., ensure_ascii=False)` writes them, no spaces, and the member
tokens sorted. `content_digest` is that definition, one row at a time.
`content_digests` gives the same bytes for a batch about twice as fast (13 to
6.5 us a row for activities): the keys are sorted once per batch, and each
row's JSON text is one %-format of a template, values in place as `str()`
spells them, which is their JSON for plain types when no string needs
escaping (checked for the whole batch in one pass; a row that fails the check,
or has other columns, takes `content_digest`). tests/store/test_fast_writes.py
holds the first implementation and checks both against it on arbitrary values.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
from collections.abc import Mapping, Sequence
from decimal import Decimal
from itertools import chain
from json.encoder import encode_basestring  # the C encoder json.dumps uses (ensure_ascii=False)
from operator import itemgetter
from typing import Any

#: Columns added to record tables after records were first stored (migration 0009). An empty
#: one is left out of the digest, so a record stored before its column existed keeps its
#: digest: re-importing it is "unchanged", and the ledger's re-hash of it still matches.
#: Once a value is given it is hashed like any other field. Add each new optional column here.
ADDED_COLUMNS = frozenset({"purchase_unit", "resources_linked", "resources_given", "calls_missed"})
#: Columns added later that are part of a natural key, so stored as '' when absent, never NULL
#: (migration 0010: a breakdown's second dimension). Left out of the digest when '' (or None),
#: so a breakdown by one dimension keeps the digest it had before the columns existed.
KEY_BLANKS = frozenset({"dimension2", "category2"})
#: What each optional column holds when it is absent (left out of the digest).
_ABSENT: dict[str, Any] = {**dict.fromkeys(ADDED_COLUMNS), **dict.fromkeys(KEY_BLANKS, "")}


def _absent(key: str, value: Any) -> bool:
    """Is this an optional column left empty (so not part of the digest)?"""
    if key in KEY_BLANKS:
        return value is None or value == ""
    return value is None and key in ADDED_COLUMNS


def canonical(value: Any) -> str:
    """One spelling per value: Decimal('4.20') and Decimal('4.2') are the same number."""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


def content_digest(values: Mapping[str, Any], tokens: Sequence[str] = ()) -> str:
    """A short hash of a row's content, to tell unchanged records from updated ones."""
    items = [(k, canonical(v)) for k, v in values.items() if not _absent(k, v)]
    # JSON of the sorted items is unambiguous (strings are quoted and escaped).
    text = json.dumps(
        [sorted(items), sorted(tokens)],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


#: Types whose `%s` spelling is `canonical(value)`, so a template spells them itself.
_PLAIN_TYPES = frozenset({str, int, bool, type(None), dt.date, dt.time, dt.datetime})
#: Bytes that JSON escapes in a string (ensure_ascii=False), a backslash and the control
#: characters, map to 0; every other byte to 1. (A quote is found by counting them.)
_ESCAPED = bytes(0 if b < 0x20 or b == 0x5C else 1 for b in range(256))


class _Template:
    """A row's JSON text as a %-format over the row's own keys, for rows that leave out
    the optional columns `left_out`; and how many quotes it has when no value holds one."""

    __slots__ = ("quotes", "text")

    def __init__(self, keys: Sequence[str], left_out: frozenset[str]) -> None:
        pairs = [f'["{key}","%({key})s"]' for key in keys if key not in left_out]
        self.text = "[[" + ",".join(pairs) + "],["
        self.quotes = 4 * len(pairs)


def _plain(text: bytes, quotes: int) -> bool:
    """Does this JSON text, made by a template, need no escaping (the values' quotes,
    backslashes and control characters)?"""
    return text.count(b'"') == quotes and 0 not in text.translate(_ESCAPED)


def content_digests(
    rows: Sequence[Mapping[str, Any]], tokens: Sequence[Sequence[str]] = ()
) -> list[str]:
    """`content_digest(rows[i], tokens[i])` for every row (no tokens past `tokens`' end),
    byte for byte, faster: each row's JSON text is one %-format of a template made once per
    batch, with the values in place as `str()` spells them. That is their JSON when every
    value is of a plain type (`_PLAIN_TYPES`) and no string needs escaping (a quote,
    backslash or control character: checked for the whole batch at once); any other
    row takes `content_digest`."""
    if not rows:
        return []
    held = list(tokens[: len(rows)]) + [()] * (len(rows) - len(tokens))
    keys = sorted(rows[0])
    values = chain.from_iterable(row.values() for row in rows)
    if (
        not set(map(type, values)) <= _PLAIN_TYPES
        or set(map(len, rows)) != {len(keys)}
        or not all(k.isidentifier() for k in keys)
    ):
        return [content_digest(row, t) for row, t in zip(rows, held, strict=True)]
    optional = [k for k in keys if k in _ABSENT]
    usual = _Template(keys, frozenset(optional))
    # A template per set of left-out optional columns, made once a batch (not once a row).
    templates = {(True,) * len(optional): usual}
    optional_of = itemgetter(*optional) if optional else None
    empty = optional_of(_ABSENT) if optional_of else None
    blanks = [k in KEY_BLANKS for k in optional]  # also absent when ''
    texts: list[bytes] = []
    used: list[_Template] = []
    for row in rows:
        template = usual
        try:
            if optional_of is not None and optional_of(row) != empty:
                absent = tuple(
                    [
                        row[k] is None or (blank and row[k] == "")
                        for k, blank in zip(optional, blanks, strict=True)
                    ]
                )
                found = templates.get(absent)
                if found is None:
                    left_out = frozenset(k for k, a in zip(optional, absent, strict=True) if a)
                    found = templates[absent] = _Template(keys, left_out)
                template = found
            texts.append((template.text % row).encode("utf-8"))
        except KeyError:  # a row with other keys than the first one's
            texts.append(b"")
        used.append(template)
    if not _plain(b"".join(texts), sum(t.quotes for t in used)):
        for index, (text, template) in enumerate(zip(texts, used, strict=True)):
            if not _plain(text, template.quotes):
                texts[index] = b""  # left to content_digest
    sha256 = hashlib.sha256
    digests: list[str] = []
    for row, text, listed in zip(rows, texts, held, strict=True):
        if not text:
            digests.append(content_digest(row, listed))
            continue
        tail = ",".join(map(encode_basestring, sorted(listed))) if listed else ""
        digests.append(sha256(text + (tail + "]]").encode("utf-8")).hexdigest()[:32])
    return digests


def content_digests_of_columns(
    columns: Mapping[str, Sequence[Any]], tokens: Sequence[Sequence[str]] = ()
) -> list[str]:
    """`content_digests` of the rows whose values are `columns` (name: the rows' values),
    byte for byte, without a dict a row: each row's values are taken in key order straight
    from the columns and put in a positional template, one per set of left-out optional
    columns (worked out a column at a time). Any batch `content_digests` would not template
    (a value of another type, a key that is no identifier) goes to it as rows."""
    keys = sorted(columns)
    listed = [columns[k] for k in keys]
    count = len(listed[0]) if listed else 0
    if not count:
        return []
    kinds = [set(map(type, column)) for column in listed]
    if not all(k.isidentifier() for k in keys) or not set().union(*kinds) <= _PLAIN_TYPES:
        return content_digests(
            [dict(zip(keys, values, strict=True)) for values in zip(*listed, strict=True)], tokens
        )
    texts = _texts_of_columns(keys, listed, kinds)
    if texts is None:
        texts = _templated_texts(keys, listed, count)
    held = list(tokens[:count]) + [()] * (count - len(tokens))
    sha256 = hashlib.sha256
    digests: list[str] = []
    for index, (text_, listed_tokens) in enumerate(zip(texts, held, strict=True)):
        if not text_:
            row = {k: column[index] for k, column in zip(keys, listed, strict=True)}
            digests.append(content_digest(row, listed_tokens))
        elif listed_tokens:
            tail = ",".join(map(encode_basestring, sorted(listed_tokens))) + "]]"
            digests.append(sha256(text_ + tail.encode("utf-8")).hexdigest()[:32])
        else:
            digests.append(sha256(text_ + b"]]").hexdigest()[:32])
    return digests


def _texts_of_columns(
    keys: list[str], listed: list[Sequence[Any]], kinds: list[set[type]]
) -> list[bytes] | None:
    """Each row's JSON text up to its tokens (`[[["key","value"],...],[`) as bytes, or b""
    where it needs escaping: one template for every row, in which each optional column is
    a `%s` of its own, filled with its pair (`,["key","value"]`) or with nothing where the
    row leaves it out. The pieces are made a column at a time, each different value's
    once where a column holds one type (`kinds[i]`: the types of column i's values), and
    the texts are one `%` each, over the rows (`map`), with no Python step a row. None
    when the first column is optional (its pair would need no comma): `_templated_texts`
    then makes them."""
    if keys[0] in _ABSENT:
        return None
    parts = ["[["]
    filled: list[Sequence[Any]] = []
    optional: list[list[str]] = []  # the optional columns' pieces ("" where left out)
    for index, (key, column, types) in enumerate(zip(keys, listed, kinds, strict=True)):
        distinct = set(column)
        once = _spelled_alike(types, distinct)
        if key in _ABSENT:
            piece = functools.partial(_piece, f',["{key}","%s"]', key in KEY_BLANKS)
            if once:
                pieces = list(map({v: piece(v) for v in distinct}.__getitem__, column))
            else:
                pieces = list(map(piece, column))
            filled.append(pieces)
            optional.append(pieces)
            parts.append("%s")
        else:
            if once and str not in types:  # a day, a time, a count: spelled once each
                spelling = {v: "%s" % (v,) for v in distinct}  # noqa: UP031 - as `%` spells it
                filled.append(list(map(spelling.__getitem__, column)))
            else:
                filled.append(column)
            parts.append(("," if index else "") + f'["{key}","%s"]')
    template = "".join(parts) + "],["
    texts = [text.encode("utf-8") for text in map(template.__mod__, zip(*filled, strict=True))]
    # Only a text can hold what JSON escapes (a day, a number, a time never does): when no
    # text value does, no row needs escaping. Otherwise each row's text is checked.
    held = [
        "".join(column if types == {str} else [v for v in column if type(v) is str])
        for column, types in zip(listed, kinds, strict=True)
        if str in types
    ]
    values = "".join(held).encode("utf-8")
    if b'"' in values or 0 in values.translate(_ESCAPED):
        required = 4 * (len(keys) - len(optional))
        for index, text in enumerate(texts):
            pairs = sum(1 for pieces in optional if pieces[index])
            if not _plain(text, required + 4 * pairs):
                texts[index] = b""  # left to content_digest
    return texts


#: Types whose equal values are spelled alike (`%s`), so a value's spelling can stand for
#: every value equal to it. Not a time or date-time with a time zone: 12:00 UTC equals
#: 13:00+01:00, spelled otherwise.
_SPELLED_ALIKE = frozenset({str, int, bool, dt.date})
_NAIVE_ALIKE = frozenset({dt.time, dt.datetime})


def _spelled_alike(types: set[type], distinct: set[Any]) -> bool:
    """Are the column's equal values spelled alike? One type besides None (so no 1 and
    True, which are equal), and that type one whose equal values are spelled alike."""
    kinds = types - {type(None)}
    if len(kinds) != 1:
        return False
    (kind,) = kinds
    if kind in _SPELLED_ALIKE:
        return True
    return kind in _NAIVE_ALIKE and all(v is None or v.tzinfo is None for v in distinct)


def _piece(pair: str, blank: bool, value: Any) -> str:
    """An optional column's piece of a row's text: its pair, or nothing where left out."""
    return "" if value is None or (blank and value == "") else pair % (value,)


def _templated_texts(keys: list[str], listed: list[Sequence[Any]], count: int) -> list[bytes]:
    """`_texts_of_columns` by a template for each set of optional columns rows leave out
    (worked out a column at a time), into which each row's values are put."""
    optional = [(i, keys[i] in KEY_BLANKS) for i, k in enumerate(keys) if k in _ABSENT]
    # Which optional columns each row leaves out, a column at a time.
    flags = [
        [v is None or v == "" for v in listed[i]] if blank else [v is None for v in listed[i]]
        for i, blank in optional
    ]
    signatures: list[tuple[bool, ...]] = list(zip(*flags, strict=True)) if flags else [()] * count
    templates: dict[tuple[bool, ...], tuple[str, Any, int]] = {}
    for signature in set(signatures):
        left_out = {i for (i, _), absent in zip(optional, signature, strict=True) if absent}
        kept = [i for i in range(len(keys)) if i not in left_out]
        text = "[[" + ",".join(f'["{keys[i]}","%s"]' for i in kept) + "],["
        pick = (
            itemgetter(*kept) if len(kept) > 1 else (lambda row, k=kept: tuple(row[i] for i in k))
        )
        templates[signature] = (text, pick, 4 * len(kept))
    texts: list[bytes] = []
    quotes: list[int] = []
    for values, signature in zip(zip(*listed, strict=True), signatures, strict=True):
        text, pick, quoted = templates[signature]
        texts.append((text % pick(values)).encode("utf-8"))
        quotes.append(quoted)
    if not _plain(b"".join(texts), sum(quotes)):
        for index, (text_, quoted) in enumerate(zip(texts, quotes, strict=True)):
            if not _plain(text_, quoted):
                texts[index] = b""  # left to content_digest
    return texts
