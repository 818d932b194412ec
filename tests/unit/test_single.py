"""The app for one command alone (mmem/cli/single.py) answers a command line as the whole
app does: the same command objects, the same output and exit codes for help, bad options, missing
arguments and a real listing."""

from __future__ import annotations

import json

import pytest
import typer
from typer.testing import CliRunner

from mmem.cli.commands import app as whole
from mmem.cli.single import ALONE, app_for
from mmem.store.memory import Memory


def registered(app: typer.Typer) -> dict[str, object]:
    commands = {c.name: c.callback for c in app.registered_commands}
    groups = {g.name: g.typer_instance for g in app.registered_groups}
    return {**commands, **groups}


def test_each_command_alone_is_the_one_the_whole_app_registers():
    full = registered(whole)
    for name in ALONE:
        alone = registered(app_for([name, "--help"]))
        assert list(alone) == [name] and alone[name] is full[name], name


def test_other_command_lines_get_the_whole_app():
    assert app_for([]) is None and app_for(["batch", "x"]) is None and app_for(["--help"]) is None
    assert app_for(["evnts"]) is None and app_for(["--db", "x", "events"]) is None


@pytest.fixture
def db(tmp_path):
    root = tmp_path / "db"
    Memory.open(root, create=True).close()
    return root


CASES = [["events", "--help"], ["events", "--bogus"], ["events", "--level", "x"], ["events", "--json"],
         ["events", "--source", "nothing.mp4"], ["events"], ["ask", "--help"], ["ask"], ["ask", "   "],
         ["transcript"], ["transcript", "--help"], ["transcript", "x.mp4"], ["entities", "--help"],
         ["entities", "--json"], ["entities", "show", "--help"], ["entities", "name"], ["entities", "nosuch"],
         ["ingest", "--help"], ["ingest"], ["ingest", "nosuch.mp4"], ["ingest", "--fps", "x", "a.mp4"],
         ["ingest", "--require", "nothing", "a.mp4"], ["ingest", "--duration", "1m", "a.mp4"]]


@pytest.mark.parametrize("args", CASES, ids=[" ".join(a) for a in CASES])
def test_the_command_alone_answers_as_the_whole_app(args, db, monkeypatch):
    monkeypatch.setenv("MMEM_DB", str(db))
    monkeypatch.setenv("MMEM_OFFLINE", "1")
    runner = CliRunner()
    expect, got = runner.invoke(whole, args), runner.invoke(app_for(args), args)
    assert (got.exit_code, got.stdout, got.stderr) == (expect.exit_code, expect.stdout, expect.stderr)
    if args in (["events", "--json"], ["entities", "--json"]):
        assert expect.exit_code == 0 and json.loads(got.stdout)  # a real listing, not only errors
