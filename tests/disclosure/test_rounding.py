"""RR3 and graduated random rounding: worked examples and properties."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from peerreport.disclosure import cell_seed, graduated, grr_base, random_round, rr3

SEEDS = [cell_seed("rounding-test", str(i)) for i in range(3000)]
seeds = st.integers(0, 2**64 - 1)


def outcomes(round_: Callable[..., int], value: int, **options: bool) -> dict[int, float]:
    """How often each result comes up over the fixed seeds."""
    results = [round_(value, seed, **options) for seed in SEEDS]
    return {r: results.count(r) / len(results) for r in sorted(set(results))}


def test_stats_nz_worked_example_17() -> None:
    # "17 -> 15 with probability 1/3, -> 18 with probability 2/3"
    share = outcomes(rr3, 17)
    assert set(share) == {15, 18}
    assert abs(share[15] - 1 / 3) < 0.05


def test_rr3_remainder_one_and_two() -> None:
    one = outcomes(rr3, 1)
    assert set(one) == {0, 3} and abs(one[3] - 1 / 3) < 0.05
    two = outcomes(rr3, 2)
    assert set(two) == {0, 3} and abs(two[3] - 2 / 3) < 0.05
    four = outcomes(rr3, 4)
    assert set(four) == {3, 6} and abs(four[6] - 1 / 3) < 0.05


def test_rr3_up_frequency_is_a_third_for_remainder_one_even_with_plain_seeds() -> None:
    # Seeds 0, 1, 2, ... (not from cell_seed): the draw still mixes them.
    ups = [rr3(value, seed) > value for value in (1, 4, 7) for seed in range(3000)]
    assert abs(sum(ups) / len(ups) - 1 / 3) < 0.03


def test_rr3_is_unbiased_over_seeds() -> None:
    for value in (1, 2, 4, 5, 17, 100):
        mean = sum(rr3(value, s) for s in SEEDS) / len(SEEDS)
        assert abs(mean - value) < 0.15


def test_multiples_of_three_and_zero_are_unchanged() -> None:
    for value in (0, 3, 6, 99, 300):
        assert {rr3(value, s) for s in SEEDS[:50]} == {value}


def test_msd_variant_never_rounds_to_zero() -> None:
    # MSD: "A value of one or two will always be rounded to three"; "a 5 could become 3 or 6".
    assert outcomes(rr3, 1, never_zero=True) == {3: 1.0}
    assert outcomes(rr3, 2, never_zero=True) == {3: 1.0}
    assert set(outcomes(rr3, 5, never_zero=True)) == {3, 6}
    assert outcomes(rr3, 0, never_zero=True) == {0: 1.0}


def test_negative_values_round_symmetrically() -> None:
    for seed in SEEDS[:50]:
        assert rr3(-17, seed) == -rr3(17, seed)
        assert graduated(-123, seed) == -graduated(123, seed)
    assert rr3(-1, SEEDS[0], never_zero=True) == -3


@pytest.mark.parametrize(
    ("value", "base"),
    [(0, 3), (1, 3), (18, 3), (19, 2), (20, 5), (99, 5), (100, 10), (999, 10), (1000, 100)],
)
def test_graduated_bases(value: int, base: int) -> None:
    assert grr_base(value) == base


@pytest.mark.parametrize(
    ("value", "results"),
    [
        (17, {15, 18}),
        (18, {18}),
        (19, {18, 20}),
        (20, {20}),
        (99, {95, 100}),
        (999, {990, 1000}),
        (1000, {1000}),
        (1234, {1200, 1300}),
    ],
)
def test_graduated_worked_examples(value: int, results: set[int]) -> None:
    assert set(outcomes(graduated, value)) == results


def test_graduated_is_unbiased_at_band_edges() -> None:
    for value in (19, 99, 999, 1234):
        mean = sum(graduated(value, s) for s in SEEDS) / len(SEEDS)
        assert abs(mean - value) < 0.05 * grr_base(value) * 3


def test_random_round_needs_a_positive_base() -> None:
    with pytest.raises(ValueError):
        random_round(5, 0, 1)


@given(st.integers(-10_000, 10_000), seeds)
def test_rr3_is_a_multiple_of_three_within_two(value: int, seed: int) -> None:
    rounded = rr3(value, seed)
    assert rounded % 3 == 0
    assert abs(rounded - value) <= 2
    assert rr3(value, seed) == rounded  # deterministic


@given(st.integers(-10_000, 10_000), seeds)
def test_msd_rr3_never_gives_zero_for_one_or_two(value: int, seed: int) -> None:
    rounded = rr3(value, seed, never_zero=True)
    assert rounded % 3 == 0 and abs(rounded - value) <= 2
    if abs(value) in (1, 2):
        assert rounded == (3 if value > 0 else -3)


@given(st.integers(-100_000, 100_000), seeds)
def test_graduated_is_a_multiple_of_its_base_within_base_minus_one(value: int, seed: int) -> None:
    rounded = graduated(value, seed)
    base = grr_base(value)
    assert rounded % base == 0
    assert abs(rounded - value) <= base - 1
    # The result is also a multiple of the base of the band it lands in, so a
    # published value never gives away which band the true count was in.
    assert rounded % grr_base(rounded) == 0
    assert graduated(value, seed) == rounded


@given(st.integers(0, 10_000), seeds, st.integers(1, 12))
def test_random_round_is_a_neighbouring_multiple(value: int, seed: int, base: int) -> None:
    rounded = random_round(value, base, seed)
    assert rounded % base == 0 and abs(rounded - value) < base
