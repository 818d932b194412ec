"""`mmem batch`: remember whole folders (or bucket prefixes) of media, resumably, on this
machine or on a Ray cluster."""

from __future__ import annotations

import dataclasses
import os
import signal
from contextlib import nullcontext
from typing import Annotated

import typer
from rich.markup import escape

import mmem.cli.options as opt
from mmem.cli.common import (
    DbOption,
    JsonOption,
    WaitOption,
    db_path,
    err,
    handles_errors,
    open_writer,
    out,
    print_json,
)
from mmem.config import IngestConfig
from mmem.errors import InputError


@handles_errors
@opt.with_ingest_settings(after="gpus_per_worker")
def batch(
    paths: Annotated[list[str], typer.Argument(help="Folders (searched recursively), files, or object-store prefixes (s3://bucket/videos).")],
    cfg: IngestConfig,
    workers: Annotated[int | None, typer.Option("--workers", "-w", help="Files processed at once, each worker with its own models (default 1; on Ray: one per --cpus-per-worker CPUs).")] = None,
    include: Annotated[list[str] | None, typer.Option(help="Only files matching this glob (*.mp4, day1/*); repeatable.")] = None,
    exclude: Annotated[list[str] | None, typer.Option(help="Skip files matching this glob (tmp/*); repeatable.")] = None,
    ray: Annotated[str | None, typer.Option("--ray", help="Run on Ray: auto (a running cluster, else a local one), local, or ray://head:10001.")] = None,
    cpus_per_worker: Annotated[float | None, typer.Option(help="Ray: CPUs each worker reserves (default 1).")] = None,
    gpus_per_worker: Annotated[float | None, typer.Option(help="Ray: share of a GPU each worker reserves (0.5: two per GPU) (default 0).")] = None,
    force: opt.Force = False,
    recipe: opt.Recipe = None,
    db: DbOption = None,
    json_out: JsonOption = False,
    wait: WaitOption = False,
) -> None:
    """Remember every media file under folders or bucket prefixes: skips what is done, resumes what
    was interrupted, reports each file. Exit 1 if some files failed, 2 if nothing could be done."""
    from mmem.batch.plan import plan
    from mmem.config import BatchConfig, load_batch_recipe

    bcfg = load_batch_recipe(recipe) if recipe else BatchConfig()
    updates = {k: v for k, v in (("workers", workers), ("ray", ray), ("cpus_per_worker", cpus_per_worker),
                                 ("gpus_per_worker", gpus_per_worker)) if v is not None}
    if include:
        updates["include"] = tuple(include)
    if exclude:
        updates["exclude"] = tuple(exclude)
    bcfg = dataclasses.replace(bcfg, **updates)
    if bcfg.workers is not None and bcfg.workers < 1:
        raise InputError(f"--workers must be >= 1 (got {bcfg.workers})")
    if bcfg.cpus_per_worker <= 0 or bcfg.gpus_per_worker < 0:
        raise InputError("--cpus-per-worker must be > 0 and --gpus-per-worker >= 0")

    from mmem.store.location import is_uri
    from mmem.store.memory import Memory

    target = db_path(db)
    Memory.check_location(target)
    if bcfg.ray not in (None, "auto", "local") and not is_uri(target):
        err.print("[yellow]note:[/] the Ray cluster's workers write to "
                  f"{escape(str(target))}: it must be on storage they all share (or pass --db s3://...)")
    with err.status("finding media...", spinner="dots") if not json_out else nullcontext():
        items = plan(paths, bcfg.include, bcfg.exclude)
    total_bytes = sum(it.size for it in items)
    if not json_out:
        err.print(f"{len(items)} media files ({total_bytes / 1e9:.2f} GB) -> {escape(str(target))}")

    from mmem.batch.run import run_batch

    progress, on_start, on_result, on_progress = _progress(items, total_bytes, quiet=json_out)
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        with progress:
            with err.status("loading models...", spinner="dots") if not json_out else nullcontext():
                report = run_batch(items, str(target), cfg, bcfg, force=force, on_start=on_start,
                                   on_result=on_result, on_progress=on_progress,
                                   open_memory=lambda d: open_writer(d, wait, create=True))
    finally:
        signal.signal(signal.SIGTERM, previous)
    if json_out:
        print_json({"db": report.db, "backend": report.backend, "workers": report.workers,
                    "channels_skipped": report.skipped, "summary": report.summary(), "files": [r.to_json() for r in report.results]})
    else:
        _print_summary(report)
    if report.interrupted:
        err.print(f"interrupted: {len(report.results)} of {len(items)} files done; "
                  "run the same command again to finish (done files are skipped)")
        raise typer.Exit(130)
    s = report.summary()
    if s["failed"] and not (s["ingested"] or s["skipped"] or s["duplicate"]):
        raise typer.Exit(2)
    if s["failed"]:
        raise typer.Exit(1)


def _interrupt(signum, frame) -> None:  # SIGTERM stops a batch like Ctrl-C
    raise KeyboardInterrupt


def _progress(items, total_bytes: int, quiet: bool):
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    progress = Progress(
        TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[stats]}"),
        TextColumn("ETA"), TimeRemainingColumn(), console=err, disable=quiet, transient=False,
    )
    n = len(items)
    state = {"files": 0, "media": 0.0, "bytes": 0, "task": None}

    def on_start(backend: str, skipped: list[str]) -> None:
        if not quiet:
            for why in skipped:
                name, _, reason = why.partition(": ")
                err.print(f"[yellow]warning:[/] {name} channel skipped: {escape(reason)}")
            err.print("running in this process" if backend == "inline" else f"running on {escape(backend)}")
        state["task"] = progress.add_task(f"files 0/{n}", total=max(1, total_bytes), stats="")
        progress.start_task(state["task"])

    def on_result(res) -> None:
        state["files"] += 1
        if res.status == "ingested":
            state["media"] += res.duration
        task = state["task"]
        elapsed = progress.tasks[task].elapsed or 0.0 if task is not None else 0.0
        speed = f"{state['media'] / elapsed:.1f}x" if elapsed else "-"
        stats = f"{state['media'] / 3600:.2f} media-h  {speed}"
        state["bytes"] += max(1, res.size)
        if task is not None:
            progress.update(task, completed=state["bytes"], description=f"files {state['files']}/{n}",
                            stats=stats)
        if quiet:
            return
        name = escape(os.path.basename(res.uri.rstrip("/")))
        if res.status == "failed":
            why = (res.error or "").replace(res.uri + ": ", "").replace(res.uri + " ", "")
            progress.console.print(f"[red]failed[/]    {name}: {escape(why)}")
        elif res.status == "ingested":
            progress.console.print(f"[green]ingested[/]  {name}: {res.events} events, "
                                   f"{res.duration:.0f}s of media in {res.wall:.1f}s")
        else:
            progress.console.print(f"{res.status:<9} {name}")
        for w in res.warnings:
            progress.console.print(f"[yellow]warning:[/] {name}: {escape(w)}")

    def on_progress(item, fraction: float) -> None:  # within a file (one worker, this process)
        if state["task"] is not None:
            progress.update(state["task"], completed=state["bytes"] + fraction * max(1, item.size))

    return progress, on_start, on_result, on_progress


def _print_summary(report) -> None:
    from rich.table import Table

    s = report.summary()
    where = "this process" if report.backend == "inline" else report.backend
    table = Table(title=f"batch into {escape(report.db)} ({escape(where)}, {report.workers} worker(s))",
                  title_justify="left")
    for col in ("status", "files", "events", "media", "seconds"):
        table.add_column(col, justify="left" if col == "status" else "right")
    for status in ("ingested", "skipped", "duplicate", "failed"):
        rows = [r for r in report.results if r.status == status]
        if rows or status in ("ingested", "failed"):
            media = sum(r.duration for r in rows) if status == "ingested" else 0.0
            table.add_row(status, str(len(rows)), str(sum(r.events for r in rows)),
                          f"{media / 60:.1f} min" if media else "-", f"{sum(r.wall for r in rows):.1f}")
    if s["not_reached"]:
        table.add_row("not reached", str(s["not_reached"]), "-", "-", "-")
    out.print(table)
    out.print(f"{s['files']} files in {s['seconds']:.1f}s: {s['files_per_hour']:.0f} files/h, "
              f"{s['media_hours_per_hour']:.1f} media-hours per hour")
    failed = [r for r in report.results if r.status == "failed"]
    if failed:
        out.print(f"{len(failed)} file(s) failed:")
        for r in failed:
            out.print(f"  {escape(r.uri)}: {escape(r.error or '')}")
