"""What the CLI test modules share: invoking `mmem` in-process, and a memory ingested once."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from mmem.cli import app
from tests.conftest import models_once

TINY = ["--clip-model", "mmem-tiny", "--clip-pretrained", "random", "--device", "cpu"]
runner = CliRunner()


def run(*args: object):
    return runner.invoke(app, [str(a) for a in args])


def ingested(tmp_path_factory, name: str, *files: Path) -> Path:
    """A memory holding `files` (tiny CLIP), made once for a module's read-only tests (the models
    loaded once for the session: models_once)."""
    root = tmp_path_factory.mktemp(name) / "db"
    mp = pytest.MonkeyPatch()
    mp.setenv("MMEM_OFFLINE", "1")
    mp.setenv("MMEM_HOME", str(tmp_path_factory.getbasetemp() / "mmem-home"))  # as every test has it
    with models_once():
        result = run("ingest", *files, *TINY, "--db", root)
    mp.undo()
    assert result.exit_code == 0, result.output
    return root
