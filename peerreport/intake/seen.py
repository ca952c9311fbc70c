"""The import's duplicate check in bounded memory: which natural keys it has read.

An import refuses a second row for the same record (IMP-040), across all its
files, so it remembers the key of every row it read: an 8-byte hash
(`reading.key_hash`). A Python set costs about 60 bytes a key, 300 MB for a
five-million-row file. `SeenKeys` keeps at most `limit` keys in a set (16 MB
at the default); when the set is full its keys are sorted and written to an
anonymous temporary file (a *run*) and the set starts again. A Bloom filter
in memory (16 to 64 bits a spilled key, three probes) answers "never spilled"
for all but at most one new key in 200 (one in 1,400 at 32 bits a key); only
those, and true repeats, are looked up in the runs, reading the one block of
each run the key could be in (`_Runs`). So the answer is exact (no repeat
missed, no false duplicate beyond the hash's own), memory is the set plus 2 to
8 bytes a spilled key, and a file of up to
`limit` rows never touches the disk. (A batch of keys added at once, `add_all`,
may take the set past `limit` by that batch's keys before it spills.)
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Collection
from typing import IO, Any

__all__ = ["LIMIT", "SeenKeys"]

#: Keys held in memory before they spill to disk.
LIMIT = 1 << 18
_MASK64 = (1 << 64) - 1
_MIX = 0x9E3779B97F4A7C15  # an odd constant: spreads keys that are not hashes already
_MIX2 = 0xC2B2AE3D27D4EB4F  # another, for the filter's third probe
#: Keys in a block of a run, read at once when a key is looked for (`_Runs`): 4 kB.
BLOCK = 512


class SeenKeys(set[int]):
    """A set of unsigned 64-bit keys (`in`, `add`) that spills to disk past `limit` keys.

    Until it first spills it is a plain set (`in` costs what a set's does); then it
    becomes a `_SpilledKeys`, which also looks in the Bloom filter and the runs.
    """

    def __init__(self, limit: int | None = None) -> None:
        super().__init__()
        self._limit = max(1, LIMIT if limit is None else limit)
        self._disk = _Runs()

    def add(self, key: int) -> None:
        """Remember a key (spilling the set to disk when it is full)."""
        set.add(self, key)
        if len(self) >= self._limit:
            self._disk.write(self)
            self.clear()  # from now on the keys in memory are `_recent`'s
            self._recent: set[int] = set()
            self.__class__ = _SpilledKeys

    def any_of(self, keys: Collection[int]) -> bool:
        """Is any of `keys` here? (A batch's keys at once: what `in` tells of each.)"""
        return not self.isdisjoint(keys)

    def add_all(self, keys: Collection[int]) -> None:
        """Remember every key of `keys` (spilling when the set is full, as `add` does)."""
        self.update(keys)
        if len(self) >= self._limit:
            self._disk.write(self)
            self.clear()
            self._recent = set()
            self.__class__ = _SpilledKeys

    @property
    def spilled(self) -> int:
        """How many keys were written to disk."""
        return self._disk.count


class _SpilledKeys(SeenKeys):
    """A `SeenKeys` that has spilled: a key is seen if it is in memory or on disk.

    `in` is called once a row: the Bloom filter's test is written out here.
    """

    def __contains__(self, key: object) -> bool:
        if key in self._recent:
            return True
        if not isinstance(key, int):
            return False
        disk = self._disk
        view, mask = disk.view, disk.mask
        mixed = (key * _MIX) & _MASK64
        bit = mixed & mask
        if not view[bit >> 3] >> (bit & 7) & 1:
            return False
        bit = (mixed >> 32) & mask
        if not view[bit >> 3] >> (bit & 7) & 1:
            return False
        bit = (((key * _MIX2) & _MASK64) >> 16) & mask
        if not view[bit >> 3] >> (bit & 7) & 1:
            return False
        return disk.find(key)

    def any_of(self, keys: Collection[int]) -> bool:
        """Is any of `keys` in memory or on disk? Those on disk are looked for together:
        the Bloom filter's three probes of every key at once, then, for the keys it lets
        through, the one block of each run such a key could be in (`_Runs`)."""
        if not self._recent.isdisjoint(keys):
            return True
        return self._disk.any_of(keys)

    def add_all(self, keys: Collection[int]) -> None:
        """Remember every key of `keys` (spilling when there are `limit` in memory)."""
        recent = self._recent
        recent.update(keys)
        if len(recent) >= self._limit:
            self._disk.write(recent)
            recent.clear()

    def add(self, key: int) -> None:
        """Remember a key (spilling the keys in memory to disk when there are `limit`)."""
        recent = self._recent
        recent.add(key)
        if len(recent) >= self._limit:
            self._disk.write(recent)
            recent.clear()


class _Runs:
    """Sorted runs of keys in anonymous temporary files, with a Bloom filter in front.

    Each run keeps the first key of every block of `BLOCK` keys in memory (`fences`), so
    looking for a key reads the one block it could be in, with `pread`. The runs are not
    mapped into memory: a map's pages, once read, count as the process's own, and the
    system maps whole neighbourhoods of them at a time (64 kB, or a 2 MB folio), so a few
    lookups a batch kept every run resident (50 MB at five million keys). Read this way,
    the runs stay in the system's file cache, and the process holds only the filter and
    the fences (1/512 of the runs).
    """

    def __init__(self) -> None:
        self._files: list[IO[bytes]] = []
        self._fences: list[Any] = []  # numpy: each run's first key of every block
        self._block = BLOCK
        self.count = 0
        self._bits: Any = None  # the Bloom filter: numpy uint8, read through `view`
        self.view = memoryview(b"")
        self.mask = 0

    def find(self, key: int) -> bool:
        """Is the key in a run?"""
        import numpy as np

        return self._in_runs(np.array([key], dtype=np.uint64))

    def any_of(self, keys: Collection[int]) -> bool:
        """Is any of `keys` in a run? (The Bloom filter's three probes of every key at
        once, then the runs' blocks for the keys it lets through.)"""
        import numpy as np

        wanted = np.fromiter(keys, dtype=np.uint64, count=len(keys))
        bits = np.asarray(self._bits)
        maybe = np.ones(len(wanted), dtype=bool)
        for bit in self._probes(wanted):
            at, shift = bit >> np.uint64(3), (bit & np.uint64(7)).astype(np.uint8)
            maybe &= (bits[at] >> shift) & np.uint8(1) == 1
        candidates = wanted[maybe]
        return bool(len(candidates)) and self._in_runs(candidates)

    def _probes(self, keys: Any) -> tuple[Any, Any, Any]:
        """The filter's three bits of each of `keys` (numpy uint64), as `__contains__` of
        `_SpilledKeys` works them out (the products wrap modulo 2**64, as it masks)."""
        import numpy as np

        mask = np.uint64(self.mask)
        mixed = keys * np.uint64(_MIX)
        other = keys * np.uint64(_MIX2)
        return mixed & mask, (mixed >> np.uint64(32)) & mask, (other >> np.uint64(16)) & mask

    def _in_runs(self, candidates: Any) -> bool:
        """Is any of `candidates` (numpy uint64) in a run? Each run's fences say which
        block each could be in; only that block is read."""
        import numpy as np

        size = self._block * 8
        for fences, handle in zip(self._fences, self._files, strict=True):
            blocks = np.searchsorted(fences, candidates, side="right") - 1
            for key, block in zip(candidates, blocks.tolist(), strict=True):
                if block < 0:  # below the run's first key
                    continue
                keys = np.frombuffer(_read(handle, block * size, size), dtype=np.uint64)
                at = int(np.searchsorted(keys, key))
                if at < len(keys) and keys[at] == key:
                    return True
        return False

    def write(self, keys: set[int]) -> None:
        """Add a run of keys."""
        import numpy as np

        if not keys:
            return
        run = np.fromiter(keys, dtype=np.uint64, count=len(keys))
        run.sort()
        handle = tempfile.TemporaryFile(prefix="peerreport-seen-")  # noqa: SIM115 - unlinked at once, closed with this object
        handle.write(run.tobytes())
        handle.flush()
        self._files.append(handle)
        self._fences.append(run[:: self._block].copy())
        self.count += len(run)
        if self._bits is None or self.count * 16 > self.mask + 1:
            self._rebuild(run)  # too full for its false-positive rate: grow it from every run
        else:
            self._mark(run)

    def _rebuild(self, latest: Any) -> None:
        """A new filter, twice as large or more, marked with every key written so far."""
        import numpy as np

        size = 1 << max(16, (self.count * 32 - 1).bit_length())  # bits: 32 to 64 a key
        self.mask = size - 1
        self._bits = np.zeros(size // 8, dtype=np.uint8)
        self.view = memoryview(self._bits)
        for handle in self._files[:-1]:
            handle.seek(0)
            self._mark(np.frombuffer(handle.read(), dtype=np.uint64))
        self._mark(latest)  # the newest run, from memory

    def _mark(self, keys: Any) -> None:
        import numpy as np

        for bit in self._probes(keys):
            at, shift = bit >> np.uint64(3), (bit & np.uint64(7)).astype(np.uint8)
            np.bitwise_or.at(self._bits, at, np.left_shift(np.uint8(1), shift))


def _read(handle: IO[bytes], offset: int, size: int) -> bytes:
    """`size` bytes of `handle` from `offset` (fewer at its end)."""
    if hasattr(os, "pread"):
        return os.pread(handle.fileno(), size, offset)
    handle.seek(offset)  # Windows has no pread; a run is read by one thread
    return handle.read(size)
