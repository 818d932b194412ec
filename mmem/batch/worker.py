"""One batch worker: loads the models once, then turns files into events, one at a time.

A worker appends a file's events and transcripts to the memory under the file's run (invisible
until the writer commits the file), and hands back what the writer needs: the source row and
the faces and voices met, still unmatched. Every failure stays inside its file's result.
"""

from __future__ import annotations

import errno
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mmem.batch.plan import Item
from mmem.config import IngestConfig
from mmem.errors import MmemError
from mmem.reports import FileTally
from mmem.store.rows import SourceRow


@dataclass
class FileResult(FileTally):
    """One file of a batch, as its worker hands it to the writer (counts: see FileTally)."""

    index: int
    uri: str
    status: str  # ingested | skipped | duplicate | failed
    size: int = 0  # bytes
    source: SourceRow | None = None  # the complete sources row, for the writer
    meetings: list = field(default_factory=list)  # faces and voices per event, unmatched
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "uri": self.uri, "status": self.status, "source_id": self.source.id if self.source else None,
            "events": self.events, "utterances": self.utterances, "appearances": self.appearances,
            "frames": self.frames, "duration": round(self.duration, 3), "seconds": round(self.wall, 3),
            "bytes": self.size, "channels": self.channels, "skipped": self.skipped,
            "warnings": self.warnings, "damage": self.damage, "error": self.error,
        }


class Worker:
    """Models loaded once; `process` one file at a time. Also a Ray actor class."""

    def __init__(self, db: str, cfg: IngestConfig, force: bool = False, threads: int | None = None,
                 models: tuple[Any, Any, Any] | None = None) -> None:
        import sys

        from mmem.store.memory import Memory

        self.cfg, self.force = cfg, force
        self.memory = Memory.open(db)  # the writer created it
        if models is None:
            from mmem.pipeline import build_models

            models = build_models(cfg)
        # torch's threads only where a model imported torch (CLIP): without CLIP (the offline
        # default) no model uses it, and importing it only to set them cost each worker process
        # seconds of start-up (~3.5 s on 2 busy cores)
        if threads and "torch" in sys.modules:
            sys.modules["torch"].set_num_threads(max(1, int(threads)))
        self.vision, self.hearing, self.people = models

    def process(self, item: Item, progress: Any = None) -> FileResult:
        """Remember one file; `progress(done, total)` in media seconds, when given."""
        from mmem.consolidate.recorders import defer
        from mmem.pipeline import FileJob

        t0 = time.perf_counter()
        res = FileResult(item.index, item.uri, "failed", size=item.size)
        if item.duplicate_of:
            res.status = "duplicate"
            res.warnings.append(f"same content as {item.duplicate_of}: remembered once")
            return res
        job = None
        try:
            with local_copy(item) as path:
                job = FileJob(path, self.memory, self.cfg, self.vision, self.hearing, self.people,
                              force=self.force, uri=item.uri)
                r = job.report
                res.duration, res.channels = r.duration, r.channels
                if job.skipped:
                    res.status, res.events = "skipped", r.events
                else:
                    self.memory.drop_runs(job.sid, job.keep)  # what an interrupted batch left
                    session = job.run_session(progress, recorder=defer)
                    res.status, res.source = "ingested", job.row
                    res.meetings = session.recorder.handoff()
                    res.take_counts(r)
        except Exception as exc:  # noqa: BLE001 - one file's failure must not stop the batch
            res.error = describe(exc, item)
            if job is not None and not job.skipped:
                try:
                    self.memory.drop_runs(job.sid, job.keep)
                except Exception:  # noqa: BLE001 - the next batch cleans up all the same
                    pass
        res.wall = time.perf_counter() - t0
        return res


def describe(exc: BaseException, item: Item) -> str:
    """One line that says what went wrong with a file and what to do."""
    if isinstance(exc, MmemError):
        return str(exc)
    if isinstance(exc, FileNotFoundError):
        return f"{item.uri} disappeared before it could be read: restore it and rerun"
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return "no space left on the device: free some space and rerun (finished files are kept)"
    if isinstance(exc, PermissionError):
        return f"{item.uri} cannot be read (permission denied): fix its permissions and rerun"
    text = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


@contextmanager
def local_copy(item: Item) -> Iterator[Path]:
    """The file itself, or (for an object URI) a temporary local copy of it."""
    if not item.remote:
        path = Path(item.uri)
        if not path.exists():
            raise FileNotFoundError(item.uri)
        yield path
        return
    from mmem.store.location import ObjectPath

    obj = ObjectPath(item.uri)
    tmp = Path(tempfile.mkdtemp(prefix="mmem-batch-"))
    try:
        dst = tmp / item.name
        with obj.fs.open_input_stream(obj.key) as src, dst.open("wb") as out:
            while block := src.read(1 << 22):
                out.write(block)
        yield dst
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
