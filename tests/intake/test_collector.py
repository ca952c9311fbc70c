"""Fewer garbage collections during an import: raised while any import runs, put back after."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import pytest

from peerreport.intake import collector
from peerreport.intake.collector import IMPORT_THRESHOLD, fewer_collections


@pytest.fixture(autouse=True)
def _threshold() -> Iterator[None]:
    before = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    yield
    gc.set_threshold(*before)


def test_the_threshold_is_raised_inside_and_put_back_after() -> None:
    with fewer_collections():
        assert gc.get_threshold() == (IMPORT_THRESHOLD, 10, 10)
    assert gc.get_threshold() == (700, 10, 10)


def test_it_is_put_back_when_the_import_fails() -> None:
    with pytest.raises(RuntimeError), fewer_collections():
        raise RuntimeError("a failed import")
    assert gc.get_threshold() == (700, 10, 10)
    assert collector._running == 0


def test_overlapping_imports_put_it_back_when_the_last_one_ends() -> None:
    """Two imports on two threads, the first ending first: the threshold stays raised until
    the second ends, and is then what it was before either (not the raised value)."""
    first_in, second_in, first_out = threading.Event(), threading.Event(), threading.Event()
    seen: list[tuple[int, int, int]] = []

    def first() -> None:
        with fewer_collections():
            first_in.set()
            second_in.wait(5)
        first_out.set()

    def second() -> None:
        first_in.wait(5)
        with fewer_collections():
            second_in.set()
            first_out.wait(5)
            seen.append(gc.get_threshold())

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert seen == [(IMPORT_THRESHOLD, 10, 10)]
    assert gc.get_threshold() == (700, 10, 10)


def test_a_collector_turned_off_stays_off() -> None:
    gc.set_threshold(0, 10, 10)
    with fewer_collections():
        assert gc.get_threshold()[0] == 0
    assert gc.get_threshold()[0] == 0
