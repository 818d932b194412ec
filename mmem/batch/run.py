"""Run a batch: open the memory, prepare it for concurrent appends, run the workers where asked,
commit their results in file order, compact. No printing: each result goes to a callback."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from mmem.batch.plan import Item
from mmem.batch.worker import FileResult, Worker
from mmem.batch.writer import Writer, in_order
from mmem.config import BatchConfig, IngestConfig
from mmem.errors import MmemError, StoreError
from mmem.perceive.models import loaded_plan, plan_models


@dataclass
class BatchReport:
    db: str
    backend: str  # inline | pool | ray ...
    workers: int
    results: list[FileResult] = field(default_factory=list)
    wall: float = 0.0
    interrupted: bool = False
    planned: int = 0
    skipped: list[str] = field(default_factory=list)  # "channel: why" for channels that did not run

    def count(self, status: str) -> int:
        return sum(r.status == status for r in self.results)

    @property
    def media_seconds(self) -> float:
        return sum(r.duration for r in self.results if r.status == "ingested")

    def summary(self) -> dict[str, Any]:
        hours = self.wall / 3600
        done = self.count("ingested")
        return {
            "files": self.planned, "ingested": done, "skipped": self.count("skipped"),
            "duplicate": self.count("duplicate"), "failed": self.count("failed"),
            "not_reached": self.planned - len(self.results),
            "events": sum(r.events for r in self.results if r.status == "ingested"),
            "media_hours": round(self.media_seconds / 3600, 4), "seconds": round(self.wall, 2),
            "files_per_hour": round(done / hours, 1) if hours > 0 else 0.0,
            "media_hours_per_hour": round(self.media_seconds / self.wall, 2) if self.wall > 0 else 0.0,
            "interrupted": self.interrupted,
        }


def run_batch(items: list[Item], db: str, cfg: IngestConfig, bcfg: BatchConfig, *, force: bool = False,
              on_start: Callable[[str, list[str]], None] | None = None,
              on_result: Callable[[FileResult], None] | None = None,
              on_progress: Callable[[Item, float], None] | None = None,
              open_memory: Callable[[str], Any] | None = None) -> BatchReport:
    """Remember `items` into the memory at `db`. Callbacks: `on_start(backend, skipped channels)`
    once the workers are set up, `on_result` after each file is committed (in file order), `on_progress(item,
    fraction)` within a file (one worker in this process only); `open_memory(db)` opens it to write
    (the CLI's, which says who holds the writer lock or waits for it)."""
    from mmem.store.memory import Memory

    t0 = time.perf_counter()
    if bcfg.ray is None and bcfg.workers is None:  # several GPUs here: one worker (one model copy) each
        from mmem.batch.runners import gpus_for

        bcfg = dataclasses.replace(bcfg, workers=max(1, gpus_for(cfg)))
    inline = bcfg.ray is None and (bcfg.workers or 1) <= 1
    if bcfg.ray is not None:  # an unreachable cluster fails before anything is created
        from mmem.batch.runners import connect_ray

        joined = connect_ray(bcfg.ray)
    memory = (open_memory(db) if open_memory is not None
              else Memory.open(db, create=True, command="mmem batch"))
    try:
        # the vector model and widths are fixed before any worker writes, and a missing required
        # model fails the batch at once, with one error; workers elsewhere load their own models
        from mmem.pipeline import bind_models, build_models

        models = build_models(cfg) if inline else None
        plan = loaded_plan(*models) if models is not None else plan_models(cfg)
        bind_models(memory, plan)
        memory.prepare(plan.text_dim)
        writer = Writer(memory, people=plan.people)
        db = str(memory.root)

        if inline:
            from mmem.batch.runners import run_inline

            backend, workers = "inline", 1
            results = run_inline(items, Worker(db, cfg, force, models=models), on_progress)
        elif bcfg.ray is None:
            from mmem.batch.runners import run_pool

            backend, workers = "pool", int(bcfg.workers or 1)
            results = run_pool(items, db, cfg, force, workers)
        else:
            from mmem.batch.runners import fit_resources, planned_workers, run_ray

            backend = joined
            bcfg, notes = fit_resources(bcfg)
            backend += "".join(f"; {n}" for n in notes)
            workers = planned_workers(bcfg, len(items))
            results = run_ray(items, db, cfg, force, bcfg, workers)
        report = BatchReport(db=db, backend=backend, workers=workers, planned=len(items),
                             skipped=plan.skipped)
        if on_start is not None:
            on_start(backend, plan.skipped)
        try:
            for res in in_order(results):
                try:
                    writer.commit(res)
                except MmemError:
                    raise
                except Exception as exc:  # noqa: BLE001 - a full disk, a lost bucket: stop, keep what is done
                    from mmem.batch.worker import describe

                    raise StoreError(f"cannot commit {res.uri} to {db} ({describe(exc, items[res.index])}): "
                                     "the files before it are kept; fix this and rerun") from None
                report.results.append(res)
                if on_result is not None:
                    on_result(res)
        except KeyboardInterrupt:
            report.interrupted = True
        finally:
            report.wall = time.perf_counter() - t0
        if not report.interrupted:
            memory.compact()
            report.wall = time.perf_counter() - t0
        return report
    finally:
        if open_memory is None:  # the lock this call took (a caller's memory is the caller's to close)
            memory.close()
