"""ONNX Runtime sessions on the CPU from a graph exported once, through its runtime copy.

Loading an export costs ONNX Runtime most of its session time: it parses the weights out of the
protobuf, copies them and optimises the graph (CAM++: ~0.5 s of CPU; the sentence model more). So
the first session saves the graph as ONNX Runtime runs it (`runtime_copy`): optimised at the
hardware-independent level, its weights in a separate file that later sessions map from disk. Every
session then loads that copy with the default (full) optimisation, so the layout passes that depend
on the CPU are redone at each load, and every run computes with the same graph: the export's
outputs bit for bit (tests/integration/test_text_onnx.py, test_campp_onnx.py). The copy is kept per
ONNX Runtime version next to the export; the export itself is used when the copy cannot be written
or read.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

WEIGHTS_FILE = "weights.bin"  # the runtime copy's weights, beside its graph (named inside the graph)


def options(threads: int) -> Any:
    """Session options: `threads` threads that sleep rather than spin (a shared CPU), quiet."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.log_severity_level = 3  # warnings about unused initialisers are noise to a user
    opts.intra_op_num_threads = opts.inter_op_num_threads = threads
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")  # no busy-wait on a shared CPU
    return opts


def runtime_copy(export: Path) -> Path:
    """Where the runtime copy of `export` lives (it may not exist yet): one per ONNX Runtime
    version, since the saved graph names that version's fused operators."""
    import onnxruntime as ort

    return export.parent / f"ort-{ort.__version__}" / "model.onnx"


def session(export: Path, threads: int) -> Any:
    """An ONNX Runtime session of `export`: from its runtime copy, saved first when there is none
    (written aside and renamed into place, so a concurrent or interrupted process never sees half
    a copy)."""
    import onnxruntime as ort
    from onnxruntime.capi.onnxruntime_pybind11_state import Fail, InvalidGraph, InvalidProtobuf, NoSuchFile

    copy = runtime_copy(export)
    if not copy.is_file():
        _save_copy(export, copy)
    if copy.is_file():
        try:
            return ort.InferenceSession(str(copy), options(threads), providers=["CPUExecutionProvider"])
        except (Fail, InvalidGraph, InvalidProtobuf, NoSuchFile):
            pass  # damaged (or from elsewhere): the export below still answers, the same
    return ort.InferenceSession(str(export), options(threads), providers=["CPUExecutionProvider"])


def _save_copy(export: Path, copy: Path) -> None:
    """Optimise `export` at the hardware-independent level and save it as `copy`, with its weights
    file, in a folder written aside (nothing when the cache cannot be written, or when another
    process put its copy there first: theirs serves)."""
    import onnxruntime as ort

    from mmem.fileutil import write_aside

    def save(folder: Path) -> None:
        folder.mkdir()
        opts = options(1)
        # the hardware-independent optimisations only; the layout ones are redone at each load
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
        opts.optimized_model_filepath = str(folder / copy.name)
        prefix = "session.optimized_model_external_initializers_"
        opts.add_session_config_entry(prefix + "file_name", WEIGHTS_FILE)
        opts.add_session_config_entry(prefix + "min_size_in_bytes", "1024")  # every weight matrix
        ort.InferenceSession(str(export), opts, providers=["CPUExecutionProvider"])

    try:
        write_aside(copy.parent, save)
    except Exception:  # noqa: BLE001  (a read-only or full cache, a copy that cannot be made: the export serves)
        return
