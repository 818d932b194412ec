"""`import mmem` makes OpenMP's idle threads sleep instead of spin (OMP_WAIT_POLICY=PASSIVE) before
torch loads, unless the environment already says otherwise; torch's OpenMP runtime reads it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _fresh(code: str, **env: str) -> str:
    full = {**os.environ, "PYTHONPATH": str(ROOT), **env}
    if "OMP_WAIT_POLICY" not in env:
        full.pop("OMP_WAIT_POLICY", None)
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=full, timeout=300)
    assert p.returncode == 0, p.stderr[-2000:]
    return p.stdout.strip()


@pytest.mark.parametrize(("given", "expect"), [(None, "PASSIVE"), ("ACTIVE", "ACTIVE")])
def test_import_mmem_sets_the_wait_policy_unless_given(given, expect):
    env = {"OMP_WAIT_POLICY": given} if given else {}
    assert _fresh("import os, mmem; print(os.environ['OMP_WAIT_POLICY'])", **env) == expect

