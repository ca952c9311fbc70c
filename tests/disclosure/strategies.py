"""Hypothesis strategies: small count tables, one-way and two-way, small counts common."""

from __future__ import annotations

from hypothesis import strategies as st

Key = tuple[str | None, ...]

# Mostly 0..15, where suppression happens; sometimes larger.
counts = st.one_of(st.integers(0, 15), st.integers(0, 15), st.integers(0, 15), st.integers(0, 60))
CODES: list[str | None] = ["a", "b", "c", "d", None]


@st.composite
def one_way(
    draw: st.DrawFn, max_cells: int = 6, values: st.SearchStrategy[int] = counts
) -> dict[Key, int]:
    """A one-way table with its grand total."""
    size = draw(st.integers(1, max_cells))
    codes = [*CODES, *(f"x{i}" for i in range(size))][:size]
    table: dict[Key, int] = {(code,): draw(values) for code in codes}
    table[()] = sum(table.values())
    return table


@st.composite
def two_way(
    draw: st.DrawFn,
    max_rows: int = 4,
    max_cols: int = 4,
    values: st.SearchStrategy[int] = counts,
    min_size: int = 1,
) -> dict[Key, int]:
    """A two-way table with its grand total and none, some or all of its margins."""
    rows = CODES[: draw(st.integers(min_size, max_rows))]
    cols = ["p", "q", "r", "s", None][: draw(st.integers(min_size, max_cols))]
    table: dict[Key, int] = {(r, c): draw(values) for r in rows for c in cols}
    margins = draw(st.sampled_from(["none", "all", "rows", "some"]))
    for r in rows:
        if margins == "all" or margins == "rows" or (margins == "some" and draw(st.booleans())):
            table[(r, "*")] = sum(table[(r, c)] for c in cols)
    for c in cols:
        if margins == "all" or (margins == "some" and draw(st.booleans())):
            table[("*", c)] = sum(table[(r, c)] for r in rows)
    table[()] = sum(v for k, v in table.items() if "*" not in k)
    return table


tables = st.one_of(one_way().map(lambda t: (t, 1)), two_way().map(lambda t: (t, 2)))
larger_tables = two_way(max_rows=4, max_cols=4, min_size=3).map(lambda t: (t, 2))
