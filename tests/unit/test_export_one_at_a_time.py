"""The ONNX exports a first run makes (the speaker and sentence models) run one at a time even
when the models load side by side: torch.onnx.export keeps its state in module globals, and two at
once failed ("GLOBALS.in_onnx_export must be False")."""

from __future__ import annotations

import threading
from pathlib import Path

from mmem import weights_onnx


def test_two_exports_never_overlap_and_each_is_made_once(tmp_path):
    inside, overlapped, made = threading.Event(), [], []
    second_started = threading.Event()

    def export(checkpoint: Path, target: Path) -> None:
        if inside.is_set():
            overlapped.append(target.name)
        inside.set()
        second_started.wait(timeout=1.0)  # gives the other thread every chance to come in now
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(b"graph")
        made.append(target.name)
        inside.clear()

    def resolve(name: str) -> None:
        if name == "b.onnx":
            second_started.set()
        weights_onnx._exported(tmp_path / "ckpt", tmp_path / name / name, (), export, "a model", "torch")

    threads = [threading.Thread(target=resolve, args=(n,)) for n in ("a.onnx", "b.onnx")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert overlapped == [] and sorted(made) == ["a.onnx", "b.onnx"]
    weights_onnx._exported(tmp_path / "ckpt", tmp_path / "a.onnx" / "a.onnx", (), export, "a model", "torch")
    assert sorted(made) == ["a.onnx", "b.onnx"]  # already there: not made again
