"""mmem.fileutil.write_aside: the target appears whole once the producer is done, is replaced
whole, and a producer that fails leaves the target as it was and nothing aside."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mmem.fileutil import write_aside


def test_target_appears_only_once_produce_returns(tmp_path):
    target = tmp_path / "model.onnx"
    seen: list[tuple[bool, str]] = []

    def produce(tmp: Path) -> None:
        tmp.write_text("part")
        seen.append((target.exists(), tmp.name))  # half written: not there yet, under its own name
        with tmp.open("a") as f:
            f.write(" whole")

    write_aside(target, produce)
    assert seen == [(False, "model.onnx")]
    assert target.read_text() == "part whole"
    assert [p.name for p in tmp_path.iterdir()] == ["model.onnx"]  # nothing left aside


def test_existing_target_is_replaced_whole(tmp_path):
    target = tmp_path / "mmem.json"
    target.write_text("old")

    def produce(tmp: Path) -> None:
        tmp.write_text("new, half")
        assert target.read_text() == "old"  # a reader meanwhile finds the old file whole
        tmp.write_text("new")

    write_aside(target, produce)
    assert target.read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["mmem.json"]


def test_failing_producer_leaves_target_and_nothing_aside(tmp_path):
    missing, kept = tmp_path / "a.onnx", tmp_path / "b.onnx"
    kept.write_text("old")

    def produce(tmp: Path) -> None:
        tmp.write_text("half")
        raise ValueError("check failed")

    for target in (missing, kept):
        with pytest.raises(ValueError, match="check failed"):
            write_aside(target, produce)
    assert not missing.exists() and kept.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["b.onnx"]


def test_suffix_kept_for_producers_that_add_one(tmp_path):
    target = tmp_path / "dense.npz"
    write_aside(target, lambda tmp: np.savez(tmp, w=np.arange(3)))  # np.savez adds .npz to a name without it
    assert np.load(target)["w"].tolist() == [0, 1, 2]


def test_concurrent_writers_never_share_a_temporary_path(tmp_path):
    target, paths = tmp_path / "copy.svm", []

    def outer(tmp: Path) -> None:
        paths.append(tmp)
        write_aside(target, inner)  # a second writer starts while the first is half way
        tmp.write_text("outer")

    def inner(tmp: Path) -> None:
        paths.append(tmp)
        tmp.write_text("inner")

    write_aside(target, outer)
    assert paths[0] != paths[1] and target.read_text() == "outer"  # the last rename wins, whole


def test_a_folder_replaces_no_other_folder(tmp_path):
    target = tmp_path / "ort-1.0"

    def folder(name: str):  # noqa: ANN202
        def produce(tmp: Path) -> None:
            tmp.mkdir()
            (tmp / "model.onnx").write_text(name)
        return produce

    write_aside(target, folder("first"))
    with pytest.raises(OSError):  # another's folder is there: it stays, and this one goes
        write_aside(target, folder("second"))
    assert (target / "model.onnx").read_text() == "first"
    assert [p.name for p in tmp_path.iterdir()] == ["ort-1.0"]
