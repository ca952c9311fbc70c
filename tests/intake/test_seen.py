"""The import's duplicate check spills to disk past its limit and still finds every repeat."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine

from peerreport.intake import seen as seen_module
from peerreport.intake.seen import SeenKeys
from tests.helpers import ACTIVITY_HEADER, make_workspace, messages, run_import, write_csv

#: A small pool of keys (so repeats are common), spread over the whole 64-bit range.
POOL = st.integers(min_value=0, max_value=39).map(lambda i: (i * 0x9E3779B97F4A7C15) % 2**64)


@given(keys=st.lists(st.one_of(POOL, st.integers(0, 2**64 - 1)), max_size=200),
       limit=st.integers(1, 8))  # fmt: skip
def test_answers_as_a_set_does_across_every_spill(keys: list[int], limit: int) -> None:
    seen = SeenKeys(limit)
    reference: set[int] = set()
    for key in keys:
        found = key in seen
        assert found == (key in reference), key
        if not found:  # as the importer does: a repeat is reported, not added again
            seen.add(key)
            reference.add(key)
    assert all(key in seen for key in reference)
    # Written to disk in runs of `limit`: all but the keys still in memory.
    assert len(reference) - limit < seen.spilled <= len(reference)


def test_keys_on_both_sides_of_the_spill_boundary_are_found() -> None:
    seen = SeenKeys(limit=4)
    keys = [2**64 - 1, 0, 17, 2**63, 5, 6, 7]
    for key in keys:
        assert key not in seen
        seen.add(key)
    assert seen.spilled == 4  # the first four are on disk, the rest in memory
    assert all(key in seen for key in keys)
    assert 1 not in seen and 2**63 + 1 not in seen


def test_many_keys_spill_into_many_runs_and_none_is_lost() -> None:
    seen = SeenKeys(limit=1000)
    keys = [(i * 0x9E3779B97F4A7C15 + 12345) % 2**64 for i in range(20_000)]
    for key in keys:
        seen.add(key)
    assert seen.spilled == 20_000
    assert all(key in seen for key in keys)
    # Keys never added: the Bloom filter and the runs say no (none is a false duplicate).
    assert not any((i * 0x9E3779B97F4A7C15 + 999) % 2**64 in seen for i in range(20_000))


def test_a_duplicate_is_found_across_files_after_the_first_file_spilled(
    engine: Engine, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The importer's duplicate check, with a limit of 2 keys: the first file's keys are
    on disk when the second file repeats one of them, and within a file too."""
    monkeypatch.setattr(seen_module, "LIMIT", 2)
    ws = make_workspace(tmp_path / "ws", db_url)
    rows = [[f"A{i}", f"{10 + i}/08/2026", "group", "9", "Peer groups", ""] for i in range(6)]
    one = write_csv(tmp_path / "one.csv", [ACTIVITY_HEADER, *rows[:5]])
    two = write_csv(tmp_path / "two.csv", [ACTIVITY_HEADER, rows[5], rows[0], rows[5]])
    report = run_import(engine, ws, one, two)
    assert not report.stored
    assert messages(report) == [
        "two.csv, row 3: activity_id A0 appears more than once in this import",
        "two.csv, row 4: activity_id A5 appears more than once in this import",
    ]


@given(batches=st.lists(st.lists(st.one_of(POOL, st.integers(0, 2**64 - 1)), max_size=12),
                        max_size=20),
       limit=st.integers(1, 8))  # fmt: skip
def test_a_batch_of_keys_at_once_answers_as_a_set_does(
    batches: list[list[int]], limit: int
) -> None:
    # A batch of rows is checked and remembered together (`any_of`, `add_all`), as the
    # reading stage does with a whole batch of valid rows, before and after the spills.
    seen = SeenKeys(limit)
    reference: set[int] = set()
    for batch in batches:
        assert seen.any_of(batch) == (not reference.isdisjoint(batch)), batch
        assert all((key in seen) == (key in reference) for key in batch)
        if not seen.any_of(batch):
            seen.add_all(batch)
            reference.update(batch)
    assert all(key in seen for key in reference)
    assert seen.spilled <= len(reference)
    if len(reference) >= limit:
        assert seen.spilled > 0


def test_keys_on_disk_are_found_in_a_batch_and_keys_never_added_are_not() -> None:
    seen = SeenKeys(limit=1000)
    keys = [(i * 0x9E3779B97F4A7C15 + 12345) % 2**64 for i in range(20_000)]
    seen.add_all(keys[:10_000])
    for key in keys[10_000:]:
        seen.add(key)
    assert seen.spilled >= 19_000
    assert all(seen.any_of([key]) for key in keys[::997])
    never = [(i * 0x9E3779B97F4A7C15 + 999) % 2**64 for i in range(20_000)]
    assert not seen.any_of(never)
    assert seen.any_of([*never[:50], keys[4321]])


@given(keys=st.lists(st.one_of(POOL, st.integers(0, 2**64 - 1)), max_size=120),
       probes=st.lists(st.one_of(POOL, st.integers(0, 2**64 - 1)), max_size=40),
       limit=st.integers(1, 40), block=st.sampled_from([1, 2, 3, 4, 7]))  # fmt: skip
def test_runs_of_many_small_blocks_answer_as_a_set_does(
    keys: list[int], probes: list[int], limit: int, block: int
) -> None:
    # Blocks of a few keys: every run has many blocks, a short last block, and fences a
    # probe can fall before, between, on and after.
    saved = seen_module.BLOCK
    seen_module.BLOCK = block
    try:
        seen = SeenKeys(limit)
        seen.add_all(keys)
        reference = set(keys)
        for key in [*probes, *keys, 0, 2**64 - 1]:
            assert (key in seen) == (key in reference), key
            assert seen.any_of([key]) == (key in reference), key
            # The runs alone, past the Bloom filter: never a key that was not added.
            assert not seen._disk.find(key) or key in reference, key  # type: ignore[attr-defined]
        assert seen.any_of(probes) == (not reference.isdisjoint(probes))
    finally:
        seen_module.BLOCK = saved


def _resident_kib_of_runs(seen: SeenKeys) -> int:
    """Resident kB of this process's maps of the runs' temporary files (by inode: they
    are unlinked, and may never have had a name)."""
    inodes = {str(os.fstat(f.fileno()).st_ino) for f in seen._disk._files}  # type: ignore[attr-defined]
    total, counting = 0, False
    for line in Path("/proc/self/smaps").read_text().splitlines():
        fields = line.split()
        if fields and "-" in fields[0] and not fields[0].endswith(":"):  # a mapping's header
            counting = len(fields) > 4 and fields[4] in inodes
        elif counting and fields[0] == "Rss:":
            total += int(fields[1])
    return total


@pytest.mark.skipif(not Path("/proc/self/smaps").exists(), reason="reads Linux's /proc")
def test_the_runs_are_read_a_block_at_a_time_and_never_held_in_the_process(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Past the Bloom filter a lookup reads one block a run; the runs are not mapped, so
    # however many lookups there are, none of their pages counts as the process's own.
    seen = SeenKeys(limit=50_000)
    keys = [(i * 0x9E3779B97F4A7C15 + 7) % 2**64 for i in range(200_000)]
    seen.add_all(keys[:100_000])
    seen.add_all(keys[100_000:])
    assert seen.spilled == 200_000
    runs = seen._disk  # type: ignore[attr-defined]
    never = [(key + 1) % 2**64 for key in keys[::97]]  # one a block or so, never added
    reads: list[tuple[int, int]] = []
    real_pread = os.pread

    def counted(fd: int, size: int, offset: int) -> bytes:
        reads.append((size, offset))
        return real_pread(fd, size, offset)

    monkeypatch.setattr(os, "pread", counted)
    middle = 2**63 + 12345  # above every run's first key: each run has a block for it
    assert middle not in keys
    assert not runs.find(middle)
    # One block of 4 kB read from each run (two: one a batch of 100,000), and no more.
    assert len(runs._files) == 2
    assert len(reads) == 2
    assert all(size == seen_module.BLOCK * 8 and offset % size == 0 for size, offset in reads)
    assert not any(runs.find(key) for key in never)
    assert all(runs.find(key) for key in keys[::89])
    assert _resident_kib_of_runs(seen) == 0
    assert all(key in seen for key in keys[::101])
    assert not any(key in seen for key in never[::5])
