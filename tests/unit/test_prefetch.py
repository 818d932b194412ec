"""The decode-ahead thread keeps order, re-raises errors, and stops its source early."""

from __future__ import annotations

import sys
import time

import pytest

from mmem.sources.prefetch import prefetch


def test_yields_everything_in_order():
    assert list(prefetch(iter(range(1000)), depth=7)) == list(range(1000))


def test_errors_reach_the_consumer_after_the_good_items():
    def items():
        yield 1
        yield 2
        raise ValueError("corrupt")

    got = []
    with pytest.raises(ValueError, match="corrupt"):
        for x in prefetch(items(), depth=4):
            got.append(x)
    assert got == [1, 2]


def test_stopping_early_closes_the_source():
    closed = []

    def items():
        try:
            for i in range(10**9):
                yield i
        finally:
            closed.append(True)

    gen = prefetch(items(), depth=2)
    assert next(gen) == 0
    gen.close()
    assert closed == [True]


def test_a_background_pass_gives_its_result_or_its_error():
    from mmem.sources.prefetch import Background

    assert Background(lambda stop: sum(range(10))).result() == 45

    def fails(stop):
        raise ValueError("the track is damaged")

    with pytest.raises(ValueError, match="damaged"):
        Background(fails).result()


def test_a_cancelled_background_pass_stops_at_its_next_item():
    import threading

    from mmem.sources.prefetch import Background, until

    seen: list[int] = []
    started = threading.Event()

    def slow(stop):
        for i in until(iter(range(1000)), stop):
            seen.append(i)
            started.set()
            time.sleep(0.01)
        return "finished"

    task = Background(slow)
    started.wait(5)
    task.cancel()
    while task.running:
        time.sleep(0.01)
    assert 0 < len(seen) < 1000  # it ended early, without raising in the caller


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="threads have their own priority on Linux")
def test_a_background_pass_can_run_below_its_callers_priority_and_the_caller_keeps_its_own():
    import os
    import threading

    from mmem.sources.prefetch import Background

    def priority(stop=None):
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    mine = priority()
    assert Background(priority, nice=5).result() == min(19, mine + 5)
    assert Background(priority).result() == mine and priority() == mine
