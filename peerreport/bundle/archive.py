"""The bundle's container: a canonical, uncompressed zip written by this module.

Python's `zipfile` could write the zip, but its header bytes may change between
Python versions, and deflate output between zlib builds. A bundle must be the
same bytes for the same return on any machine, and `audit verify` checks that
a bundle IS those bytes (so a changed byte in a zip header is detected too).
So the writer is ours, and simple: entries sorted by name, stored (not
compressed: the rendered XLSX is already compressed), every timestamp
1980-01-01 00:00, Unix permissions 0644, UTF-8 names, no extra fields, and the
archive comment carrying the manifest's seal. Reading uses `zipfile`, which
checks every entry's CRC-32.
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from io import BytesIO

_VERSION = 20  # "2.0": the version needed for stored entries and UTF-8 names
_MADE_BY = (3 << 8) | _VERSION  # Unix
_UTF8 = 0x0800
_DOS_DATE = (0 << 9) | (1 << 5) | 1  # 1980-01-01
_DOS_TIME = 0
_EXTERNAL = 0o100644 << 16  # a regular file, rw-r--r--
_LIMIT = 0xFFFFFFFF
#: A bundle holding more than this (uncompressed) is refused before it is read:
#: verify reads untrusted zips, and a small deflated entry can expand enormously.
MAX_CONTENT = 512 * 1024 * 1024


class ArchiveError(ValueError):
    """The bytes are not a readable zip archive (or an entry inside it is corrupt)."""


@dataclass(frozen=True)
class Archive:
    """The entries of a zip (name -> bytes, in stored order) and its comment."""

    entries: dict[str, bytes]
    comment: bytes


def write_archive(entries: Mapping[str, bytes], comment: bytes = b"") -> bytes:
    """The canonical zip holding `entries`, sorted by name, with `comment`."""
    out = BytesIO()
    central: list[bytes] = []
    for name in sorted(entries):
        data = entries[name]
        encoded = name.encode("utf-8")
        if len(data) >= _LIMIT or len(encoded) > 0xFFFF:
            raise ValueError(f"{name}: too large for a bundle")
        crc = zlib.crc32(data)
        offset = out.tell()
        fixed = (_UTF8, 0, _DOS_TIME, _DOS_DATE, crc, len(data), len(data), len(encoded))
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, _VERSION, *fixed, 0))
        out.write(encoded)
        out.write(data)
        central.append(
            struct.pack(
                "<IHHHHHHIIIHHHHHII",
                0x02014B50,
                _MADE_BY,
                _VERSION,
                *fixed,
                0,
                0,
                0,
                0,
                _EXTERNAL,
                offset,
            )
            + encoded
        )
    start = out.tell()
    for header in central:
        out.write(header)
    size = out.tell() - start
    if len(comment) > 0xFFFF or start >= _LIMIT:
        raise ValueError("bundle too large")
    count = len(central)
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, count, count, size, start, len(comment)))
    out.write(comment)
    return out.getvalue()


def read_archive(data: bytes) -> Archive:
    """Every entry of a zip, its CRC-32 checked; `ArchiveError` saying what is wrong."""
    try:
        with zipfile.ZipFile(BytesIO(data)) as archive:
            if sum(info.file_size for info in archive.infolist()) > MAX_CONTENT:
                raise ArchiveError(f"the zip unpacks to more than {MAX_CONTENT >> 20} MB")
            entries: dict[str, bytes] = {}
            for info in archive.infolist():
                if info.filename in entries:
                    raise ArchiveError(f"the zip holds {info.filename!r} twice")
                try:
                    entries[info.filename] = archive.read(info)
                except zipfile.BadZipFile as exc:
                    raise ArchiveError(f"entry {info.filename!r} is corrupt: {exc}") from exc
            return Archive(entries, archive.comment)
    except ArchiveError:
        raise
    # Arbitrary bytes reach zipfile here (a damaged or hostile bundle), and it can
    # fail in many ways (BadZipFile, struct.error, NotImplementedError for an
    # unknown compression, RuntimeError for an "encrypted" flag, ...): every one
    # means the same thing to the auditor.
    except Exception as exc:
        raise ArchiveError(f"not a readable zip archive: {exc}") from exc


def first_difference(a: bytes, b: bytes) -> int:
    """The offset of the first differing byte (the shorter length if one is a prefix)."""
    for i, (x, y) in enumerate(zip(a, b, strict=False)):
        if x != y:
            return i
    return min(len(a), len(b))


def region(data: bytes, offset: int) -> str:
    """What lies at `offset` of a canonical zip: which entry's header or data, or the directory."""
    position = 0
    while position + 30 <= len(data) and data[position : position + 4] == b"PK\x03\x04":
        size, name_length = struct.unpack("<I4xH", data[position + 18 : position + 28])
        name = data[position + 30 : position + 30 + name_length].decode("utf-8", "replace")
        data_start = position + 30 + name_length
        if offset < data_start:
            return f"the zip header of {name}"
        if offset < data_start + size:
            return f"the contents of {name}"
        position = data_start + size
    return "the zip directory or comment"
