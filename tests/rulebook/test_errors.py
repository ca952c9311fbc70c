"""Every mistake in a rule file is a clear error naming the file, key, line and column."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from peerreport.findings import Finding
from peerreport.rulebook import Catalogue, RuleFileInvalid, load

WriteRules = Callable[..., Path]


def problems(path: Path) -> list[Finding]:
    with pytest.raises(RuleFileInvalid) as info:
        load(path, Catalogue([path.parent]))
    return info.value.findings


def only(path: Path) -> Finding:
    found = problems(path)
    assert len(found) == 1, [str(f) for f in found]
    return found[0]


MEASURE = '[[measure]]\nid = "m"\ncount = "activity"\n'


def test_unknown_field_with_did_you_mean(write_rules: WriteRules) -> None:
    path = write_rules(r=MEASURE + "where = \"kind = 'group' and atendance > 0\"\n")
    f = only(path)
    assert f.code == "RUL-012"
    assert f.location.file == str(path)
    assert f.location.key == "measure[0].where"
    assert (f.location.line, f.location.col) == (1, 20)
    assert "Did you mean 'attendance'?" in f.message
    assert f.details["caret"].splitlines()[1].strip() == "^^^^^^^^^"


def test_type_error(write_rules: WriteRules) -> None:
    f = only(write_rules(r=MEASURE + "where = \"attendance = 'many'\"\n"))
    assert f.code == "RUL-011"
    assert "cannot compare a whole number with text" in f.message


def test_syntax_error_with_caret(write_rules: WriteRules) -> None:
    f = only(write_rules(r=MEASURE + "where = \"kind = 'group' and and member_led\"\n"))
    assert f.code == "RUL-010"
    assert f.location.col == 20
    line, caret = f.details["caret"].splitlines()
    assert caret.index("^") == line.index("and member_led")
    assert "line 1, col 20" in str(f)


def test_unknown_vocabulary_code(write_rules: WriteRules) -> None:
    f = only(write_rules(r=MEASURE + "where = \"mode = 'zoom'\"\n"))
    assert f.code == "RUL-013" and "Codes: in_person" in f.message


def test_unknown_key_and_missing_key(write_rules: WriteRules) -> None:
    found = problems(
        write_rules(r=MEASURE + 'wehre = "x"\n[[check]]\nid = "C1"\nassert = "m > 0"\n')
    )
    by_key = {f.location.key: f for f in found}
    assert "Did you mean 'where'?" in by_key["measure[0].wehre"].message
    assert "missing required key 'message'" in by_key["check[0].message"].message


def test_many_problems_are_reported_together(write_rules: WriteRules) -> None:
    body = (
        MEASURE
        + "where = \"kindd = 'group'\"\n"
        + '[[measure]]\nid = "s"\nsum = "topic"\n'
        + '[[check]]\nid = "C1"\nassert = "m > s2"\nmessage = "{m} and {mm}"\n'
    )
    codes = sorted(f.code for f in problems(write_rules(r=body)))
    assert codes == ["RUL-011", "RUL-012", "RUL-012", "RUL-034"]


def test_toml_syntax_error_has_a_line(write_rules: WriteRules) -> None:
    f = only(write_rules(r="[[measure]\n"))
    assert f.code == "RUL-002" and f.location.line == 4  # after the 3 header lines


def test_cycle_in_extends(write_rules: WriteRules) -> None:
    folder = write_rules(a='extends = ["b"]\n', b='extends = ["c"]\n', c='extends = ["a"]\n').parent
    f = only(folder / "a.toml")
    assert f.code == "RUL-030"
    assert "cycle in extends: a -> b -> c -> a" in f.message
    assert f.location.file == str(folder / "c.toml") and f.location.key == "extends[0]"


def test_unknown_parent(write_rules: WriteRules) -> None:
    write_rules(base="")
    f = only(write_rules(child='extends = ["bsae"]\n'))
    assert f.code == "RUL-030"
    assert f.location.key == "extends[0]"
    assert "unknown parent rule file 'bsae'. Did you mean 'base'?" in f.message


def test_forbidden_field_is_refused_with_the_reason(write_rules: WriteRules) -> None:
    f = only(write_rules(r=MEASURE + "where = \"date_of_birth < date('2000-01-01')\"\n"))
    assert f.code == "RUL-020"
    assert "'date_of_birth' is a forbidden field" in f.message
    assert f.location.key == "measure[0].where"


def test_member_tokens_outside_distinct_are_refused(write_rules: WriteRules) -> None:
    body = '[[measure]]\nid = "t"\nsum = "attendance"\nwhere = "member_tokens is not null"\n'
    f = only(write_rules(r=body))
    assert f.code == "RUL-020" and "may only be counted" in f.message
    ok = write_rules(ok='[[measure]]\nid = "people"\ndistinct = "member_tokens"\n')
    assert load(ok).measures["people"].counts_tokens


def test_breakdown_that_could_never_pass_the_threshold(write_rules: WriteRules) -> None:
    minimum = '[[measure]]\nid = "m"\nmin = "attendance"\nby = ["mode"]\n'
    assert "one record's value in every cell" in only(write_rules(r=minimum)).message
    one = MEASURE + 'where = "activity_id = \'G1\'"\nby = ["mode"]\n'
    assert "counts at most 1" in only(write_rules(r=one)).message
    fine = MEASURE + 'by = ["kind", "population_focus", "mode"]\n'
    f = only(write_rules(r=fine))
    assert f.code == "RUL-020" and "has 550 cells" in f.message
    allowed = '[disclosure]\nmethod = "none"\n' + minimum
    assert load(write_rules(r=allowed)).measures["m"].measure.by == ["mode"]


def test_derived_measure_cycle(write_rules: WriteRules) -> None:
    body = '[[measure]]\nid = "a"\nexpr = "b + 1"\n[[measure]]\nid = "b"\nexpr = "a * 2"\n'
    f = only(write_rules(r=body))
    assert f.code == "RUL-032" and "a -> b -> a" in f.message


def test_a_cross_tabulation_s_dimensions_out_of_the_stored_order(write_rules: WriteRules) -> None:
    """Counts by two dimensions are stored in the vocabulary's order (ethnicity before age
    band): a `where` naming them the other way round could count nothing, and is refused."""
    cross = (
        '[[measure]]\nid = "m"\nsource = "cross_breakdown"\nsum = "count"\n'
        'by = ["category", "category2"]\n'
    )
    path = write_rules(
        r=cross + "where = \"dimension = 'age_band' and dimension2 = 'ethnicity'\"\n"
    )
    f = only(path)
    assert f.code == "RUL-068"
    assert f.location.key == "measure[0].where"
    assert "stored with ethnicity first" in f.message
    assert "dimension = 'ethnicity' and dimension2 = 'age_band'" in f.hint
    fine = write_rules(
        r=cross + "where = \"dimension = 'ethnicity' and dimension2 = 'age_band'\"\n"
    )
    assert [m.id for m in load(fine, Catalogue([fine.parent])).model.measure] == ["m"]
