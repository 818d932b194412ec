"""The command line, the only layer that prints. The app is assembled in `commands`; this
package imports nothing itself, so command modules can import their siblings without a circle.

When a command is done, `main` ends the process without tearing the interpreter down: freeing
every module and object that torch, lancedb and numpy made takes seconds after an ingest (torch
alone ~1 s idle) and a good part of a cold `ask` or `events`, and nothing in it is the user's.
What does matter still runs first: the output is flushed, and the exit handlers run (the writer
lock's release, temporary folders, logging). While another non-daemon thread is alive the
ordinary exit runs, which waits for it."""

from __future__ import annotations

from typing import Any


def main() -> None:
    import sys

    from mmem.cli.single import app_for

    app = app_for(sys.argv[1:])  # a read command alone, without importing every command module
    if app is None:
        from mmem.cli.commands import app
    try:
        app()
    except SystemExit as exc:
        end(exc.code)
        raise
    end(0)


def end(code: Any) -> None:
    """Exit now with `code` (as SystemExit reads it: None is 0, a string is printed and 1),
    after flushing and the exit handlers; returns when another thread must be waited for."""
    import atexit
    import os
    import sys
    import threading

    if any(t is not threading.main_thread() and t.is_alive() and not t.daemon for t in threading.enumerate()):
        return  # the interpreter's own exit joins it
    if code is None:
        code = 0
    elif not isinstance(code, int):
        sys.stderr.write(f"{code}\n")
        code = 1
    atexit._run_exitfuncs()  # what the interpreter's exit would run before freeing modules
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):  # a closed pipe (mmem ask ... | head): nothing more to say
        code = code or 1
    os._exit(code)


def __getattr__(name: str) -> Any:  # `from mmem.cli import app`
    if name == "app":
        from mmem.cli.commands import app

        return app
    raise AttributeError(f"module 'mmem.cli' has no attribute {name!r}")
