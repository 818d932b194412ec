"""An item that kills the worker process that opens it, as a crash in native decoder code
would (importable by spawned workers)."""

from __future__ import annotations

import os
from dataclasses import dataclass

from mmem.batch.plan import Item


@dataclass(frozen=True)
class CrashingItem(Item):
    @property
    def remote(self) -> bool:  # read when the worker opens the file
        os._exit(70)
