"""The collector's full passes are held off while the views catch up, and put back after,
however the pieces of work that hold them off overlap."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import pytest

from application import collector
from application.collector import NEVER, full_passes_held_off


@pytest.fixture(autouse=True)
def thresholds() -> Iterator[tuple[int, int, int]]:
    before = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    yield gc.get_threshold()
    gc.set_threshold(*before)


def test_full_passes_are_held_off_inside_and_put_back_after(
    thresholds: tuple[int, int, int],
) -> None:
    with full_passes_held_off():
        assert gc.get_threshold() == (700, 10, NEVER)
    assert gc.get_threshold() == thresholds


def test_overlapping_holders_put_the_thresholds_back_once_the_last_one_leaves(
    thresholds: tuple[int, int, int],
) -> None:
    first_in, second_in, first_out = threading.Event(), threading.Event(), threading.Event()
    seen: list[tuple[int, int, int]] = []

    def second() -> None:
        first_in.wait(5)
        with full_passes_held_off():
            second_in.set()
            first_out.wait(5)
            seen.append(gc.get_threshold())  # the first left: still held off for this one

    thread = threading.Thread(target=second)
    thread.start()
    with full_passes_held_off():
        first_in.set()
        second_in.wait(5)
    first_out.set()
    thread.join(5)
    assert seen == [(700, 10, NEVER)]
    assert gc.get_threshold() == thresholds


def test_an_error_inside_puts_the_thresholds_back(thresholds: tuple[int, int, int]) -> None:
    with pytest.raises(RuntimeError), full_passes_held_off():
        raise RuntimeError("the work failed")
    assert gc.get_threshold() == thresholds
    assert collector._holding == 0
