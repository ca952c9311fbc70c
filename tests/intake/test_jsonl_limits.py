"""A JSON Lines line is checked against the limits only when it could be past them.

`jsonl_objects` skips `checked_row` for a line no longer than `max_cell_chars` with
at most `max_columns` keys: no text json decodes from a line is longer than the
line. Here, for any lines and limits, what it yields and where it refuses are
those of checking every line.
"""

from __future__ import annotations

import json
from contextlib import ExitStack
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from peerreport.errors import InputFileError
from peerreport.intake.jsonl import jsonl_objects
from peerreport.intake.limits import InputLimits
from peerreport.intake.sources import checked_row

# Texts whose JSON spelling is longer, shorter or as long as they are: escapes,
# characters outside the BMP (a surrogate pair, when ensure_ascii), plain letters.
TEXTS = st.text(
    alphabet=st.sampled_from(["a", "é", '"', "\\", "\n", "\x00", "😀", "ā", " "]), max_size=20
)
VALUES = st.one_of(TEXTS, st.integers(-5, 5), st.booleans(), st.none())
OBJECTS = st.dictionaries(st.sampled_from(["a", "b", "c", "d"]), VALUES, max_size=4)


def _expected(lines: list[str], limits: InputLimits) -> tuple[list[object], str | None]:
    """Every line checked: the objects read, and the refusal's message (None: no refusal)."""
    read: list[object] = []
    for number, line in enumerate(lines, start=1):
        value = json.loads(line)
        try:
            checked_row("f.jsonl", number, list(value.values()), limits, from_excel=False)
        except InputFileError as refusal:
            return read, str(refusal)
        read.append(value)
    return read, None


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    objects=st.lists(OBJECTS, min_size=1, max_size=6),
    ascii_only=st.booleans(),
    chars=st.integers(0, 24),
    columns=st.integers(1, 4),
)
@example(objects=[{"a": "aa"}], ascii_only=True, chars=1, columns=1)  # the line is 11 long
def test_lines_are_refused_where_checking_every_line_refuses_them(
    tmp_path: Path, objects: list[dict[str, object]], ascii_only: bool, chars: int, columns: int
) -> None:
    lines = [json.dumps(o, ensure_ascii=ascii_only) for o in objects]
    path = tmp_path / "f.jsonl"
    path.write_text("".join(f"{line}\n" for line in lines), "utf-8")
    limits = InputLimits(max_cell_chars=chars, max_columns=columns)
    expected, refusal = _expected(lines, limits)
    read: list[object] = []
    found: str | None = None
    try:
        with ExitStack() as stack:
            read.extend(value for _, value in jsonl_objects(path, stack, [], limits))
    except InputFileError as refused:
        found = str(refused)
    assert (read, found) == (expected, refusal)
