"""`mmem ingest` loads its models and opens the store with Python's cyclic collector off, then
freezes what start-up made out of the collector's view and turns it back on for the run (a
collector the caller had turned off stays off)."""

from __future__ import annotations

import gc

import pytest

from mmem.cli.ingest import _no_collection_while_starting


@pytest.fixture(autouse=True)
def _unfrozen():
    was = gc.isenabled()
    yield
    gc.unfreeze()  # the rest of the test session collects as before
    if was:
        gc.enable()


def test_start_up_is_not_collected_and_what_it_made_is_frozen_then_collection_resumes():
    gc.unfreeze()
    gc.enable()
    with _no_collection_while_starting():
        assert not gc.isenabled()
        models = [{"weights": list(range(10))} for _ in range(1000)]  # long-lived start-up objects
    assert gc.isenabled()
    assert gc.get_freeze_count() >= len(models)


def test_a_collector_turned_off_by_the_caller_stays_off():
    gc.disable()
    with _no_collection_while_starting():
        pass
    assert not gc.isenabled()
