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
from rich.console import Console
from rich.markup import escape

from mmem.errors import InputError, MmemError

F = TypeVar("F", bound=Callable[..., Any])

out = Console(highlight=False, soft_wrap=True, emoji=False)
err = Console(stderr=True, highlight=False, soft_wrap=True, emoji=False)

DbOption = Annotated[
    Path | None,
    typer.Option("--db", envvar="MMEM_DB", help="Memory directory [env MMEM_DB; default: user data dir]."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]


def db_path(db: Path | None) -> Path:
    from mmem.store.memory import default_db

    return db if db is not None else default_db()


def source_ids(memory: Any, source: str | None) -> list[str] | None:
    """--source (a path, file name or id prefix) -> the matching source ids; None for all."""
    if source is None:
        return None
    found = memory.find_sources(source)
    if not found:
        raise InputError(f"no source matches {source!r}: see `mmem events` for what memory holds")
    return [s["id"] for s in found]


def handles_errors(fn: F) -> F:
    """Turn MmemError into one line on stderr and its exit code (MMEM_DEBUG=1 re-raises)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except MmemError as exc:
            if os.environ.get("MMEM_DEBUG"):
                raise
            err.print(f"[bold red]error:[/] {escape(str(exc))}")
            raise typer.Exit(exc.exit_code) from None

    return wrapper  # type: ignore[return-value]


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")
    sys.stdout.flush()
