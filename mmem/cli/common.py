"""Shared CLI pieces: error reporting, options, consoles. The CLI is the only layer that prints."""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from mmem.errors import MmemError

F = TypeVar("F", bound=Callable[..., Any])


def console(name: str) -> Any:
    """`out` or `err`: the CLI's rich Console for stdout or stderr, made on first use, so a
    command that only writes JSON (`events --json`) does not import rich's console (~0.05 s of a
    cold listing). Other modules import them by name (`from mmem.cli.common import out`)."""
    made = globals().get(name)
    if made is None:
        from rich.console import Console

        made = globals()[name] = Console(stderr=name == "err", highlight=False, soft_wrap=True, emoji=False)
    return made


def __getattr__(name: str) -> Any:  # `out`, `err`: see console()
    if name in ("out", "err"):
        return console(name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _escape(text: str) -> str:
    """rich.markup.escape, imported when there is something to escape."""
    from rich.markup import escape

    return escape(text)

DbOption = Annotated[
    str | None,
    typer.Option("--db", envvar="MMEM_DB", help="Memory directory or object-store URI (s3://bucket/memory) (env MMEM_DB; default: user data dir)."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]
WaitOption = Annotated[bool, typer.Option(
    "--wait", help="If another command is writing to this memory, wait for it (else exit 2 naming it).")]


def db_path(db: str | Path | None) -> Path | str:
    """--db as given: a local path, or an object-store URI kept as a string."""
    from mmem.store.location import is_uri
    from mmem.store.memory import default_db

    if db is None:
        return default_db()
    return str(db) if is_uri(db) else Path(db)


def source_ids(memory: Any, source: str | None) -> list[str] | None:
    """--source (a path, file name or id prefix) -> the matching source ids; None for all."""
    from mmem.views.sources import matching_source_ids

    return matching_source_ids(memory, source, "`mmem events`")


def handles_errors(fn: F) -> F:
    """Turn MmemError into one line on stderr and its exit code (MMEM_DEBUG=1 re-raises)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except MmemError as exc:
            if os.environ.get("MMEM_DEBUG"):
                raise
            console("err").print(f"[bold red]error:[/] {_escape(str(exc))}")
            raise typer.Exit(exc.exit_code) from None
        except (OSError, RuntimeError, ValueError) as exc:  # disk full, read-only, a damaged table
            from mmem.store.faults import explain

            fault = explain(kwargs.get("db") or os.environ.get("MMEM_DB") or "(default)", exc)
            if fault is None or os.environ.get("MMEM_DEBUG"):
                raise
            console("err").print(f"[bold red]error:[/] {_escape(str(fault))}")
            raise typer.Exit(fault.exit_code) from None

    return wrapper  # type: ignore[return-value]


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")
    sys.stdout.flush()


def said_briefly(view: Any, json_out: bool, *, empty: bool = False, message: str = "") -> bool:
    """Print the view as JSON (--json), or `message` when it is `empty`; True when that is all
    there is to print, False when the caller renders the view itself."""
    if json_out:
        print_json(view.to_json())
        return True
    if empty:
        console("out").print(message)
        return True
    return False


def open_writer(db: str | Path | None, wait: bool = False, create: bool = False) -> Any:
    """The memory, opened to write: its writer lock is held until the process ends (or
    `close`); another writer exits 2 naming this one, or with --wait waits (said once)."""
    from mmem.store.memory import Memory

    def waiting(holder: str) -> None:
        console("err").print(f"waiting: the memory is being written by {_escape(holder)} ...")

    command = " ".join(["mmem", *(a if len(a) < 60 else "..." + a[-40:] for a in sys.argv[1:])])[:200]
    return Memory.open(db_path(db), create=create, write=True, wait=wait, command=command, on_wait=waiting)
