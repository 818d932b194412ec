"""A small real memory (JFK's speech and a short video: transcripts, voices, keyframes),
ingested once; the API over it in-process through FastAPI's TestClient."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.cli.clirun import ingested
from tests.conftest import SAMPLES


@pytest.fixture(scope="session")
def served_db(tmp_path_factory) -> Path:
    """Read-only tests share it; tests that write use `db_copy`."""
    return ingested(tmp_path_factory, "serve", SAMPLES / "jfk.flac", SAMPLES / "bigbuckbunny.mp4")


@pytest.fixture
def db_copy(served_db, tmp_path) -> Path:
    dst = tmp_path / "db"
    shutil.copytree(served_db, dst)
    return dst


@pytest.fixture
def client_for():
    """A TestClient over a memory, as `mmem serve` would build it (models warm after the first ask)."""
    from fastapi.testclient import TestClient

    from mmem.serve.app import create_app
    from mmem.serve.state import ServeState

    def make(db: Path, **kw) -> TestClient:
        return TestClient(create_app(ServeState(db=db, device="cpu", **kw), warm=False),
                          base_url="http://127.0.0.1:8765")

    return make


@pytest.fixture(scope="session")
def _state(served_db):
    from mmem.serve.state import ServeState

    return ServeState(db=served_db, device="cpu")


@pytest.fixture
def client(_state):
    """One server state for the session's read tests: its models load once."""
    from fastapi.testclient import TestClient

    from mmem.serve.app import create_app

    return TestClient(create_app(_state, warm=False), base_url="http://127.0.0.1:8765")
