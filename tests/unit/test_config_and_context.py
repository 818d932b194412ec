"""Recipes, and merging of adjacent hits into moments."""

from __future__ import annotations

from pathlib import Path

import pytest

from mmem.config import IngestConfig, load_recipe, validate
from mmem.errors import InputError
from mmem.recall.context import merge_adjacent
from mmem.store.rows import EventRow

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


def row(sid: str, seq: int, start: float) -> EventRow:
    return EventRow(id=f"{sid}-r-{seq}", source_id=sid, seq=seq, start=start, end=start + 5,
                    started_at=None, keyframes=[f"k/{sid}{seq}.jpg"])


def test_adjacent_hits_of_one_source_merge_into_one_moment():
    hits = [(row("a", 3, 15), 0.9), (row("a", 4, 20), 0.88), (row("b", 4, 20), 0.7), (row("a", 9, 45), 0.6)]
    moments = merge_adjacent(hits, {"a": "/v/a.mp4", "b": "/v/b.mp4"}, Path("/db"))
    assert [(m.source, m.start, m.end) for m in moments] == [
        ("/v/a.mp4", 15, 25), ("/v/b.mp4", 20, 25), ("/v/a.mp4", 45, 50)]
    top = moments[0]
    assert top.event_id == "a-r-3" and top.score == 0.9 and top.event_ids == ["a-r-3", "a-r-4"]
    assert top.keyframe == "/db/k/a3.jpg"


def test_a_weak_neighbour_does_not_swallow_the_moment_and_k_is_respected():
    hits = [(row("a", 3, 15), 0.9), (row("a", 4, 20), 0.5), (row("a", 2, 10), 0.89), (row("b", 1, 5), 0.4)]
    moments = merge_adjacent(hits, {}, Path("/db"), k=2)
    assert [(m.start, m.end, m.score) for m in moments] == [(10, 20, 0.9), (20, 25, 0.5)]


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
