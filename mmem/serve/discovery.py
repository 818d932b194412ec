"""The discovery file: while `mmem serve` runs it keeps its URL and pid in the memory directory,
so `mmem ask` on the same memory can forward the question to it. Stdlib only (read on every
`mmem ask`). A file whose process is gone, or from another machine, is stale and ignored."""

from __future__ import annotations

import json
import os
import socket
from dataclasses import dataclass
from pathlib import Path

from mmem.config import ServeConfig


@dataclass(frozen=True)
class Served:
    url: str  # http://host:port
    pid: int
    hostname: str
    token: str | None  # what a client must send (the file is readable by its owner only)


def path_for(root: Path) -> Path:
    return Path(root) / ServeConfig().discovery_file


def write(root: Path, served: Served) -> Path | None:
    """Write the file (owner-only); None when the memory directory is not writable."""
    path = path_for(root)
    tmp = path.with_suffix(".tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump({"url": served.url, "pid": served.pid, "hostname": served.hostname,
                       "token": served.token}, f)
        os.replace(tmp, path)
    except OSError:
        return None
    return path


def remove(root: Path, pid: int) -> None:
    """Remove the file if it is still this process's (a newer server may have replaced it)."""
    found = read(root, check_alive=False)
    if found is not None and found.pid == pid:
        path_for(root).unlink(missing_ok=True)


def read(root: Path, check_alive: bool = True) -> Served | None:
    """The server serving this memory, or None (no file, unreadable, or stale)."""
    try:
        data = json.loads(path_for(root).read_text())
        served = Served(str(data["url"]), int(data["pid"]), str(data["hostname"]), data.get("token"))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if check_alive and not alive(served):
        return None
    return served


def alive(served: Served) -> bool:
    if served.hostname != socket.gethostname():
        return False
    try:
        os.kill(served.pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: it exists
    return True
