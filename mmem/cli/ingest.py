"""`mmem ingest`: remember recorded media (video or audio files, folders) or a live source."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
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


def _expand(paths: list[Path], recursive: bool, include: list[str], exclude: list[str]) -> list[Path]:
    from mmem.sources.discover import SUFFIXES, discover

    files: list[Path] = []
    for p in paths:
        p = p.expanduser()
        if p.is_dir():
            if not recursive:
                raise InputError(f"{p} is a directory: add --recursive to ingest the media files in it")
            found = discover(p, include, exclude)
            if not found:
                raise InputError(f"{p} holds no media files ({', '.join(sorted(SUFFIXES))}"
                                 + (", after --include/--exclude" if include or exclude else "") + ")")
            files.extend(found)
        elif not p.exists():
            raise InputError(f"no such file: {p}: check the path")
        else:
            files.append(p)
    return files


@handles_errors
@opt.with_ingest_settings
def ingest(
    paths: Annotated[list[str], typer.Argument(help="Media files, folders (with --recursive), webcam[:N], or a stream URL (rtsp://, http://).")],
    cfg: IngestConfig,
    recursive: Annotated[bool, typer.Option("--recursive", "-r", help="Ingest the media files inside folders.")] = False,
    include: Annotated[list[str] | None, typer.Option(help="With -r: only files matching this glob (*.mp4, day1/*).")] = None,
    exclude: Annotated[list[str] | None, typer.Option(help="With -r: skip files matching this glob (tmp/*).")] = None,
    force: opt.Force = False,
    as_live: Annotated[bool, typer.Option("--as-live", help="Replay a file as a live source (tests, benchmarks).")] = False,
    speed: Annotated[float, typer.Option(help="With --as-live: media seconds per wall second.")] = 1.0,
    duration: Annotated[str | None, typer.Option(help="Stop a live source after this long (90s, 10m, 1h30m).")] = None,
    recipe: opt.Recipe = None,
    db: DbOption = None,
    json_out: JsonOption = False,
    wait: WaitOption = False,
) -> None:
    """Remember media: sample frames, hear speech, meet people, cut events by surprise, store them."""
    from mmem.sources.file import probe
    from mmem.sources.live import parse_live
    from mmem.timeutil import parse_duration

    live = [spec for p in paths if (spec := parse_live(p, as_live=as_live, speed=speed)) is not None]
    if live and len(paths) > 1:
        raise InputError("a live source (webcam, stream URL or --as-live) is ingested on its own: pass one")
    limit = parse_duration(duration, "--duration") if duration is not None else None
    if limit is not None and not live:
        raise InputError("--duration applies to live sources (webcam, stream URL, --as-live)")
    if live:
        from mmem.sources.live import Capture

        Capture(live[0], cfg.source.fps, audio=False).check()  # a bad camera/URL fails before models load
    files = [] if live else _expand([Path(p) for p in paths], recursive, include or [], exclude or [])
    for f in files:
        probe(f)  # every input is checked before anything is written

    from mmem.store.memory import Memory

    Memory.check_location(db_path(db))
    if not wait:  # a busy memory says so before the models load, not after
        from mmem.store.location import as_location
        from mmem.store.lock import check_free

        check_free(as_location(db_path(db)))
    started = time.perf_counter()
    with _no_collection_while_starting():
        Memory.import_soon()  # while the models load (their loaders mostly leave the GIL free)
        with err.status("loading models...", spinner="dots") if not json_out else nullcontext():
            from mmem.pipeline import build_models

            vision, hearing, people = build_models(cfg, background=not live)  # faces load during the audio pass
        memory = open_writer(db, wait, create=True)  # held until this process ends
    startup = time.perf_counter() - started  # models and the store: what ingest pays before a frame
    opt.warn_skipped(err, vision, hearing, people)

    from mmem.store.faults import storage_faults

    with storage_faults(memory.root):  # disk full, read-only, denied: one line, source left incomplete
        if live:
            from mmem.cli.live import run_session

            run_session(live[0], memory, cfg, vision, hearing, people, limit, json_out)
            return
        reports = _run(files, memory, cfg, vision, hearing, people, force, json_out)
        finishing = time.perf_counter()
        memory.compact()
    if json_out:
        # start-up and shutdown apart from each file's loop (`wall`); the rest of a process's
        # time is the interpreter and imports before the command runs
        seconds = {"startup": round(startup, 3), "finish": round(time.perf_counter() - finishing, 3)}
        print_json({"db": str(memory.root), "sources": [_report_json(r) for r in reports], "seconds": seconds})
    else:
        _print_summary(reports, memory.root)


@contextmanager
def _no_collection_while_starting() -> Iterator[None]:
    """Python's cyclic garbage collector off while the models load and the store opens, then the
    objects made so far (modules, models, the store's classes) frozen out of its view: start-up
    makes long-lived objects almost only, and each collection scanned them all again (dev day:
    ~0.3 s of CPU in ~260 collections, ~0.03 s with this; the loop's collections are unchanged)."""
    import gc

    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()  # what start-up made is kept for the whole run: never scanned again
        if enabled:
            gc.enable()


def _run(files, memory, cfg, vision, hearing, people, force: bool, quiet: bool):
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    from mmem.pipeline import ingest_file

    reports = []
    progress = Progress(
        TextColumn("{task.description}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
        TimeRemainingColumn(), console=err, disable=quiet, transient=False,
    )
    with progress:
        for f in files:
            task = progress.add_task(f.name, total=None)

            def update(done: float, total: float, task=task) -> None:
                progress.update(task, completed=done, total=total or None)

            try:
                report = ingest_file(f, memory, cfg, vision, hearing, people, force=force, progress=update)
            except KeyboardInterrupt:
                progress.stop()
                err.print(
                    f"interrupted: {f} is marked incomplete in {memory.root}; "
                    "run the same command again to redo it"
                )
                raise typer.Exit(130) from None
            progress.update(task, completed=1, total=1)
            for w in report.warnings:
                err.print(f"[yellow]warning:[/] {escape(f.name)}: {escape(w)}")
            reports.append(report)
    return reports


def _report_json(r) -> dict:
    return {
        "source_id": r.source_id, "uri": r.uri, "status": r.status, "events": r.events,
        "utterances": r.utterances, "appearances": r.appearances,
        "frames": r.frames, "duration": round(r.duration, 3), "wall": round(r.wall, 3),
        "speed": round(r.speed, 2), "channels": r.channels, "skipped": r.skipped, "warnings": r.warnings,
        "damage": r.damage,
    }


def _print_summary(reports, root: Path) -> None:
    from rich.table import Table

    table = Table(title=f"ingested into {root}", title_justify="left")
    for col in ("source", "status", "events", "utterances", "duration", "wall", "speed"):
        table.add_column(col, justify="left" if col in ("source", "status") else "right")
    total_d = total_w = 0.0
    for r in reports:
        speed = f"{r.speed:.1f}x" if r.status == "ingested" else "-"
        table.add_row(os.path.basename(r.uri), r.status, str(r.events), str(r.utterances), f"{r.duration:.1f}s",
                      f"{r.wall:.1f}s", speed)
        if r.status == "ingested":
            total_d, total_w = total_d + r.duration, total_w + r.wall
    out.print(table)
    if total_w > 0:
        out.print(f"{sum(r.events for r in reports)} events, {total_d:.1f}s of media in "
                  f"{total_w:.1f}s ({total_d / total_w:.1f}x real time)")
