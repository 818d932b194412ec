"""Recipes, and merging of adjacent hits into moments."""

from __future__ import annotations

from pathlib import Path

import pytest

from mmem.config import IngestConfig, load_recipe, validate
from mmem.errors import InputError

ROOT = Path(__file__).resolve().parents[2]


def test_shipped_recipes_load_and_validate():
    for recipe in sorted((ROOT / "pipelines").glob("*.toml")):
        validate(load_recipe(recipe))


def test_recipe_overrides_defaults_and_rejects_typos(tmp_path):
    good = tmp_path / "r.toml"
    good.write_text('[source]\nfps = 2.5\n[segment]\ngamma = 1.5\nrefine = "conductance"\n')
    cfg = load_recipe(good)
    assert cfg.source.fps == 2.5 and cfg.segment.gamma == 1.5
    assert cfg.segment.min_duration == IngestConfig().segment.min_duration
    bad = tmp_path / "bad.toml"
    bad.write_text("[segment]\ngama = 1.5\n")
    with pytest.raises(InputError, match="unknown key.*gama"):
        load_recipe(bad)
    with pytest.raises(InputError, match="not found"):
        load_recipe(tmp_path / "missing.toml")


def test_batch_recipes_read_their_section_and_reject_typos(tmp_path):
    from mmem.config import BatchConfig, load_batch_recipe, load_recipe
    from tests.conftest import ROOT

    ray = load_batch_recipe(ROOT / "pipelines" / "ray_cluster.toml")
    assert ray.ray == "auto" and ray.cpus_per_worker == 4 and ray.gpus_per_worker == 0.5
    local = load_batch_recipe(ROOT / "pipelines" / "folder_batch.toml")
    assert local.workers == 2 and "tmp/*" in local.exclude and local.ray is None
    assert load_recipe(ROOT / "pipelines" / "folder_batch.toml").source.fps == 1.0  # [batch] is not an error
    assert load_batch_recipe(ROOT / "pipelines" / "lecture.toml") == BatchConfig()
    bad = tmp_path / "bad.toml"
    bad.write_text("[batch]\nworker = 2\n")
    with pytest.raises(InputError, match="unknown key"):
        load_batch_recipe(bad)
