"""`random_round_real`: random rounding of values that need not be whole."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from peerreport.disclosure.rounding import random_round, random_round_real

SEEDS = st.integers(0, 2**64 - 1)


@given(st.integers(-1000, 1000), st.integers(1, 100), SEEDS)
def test_a_whole_number_rounds_as_random_round_does(value: int, base: int, seed: int) -> None:
    assert random_round_real(float(value), base, seed) == random_round(value, base, seed)


@given(st.floats(-1e6, 1e6, allow_nan=False), st.integers(1, 100), SEEDS)
def test_the_result_is_a_neighbouring_multiple(value: float, base: int, seed: int) -> None:
    result = random_round_real(value, base, seed)
    assert isinstance(result, int) and result % base == 0
    assert abs(result - value) < base


def test_it_is_unbiased() -> None:
    draws = [random_round_real(1.0 + 0.5, 3, seed) for seed in range(3000)]
    assert set(draws) == {0, 3}
    assert abs(sum(draws) / len(draws) - 1.5) < 0.1
