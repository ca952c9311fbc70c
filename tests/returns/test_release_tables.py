"""`release.suppress`: tables of decimals and negative sums (no database)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from peerreport.compute.figures import Cell, Figure
from peerreport.disclosure import Status
from peerreport.returns.release import suppress
from peerreport.rulebook.model import Disclosure

POLICY = Disclosure(method="suppress", threshold=6)


def _figure(cells: dict[str, float], total: float) -> Figure:
    return Figure(
        id="fte",
        label="FTE",
        kind="sum",
        value=total,
        by=("role",),
        cells=tuple(Cell((k,), v) for k, v in cells.items()),
    )


def test_small_decimals_are_hidden_and_cannot_be_worked_out_from_the_total() -> None:
    cells = {"a": 5.5, "b": 0.4, "c": 10.0}
    values = {(): 15.9, **{(k,): v for k, v in cells.items()}}
    result = suppress(_figure(cells, 15.9), values, POLICY, 1)
    assert result[("a",)].status is result[("b",)].status is Status.SUPPRESSED
    # a + b = 5.9 would pin both within 5.8: the total or c is hidden too.
    assert Status.SUPPRESSED in (result[("c",)].status, result[()].status)


def test_a_negative_sum_is_protected_by_its_size() -> None:
    values = {(): -3.0, ("a",): -3.0, ("b",): 0.0}
    result = suppress(_figure({"a": -3.0, "b": 0.0}, -3.0), values, POLICY, 1)
    assert result[()].status is result[("a",)].status is Status.SUPPRESSED
    assert result[("b",)].status is Status.EXACT


@given(
    st.dictionaries(
        st.sampled_from(["a", "b", "c", "d"]),
        st.floats(-50, 50, allow_nan=False).map(lambda v: round(v, 1)),
        min_size=1,
    )
)
def test_every_cell_smaller_than_the_threshold_is_hidden(cells: dict[str, float]) -> None:
    total = round(sum(cells.values()), 1)
    values = {(): total, **{(k,): v for k, v in cells.items()}}
    result = suppress(_figure(cells, total), values, POLICY, 1)
    for key, value in values.items():
        if 0 < abs(value) < 6:
            assert result[key].status is Status.SUPPRESSED, (key, value)
