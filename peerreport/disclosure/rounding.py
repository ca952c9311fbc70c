"""Random rounding: RR3 and graduated random rounding (GRR), as Stats NZ publishes counts.

A count `n` with remainder `r = n mod b` is rounded down to `n - r` with
probability `(b - r) / b` and up to `n - r + b` with probability `r / b`, so the
expected published value is `n` (unbiased). Multiples of `b`, zero included,
are unchanged. The draw comes from the cell's seed (`seeds.uniform_below`).

Negative numbers are rounded symmetrically: `round(-n) == -round(n)` for the
same seed. Counts are never negative; the symmetry only keeps derived
figures (differences) sensible.
"""

from __future__ import annotations

from peerreport.disclosure.seeds import uniform_below

RR3_BASE = 3
# Graduated random rounding: (largest absolute count, base), first match wins.
# Stats NZ Microdata output guide as implemented in public IDI code; see
# docs/disclosure.md for the disagreement between sources at 19 and >= 1000.
GRR_BANDS: tuple[tuple[int | None, int], ...] = (
    (18, 3),
    (19, 2),
    (99, 5),
    (999, 10),
    (None, 100),
)


def random_round(value: int, base: int, seed: int) -> int:
    """Round `value` to a multiple of `base`, up with probability `(value mod base) / base`."""
    if base < 1:
        raise ValueError(f"base must be 1 or more, not {base}")
    if value < 0:
        return -random_round(-value, base, seed)
    remainder = value % base
    if remainder == 0:
        return value
    down = value - remainder
    return down + base if uniform_below(seed, base) < remainder else down


def random_round_real(value: float, base: int, seed: int) -> int:
    """`random_round` for a value that need not be whole (a sum of FTE, an average headcount).

    Rounds to a multiple of `base`, up with probability `(value mod base) / base`
    (the draw has 53 bits), so the result is unbiased and within `base` of the
    value. A whole-number value gives the same result as `random_round`.
    """
    if base < 1:
        raise ValueError(f"base must be 1 or more, not {base}")
    if float(value).is_integer():
        return random_round(int(value), base, seed)
    if value < 0:
        return -random_round_real(-value, base, seed)
    down = int(value // base) * base
    share = (value - down) / base
    return down + base if uniform_below(seed, 2**53) < share * 2**53 else down


def _never_zero(value: int) -> int | None:
    """The MSD variant: 1 and 2 (and -1, -2) always become 3 (-3), never 0."""
    if abs(value) in (1, 2):
        return 3 if value > 0 else -3
    return None


def rr3(value: int, seed: int, *, never_zero: bool = False) -> int:
    """Stats NZ random rounding to base 3, deterministic for `seed`.

    Remainder 1: -1 with probability 2/3, +2 with probability 1/3. Remainder 2:
    -2 with probability 1/3, +1 with probability 2/3. So 1 becomes 0 (p 2/3) or
    3 (p 1/3) and 2 becomes 0 (p 1/3) or 3 (p 2/3). With `never_zero` (the
    Ministry of Social Development's variant) 1 and 2 always become 3; that
    variant is biased upwards for those two values.
    """
    if never_zero and (fixed := _never_zero(value)) is not None:
        return fixed
    return random_round(value, RR3_BASE, seed)


def grr_base(value: int) -> int:
    """The graduated-rounding base of a count: 3 to 18, 2 at 19, 5 to 99, 10 to 999, then 100."""
    size = abs(value)
    for largest, base in GRR_BANDS:
        if largest is None or size <= largest:
            return base
    raise AssertionError("unreachable: the last band is open")


def graduated(value: int, seed: int, *, never_zero: bool = False) -> int:
    """Graduated random rounding: random rounding to `grr_base(value)`, deterministic for `seed`.

    Every result is a multiple of the base of the band it lands in (19 becomes
    18 or 20; 99 becomes 95 or 100; 999 becomes 990 or 1000), so a published
    value never reveals which band the true count was in. `never_zero` makes
    1 and 2 become 3, as in `rr3`.
    """
    if never_zero and (fixed := _never_zero(value)) is not None:
        return fixed
    return random_round(value, grr_base(value), seed)
