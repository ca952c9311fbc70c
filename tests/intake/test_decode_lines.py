"""Reading a text file a block at a time gives exactly the lines, notices and refusals of
reading it a line at a time (`sources.decode_lines`), wherever the blocks end."""

from __future__ import annotations

import codecs
import io
from collections.abc import Iterator
from typing import IO

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from peerreport.errors import InputFileError
from peerreport.intake import sources
from peerreport.intake.limits import InputLimits, line_too_long, looks_utf16, utf16_refusal


def _one_line_at_a_time(
    handle: IO[bytes], notices: list[str], name: str, limits: InputLimits
) -> Iterator[str]:
    """How lines were read before blocks: `readline` bounded by the limit, each decoded."""
    warned = False
    number = 0
    while raw := handle.readline(limits.max_line_bytes + 1):
        number += 1
        if len(raw) > limits.max_line_bytes:
            raise line_too_long(name, number, limits)
        if number == 1 and looks_utf16(raw):
            raise utf16_refusal(name)
        if number == 1 and raw.startswith(codecs.BOM_UTF8):
            raw = raw[len(codecs.BOM_UTF8) :]
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError:
            if not warned:
                notices.append(
                    f"{name}: line {number} is not UTF-8; read as Windows-1252 (older Excel). "
                    "Windows-1252 cannot hold macrons (ā, ē, ī, ō, ū): save as 'CSV UTF-8' "
                    "to keep them"
                )
                warned = True
            yield raw.decode("cp1252", errors="replace")


def _read(lines: Iterator[str]) -> tuple[list[str], str | None]:
    """The lines handed on, and the refusal that ended them (if any)."""
    got: list[str] = []
    try:
        for line in lines:
            got.append(line)
    except InputFileError as refused:
        return got, f"{type(refused).__name__}: {refused}"
    return got, None


PIECES = st.sampled_from(
    [
        b"\n",
        b"\r\n",
        b"\r",
        b"a",
        b"bc,",
        b'"q\nq"',
        "ā".encode(),
        "’".encode(),
        b"\x92",  # a Windows-1252 curly quote: not UTF-8
        b"\xe2\x80",  # a UTF-8 character cut short
        b"\x00",
        codecs.BOM_UTF8,
        b"\xff\xfe",
    ]
)


@settings(max_examples=500, deadline=None)
@given(
    data=st.lists(PIECES, max_size=40).map(b"".join),
    longest=st.integers(1, 24),
    block=st.integers(1, 17),
)
@example(data=b"a,b\nccccccccccccccccccc\nd\n", longest=8, block=4)
@example(data=b"a\n\x92\n\xe2\x80\n", longest=8, block=3)
@example(data=codecs.BOM_UTF8 + b"a\nb", longest=8, block=2)
@example(data=b"abc\ndefghijklmnop", longest=8, block=64)
def test_blocks_read_as_lines_do(data: bytes, longest: int, block: int) -> None:
    limits = InputLimits(max_line_bytes=longest)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sources, "BLOCK_BYTES", block)
        expected_notices: list[str] = []
        expected = _read(_one_line_at_a_time(io.BytesIO(data), expected_notices, "f.csv", limits))
        notices: list[str] = []
        assert _read(sources.decode_lines(io.BytesIO(data), notices, "f.csv", limits)) == expected
        assert notices == expected_notices


def test_a_large_file_is_read_in_blocks_as_lines() -> None:
    # Lines across many blocks of the real size, one of them not UTF-8 far into the file.
    lines = [
        f"A{i},14/08/2026,group,{i % 30},Peer groups,Hui ā {i}\r\n".encode() for i in range(60_000)
    ]
    lines[45_000] = "A45000,14/08/2026,group,3,Café ‘group’,\r\n".encode("cp1252")
    data = b"".join(lines)
    assert len(data) > 2 * sources.BLOCK_BYTES
    limits = InputLimits()
    expected_notices: list[str] = []
    expected = _read(_one_line_at_a_time(io.BytesIO(data), expected_notices, "f.csv", limits))
    notices: list[str] = []
    assert _read(sources.decode_lines(io.BytesIO(data), notices, "f.csv", limits)) == expected
    assert notices == expected_notices
    assert notices and "line 45001 " in notices[0]


class _Counted(io.BytesIO):
    """A file that counts the bytes read from it."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.taken = 0

    def read(self, size: int | None = -1) -> bytes:
        got = super().read(size)
        self.taken += len(got)
        return got

    def readline(self, size: int | None = -1) -> bytes:
        got = super().readline(size)
        self.taken += len(got)
        return got


@pytest.mark.parametrize("block", [1000, 4096, 1 << 20])
def test_a_line_without_end_is_read_no_further_than_the_limit_and_a_block(block: int) -> None:
    longest = 10_000
    handle = _Counted(b"a,b\n" + b"x" * 50 * longest)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sources, "BLOCK_BYTES", block)
        got, refused = _read(
            sources.decode_lines(handle, [], "f.csv", InputLimits(max_line_bytes=longest))
        )
    assert got == ["a,b\n"]
    assert refused is not None and "line 2 is longer than" in refused
    assert handle.taken <= 4 + longest + block
