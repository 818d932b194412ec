"""The CLI tests call `mmem ingest` many times in one process with the same settings: the models
are loaded once per configuration (and environment) and reused, as a long-running process
would. A configuration that fails to load (a missing or --require'd model) still fails every
time: failures are not cached."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(autouse=True, scope="module")
def _models_once_per_configuration():
    from mmem import pipeline

    real = pipeline.build_models
    loaded: dict[str, object] = {}

    def build_models(cfg, **kwargs):
        key = repr((cfg, kwargs, os.environ.get("MMEM_HOME"), os.environ.get("MMEM_OFFLINE")))
        if key not in loaded:
            loaded[key] = real(cfg, **kwargs)
        return loaded[key]

    patch = pytest.MonkeyPatch()
    patch.setattr(pipeline, "build_models", build_models)
    yield
    patch.undo()
