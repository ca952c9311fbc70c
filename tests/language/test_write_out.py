"""`write_out`: a text with its defines written out as a funder would write them inline."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings

from peerreport.language import Define, expand, parse
from peerreport.language.defines import write_out
from tests.language.test_differential import defines_and_uses

DEFINES = {
    "answered": "kind = 'warm_line_call' and attendance > 0",
    "plus_one": "attendance + 1",
    "three": "3",
    "late": "hour(start_time) >= 17",
    "late_answered": "answered and late",
    "either": "answered or late",
}


def parsed(defines: dict[str, str]) -> dict[str, Define]:
    return {name: Define(name, text, parse(text)) for name, text in defines.items()}


@pytest.mark.parametrize(
    ("used", "inline"),
    [
        ("answered", "kind = 'warm_line_call' and attendance > 0"),
        (
            "answered and late",
            "kind = 'warm_line_call' and attendance > 0 and hour(start_time) >= 17",
        ),
        ("late_answered", "kind = 'warm_line_call' and attendance > 0 and hour(start_time) >= 17"),
        # Brackets only where the text would otherwise mean something else.
        ("plus_one * 2", "(attendance + 1) * 2"),
        ("2 + plus_one", "2 + (attendance + 1)"),  # + groups to the left
        ("2 - plus_one", "2 - (attendance + 1)"),
        (
            "either and late",
            "(kind = 'warm_line_call' and attendance > 0 or hour(start_time) >= 17)"
            " and hour(start_time) >= 17",
        ),
        ("not answered", "not (kind = 'warm_line_call' and attendance > 0)"),
        ("-three + attendance", "-3 + attendance"),
        ("coalesce(plus_one, three)", "coalesce(attendance + 1, 3)"),
        ("attendance >\n  three", "attendance >\n  3"),
        # No define used: the text exactly as written, spacing and brackets kept.
        ("(attendance)  +  1", "(attendance)  +  1"),
        ("kind = 'answered'", "kind = 'answered'"),  # a string, not a name
    ],
)
def test_a_define_is_written_out_as_it_would_be_written_inline(used: str, inline: str) -> None:
    defines = parsed(DEFINES)
    assert write_out(used, defines) == inline
    assert parse(inline) == expand(parse(used), defines, used)


def test_a_text_that_does_not_parse_is_left_as_it_is() -> None:
    assert write_out("answered and (", parsed(DEFINES)) == "answered and ("


def test_a_cycle_ends_with_a_name_left_as_a_name() -> None:
    # A file with a cycle does not load (RUL-032); writing it out must still end.
    defines = parsed({"a": "b + 1", "b": "a * 2"})
    assert re.fullmatch(r"[()ab*+12 ]+", write_out("a", defines))


@settings(max_examples=150, deadline=None)
@given(drawn=defines_and_uses())
def test_the_written_out_text_parses_to_the_tree_the_compiler_sees(
    drawn: tuple[dict[str, str], list[str]],
) -> None:
    defines, texts = drawn
    parsed_defines = parsed(defines)
    for used in texts:
        text = write_out(used, parsed_defines)
        assert not re.search(r"\bd\d\b", text), text  # every define written out
        assert parse(text) == expand(parse(used), parsed_defines, used), (used, text)
