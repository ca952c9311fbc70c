"""Seeds: each cell's random rounding is a pure function of the cell's identity.

Seeding from the identity (rule file, measure, breakdown key, period,
organisation) rather than from a random generator means re-running a return
publishes the same numbers, so nobody can average repeated releases of one
cell to recover its true count.
"""

from __future__ import annotations

import hashlib

_SEED_DOMAIN = b"peerreport.disclosure.cell_seed.v1"
_DRAW_DOMAIN = b"peerreport.disclosure.draw.v1"


def cell_seed(*identity: str) -> int:
    """A stable 64-bit seed from the parts of a cell's identity.

    sha256 over the parts, each preceded by its length in UTF-8 bytes, so
    `("ab", "c")` and `("a", "bc")` differ. The result is in `0 .. 2**64 - 1`.
    """
    digest = hashlib.sha256(_SEED_DOMAIN)
    for part in identity:
        if not isinstance(part, str):
            raise TypeError(f"identity parts are strings, not {type(part).__name__}")
        data = part.encode("utf-8")
        digest.update(len(data).to_bytes(8, "big"))
        digest.update(data)
    return int.from_bytes(digest.digest()[:8], "big")


def uniform_below(seed: int, base: int) -> int:
    """A draw from `0 .. base - 1`, uniform over seeds, and a pure function of `seed`.

    The seed is hashed again (sha256), so consecutive or patterned seeds still
    give independent-looking draws; 128 bits of the hash reduced modulo `base`
    leave a bias below `base / 2**128`.
    """
    if base < 1:
        raise ValueError(f"base must be 1 or more, not {base}")
    digest = hashlib.sha256(_DRAW_DOMAIN + b":" + str(seed).encode("ascii")).digest()
    return int.from_bytes(digest[:16], "big") % base
