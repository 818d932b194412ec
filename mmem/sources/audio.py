"""Audio tracks: decode with PyAV to 16 kHz mono float32, in chunks, on the frames' clock.

Chunks carry the time of their first sample in seconds from the source's origin (the first
video frame, or the first audio packet of an audio-only file). Gaps in the track's timestamps
are filled with silence so sample positions stay true to time; corrupt packets are skipped.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mmem.errors import InputError
from mmem.sources.damage import Damage

SAMPLE_RATE = 16_000


class AudioDecodeError(InputError):
    """The audio track exists but cannot be decoded (unsupported codec, corrupt stream)."""


@dataclass(frozen=True, slots=True)
class AudioChunk:
    t: float  # seconds from the source origin of samples[0]
    samples: np.ndarray  # float32 mono at SAMPLE_RATE


def read_audio(path: Path) -> np.ndarray:
    """The whole track at once, as float32 mono at SAMPLE_RATE (empty when there is none): for
    short clips (tests, benchmarks); a source is read in chunks (`iter_audio`)."""
    parts = [c.samples for c in iter_audio(path)] or [np.zeros(0, np.float32)]
    return np.concatenate(parts).astype(np.float32)


def iter_audio(path: Path, origin: float = 0.0, chunk_seconds: float = 30.0,
               damage: Damage | None = None) -> Iterator[AudioChunk]:
    """The track as chunks; packets that fail to decode and the seconds they leave out are
    counted in `damage`."""
    import av

    damage = damage if damage is not None else Damage()

    try:
        container = av.open(str(path), metadata_errors="ignore")
    except av.error.FFmpegError as exc:
        raise AudioDecodeError(f"{path}: cannot open the audio ({exc.__class__.__name__})") from None
    try:
        if not container.streams.audio:
            return
        stream = container.streams.audio[0]
        try:
            resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
        except av.error.FFmpegError as exc:
            raise AudioDecodeError(f"{path}: cannot resample the audio ({exc})") from None
        size = int(chunk_seconds * SAMPLE_RATE)
        buf: list[np.ndarray] = []
        buffered = 0
        start: float | None = None  # time of the first buffered sample
        cursor: float | None = None  # time of the next expected sample
        decoded = bad = 0
        for packet in container.demux(stream):
            try:
                frames = packet.decode()
            except av.error.FFmpegError:
                bad += 1
                damage.errors += 1
                continue
            for frame in frames:
                decoded += 1
                for out in resampler.resample(frame):
                    pcm = out.to_ndarray().reshape(-1).astype(np.float32, copy=False)
                    t = (float(frame.time) - origin) if frame.time is not None else cursor or 0.0
                    if cursor is None:
                        cursor = start = max(0.0, t)
                        if t < 0:  # audio that starts before the first video frame
                            pcm = pcm[int(round(-t * SAMPLE_RATE)):]
                    elif t - cursor > 0.1:  # a gap in the track: keep positions true to time
                        damage.lost(t - cursor)
                        gap = np.zeros(int(round((t - cursor) * SAMPLE_RATE)), np.float32)
                        buf.append(gap)
                        buffered += gap.size
                        cursor = t
                    buf.append(pcm)
                    buffered += pcm.size
                    cursor += pcm.size / SAMPLE_RATE
                    while buffered >= size:
                        joined = np.concatenate(buf)
                        assert start is not None
                        yield AudioChunk(start, joined[:size])
                        rest = joined[size:]
                        start += size / SAMPLE_RATE
                        buf, buffered = [rest], rest.size
        for out in resampler.resample(None):
            buf.append(out.to_ndarray().reshape(-1).astype(np.float32, copy=False))
            buffered += buf[-1].size
        if buffered and start is not None:
            yield AudioChunk(start, np.concatenate(buf))
        if decoded == 0 and bad:
            raise AudioDecodeError(f"{path}: no audio packet could be decoded (corrupt track)")
    finally:
        container.close()
