"""Frame sampling from real files: PTS timing, variable frame rate, rotation, bad files."""

from __future__ import annotations

from fractions import Fraction

import av
import cv2
import numpy as np
import pytest

from benchmarks.media import variable_rate
from mmem.errors import InputError, MediaOpenError
from mmem.sources.file import iter_frames, probe

pytestmark = pytest.mark.integration


def write_video(path, codec: str, rate: int, images: list, rotation: int | None = None) -> None:
    """Encode RGB images at a constant rate (optionally with a display rotation)."""
    h, w = images[0].shape[:2]
    with av.open(str(path), "w") as c:
        st = c.add_stream(codec, rate=rate)
        st.width, st.height, st.pix_fmt = w, h, "yuv420p"
        if rotation is not None:
            st.set_display_rotation(rotation)
        for i, img in enumerate(images):
            f = av.VideoFrame.from_ndarray(img, format="rgb24")
            f.pts, f.time_base = i, Fraction(1, rate)
            for p in st.encode(f):
                c.mux(p)
        for p in st.encode():
            c.mux(p)


def test_samples_at_fps_on_the_pts_clock(samples):
    info = probe(samples / "bigbuckbunny.mp4")
    assert (info.width, info.height, info.codec) == (1280, 720, "h264")
    assert info.duration == pytest.approx(5.28, abs=0.01)
    frames = list(iter_frames(samples / "bigbuckbunny.mp4", fps=1.0))
    assert [round(f.t, 2) for f in frames] == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    assert frames[0].image.shape == (256, 456, 3) and frames[0].image.dtype == np.uint8
    two = list(iter_frames(samples / "bbaf2n.mpg", fps=2.0))
    assert [round(f.t, 2) for f in two] == [0.0, 0.52, 1.0, 1.52, 2.0, 2.52] or \
        [round(f.t, 1) for f in two] == [0.0, 0.5, 1.0, 1.5, 2.0, 2.5]


def test_variable_frame_rate_uses_real_timestamps(tmp_path):
    times = [0.0, 0.1, 0.2, 0.3, 2.5, 2.6, 2.65, 4.0, 4.9]
    path = tmp_path / "vfr.mp4"
    variable_rate(path, times, [(i * 25, 0, 0) for i in range(len(times))])
    frames = list(iter_frames(path, fps=1.0))
    # index/fps would claim 0, 1, 2; the PTS say 0, 2.5, 4.0 - and those frames are the ones shown
    assert [round(f.t, 3) for f in frames] == [0.0, 2.5, 4.0]
    assert [round(int(f.image[5, 5, 0]) / 25) for f in frames] == [0, 4, 7]


def test_rotated_video_comes_out_upright_like_opencv(tmp_path):
    path = tmp_path / "phone.mp4"
    band = np.zeros((64, 128, 3), np.uint8)
    band[:, :32] = 255  # a white band on the left of the stored frame
    write_video(path, "libx264", 10, [band] * 10, rotation=90)
    info = probe(path)
    frame = next(iter_frames(path, fps=1.0))
    cap = cv2.VideoCapture(str(path))  # OpenCV applies the display matrix by default
    ok, ref = cap.read()
    assert ok
    assert frame.image.shape[:2] == ref.shape[:2] == (128, 64)
    assert (info.width, info.height) == (64, 128)
    ours = frame.image[..., 0] > 128
    theirs = ref[..., 2] > 128
    assert (ours == theirs).mean() > 0.97


def test_bad_files_raise_errors_that_name_the_fix(tmp_path, samples):
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    with pytest.raises(MediaOpenError, match="empty"):
        probe(empty)
    text = tmp_path / "notes.mp4"
    text.write_text("these are not frames\n" * 50)
    with pytest.raises(MediaOpenError, match="cannot be opened as media"):
        probe(text)
    half = tmp_path / "half.mp4"
    half.write_bytes((samples / "bigbuckbunny.mp4").read_bytes()[:500_000])  # index at the end
    with pytest.raises(MediaOpenError, match="truncated"):
        probe(half)
    with pytest.raises(InputError, match="no such file"):
        probe(tmp_path / "missing.mp4")
    with pytest.raises(InputError, match="--recursive"):
        probe(tmp_path)


def test_audio_only_files_probe_as_audio_sources(samples):
    info = probe(samples.parent / "tests" / "data" / "tone.flac")
    assert (info.has_video, info.has_audio, info.codec) == (False, True, "flac")
    assert info.duration == pytest.approx(0.5, abs=0.01)


def test_a_truncated_stream_yields_what_decodes(tmp_path, samples):
    # MPEG-PS has no index at the end: half a file is half a video
    half = tmp_path / "half.mpg"
    half.write_bytes((samples / "bbaf2n.mpg").read_bytes()[:200_000])
    frames = list(iter_frames(half, fps=2.0))
    assert 1 <= len(frames) < 6


@pytest.mark.parametrize(
    "suffix, codec", [(".mkv", "libx264"), (".avi", "mpeg4"), (".mov", "libx264"), (".webm", "libvpx")]
)
def test_common_containers_sample_the_same_timeline(tmp_path, suffix, codec):
    path = tmp_path / f"clip{suffix}"
    write_video(path, codec, 10, [np.full((64, 96, 3), i * 7, np.uint8) for i in range(35)])  # 3.5 s
    info = probe(path)
    assert (info.width, info.height) == (96, 64)
    frames = list(iter_frames(path, fps=1.0))
    assert [round(f.t, 1) for f in frames] == [0.0, 1.0, 2.0, 3.0]
    assert abs(int(frames[2].image[10, 10].mean()) - 140) < 12  # the frame shown at t=2 s


def test_frames_are_packed_arrays(samples):
    # 456 px rows are padded by the decoder; dlib and torch need packed pixels
    frame = next(iter_frames(samples / "bigbuckbunny.mp4", fps=1.0))
    assert frame.image.shape == (256, 456, 3) and frame.image.flags["C_CONTIGUOUS"]
