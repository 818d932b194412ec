"""`import mmem` lets numpy's OpenBLAS helper threads sleep as soon as a product is done
(OPENBLAS_THREAD_TIMEOUT=4) instead of spinning ~0.1 s for the next one, unless the environment
already says otherwise. OpenBLAS reads it once, when numpy loads: `import mmem` must come first and
must not load numpy itself."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _fresh(code: str, **env: str) -> str:
    full = {**os.environ, "PYTHONPATH": str(ROOT), **env}
    if "OPENBLAS_THREAD_TIMEOUT" not in env:
        full.pop("OPENBLAS_THREAD_TIMEOUT", None)
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=full, timeout=300)
    assert p.returncode == 0, p.stderr[-2000:]
    return p.stdout.strip()


@pytest.mark.parametrize(("given", "expect"), [(None, "4 False"), ("28", "28 False")])
def test_import_mmem_sets_the_blas_timeout_before_numpy_loads_unless_given(given, expect):
    env = {"OPENBLAS_THREAD_TIMEOUT": given} if given else {}
    code = "import os, sys, mmem; print(os.environ['OPENBLAS_THREAD_TIMEOUT'], 'numpy' in sys.modules)"
    assert _fresh(code, **env) == expect
