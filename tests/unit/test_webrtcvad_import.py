"""webrtcvad is imported without setuptools' pkg_resources (which it loads only to read its own
version): the detector works, knows its version, and nothing of the stand-in is left behind."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _fresh(code: str) -> str:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    p = subprocess.run([sys.executable, "-W", "error::DeprecationWarning", "-c", code], capture_output=True,
                       text=True, env=env, timeout=300)
    assert p.returncode == 0, p.stderr[-2000:]
    return p.stdout.strip()


def test_webrtcvad_imports_without_pkg_resources_and_detects():
    code = ("import sys; from importlib.metadata import version\n"
            "from mmem.perceive.vad import WebRtcVad\n"
            "import numpy as np\n"
            "vad = WebRtcVad()\n"
            "same = sys.modules['webrtcvad'].__version__ == version('webrtcvad')\n"
            "print('pkg_resources' in sys.modules, same, vad.regions(np.zeros(16000, np.float32)))")
    assert _fresh(code) == "False True []"


def test_a_loaded_pkg_resources_is_the_one_used():
    code = ("import warnings; warnings.simplefilter('ignore'); import pkg_resources\n"
            "from mmem.perceive.vad import _import_webrtcvad\n"
            "import sys; w = _import_webrtcvad()\n"
            "print(sys.modules['pkg_resources'] is pkg_resources, bool(w.__version__))")
    assert _fresh(code) == "True True"
