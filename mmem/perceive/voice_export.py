"""Export Resemblyzer's speaker encoder (a 3-layer LSTM over 40-band mel frames, a linear layer,
ReLU, L2 normalisation) to ONNX, once, so that ingest embeds voices without torch
(mmem.perceive.voices.OnnxVoiceEncoder). The only code on the voice path that imports torch and
resemblyzer; `mmem.weights_onnx.resolve_voice_onnx` calls it when the cache holds no export yet.

The graph takes mels (batch, frames, 40), batch and frames dynamic, and returns the unit
embeddings (batch, 256). Before the file is published the export is checked against the torch
model on a batch of another shape than the tracing sample, so a tracing problem in a future torch
release can never silently change the vectors a memory stores.
"""

from __future__ import annotations

import warnings
from pathlib import Path

from mmem.errors import WeightsUnavailable
from mmem.fileutil import write_aside

OPSET = 17
_CHECK_TOL = 1e-4  # largest difference allowed between torch and ONNX embeddings (seen: ~1e-7)


def export(checkpoint: Path, target: Path) -> None:
    """Write the encoder whose weights are `checkpoint` as ONNX to `target` (atomically)."""
    try:
        import torch

        with warnings.catch_warnings():  # webrtcvad (imported by resemblyzer) warns about pkg_resources
            warnings.simplefilter("ignore")
            from resemblyzer import VoiceEncoder
    except ImportError as exc:
        raise WeightsUnavailable(
            f"the ONNX copy of the speaker model is not cached in {target.parent} and exporting it needs "
            f"torch and resemblyzer ({exc.name} is missing): `pip install resemblyzer`, or copy that folder "
            "from a machine where an ingest with voices has run, or run with --no-entities"
        ) from None
    from mmem.perceive.text_export import _without_onnx_package

    model = VoiceEncoder(device="cpu", verbose=False, weights_fpath=checkpoint).eval()
    target.parent.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    sample = torch.rand(2, 160, 40)

    def export_checked(tmp: Path) -> None:
        with torch.no_grad(), _without_onnx_package(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the LSTM's batch_first note: the check below is what counts
            torch.onnx.export(
                model, (sample,), str(tmp), input_names=["mels"], output_names=["embeddings"],
                dynamic_axes={"mels": {0: "batch", 1: "frames"}, "embeddings": {0: "batch"}},
                opset_version=OPSET, dynamo=False,
            )
        _check(model, tmp, torch)

    write_aside(target, export_checked)


def _check(model, path: Path, torch) -> None:  # noqa: ANN001
    """The exported graph reproduces the torch model on mel-like input of another batch size."""
    import numpy as np
    import onnxruntime as ort

    gen = torch.Generator().manual_seed(1)
    mels = torch.rand(5, 160, 40, generator=gen) ** 4 * 20  # power mels: mostly small, a few large
    with torch.no_grad():
        ref = model(mels).numpy()
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    got = session.run(None, {"mels": mels.numpy()})[0]
    worst = float(np.abs(got - ref).max())
    if worst > _CHECK_TOL:
        raise WeightsUnavailable(
            f"the ONNX export of the speaker model differs from it by {worst:.2g}: this torch version "
            "exports it wrongly: pin another version and ingest again, or run with --no-entities"
        )
