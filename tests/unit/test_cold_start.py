"""What a cold process pays for before it does any work: skipping CLIP at the offline default,
and knowing its vector width, import neither open_clip nor torch (each takes seconds)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _fresh(code: str, tmp_path: Path) -> str:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MMEM_OFFLINE": "1", "MMEM_HOME": str(tmp_path / "home")}
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert p.returncode == 0, p.stderr[-2000:]
    return p.stdout.strip()


def test_the_offline_default_skips_clip_without_importing_it(tmp_path):
    code = ("import sys\n"
            "from mmem.config import IngestConfig\n"
            "from mmem.perceive.registry import plan_all, select\n"
            "cfg = IngestConfig()\n"
            "(clip,) = select(cfg, names=('vision',))\n"
            "from mmem.perceive.registry import plan_one\n"
            "plan = plan_one(clip, cfg, {})\n"
            "print(plan.runs, plan.missing, plan.dim, 'no network' in plan.why,\n"
            "      sorted(m for m in ('open_clip', 'torch') if m in sys.modules))\n")
    assert _fresh(code, tmp_path) == "False True 512 True []"


def test_clip_widths_come_from_the_config_files(tmp_path):
    code = ("import sys\nfrom mmem.weights import clip_embed_dim\n"
            "print([clip_embed_dim(m) for m in ('ViT-B-32', 'ViT-L-14', 'mmem-tiny')],\n"
            "      'open_clip' in sys.modules)")
    assert _fresh(code, tmp_path) == "[512, 768, 64] False"


def test_a_batch_worker_without_clip_imports_no_torch(tmp_path):
    """A pool or Ray worker at the offline default: no model of it uses torch, so it does not
    import torch only to set its threads (seconds of every worker's start-up)."""
    code = ("import dataclasses, sys\n"
            "from mmem.batch.worker import Worker\n"
            "from mmem.config import AudioConfig, EntityConfig, IngestConfig\n"
            "from mmem.store.memory import Memory\n"
            f"db = {str(tmp_path / 'db')!r}\n"
            "Memory.open(db, create=True).close()\n"
            "cfg = IngestConfig()\n"
            "cfg = dataclasses.replace(cfg, vision=dataclasses.replace(cfg.vision, device='cpu'),\n"
            "    audio=AudioConfig(enabled=False), entities=EntityConfig(enabled=False))\n"
            "w = Worker(db, cfg, threads=1)\n"
            "print(w.vision.embedder is None, 'torch' in sys.modules)\n")
    assert _fresh(code, tmp_path) == "True False"
