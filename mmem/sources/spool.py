"""A bounded on-disk FIFO for live audio: capture never waits for speech recognition.

Chunks are appended to a file and read back in order; when the reader catches up the file is
emptied. Past `max_seconds` of backlog new audio is refused and counted (`dropped_seconds`),
never lost silently.
"""

from __future__ import annotations

import os
import struct
import tempfile
import threading
from pathlib import Path

import numpy as np

from mmem.sources.audio import SAMPLE_RATE, AudioChunk

_HEAD = struct.Struct("<dI")  # chunk time (s), sample count


class AudioSpool:
    def __init__(self, directory: Path | None = None, max_seconds: float = 3600.0) -> None:
        fd, name = tempfile.mkstemp(prefix="mmem-audio-", suffix=".spool", dir=directory)
        os.close(fd)
        self.path = Path(name)
        self._w = self.path.open("ab")
        self._r = self.path.open("rb")
        self._lock = threading.Condition()
        self._written = self._read = 0  # bytes
        self._backlog = 0  # samples written and not yet read
        self.max_samples = int(max_seconds * SAMPLE_RATE)
        self.dropped_seconds = 0.0
        self.closed = False

    @property
    def backlog_seconds(self) -> float:
        return self._backlog / SAMPLE_RATE

    def write(self, chunk: AudioChunk) -> bool:
        data = np.ascontiguousarray(chunk.samples, np.float32).tobytes()
        with self._lock:
            if self._backlog + chunk.samples.size > self.max_samples:
                self.dropped_seconds += chunk.samples.size / SAMPLE_RATE
                return False
            self._w.write(_HEAD.pack(chunk.t, chunk.samples.size) + data)
            self._w.flush()
            self._written += _HEAD.size + len(data)
            self._backlog += chunk.samples.size
            self._lock.notify_all()
        return True

    def read(self, timeout: float = 0.5) -> AudioChunk | None:
        """The next chunk, or None if none came within `timeout` (or the spool is closed)."""
        with self._lock:
            if self._read >= self._written:
                if self.closed:
                    return None
                self._lock.wait(timeout)
                if self._read >= self._written:
                    return None
            self._r.seek(self._read)
            t, n = _HEAD.unpack(self._r.read(_HEAD.size))
            samples = np.frombuffer(self._r.read(n * 4), np.float32).copy()
            self._read += _HEAD.size + n * 4
            self._backlog -= n
            if self._read == self._written:  # caught up: start the file over
                self._w.truncate(0)
                self._w.seek(0)
                self._read = self._written = 0
            return AudioChunk(t, samples)

    def close(self) -> None:
        """No more writes; readers drain what is left."""
        with self._lock:
            self.closed = True
            self._lock.notify_all()

    def remove(self) -> None:
        self._w.close()
        self._r.close()
        self.path.unlink(missing_ok=True)
