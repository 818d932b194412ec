"""Storage faults (disk full, read-only, permission denied, a damaged table file) as one
StoreError naming the fix. LanceDB reports IO errors as text inside RuntimeError/OSError, so
they are recognised by their words."""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from mmem.errors import MmemError, StoreError
from mmem.store.location import is_uri

_STORAGE = (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM)
_REMOTE = ("NETWORK_CONNECTION", "Could not connect", "Could not resolve", "Connection refused",
           "error sending request", "dns error", "AccessDenied", "ACCESS_DENIED", "InvalidAccessKeyId",
           "SignatureDoesNotMatch", "Forbidden", "403", "NoSuchBucket", "NO_SUCH_BUCKET", "credential")
_DAMAGE = ("Invalid range", "corrupt", "Corrupt", "Not found", "not found", "unexpected end",
           "Unexpected EOF", "failed to fill whole buffer", "Invalid data", "InvalidData")


def storage_error(root: Any, exc: OSError, doing: str = "write to") -> StoreError:
    """One line for a storage fault, naming the fix."""
    code = getattr(exc, "errno", None)
    fixes = {
        errno.EROFS: "the file system is read-only: remount it read-write or pass another --db",
        errno.EACCES: "permission denied: fix the folder's permissions or pass another --db",
        errno.EPERM: "permission denied: fix the folder's permissions or pass another --db",
        errno.ENOSPC: "the disk is full: free some space (or pass another --db), "
                      "then run the same command again",
        errno.EDQUOT: "the disk quota is exceeded: free some space, then run the same command again",
    }
    why = fixes.get(code) if code is not None else None
    if why is None:
        why = f"{exc.strerror or exc}: check the disk and the folder's permissions"
    return StoreError(f"cannot {doing} the memory at {root}: {why}")


@contextmanager
def storage_faults(root: Any) -> Iterator[None]:
    """Storage faults inside the block (disk full, read-only, permission denied, a damaged
    table file; LanceDB's IO errors included) raised as one StoreError naming the fix."""
    try:
        yield
    except MmemError:
        raise
    except (OSError, RuntimeError, ValueError) as exc:  # LanceDB wraps IO errors in these
        fault = explain(root, exc)
        if fault is None:
            raise
        raise fault from None


def io_fault(exc: BaseException) -> OSError | None:
    """The OSError a LanceDB error message stands for (it reports IO errors as text), or None."""
    msg = str(exc)
    for code, words in ((errno.ENOSPC, ("No space left", "os error 28")),
                        (errno.EROFS, ("Read-only file system", "os error 30")),
                        (errno.EACCES, ("Permission denied", "os error 13"))):
        if any(w in msg for w in words):
            return OSError(code, os.strerror(code))
    return None


def damaged(root: Any, exc: BaseException) -> StoreError | None:
    """A table file that is missing or cut short: StoreError pointing at `mmem doctor --repair`."""
    msg = str(exc)
    if "LanceError" not in msg and "lance error" not in msg:
        return None
    if not any(w in msg for w in _DAMAGE):
        return None
    first = msg.strip().splitlines()[0][:160]
    return StoreError(f"the memory at {root} has a damaged table file ({first}): "
                      f"run `mmem doctor --repair --db {root}` to go back to its last good version")


def explain(root: Any, exc: BaseException) -> StoreError | None:
    """Any storage fault as a StoreError, or None when `exc` is not one."""
    if isinstance(exc, OSError) and exc.errno in _STORAGE:
        return storage_error(root, exc)
    fault = io_fault(exc)
    if fault is not None:
        return storage_error(root, fault)
    if is_uri(root):  # an object store that does not answer or refuses the credentials
        from mmem.store.location import explain as why

        msg = str(exc)
        if any(k in msg for k in _REMOTE):
            return StoreError(f"{root}: {why(exc)}")
    return damaged(root, exc)
