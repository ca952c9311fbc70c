"""cell_seed: stable, 64-bit, unambiguous; draws look independent across seeds."""

from __future__ import annotations

import itertools

import pytest

from peerreport.disclosure import cell_seed
from peerreport.disclosure.seeds import uniform_below


def test_seed_is_pinned() -> None:
    # Changing the seed scheme changes every rounded return ever published: pin it.
    assert cell_seed() == 4126716378454348953
    identity = ("peer-core", "sessions", '["maori"]', "2025-Q1", "org1")
    assert cell_seed(*identity) == 10434863348610914426


def test_seed_is_64_bit_and_parts_are_unambiguous() -> None:
    seeds = {
        cell_seed("ab", "c"),
        cell_seed("a", "bc"),
        cell_seed("abc"),
        cell_seed("a", "b", "c"),
        cell_seed("abc", ""),
        cell_seed("", "abc"),
    }
    assert len(seeds) == 6
    assert all(0 <= s < 2**64 for s in seeds)


def test_seed_parts_must_be_strings() -> None:
    with pytest.raises(TypeError):
        cell_seed("measure", 3)  # type: ignore[arg-type]


def test_draws_are_uniform_even_for_consecutive_seeds() -> None:
    # Fixed seeds, so the check is deterministic; the tolerance is ~8 standard errors.
    draws = [uniform_below(seed, 3) for seed in range(6000)]
    for value in range(3):
        assert abs(draws.count(value) / len(draws) - 1 / 3) < 0.05
    # Consecutive seeds are not correlated: each pair of outcomes about 1/9.
    pairs = list(itertools.pairwise(draws))
    for first in range(3):
        for second in range(3):
            share = pairs.count((first, second)) / len(pairs)
            assert abs(share - 1 / 9) < 0.03


def test_base_must_be_positive() -> None:
    with pytest.raises(ValueError):
        uniform_below(1, 0)
