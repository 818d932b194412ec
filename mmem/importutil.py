"""A module imported in a background thread: a stage that will need it later starts its import
while the interpreter is free (models loading, audio decoding), instead of paying for it then."""

from __future__ import annotations

import sys
from collections.abc import Callable


def import_soon(*modules: str, load: Callable[[], object] | None = None, name: str = "mmem-import") -> None:
    """Import `modules` in a daemon thread called `name`; nothing when all of them are loaded.
    `load` imports them its own way (and handles its own errors); by default they are imported
    in order, stopping quietly at the first ImportError (the import where the module is needed
    says what failed)."""
    if all(m in sys.modules for m in modules):
        return
    import threading

    threading.Thread(target=load or (lambda: _import_all(modules)), name=name, daemon=True).start()


def _import_all(modules: tuple[str, ...]) -> None:
    import importlib

    for m in modules:
        try:
            importlib.import_module(m)
        except ImportError:
            return
