"""The app's settings, and the app for a command line that names one of the commands a user waits
for (the reads `events`, `ask`, `transcript`, `entities`, and `ingest`): that command alone, from
its own module.

The whole app imports every command module (ingest's, batch's and doctor's imports with them)
and typer builds every command's parameters from its signature before it parses one: ~0.2 s of
CPU in a cold `mmem events` that does ~0.6 s in all, and 0.1-0.15 s of each `mmem ingest`. The app built here has the same settings
and the very same command function or group, so it answers that command line as the whole app
does (tests/unit/test_single.py compares them); anything else (no command, `--help`, another
command, a typo) goes to the whole app in `commands`.
"""

from __future__ import annotations

import importlib
from typing import Any

import typer

from mmem.cli.plain_options import Group

SETTINGS: dict[str, Any] = dict(
    name="mmem",
    help="Streaming multimodal memory: ingest video, then ask what happened, when.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    cls=Group,  # plain options pass through without typer's pydantic adapters (plain_options.py)
)

# command name -> (its module, the function or Typer group `commands` registers under that name)
ALONE = {
    "events": ("mmem.cli.events", "events"),
    "ask": ("mmem.cli.ask", "ask"),
    "transcript": ("mmem.cli.transcript", "transcript"),
    "entities": ("mmem.cli.entities", "app"),
    "ingest": ("mmem.cli.ingest", "ingest"),
}


def app_for(args: list[str]) -> typer.Typer | None:
    """The app with only the command `args` starts with, when it is one of ALONE; else None."""
    if not args or args[0] not in ALONE:
        return None
    module, attribute = ALONE[args[0]]
    target = getattr(importlib.import_module(module), attribute)
    app = typer.Typer(**SETTINGS)
    if isinstance(target, typer.Typer):
        app.add_typer(target, name=args[0])
    else:
        app.command(args[0])(target)
    app.callback()(_group)  # one command alone would be run as the app itself: keep `mmem NAME`
    return app


def _group() -> None:
    """The app's group callback: nothing to do before the command."""
