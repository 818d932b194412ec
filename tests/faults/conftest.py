"""Fault injection: `mmem` killed, raced, starved of disk, mounted read-only, fed damaged files
and damaged tables. Each test asserts that nothing committed is lost and nothing forgotten
survives."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.faults.tools import CLIPS, FAST, holds_lock, start

WRITING: dict[str, float] = {}  # seconds the clean run held the writer lock (kill times are drawn in it)


@pytest.fixture(scope="session")
def reference(tmp_path_factory) -> Path:
    """The three clips ingested once, cleanly, in one process (what every fault is compared with)."""
    import time

    db = tmp_path_factory.mktemp("reference") / "db"
    proc = start("ingest", *CLIPS, *FAST, "--db", db)
    while not holds_lock(db, proc.pid) and proc.poll() is None:
        time.sleep(0.05)
    t0 = time.monotonic()
    _, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err
    WRITING["clean"] = time.monotonic() - t0
    return db


@pytest.fixture
def copy_of(tmp_path):
    def make(db: Path) -> Path:
        dst = tmp_path / "copy"
        shutil.copytree(db, dst)
        (dst / "writer.lock").unlink(missing_ok=True)
        return dst

    return make


def mount(*args: str) -> None:
    """mount(8), or skip the test with the reason (needs root and a kernel that allows it)."""
    try:
        subprocess.run(["mount", *args], check=True, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.CalledProcessError) as exc:
        why = getattr(exc, "stderr", "") or str(exc)
        pytest.skip(f"cannot mount here ({why.strip()}): run as root where mount is allowed")


def umount(path: Path) -> None:
    subprocess.run(["umount", "-l", str(path)], capture_output=True, timeout=30)
