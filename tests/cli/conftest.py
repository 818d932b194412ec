"""The CLI tests call `mmem ingest` many times in one process with the same settings: the models
are loaded once per configuration (and environment) and reused, as a long-running process
would, for the whole session (tests.conftest.models_once: the memories other tiers ingest in
this process reuse them too). A configuration that fails to load (a missing or --require'd
model) still fails every time: failures are not cached."""

from __future__ import annotations

import pytest

from tests.conftest import models_once


@pytest.fixture(autouse=True, scope="module")
def _models_once_per_configuration():
    with models_once():
        yield
