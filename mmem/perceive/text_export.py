"""Export a sentence model's transformer to ONNX, once, so that ingest and `ask` run it without
torch (mmem.perceive.text_onnx). The only code on the text path that imports torch and
transformers; `mmem.weights_onnx.resolve_text_onnx` calls it when the cache holds no export yet.

The graph takes input_ids, attention_mask and token_type_ids (batch and sequence length dynamic) and
returns last_hidden_state; pooling and normalisation stay in numpy. Before the file is published the
export is checked against the torch model on a padded batch, so a tracing problem in some future
transformers release can never silently change the vectors a memory stores.
"""

from __future__ import annotations

import warnings
from pathlib import Path

from mmem.errors import WeightsUnavailable
from mmem.fileutil import write_aside

OPSET = 17
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
_CHECK_TOL = 1e-3  # largest difference allowed between torch and ONNX hidden states (seen: ~2e-6)


def export(model_dir: Path, target: Path) -> None:
    """Write `model_dir`'s transformer as ONNX to `target` (atomically: written aside and renamed)."""
    try:
        import torch
        from transformers import AutoModel
        from transformers.utils import logging as hf_logging
    except ImportError as exc:
        raise WeightsUnavailable(
            f"the ONNX copy of the text model is not cached in {target.parent} and exporting it needs "
            f"torch and transformers ({exc.name} is missing): run `mmem models pull --text-model NAME` where "
            "they are installed and copy that folder here"
        ) from None
    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()
    model = AutoModel.from_pretrained(str(model_dir), attn_implementation="eager").eval()

    class Hidden(torch.nn.Module):
        def __init__(self, inner: torch.nn.Module) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids):  # noqa: ANN001
            return self.inner(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).last_hidden_state

    wrapped = Hidden(model).eval()
    sample = _sample(torch)
    target.parent.mkdir(parents=True, exist_ok=True)

    def export_checked(tmp: Path) -> None:
        with torch.no_grad(), _without_onnx_package(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # tracer notes about shapes: the check below is what counts
            torch.onnx.export(
                wrapped, sample, str(tmp), input_names=list(_INPUTS), output_names=["last_hidden_state"],
                dynamic_axes={n: {0: "batch", 1: "tokens"} for n in (*_INPUTS, "last_hidden_state")},
                opset_version=OPSET, dynamo=False,
            )
        _check(wrapped, tmp, torch)

    write_aside(target, export_checked)


def _sample(torch):  # noqa: ANN001, ANN202
    """Two sentences of different lengths (the second padded), as a tokenizer would give them."""
    ids = torch.tensor([[101, 7592, 2088, 2003, 1037, 3231, 102], [101, 2204, 2851, 102, 0, 0, 0]])
    mask = (ids != 0).long()
    return ids, mask, torch.zeros_like(ids)


def _check(wrapped, path: Path, torch) -> None:  # noqa: ANN001
    """The exported graph reproduces the torch model on a batch of another shape than the sample."""
    import numpy as np
    import onnxruntime as ort

    ids = torch.tensor([[101, 1996, 2093, 2515, 2024, 2006, 1996, 2795, 102],
                        [101, 7632, 102, 0, 0, 0, 0, 0, 0], [101, 2054, 2001, 2056, 1029, 102, 0, 0, 0]])
    mask = (ids != 0).long()
    types = torch.zeros_like(ids)
    with torch.no_grad():
        ref = wrapped(ids, mask, types).numpy()
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    got = session.run(None, {"input_ids": ids.numpy(), "attention_mask": mask.numpy(),
                             "token_type_ids": types.numpy()})[0]
    keep = mask.numpy().astype(bool)
    worst = float(np.abs(got - ref)[keep].max())
    if worst > _CHECK_TOL:
        raise WeightsUnavailable(
            f"the ONNX export of the text model differs from it by {worst:.2g}: this torch/transformers "
            "pair exports it wrongly: pin other versions and run `mmem models pull --text-model NAME`"
        )


class _without_onnx_package:
    """torch's TorchScript exporter writes the ModelProto itself, but then always passes it through
    the `onnx` package to insert custom onnxscript functions (there are none here). `onnx` is not a
    dependency of mmem, so that step is skipped when the package is absent."""

    def __enter__(self) -> None:
        self._saved = None
        try:
            import onnx  # noqa: F401

            return
        except ImportError:
            pass
        from torch.onnx._internal.torchscript_exporter import onnx_proto_utils

        self._module = onnx_proto_utils
        self._saved = onnx_proto_utils._add_onnxscript_fn
        onnx_proto_utils._add_onnxscript_fn = lambda model_bytes, custom_opsets: model_bytes

    def __exit__(self, *exc: object) -> None:
        if self._saved is not None:
            self._module._add_onnxscript_fn = self._saved
