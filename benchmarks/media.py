"""Make test and benchmark videos from the real samples (PyAV + libx264; no ffmpeg binary)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from fractions import Fraction
from pathlib import Path

import av
import numpy as np


def _frames(path: Path, size: tuple[int, int]) -> Iterator[tuple[float, np.ndarray]]:
    """Frames scaled to fit `size` with their aspect kept (black bars), as packed yuv420p."""
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        s.thread_type = "AUTO"
        origin = None
        for f in c.decode(s):
            if f.pts is None:
                continue
            origin = f.pts if origin is None else origin
            scale = min(size[0] / f.width, size[1] / f.height)
            w, h = int(f.width * scale) // 2 * 2, int(f.height * scale) // 2 * 2
            rgb = np.zeros((size[1], size[0], 3), np.uint8)
            x, y = (size[0] - w) // 2 // 2 * 2, (size[1] - h) // 2 // 2 * 2
            rgb[y:y + h, x:x + w] = f.reformat(width=w, height=h, format="rgb24").to_ndarray()
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            yield float((f.pts - origin) * s.time_base), frame.reformat(format="yuv420p").to_ndarray()


def _audio(path: Path, seconds: float, rate: int = 16000) -> np.ndarray:
    """The input's audio as mono float32 at `rate`, exactly `seconds` long (silence if none)."""
    from mmem.sources.audio import read_audio

    want = int(round(seconds * rate))
    pcm = read_audio(path)
    return np.pad(pcm[:want], (0, max(0, want - pcm.size)))


def concat(
    inputs: Sequence[Path], out: Path, size: tuple[int, int] = (1280, 720), fps: int = 30,
    crf: int = 23, audio: bool = False,
) -> list[float]:
    """Concatenate videos into one constant-rate H.264 MP4 (with AAC audio if `audio`; inputs
    without a track add silence); return the join times (seconds).

    Each output frame shows the latest input frame at or before its time, so inputs at any frame
    rate come out at `fps` with their real durations.
    """
    joins: list[float] = []
    offset = 0.0
    n = 0
    samples = 0
    with av.open(str(out), "w") as c:
        st = c.add_stream("libx264", rate=fps)
        st.width, st.height, st.pix_fmt = size[0], size[1], "yuv420p"
        st.options = {"crf": str(crf), "preset": "veryfast"}
        ast = c.add_stream("aac", rate=16000, layout="mono") if audio else None
        for i, path in enumerate(inputs):
            if i:
                joins.append(offset)
            with av.open(str(path)) as probe:
                vs = probe.streams.video[0]
                dur = float(vs.duration * vs.time_base) if vs.duration else probe.duration / 1e6
            last = None
            frames = _frames(path, size)
            pending = next(frames, None)
            while n / fps < offset + dur - 1e-9:
                t = n / fps - offset
                while pending is not None and pending[0] <= t + 1e-9:
                    last = pending[1]
                    pending = next(frames, None)
                if last is None:
                    last = pending[1] if pending else np.zeros((size[1] * 3 // 2, size[0]), np.uint8)
                frame = av.VideoFrame.from_ndarray(last, format="yuv420p")
                frame.pts = n
                frame.time_base = Fraction(1, fps)
                for p in st.encode(frame):
                    c.mux(p)
                n += 1
            if ast is not None:
                end = int(round((offset + dur) * 16000))
                pcm = _audio(path, (end - samples) / 16000)
                for j in range(0, pcm.size, 1024):
                    block = av.AudioFrame.from_ndarray(pcm[None, j:j + 1024], format="flt", layout="mono")
                    block.sample_rate, block.pts, block.time_base = 16000, samples + j, Fraction(1, 16000)
                    for p in ast.encode(block):
                        c.mux(p)
                samples = end
            offset += dur
        for s in (st, ast) if ast is not None else (st,):
            for p in s.encode():
                c.mux(p)
    return joins


def variable_rate(out: Path, times: Sequence[float], colours: Sequence[tuple[int, int, int]],
                  size: tuple[int, int] = (160, 96)) -> None:
    """An MP4 whose frames sit at the given (irregular) times, each a solid colour with a
    frame-specific bar, so a test can check which frame was sampled."""
    with av.open(str(out), "w") as c:
        st = c.add_stream("libx264", rate=1000)
        st.width, st.height, st.pix_fmt = size[0], size[1], "yuv420p"
        st.codec_context.time_base = Fraction(1, 1000)
        st.options = {"bf": "0"}
        for t, colour in zip(times, colours, strict=True):
            img = np.empty((size[1], size[0], 3), np.uint8)
            img[:] = colour
            frame = av.VideoFrame.from_ndarray(img, format="rgb24")
            frame.pts = int(round(t * 1000))
            frame.time_base = Fraction(1, 1000)
            for p in st.encode(frame):
                c.mux(p)
        for p in st.encode():
            c.mux(p)


def splice(video: Sequence[tuple[Path, float]], audio: Sequence[tuple[Path, float]], out: Path,
           size: tuple[int, int] = (360, 288), fps: int = 25) -> list[float]:
    """A file whose picture and sound are cut independently: `video` and `audio` are (input,
    seconds) played one after another from each input's start, so a visual cut may fall inside
    a sentence. H.264 + AAC; returns the visual cut times (seconds)."""
    cuts: list[float] = []
    with av.open(str(out), "w") as c:
        st = c.add_stream("libx264", rate=fps)
        st.width, st.height, st.pix_fmt = size[0], size[1], "yuv420p"
        st.options = {"crf": "23", "preset": "veryfast"}
        ast = c.add_stream("aac", rate=16000, layout="mono")
        n, offset = 0, 0.0
        for i, (path, seconds) in enumerate(video):
            if i:
                cuts.append(n / fps)
            frames = _frames(path, size)
            last, pending = None, next(frames, None)
            while n / fps < offset + seconds - 1e-9:
                t = n / fps - offset
                while pending is not None and pending[0] <= t + 1e-9:
                    last, pending = pending[1], next(frames, None)
                frame = av.VideoFrame.from_ndarray(last if last is not None else pending[1], format="yuv420p")
                frame.pts, frame.time_base = n, Fraction(1, fps)
                for p in st.encode(frame):
                    c.mux(p)
                n += 1
            offset += seconds
        pcm = np.concatenate([_audio(path, seconds) for path, seconds in audio])
        for j in range(0, pcm.size, 1024):
            block = av.AudioFrame.from_ndarray(pcm[None, j:j + 1024], format="flt", layout="mono")
            block.sample_rate, block.pts, block.time_base = 16000, j, Fraction(1, 16000)
            for p in ast.encode(block):
                c.mux(p)
        for s in (st, ast):
            for p in s.encode():
                c.mux(p)
    return cuts
