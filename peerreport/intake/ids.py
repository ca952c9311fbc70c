"""Ids for activities in a file without an `activity_id` column, stable across imports.

An activity's id is made from a hash of what identifies it in the log: its
date, start time, kind, programme, group, topic, delivery mode and setting (as
stored: codes, not labels, so "Group" and "group" make the same id), and its
occurrence number among the rows of the same table with all of those the same
(1 for the first, 2 for the second...). Importing the same file again makes
the same ids, so nothing is counted twice; correcting a count or a note
updates the activity in place. Changing one of the identifying values makes a
different activity (withdraw the old one: `peerreport records withdraw`).

The id is `auto-` and 16 consonants: no digits and no vowels, so an id can
never look like a phone or NHI number, a date, or a word (the privacy scan
finds nothing in it).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from peerreport.records.models import Activity

#: The fields an activity's made id is computed from, in this order.
IDENTITY_FIELDS: tuple[str, ...] = (
    "date",
    "start_time",
    "kind",
    "programme",
    "group_id",
    "topic",
    "mode",
    "setting",
)
PREFIX = "auto-"
_ALPHABET = "bcdfghjkmnpqrstvwxz"
_LETTERS = 16  # 19**16 is about 2**68: two activities of one organisation never collide


def _identity(values: Mapping[str, object]) -> str:
    found = (values.get(name) for name in IDENTITY_FIELDS)
    return "\x1f".join(
        "" if v is None else (v.isoformat() if hasattr(v, "isoformat") else str(v)) for v in found
    )


def made_id(identity: str, occurrence: int) -> str:
    """The id of the `occurrence`-th activity (from 1) with this identity."""
    digest = hashlib.blake2b(f"{identity}\x1e{occurrence}".encode(), digest_size=10).digest()
    number = int.from_bytes(digest, "big")
    letters = []
    for _ in range(_LETTERS):
        number, index = divmod(number, len(_ALPHABET))
        letters.append(_ALPHABET[index])
    return PREFIX + "".join(letters)


class ActivityIds:
    """Makes the ids of one table's activities, counting identical rows as it goes."""

    def __init__(self) -> None:
        self._once: set[int] = set()  # identities seen once (8-byte digests)
        self._counts: dict[int, int] = {}  # identities seen more than once

    def assign(self, activity: Activity) -> Activity:
        """The activity with its made id."""
        made = self.made_for({name: getattr(activity, name) for name in IDENTITY_FIELDS})
        return activity.model_copy(update={"activity_id": made})

    def made_for(self, values: Mapping[str, object]) -> str:
        """The made id of the next activity with these values (its fields, as stored)."""
        identity = _identity(values)
        key = int.from_bytes(hashlib.blake2b(identity.encode(), digest_size=8).digest(), "big")
        if key in self._counts:
            self._counts[key] += 1
            occurrence = self._counts[key]
        elif key in self._once:
            self._once.discard(key)
            self._counts[key] = occurrence = 2
        else:
            self._once.add(key)
            occurrence = 1
        return made_id(identity, occurrence)
