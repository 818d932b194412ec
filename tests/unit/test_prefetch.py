"""The decode-ahead thread keeps order, re-raises errors, and stops its source early."""

from __future__ import annotations

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
