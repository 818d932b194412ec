"""`mmem` ends its process without tearing the interpreter down (mmem.cli.end), yet a user and a
script see what an ordinary exit gives them: the exit code, every byte of output, the exit
handlers run (an object-store writer lease's release, temporary folders), and a thread still
working is waited for."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def python(code: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=env,
                          timeout=300)


@pytest.mark.parametrize(("code", "rc", "stderr"),
                         [("3", 3, ""), ("None", 0, ""), ("'bad input'", 1, "bad input\n")])
def test_end_flushes_runs_the_exit_handlers_and_keeps_the_code(tmp_path, code, rc, stderr):
    p = python("import atexit, sys, tempfile\n"
               "from mmem.cli import end\n"
               f"folder = tempfile.TemporaryDirectory(dir={str(tmp_path)!r})\n"
               "atexit.register(lambda: print(' handler ran'))\n"
               "sys.stdout.write('no newline yet')  # buffered: a pipe is not a terminal\n"
               f"end({code})\n"
               "print('not reached')\n")
    assert p.returncode == rc, p.stderr
    assert p.stdout == "no newline yet handler ran\n"
    assert p.stderr == stderr
    assert list(tmp_path.iterdir()) == []  # the temporary folder was cleaned up


def test_a_working_thread_is_waited_for():
    p = python("import threading, time\n"
               "from mmem.cli import end\n"
               "threading.Thread(target=lambda: (time.sleep(0.2), print('thread done'))).start()\n"
               "end(0)\n"
               "print('end returned')\n")
    assert p.returncode == 0, p.stderr
    assert p.stdout.split("\n")[:2] == ["end returned", "thread done"]


def test_the_command_line_keeps_its_exit_codes_and_output(tmp_path):
    import json

    from mmem.store.memory import Memory

    db = tmp_path / "db"
    Memory.open(db, create=True)
    cli = ("import runpy, sys\nsys.argv = ['mmem', *sys.argv[1:]]\n"
           "runpy.run_module('mmem.cli', run_name='__main__')\n")
    ok = python(cli, "events", "--db", str(db), "--json")
    assert ok.returncode == 0 and json.loads(ok.stdout)["events"] == [], ok.stderr
    missing = python(cli, "events", "--db", str(tmp_path / "none"))
    assert missing.returncode == 2 and missing.stderr.startswith("error: no memory at"), missing.stderr
    usage = python(cli, "no-such-command")
    assert usage.returncode == 2 and "No such command" in usage.stderr


def test_ctrl_c_stops_a_process_the_suite_starts_however_the_suite_was_started():
    """The tests that press Ctrl-C (a live ingest's SIGINT) need it to reach their child as at a
    terminal, also when the suite runs as a background job that was started with SIGINT ignored
    (tests/conftest.py's pytest_configure): here a child blocked in a sleep is interrupted."""
    import signal

    code = "import time; print('ready', flush=True); time.sleep(120)"
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline() == "ready\n"
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGINT and "KeyboardInterrupt" in err  # died of it, as Python does
