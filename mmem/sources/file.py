"""Recorded media files: probe them, and sample frames by decoder PTS.

Frames are decoded with PyAV (FFmpeg). Only the frames that are kept are converted to RGB, and
they are scaled by swscale straight to the working resolution, so dropping 29 of 30 frames costs
little more than decoding them. Timestamps come from each frame's PTS, so variable frame rate
comes out right; the display matrix is applied so rotated phone video comes out upright.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from mmem.errors import InputError, MediaOpenError
from mmem.sources.damage import Damage
from mmem.sources.sampler import CutSampler, Sampler
from mmem.types import Frame

MEDIA_SUFFIXES = frozenset(
    ".mp4 .mkv .avi .mpg .mpeg .mov .webm .m4v .ts .mts .flv .wmv .3gp .ogv".split()
)


AUDIO_SUFFIXES = frozenset(".flac .wav .mp3 .m4a .ogg .opus .aac .wma .mp2".split())


@dataclass(frozen=True, slots=True)
class MediaInfo:
    path: Path
    duration: float  # seconds (container duration, or the video stream's)
    fps: float  # the video stream's average frame rate (0 for audio-only; timing uses PTS)
    width: int  # upright width after rotation (0 for audio-only)
    height: int
    rotation: int  # degrees counter-clockwise applied to make frames upright
    codec: str  # video codec, or the audio codec of an audio-only file
    has_audio: bool
    has_video: bool = True
    start: float = 0.0  # absolute time (s) of the first video frame: t=0 for frames and audio


def _open(path: Path):  # -> av.container.InputContainer
    import av

    if not path.exists():
        raise InputError(f"no such file: {path}: check the path")
    if path.is_dir():
        raise InputError(f"{path} is a directory: pass files, or add --recursive to ingest a folder")
    if path.stat().st_size == 0:
        raise MediaOpenError(f"{path} is empty (0 bytes): nothing to ingest; re-copy or re-record it")
    try:
        return av.open(str(path), metadata_errors="ignore")
    except (av.error.FFmpegError, UnicodeDecodeError) as exc:
        raise MediaOpenError(
            f"{path} cannot be opened as media ({exc.__class__.__name__}): it is not a video, "
            "or it is truncated or corrupt; pass a complete video file (mp4, mkv, avi, mpg, mov, webm)"
        ) from None


def probe(path: Path) -> MediaInfo:
    """Read a file's streams without decoding it. Raises InputError subclasses for bad input."""
    container = _open(path)
    try:
        if not container.streams.video:
            if not container.streams.audio:
                raise MediaOpenError(f"{path} has neither video nor audio: pass a media file")
            return _probe_audio_only(path, container)
        stream = container.streams.video[0]
        duration = _duration(stream, container)
        fps = float(stream.average_rate) if stream.average_rate else 0.0
        ctx = stream.codec_context
        first = _first_frame(container, stream)
        if first is None:
            raise MediaOpenError(
                f"{path}: no decodable video frames (truncated or corrupt file): "
                "re-copy or re-encode it"
            )
        rotation = int(round((first.rotation or 0) / 90.0)) * 90 % 360
        w, h = first.width or ctx.width, first.height or ctx.height
        if rotation % 180:
            w, h = h, w
        return MediaInfo(
            path=path,
            duration=duration,
            fps=fps,
            width=w,
            height=h,
            rotation=rotation,
            codec=ctx.name,
            has_audio=bool(container.streams.audio),
            start=float(first.time or 0.0),
        )
    finally:
        container.close()


def _duration(stream, container) -> float:
    """The stream's own duration, else the container's (seconds, never negative)."""
    duration = 0.0
    if stream.duration is not None and stream.time_base is not None:
        duration = float(stream.duration * stream.time_base)
    if duration <= 0 and container.duration:
        duration = container.duration / 1_000_000
    return max(duration, 0.0)


def _probe_audio_only(path: Path, container) -> MediaInfo:
    stream = container.streams.audio[0]
    duration = _duration(stream, container)
    start = float(stream.start_time * stream.time_base) if stream.start_time is not None else 0.0
    return MediaInfo(path=path, duration=duration, fps=0.0, width=0, height=0,
                     rotation=0, codec=stream.codec_context.name, has_audio=True,
                     has_video=False, start=start)


def _first_frame(container, stream):  # -> av.VideoFrame | None
    """Decode just enough to get one frame (its display matrix tells the rotation)."""
    import av

    for packet in container.demux(stream):
        try:
            for frame in packet.decode():
                return frame
        except av.error.FFmpegError:
            continue
    return None


def _working_size(width: int, height: int, short_side: int) -> tuple[int, int]:
    """Scale (w, h) so the shorter side is `short_side` (never upscale), keeping even sizes."""
    scale = min(1.0, short_side / max(1, min(width, height)))
    w = max(2, int(round(width * scale / 2)) * 2)
    h = max(2, int(round(height * scale / 2)) * 2)
    return w, h


class FrameTap(Protocol):
    """What watches every decoded frame of a file beside the sampling (the shot pass,
    mmem.perceive.shots.ShotTap): it is handed each frame's small Y/U/V planes and answers with
    the times of the cuts it confirms; frames are held back `lag` frames so that the first
    frame of each cut is known, and kept, before it is handed on."""

    lag: int  # frames after its frame that a cut is confirmed
    width: int  # about how many pixels wide the planes should be
    reference_only: bool  # B-frames nothing refers to may go undecoded
    merge: float  # a grid frame this close before a cut (in 1/fps) gives way to the cut's first frame

    def push(self, t: float, yuv: np.ndarray) -> list[float]: ...
    def flush(self) -> list[float]: ...


def iter_frames(path: Path, fps: float = 1.0, short_side: int = 256,
                tap: FrameTap | None = None, damage: Damage | None = None) -> Iterator[Frame]:
    """Yield frames sampled at `fps` on the PTS clock, starting at t=0 (the first frame); with a
    `tap`, every decoded frame is shown to it too, the first frame of each cut it reports is
    yielded and the grid restarts there (see `CutSampler`).

    A frame is kept when its timestamp reaches the next point of the 1/fps grid; after a gap
    (variable frame rate, dropped frames) the grid resumes after the kept frame. Undecodable
    packets in the middle of a file are skipped (counted in `damage`, with the seconds of
    video they took); a file with no decodable frame raises.
    """
    import av

    damage = damage if damage is not None else Damage()

    container = _open(path)
    try:
        stream = _video_stream(container, path)
        native = float(stream.average_rate or 0) or 0.0
        if native and fps * 4 <= native and (tap is None or tap.reference_only):
            # Non-reference frames (B-frames) are never needed when sampling this sparsely;
            # skipping their decode is the largest single speed-up for H.264/HEVC.
            stream.codec_context.skip_frame = "NONREF"
        time_base = stream.time_base
        origin: int | None = None
        cuts: list[float] = []  # the tap's cuts: their first frames are kept
        sampler = Sampler(fps)
        shots = CutSampler[Any](fps, cuts, tap.merge) if tap is not None else None
        index = 0
        last_t = -1.0
        size: tuple[int, int] | None = None
        decoded_any = False
        held: deque[tuple[float, Any]] = deque()  # (t, av.VideoFrame) the tap may still cut at
        prev_t: float | None = None  # the newest decoded frame's time (sampled or not)
        # a jump this long means frames are missing (B-frames skipped above leave short ones)
        skipping = stream.codec_context.skip_frame == "NONREF"
        step = max(1.5 / native, 0.5 if skipping else 0.0) if native else 0.0

        def convert(t: float, frame: Any) -> Frame:
            nonlocal index, size
            rotation = int(round((frame.rotation or 0) / 90.0)) % 4
            if size is None:
                size = _working_size(frame.width, frame.height, short_side)
            image = frame.reformat(width=size[0], height=size[1], format="rgb24").to_ndarray()
            # rows may be padded to an alignment: consumers (dlib, torch) want packed pixels
            image = np.ascontiguousarray(np.rot90(image, k=rotation) if rotation else image)
            index += 1
            return Frame(index=index - 1, t=t, image=image)

        for packet in container.demux(stream):
            try:
                frames = packet.decode()
            except (av.error.InvalidDataError, av.error.FFmpegError):
                damage.errors += 1
                continue  # corrupt packet: skip it, keep the rest of the file
            for frame in frames:
                decoded_any = True
                pts = frame.pts if frame.pts is not None else frame.dts
                if pts is None:
                    continue
                if origin is None:
                    origin = pts
                t = float((pts - origin) * time_base)
                if native and prev_t is not None and t - prev_t > step:  # frames missing
                    damage.lost(t - prev_t - 1.0 / native)
                prev_t = t if prev_t is None else max(prev_t, t)
                if t <= last_t:
                    continue
                last_t = t
                if tap is None or shots is None:
                    if sampler.keep(t):
                        yield convert(t, frame)
                    continue
                k = min(16, max(2, frame.width // tap.width // 2 * 2))
                cuts.extend(tap.push(t, _small_yuv(frame, k)))
                held.append((t, frame))
                while len(held) > tap.lag:
                    for out in shots.offer(*held.popleft()):
                        yield convert(*out)
        if tap is not None and shots is not None:
            cuts.extend(tap.flush())
            while held:
                for out in shots.offer(*held.popleft()):
                    yield convert(*out)
            for out in shots.finish():
                yield convert(*out)
        if not decoded_any:
            raise MediaOpenError(
                f"{path}: no decodable video frames (truncated or corrupt file): "
                "re-copy or re-encode it"
            )
    finally:
        container.close()


def iter_planes(path: Path, block: int = 0, target_width: int = 96,
                reference_only: bool = False) -> Iterator[tuple[float, np.ndarray]]:
    """Every decoded frame of a file as (t, small YUV image): the cheap input of the shot pass.
    `reference_only` skips decoding B-frames that nothing refers to (see ShotConfig.frames).

    No colour conversion or scaling by swscale: the Y, U and V planes are read in place and
    averaged over a few pixels of each block (`_blocks`) to about `target_width` pixels wide
    (`block` > 0, even, forces the block size), so a frame costs little more than its decode.
    `t` is the frame's PTS from the first frame, the clock `iter_frames` uses. Corrupt packets
    are skipped, as there."""
    import av

    container = _open(path)
    try:
        stream = _video_stream(container, path)
        # deblocking smooths block edges: invisible to a 96-px content difference, and skipping
        # it makes H.264/HEVC decode markedly cheaper (a generic option: other codecs ignore it)
        stream.codec_context.options = {"skip_loop_filter": "all"}
        if reference_only:
            stream.codec_context.skip_frame = "NONREF"
        origin: int | None = None
        last_t = -1.0
        for packet in container.demux(stream):
            try:
                frames = packet.decode()
            except (av.error.InvalidDataError, av.error.FFmpegError):
                continue
            for frame in frames:
                pts = frame.pts if frame.pts is not None else frame.dts
                if pts is None:
                    continue
                if origin is None:
                    origin = pts
                t = float((pts - origin) * stream.time_base)
                if t <= last_t:
                    continue
                last_t = t
                k = block or min(16, max(2, frame.width // target_width // 2 * 2))  # even: chroma is half
                yield t, _small_yuv(frame, k)
    finally:
        container.close()


def _video_stream(container, path: Path):
    """The file's first video stream, decoded with frame/slice threads; an InputError if none."""
    if not container.streams.video:
        raise MediaOpenError(f"{path} has no video stream: pass a video file")
    stream = container.streams.video[0]
    stream.thread_type = "AUTO"
    return stream


def _plane(plane, width: int, height: int) -> np.ndarray:
    return np.frombuffer(plane, np.uint8).reshape(plane.height, plane.line_size)[:height, :width]


def _blocks(a: np.ndarray, k: int, samples: int = 2) -> np.ndarray:
    """Mean of `samples` x `samples` pixels spread evenly over each k x k block (strided views
    summed in uint16): a tenth of the reads of a full block mean, and almost as quiet (on real
    video a static shot's content score rises ~10%, cuts are unchanged)."""
    h, w = a.shape[0] // k, a.shape[1] // k
    s = max(1, min(samples, k))
    offsets = sorted({int((i + 0.5) * k / s) for i in range(s)})
    acc: np.ndarray | None = None
    for oi in offsets:
        for oj in offsets:
            view = a[oi::k, oj::k][:h, :w]
            acc = view.astype(np.uint16) if acc is None else acc + view
    assert acc is not None
    return acc.astype(np.float32) / np.float32(len(offsets) ** 2)


def _small_yuv(frame, k: int) -> np.ndarray:
    """HxWx3 float32 (Y, U, V in 0..255) at 1/k of the frame's size; other pixel formats are
    converted to yuv420p first (rare: most video decodes to it)."""
    if frame.format.name not in ("yuv420p", "yuvj420p"):
        frame = frame.reformat(format="yuv420p")
    w, h = frame.width, frame.height
    y = _blocks(_plane(frame.planes[0], w, h), k)
    ck = k // 2
    u = _blocks(_plane(frame.planes[1], (w + 1) // 2, (h + 1) // 2), ck)
    v = _blocks(_plane(frame.planes[2], (w + 1) // 2, (h + 1) // 2), ck)
    hh, ww = min(y.shape[0], u.shape[0]), min(y.shape[1], u.shape[1])
    return np.stack([y[:hh, :ww], u[:hh, :ww], v[:hh, :ww]], axis=-1)


def content_hash(path: Path, chunk: int = 1 << 20) -> str:
    """BLAKE2b of the whole file: the identity that makes re-ingesting a no-op."""
    with path.open("rb") as f:
        return stream_hash(f, chunk)


def stream_hash(f, chunk: int = 1 << 20) -> str:
    """`content_hash` of any binary stream (a local file, an object-store object)."""
    import hashlib

    h = hashlib.blake2b(digest_size=20)
    while block := f.read(chunk):
        h.update(block)
    return h.hexdigest()
