"""One writer per memory.

Every writing command (ingest, live, batch, entities name/merge/split/forget, forget, doctor
--repair) holds the memory's writer lock for its whole run; readers never take it and never
write. The lock's owner (pid, command, since when, host) is written into the lock so a second
writer can say who holds it.

- A local memory: `fcntl.flock` on `writer.lock` in the memory folder. The OS releases it when
  the holder exits, however it exits (kill -9 included), so a stale lock file is harmless.
- An object-store memory (s3://...): a lease object `writer.lease` holding the owner and an
  expiry. A writer refuses a lease that is not its own and has not expired; the holder renews it
  every third of `LEASE_SECONDS` and deletes it when done; a writer killed without releasing
  blocks others until its lease expires. Object stores give no compare-and-swap here, so two
  writers starting in the same second can both take it: the lease guards against the common
  case (a second command started while one runs), not against a race in the same instant.
"""

from __future__ import annotations

import atexit
import errno
import json
import os
import socket
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from mmem.errors import StoreError
from mmem.store.faults import storage_error

LOCK = "writer.lock"
LEASE = "writer.lease"
LEASE_SECONDS = 120.0  # an object-store lease lasts this long unless renewed (renewed every 1/3)
POLL_SECONDS = 0.5  # --wait: how often a waiting writer tries again


# flock is held per open file: a process that opens one memory twice to write (a command whose
# steps each open it, in-process tests) shares its one lock, counted, instead of blocking itself
_HELD: dict[str, tuple[int, int]] = {}
_LEASES: dict[str, tuple[_Lease, int]] = {}


class MemoryBusy(StoreError):
    """Another process is writing to this memory."""


def _owner(command: str) -> dict[str, Any]:
    return {"pid": os.getpid(), "host": socket.gethostname(), "command": command,
            "since": datetime.now(timezone.utc).isoformat(timespec="seconds")}


def _describe(owner: dict[str, Any] | None) -> str:
    if not owner:
        return "another process"
    host = owner.get("host")
    where = f" on {host}" if host and host != socket.gethostname() else ""
    return f"pid {owner.get('pid')}{where} (`{owner.get('command') or 'mmem'}`, since {owner.get('since')})"


def _busy(root: Any, owner: dict[str, Any] | None) -> MemoryBusy:
    return MemoryBusy(f"memory {root} is being written by {_describe(owner)}: wait for it to finish, "
                      "or pass --wait to wait for it")


class WriterLock:
    """The lock a writing process holds on one memory (`acquire`, then `release`)."""

    def __init__(self, root: Any, command: str = "mmem") -> None:
        self.root, self.command = root, command
        self._fd: int | None = None
        self._lease: _Lease | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None or self._lease is not None

    def acquire(self, wait: bool = False, on_wait: Callable[[str], None] | None = None) -> None:
        """Take the lock, or raise MemoryBusy naming its holder (with `wait`: poll until it is
        free, calling `on_wait(holder)` once)."""
        told = False
        while True:
            owner = self._try()
            if owner is None:
                return
            if not wait:
                raise _busy(self.root, owner)
            if not told and on_wait is not None:
                on_wait(_describe(owner))
                told = True
            time.sleep(POLL_SECONDS)

    def _try(self) -> dict[str, Any] | None:
        """None when taken, else who holds it."""
        if isinstance(self.root, Path):
            return self._try_local(self.root)
        key = str(self.root / LEASE)
        if key in _LEASES:  # this process holds it already
            lease, n = _LEASES[key]
            _LEASES[key] = (lease, n + 1)
            self._lease = lease
            return None
        lease = _Lease(self.root / LEASE, _owner(self.command))
        holder = lease.take()
        if holder is None:
            self._lease = lease
            _LEASES[key] = (lease, 1)
            atexit.register(lease.release)  # a lease outlives its process unless deleted
        return holder

    def _try_local(self, root: Path) -> dict[str, Any] | None:
        import fcntl

        path = root / LOCK
        key = str(path)
        if key in _HELD:  # this process holds it already (a second Memory opened to write)
            fd, n = _HELD[key]
            _HELD[key] = (fd, n + 1)
            self._fd = fd
            return None
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise storage_error(root, exc) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                return _read_owner(path) or {}
            raise storage_error(root, exc) from None
        try:
            data = json.dumps(_owner(self.command)).encode()
            os.ftruncate(fd, 0)
            os.pwrite(fd, data, 0)
        except OSError:
            pass  # the lock holds without its note (a full disk): others say "another process"
        self._fd = fd
        _HELD[key] = (fd, 1)
        return None

    def release(self) -> None:
        if self._fd is not None:
            import fcntl

            key = str(self.root / LOCK)
            fd, n = _HELD.pop(key, (self._fd, 1))
            self._fd = None
            if n > 1:
                _HELD[key] = (fd, n - 1)
            else:
                try:
                    os.ftruncate(fd, 0)
                except OSError:
                    pass
                fcntl.flock(fd, fcntl.LOCK_UN)
                os.close(fd)
        if self._lease is not None:
            key = str(self.root / LEASE)
            lease, n = _LEASES.pop(key, (self._lease, 1))
            self._lease = None
            if n > 1:
                _LEASES[key] = (lease, n - 1)
            else:
                atexit.unregister(lease.release)  # not again at exit, when the store may be gone
                lease.release()


def check_free(root: Any) -> None:
    """Raise MemoryBusy now if another process writes (before a command loads its models)."""
    owner = holder(root)
    if owner is not None:
        raise _busy(root, owner)


def holder(root: Any) -> dict[str, Any] | None:
    """Who writes to the memory now (for `mmem doctor`), or None. Never blocks."""
    if isinstance(root, Path):
        import fcntl

        path = root / LOCK
        if not path.exists() or str(path) in _HELD:  # free, or this process holds it
            return None
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            return None
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError:
            return _read_owner(path) or {}
        finally:
            os.close(fd)  # closing drops the shared lock if it was taken
        return None
    lease = _read_lease(root / LEASE)
    return lease if lease and not _expired(lease) else None


def _read_owner(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text() or "null")
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


# -- object stores -------------------------------------------------------------------------------
def _read_lease(obj: Any) -> dict[str, Any] | None:
    try:
        data = json.loads(obj.read_text())
    except FileNotFoundError:
        return None
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _expired(lease: dict[str, Any]) -> bool:
    try:
        return datetime.fromisoformat(lease["expires"]) < datetime.now(timezone.utc)
    except (KeyError, TypeError, ValueError):
        return True


class _Lease:
    """A lease object, renewed by a daemon thread while held."""

    def __init__(self, obj: Any, owner: dict[str, Any]) -> None:
        self.obj = obj
        self.owner = {**owner, "token": os.urandom(8).hex()}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _write(self) -> None:
        expires = datetime.now(timezone.utc) + timedelta(seconds=LEASE_SECONDS)
        self.obj.write_text(json.dumps({**self.owner, "expires": expires.isoformat()}))

    def take(self) -> dict[str, Any] | None:
        current = _read_lease(self.obj)
        if current and not _expired(current) and current.get("token") != self.owner["token"]:
            return current
        self._write()
        mine = _read_lease(self.obj)  # a writer that wrote after us wins: we back off
        if not mine or mine.get("token") != self.owner["token"]:
            return mine or {}
        self._thread = threading.Thread(target=self._renew, daemon=True, name="mmem-lease")
        self._thread.start()
        return None

    def _renew(self) -> None:
        while not self._stop.wait(LEASE_SECONDS / 3):
            try:
                self._write()
            except Exception:  # noqa: BLE001 - a missed renewal only shortens the lease
                pass

    def release(self) -> None:
        self._stop.set()
        current = _read_lease(self.obj)
        if current and current.get("token") == self.owner["token"]:
            try:
                self.obj.unlink(missing_ok=True)
            except OSError:
                pass
