"""History checks in rule files: the model, lint, digests, `rules diff` and `rules doc`;
the band they judge by (hypothesis)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from peerreport.render.ruledoc import render_rule_doc
from peerreport.returns.history_checks import band
from peerreport.rulebook import Catalogue, RuleFile, RuleFileInvalid, load
from peerreport.rulebook.diff import diff
from peerreport.rulebook.digest import canonical
from peerreport.rulebook.model import Check

BASE = """\
id = "hist"
title = "History"
version = "1"
[[measure]]
id = "group_sessions"
count = "activity"
where = "kind = 'group'"
[[measure]]
id = "first_group"
min = "date"
where = "kind = 'group'"
[[check]]
id = "RT-1"
assert = "group_sessions >= 0"
message = "negative"
"""

HISTORY = """
[[check]]
id = "HIS-001"
history = "group_sessions"
ratio = [0.5, 2.0]
message = "{value} against {mean} ({low} to {high}): {history}"
"""


def loaded(folder: Path, text: str) -> RuleFile:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "hist.toml"
    path.write_text(text, "utf-8")
    return load(path, Catalogue([folder]))


def errors(folder: Path, text: str) -> list[str]:
    with pytest.raises(RuleFileInvalid) as caught:
        loaded(folder, text)
    return [f.message for f in caught.value.findings]


def test_other_checks_keep_their_canonical_form_and_digest() -> None:
    plain = Check.model_validate({"id": "A", "assert": "1 = 1", "message": "m"})
    dumped = plain.model_dump(mode="json", by_alias=True)
    assert not {"history", "periods", "ratio", "z"} & set(dumped)


def test_a_history_check_is_a_warning_unless_said(tmp_path: Path) -> None:
    rule_file = loaded(tmp_path, BASE + HISTORY)
    check = rule_file.checks["HIS-001"].check
    assert check.kind == "history" and check.severity == "warning" and check.periods == 4
    stern = loaded(tmp_path / "b", BASE + HISTORY.replace("ratio", 'severity = "error"\nratio'))
    assert stern.checks["HIS-001"].check.severity == "error"
    said = loaded(tmp_path / "c", BASE + HISTORY.replace("ratio", 'severity = "warning"\nratio'))
    assert said.digest == rule_file.digest


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ('history = "group_sessions"', 'history = "group_sesions"', "Did you mean"),
        ('history = "group_sessions"', 'history = "first_group"', "is not a number"),
        ("ratio = [0.5, 2.0]", "", "needs ratio"),
        ("ratio = [0.5, 2.0]", "ratio = [2.0, 0.5]", "0 <= low <= high"),
        ("ratio = [0.5, 2.0]", 'ratio = [0.5, 2.0]\nassert = "1 = 1"', "cannot have assert"),
        ("{value}", "{valeu}", "unknown placeholder {valeu}"),
    ],
)
def test_lint_names_what_is_wrong(tmp_path: Path, old: str, new: str, expected: str) -> None:
    text = BASE + HISTORY.replace(old, new)
    assert any(expected in message for message in errors(tmp_path, text)), errors(tmp_path, text)


def test_history_keys_belong_to_a_history_check(tmp_path: Path) -> None:
    text = BASE.replace('message = "negative"', 'message = "negative"\nz = 3.0')
    assert any("belong to a history check" in m for m in errors(tmp_path, text))


def test_a_removed_measure_a_history_check_uses_is_refused(tmp_path: Path) -> None:
    loaded(tmp_path, BASE + HISTORY)
    child = tmp_path / "child.toml"
    child.write_text(
        'id = "child"\ntitle = "C"\nversion = "1"\nextends = ["hist"]\n'
        '[[remove]]\nmeasure = "group_sessions"\nreason = "not bought"\n',
        "utf-8",
    )
    with pytest.raises(RuleFileInvalid) as caught:
        load(child, Catalogue([tmp_path]))
    assert "check 'HIS-001' (history)" in str(caught.value)


def test_bounds_are_meaning_and_the_message_is_wording(tmp_path: Path) -> None:
    before = loaded(tmp_path / "a", BASE + HISTORY)
    reworded = loaded(tmp_path / "b", BASE + HISTORY.replace("{value} against", "{value} vs"))
    assert reworded.meaning == before.meaning
    assert not diff(before.model, reworded.model).meaning_changed
    for old, new in [("ratio = [0.5, 2.0]", "ratio = [0.5, 3.0]"), ("ratio", "periods = 6\nratio")]:
        after = loaded(tmp_path / new[:6], BASE + HISTORY.replace(old, new))
        assert after.meaning != before.meaning
        assert diff(before.model, after.model).meaning_changed
    assert "history" in canonical(before.model)["check"][1]


def test_rules_doc_says_what_a_history_check_compares(tmp_path: Path) -> None:
    page = render_rule_doc(loaded(tmp_path, BASE + HISTORY.replace("ratio", "z = 3.0\nratio")))
    assert (
        "group_sessions within 0.5-2 x the mean and within 3 standard deviations of the mean "
        "of its 4 earlier periods" in page
    )


def _check(ratio: tuple[float, float] | None, z: float | None) -> Check:
    return Check.model_validate({"id": "H", "history": "m", "ratio": ratio, "z": z, "message": "m"})


values = st.lists(st.integers(0, 10_000), min_size=0, max_size=8)
ratios = st.tuples(st.floats(0, 5), st.floats(0, 5)).map(lambda r: (min(r), max(r)))


@given(values, ratios, st.integers(0, 20_000))
def test_ratio_flags_exactly_outside_low_and_high_times_the_mean(
    earlier: list[int], ratio: tuple[float, float], value: int
) -> None:
    found = band(_check(ratio, None), [float(v) for v in earlier])
    if not earlier:
        assert found is None
        return
    assert found is not None
    mean = sum(earlier) / len(earlier)
    assert math.isclose(found.mean, mean)
    inside = ratio[0] * mean - 1e-6 <= value <= ratio[1] * mean + 1e-6
    if abs(value - ratio[0] * mean) > 1e-6 and abs(value - ratio[1] * mean) > 1e-6:
        assert found.holds(value) is inside


@given(values, st.floats(0.1, 10), st.floats(0.01, 100))
def test_z_needs_three_values_and_spread_and_never_flags_the_mean(
    earlier: list[int], z: float, scale: float
) -> None:
    found = band(_check(None, z), [float(v) for v in earlier])
    if len(earlier) < 3 or len(set(earlier)) == 1:
        assert found is None
        return
    assert found is not None and found.holds(found.mean)
    # Scaling every value scales the band (the test does not depend on the unit).
    scaled = band(_check(None, z), [v * scale for v in earlier])
    assert scaled is not None
    assert math.isclose(scaled.high, found.high * scale, rel_tol=1e-9, abs_tol=1e-6)


@given(values, ratios, st.floats(0.1, 10))
def test_both_tests_give_the_narrower_band(
    earlier: list[int], ratio: tuple[float, float], z: float
) -> None:
    both = band(_check(ratio, z), [float(v) for v in earlier])
    alone = [band(_check(ratio, None), earlier), band(_check(None, z), earlier)]
    bands = [b for b in alone if b is not None]
    if not bands:
        assert both is None
        return
    assert both is not None
    assert both.low == max(b.low for b in bands) and both.high == min(b.high for b in bands)
