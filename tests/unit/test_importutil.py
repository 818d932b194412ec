"""mmem.importutil.import_soon: a module imported in a daemon thread, none started when it is
loaded already; a module that is missing stops the thread quietly."""

from __future__ import annotations

import sys
import threading

import pytest

from mmem.importutil import import_soon


def _join(name: str) -> int:
    """Wait for the threads called `name` (a started thread is listed until it ends); how many."""
    found = [t for t in threading.enumerate() if t.name == name]
    for t in found:
        t.join()
    return len(found)


@pytest.fixture
def module_dir(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    for name in [m for m in sys.modules if m.startswith("mmem_soon_")]:
        del sys.modules[name]


def test_imports_in_a_daemon_thread(module_dir):
    (module_dir / "mmem_soon_a.py").write_text("import threading\nTHREAD = threading.current_thread()\n")
    import_soon("mmem_soon_a", name="mmem-import-test-a")
    _join("mmem-import-test-a")
    thread = sys.modules["mmem_soon_a"].THREAD
    assert thread.name == "mmem-import-test-a" and thread.daemon and thread is not threading.main_thread()


def test_nothing_started_when_loaded():
    gate = threading.Event()
    try:  # a thread started with this loader would stay listed, waiting on the gate
        import_soon("sys", "json", load=gate.wait, name="mmem-import-test-loaded")
        assert [t for t in threading.enumerate() if t.name == "mmem-import-test-loaded"] == []
    finally:
        gate.set()


def test_own_loader_runs_in_the_thread():
    ran: list[threading.Thread] = []
    import_soon("mmem_soon_never", load=lambda: ran.append(threading.current_thread()),
                name="mmem-import-test-own")
    _join("mmem-import-test-own")
    assert [t.name for t in ran] == ["mmem-import-test-own"] and ran[0].daemon
    assert "mmem_soon_never" not in sys.modules  # the loader decides what it imports


def test_a_missing_module_stops_quietly(module_dir, monkeypatch):
    (module_dir / "mmem_soon_b.py").write_text("")
    raised: list[BaseException | None] = []
    monkeypatch.setattr(threading, "excepthook", lambda args: raised.append(args.exc_value))
    import_soon("mmem_soon_missing", "mmem_soon_b", name="mmem-import-test-missing")
    _join("mmem-import-test-missing")
    assert raised == [] and "mmem_soon_b" not in sys.modules  # stopped at the first that failed
