"""`import mmem` makes idle math threads sleep instead of spin, unless the environment already says
otherwise: OpenMP's (OMP_WAIT_POLICY=PASSIVE, read by torch's OpenMP runtime when torch loads) and
numpy's OpenBLAS helpers (OPENBLAS_THREAD_TIMEOUT=4 instead of spinning ~0.1 s after each product;
OpenBLAS reads it once, when numpy loads, so `import mmem` must come first and not load numpy)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _fresh(code: str, var: str, given: str | None) -> str:
    """`code`'s output in a fresh interpreter whose environment has `var` only if `given`."""
    full = {**os.environ, "PYTHONPATH": str(ROOT)}
    full.pop(var, None)
    if given is not None:
        full[var] = given
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=full, timeout=300)
    assert p.returncode == 0, p.stderr[-2000:]
    return p.stdout.strip()


@pytest.mark.parametrize(("given", "expect"), [(None, "PASSIVE"), ("ACTIVE", "ACTIVE")])
def test_import_mmem_sets_the_wait_policy_unless_given(given, expect):
    code = "import os, mmem; print(os.environ['OMP_WAIT_POLICY'])"
    assert _fresh(code, "OMP_WAIT_POLICY", given) == expect


@pytest.mark.parametrize(("given", "expect"), [(None, "4 False"), ("28", "28 False")])
def test_import_mmem_sets_the_blas_timeout_before_numpy_loads_unless_given(given, expect):
    code = "import os, sys, mmem; print(os.environ['OPENBLAS_THREAD_TIMEOUT'], 'numpy' in sys.modules)"
    assert _fresh(code, "OPENBLAS_THREAD_TIMEOUT", given) == expect
