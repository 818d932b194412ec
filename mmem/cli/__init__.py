"""The command line, the only layer that prints. The app is assembled in `commands`; this
package imports nothing itself, so command modules can import their siblings without a circle."""

from __future__ import annotations

from typing import Any


def main() -> None:
    from mmem.cli.commands import app

    app()


def __getattr__(name: str) -> Any:  # `from mmem.cli import app`
    if name == "app":
        from mmem.cli.commands import app

        return app
    raise AttributeError(f"module 'mmem.cli' has no attribute {name!r}")
