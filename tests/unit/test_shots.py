"""The shot pass on real clips with known cut frames: hard cuts to the frame, a fade through
black, a static scene with sensor noise (no cut). No models."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mmem.config import ShotConfig
from mmem.perceive.shots import ShotDetector, detect, shot_pass
from mmem.sources.file import iter_planes

ROOT = Path(__file__).resolve().parents[2]
GRID = [ROOT / "tests/data/lbax4n.mpg", ROOT / "tests/data/pwij3p.mpg", ROOT / "tests/data/sbwe5n.mpg"]


@pytest.fixture(scope="module")
def joined(tmp_path_factory) -> tuple[Path, list[float]]:
    """Three real one-shot clips joined at 25 fps: the joins are known to the frame."""
    from benchmarks.media import concat

    out = tmp_path_factory.mktemp("shots") / "joined.mp4"
    joins = concat(GRID, out, size=(360, 288), fps=25)
    return out, joins


@pytest.mark.parametrize("frames", ["reference", "all"])
def test_joins_are_found_at_the_first_frame_of_each_clip(joined, frames):
    path, joins = joined
    cuts = shot_pass(path, ShotConfig(frames=frames))
    assert [c.kind for c in cuts] == ["cut"] * len(joins)
    # the first frame of the new clip is the first frame at or after the join: 1/25 s grid
    want = [np.ceil(j * 25 - 1e-6) / 25 for j in joins]
    assert [c.t for c in cuts] == pytest.approx(want, abs=1e-3)


def test_three_shots_sample_matches_pyscenedetects_frames():
    # PySceneDetect 0.7's AdaptiveDetector names these first frames of shots (15 fps): the
    # bikes clip has cuts of its own; its join to bbaf2n is 0.28 s after one, under min_shot
    cuts = shot_pass(ROOT / "samples/three_shots.mp4", ShotConfig())
    assert [round(c.t * 15) for c in cuts] == [80, 98, 162, 192, 225]


def _frames(path: Path) -> list[np.ndarray]:
    return [yuv for _, yuv in iter_planes(path)]


def _fade(a: np.ndarray, alpha: float) -> np.ndarray:
    """A frame faded towards video black (Y 16, U = V = 128) by `alpha` (1 = unchanged)."""
    black = np.array([16.0, 128.0, 128.0], np.float32)
    return black + alpha * (a - black)


def test_a_fade_through_black_is_one_cut_in_the_black():
    a, b = _frames(GRID[0]), _frames(GRID[1])
    fps = 25.0
    seq = a[:40] + [_fade(a[40], 1 - k / 12) for k in range(1, 13)] + [_fade(b[0], 0.0)] * 6 \
        + [_fade(b[k], k / 12) for k in range(1, 13)] + b[13:60]
    cuts = detect(((i / fps, f) for i, f in enumerate(seq)), ShotConfig())
    black = [i for i, f in enumerate(seq) if f[..., 0].mean() < ShotConfig().black_level]
    assert len(cuts) == 1 and cuts[0].kind == "fade"
    assert cuts[0].t == pytest.approx((black[-1] + 1) / fps)  # the first frame out of the black


def test_a_static_scene_with_sensor_noise_has_no_cut():
    still = _frames(GRID[2])[0]
    rng = np.random.default_rng(0)
    det = ShotDetector(ShotConfig())
    cuts = []
    for i in range(150):  # 6 s
        noisy = np.clip(still + rng.normal(0, 4.0, still.shape), 0, 255).astype(np.float32)
        cuts += det.push(i / 25, noisy)
    assert cuts + det.flush() == []


def test_a_cut_after_the_minimum_shot_length_only():
    a, b, c = (_frames(p) for p in GRID)
    fps = 25.0
    cfg = ShotConfig()
    short = int(cfg.min_shot * fps) - 3  # a flash of b shorter than a shot
    seq = a[:30] + b[:short] + c[:40]
    cuts = detect(((i / fps, f) for i, f in enumerate(seq)), cfg)
    assert [c.t for c in cuts] == pytest.approx([30 / fps])


def test_the_frame_decode_carries_the_shot_pass_and_keeps_each_shots_first_frame(joined):
    from mmem.perceive.shots import ShotTap
    from mmem.sources.file import iter_frames

    path, joins = joined
    found: list[tuple[float, str]] = []
    frames = list(iter_frames(path, fps=1.0, short_side=128, tap=ShotTap(ShotConfig(), found)))
    assert [t for t, _ in found] == pytest.approx([c.t for c in shot_pass(path, ShotConfig())], abs=1e-3)
    times = [f.t for f in frames]
    assert times == sorted(times) and [f.index for f in frames] == list(range(len(frames)))
    for t, _ in found:  # the cut's own frame is among the sampled ones
        assert any(abs(x - t) < 1e-6 for x in times)
    # the grid restarts at each cut: within a shot kept frames are 1 s apart, and none lies
    # less than half a second before a cut (the cut's first frame stands in for it), so a file
    # with cuts is embedded about as often as one without, not once more per cut
    starts = [0.0] + [t for t, _ in found]
    for a, b in zip(starts, starts[1:] + [times[-1] + 1.0]):
        shot = [x for x in times if a - 1e-6 <= x < b - 1e-6]
        assert shot[0] == pytest.approx(a, abs=1e-6)
        assert all(y - x == pytest.approx(1.0, abs=0.05) for x, y in zip(shot, shot[1:]))
        if b <= times[-1]:
            assert b - shot[-1] >= 0.5 - 1e-6
    assert len(frames) <= int(times[-1]) + 2


def test_the_grid_restarts_at_each_cut_and_a_grid_frame_just_before_a_cut_gives_way():
    from mmem.sources.sampler import CutSampler

    cuts: list[float] = []
    s = CutSampler[int](1.0, cuts, merge=0.5)
    kept: list[float] = []
    for i in range(250):  # 10 s at 25 fps; each cut is known before its frame is offered
        t = i / 25
        if i in (int(2.3 * 25), int(5.72 * 25), int(7.0 * 25)):
            cuts.append(t)
        kept += [t for t, _ in s.offer(t, i)]
    kept += [t for t, _ in s.finish()]
    # 2.0 is 0.3 s before the cut at 2.3, 5.28 is 0.44 s before 5.72 and 6.72 0.28 s before 7.0:
    # each cut's first frame stands in for them; 9.0 is kept at the end of the file
    assert kept == pytest.approx([0.0, 1.0, 2.28, 3.28, 4.28, 5.72, 7.0, 8.0, 9.0])
    assert len(kept) < 10  # fewer than the plain grid's 10, though three cuts came
