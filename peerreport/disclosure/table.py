"""Protect one measure's table under a rule file's `[disclosure]` policy."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from peerreport.disclosure.cells import (
    GRAND_TOTAL,
    CellKey,
    Protected,
    Status,
    TableError,
    check_table,
    key_label,
)
from peerreport.disclosure.network import build_network
from peerreport.disclosure.rounding import graduated, rr3
from peerreport.disclosure.seeds import cell_seed
from peerreport.disclosure.suppression import is_sensitive, secondary
from peerreport.rulebook.model import Disclosure


def protect_table(
    cells: Mapping[CellKey, int],
    by: int,
    policy: Disclosure,
    identity: Sequence[str],
    *,
    never_zero: bool = False,
) -> dict[CellKey, Protected]:
    """The published form of every cell of one measure's table, keyed as given.

    `cells` holds the grand total at `()` and the breakdown cells (keys of
    length `by`, every category including zeros); a two-way table may also
    hold margins, keyed with `"*"`. `identity` (rule file id, measure id,
    period, organisation) seeds rounding, together with each cell's key.

    - `none`: every cell EXACT.
    - `rr3`, `graduated`: every cell, totals and margins included, rounded on
      its own seed; status ROUNDED for all (even where the count was already
      a multiple of the base), reason the method. `never_zero` selects the
      MSD variant (1 and 2 become 3).
    - `suppress`: primary suppression below `threshold` (zeros too unless
      `zero_exempt`), then with `secondary` the audit-driven secondary
      suppression of `suppression.py`. Needs an additive, non-negative table.

    Raises `TableError` for malformed keys, negative counts under `suppress`,
    or totals that do not add up when secondary suppression is on.
    """
    if isinstance(identity, str):
        raise TypeError("identity is a sequence of strings, not one string")
    check_table(cells, by)
    if policy.method == "none":
        return {key: Protected(value, Status.EXACT) for key, value in cells.items()}
    if policy.method in ("rr3", "graduated"):
        round_ = rr3 if policy.method == "rr3" else graduated
        return {
            key: Protected(
                round_(value, cell_seed(*identity, key_label(key)), never_zero=never_zero),
                Status.ROUNDED,
                policy.method,
            )
            for key, value in cells.items()
        }
    if policy.method == "suppress":
        return _suppress(cells, by, policy)
    raise TableError(f"unknown disclosure method {policy.method!r}")


def _suppress(
    cells: Mapping[CellKey, int], by: int, policy: Disclosure
) -> dict[CellKey, Protected]:
    for key, value in cells.items():
        if value < 0:
            raise TableError(f"cell {key_label(key)} is negative ({value}); counts cannot be")
    primary = {k for k, v in cells.items() if is_sensitive(v, policy.threshold, policy.zero_exempt)}
    extra: set[CellKey] = set()
    has_breakdown = by > 0 and any(key != GRAND_TOTAL for key in cells)
    if policy.secondary and has_breakdown:
        network = build_network(cells, by)  # checks additivity even when nothing is small
        if primary:
            index = network.index_of()
            lower = 1 if policy.zero_exempt else 0
            hidden = secondary(network, {index[k] for k in primary}, policy.threshold, lower)
            keys = (network.figures[i].key for i in hidden)
            extra = {key for key in keys if key is not None}
    result: dict[CellKey, Protected] = {}
    for key, value in cells.items():
        if key in primary:
            result[key] = Protected(None, Status.SUPPRESSED, "primary")
        elif key in extra:
            result[key] = Protected(None, Status.SUPPRESSED, "secondary")
        else:
            result[key] = Protected(value, Status.EXACT)
    return result
