"""The single weight resolver: offline errors, random init, local checkpoints and configs."""

from __future__ import annotations

import json

import numpy as np
import pytest

from mmem.errors import InputError, WeightsUnavailable
from mmem.weights import resolve_clip


def test_uncached_weights_offline_give_one_clear_error():
    with pytest.raises(WeightsUnavailable) as exc:
        resolve_clip("ViT-B-32", "laion2b_s34b_b79k")
    msg = str(exc.value)
    assert "not cached" in msg and "no network" in msg
    assert "mmem models pull --clip-model ViT-B-32 --clip-pretrained laion2b_s34b_b79k" in msg
    assert "--clip-pretrained PATH" in msg


def test_unknown_names_are_input_errors():
    with pytest.raises(InputError, match="unknown --clip-model"):
        resolve_clip("ViT-Nope", "random")
    with pytest.raises(InputError, match="unknown --clip-pretrained"):
        resolve_clip("ViT-B-32", "no_such_tag")
    with pytest.raises(InputError, match="no such file"):
        resolve_clip("ViT-B-32", "/nowhere/weights.pt")


def test_local_checkpoint_and_config_paths_work_like_names(tmp_path):
    import torch

    from mmem.perceive.clip import ClipEmbedder

    random_tiny = ClipEmbedder(resolve_clip("mmem-tiny", "random"), device="cpu")
    ckpt = tmp_path / "tiny.pt"
    torch.save(random_tiny.model.state_dict(), ckpt)
    cfg = tmp_path / "my-tiny.json"
    cfg.write_text(json.dumps({
        "embed_dim": 64,
        "vision_cfg": {"image_size": 64, "layers": 2, "width": 64, "patch_size": 16, "head_width": 32},
        "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 64, "heads": 2, "layers": 2},
    }))
    weights = resolve_clip(str(cfg), str(ckpt))
    assert weights.model == "my-tiny" and weights.checkpoint == ckpt
    assert weights.model_id.startswith("my-tiny/file-")
    loaded = ClipEmbedder(weights, device="cpu")
    img = [np.random.default_rng(0).integers(0, 255, (72, 128, 3), dtype=np.uint8)]
    np.testing.assert_allclose(loaded.embed_images(img), random_tiny.embed_images(img), atol=1e-5)
    texts = loaded.embed_texts(["a red car", "a dog"])
    assert texts.shape == (2, 64)
    np.testing.assert_allclose(np.linalg.norm(texts, axis=1), 1.0, atol=1e-5)
