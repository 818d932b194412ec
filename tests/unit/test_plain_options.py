"""Plain options pass through without typer's pydantic adapters (mmem/cli/plain_options.py): an
app with the pass-through accepts, converts and rejects exactly what the same app without it does,
with the same messages."""

from __future__ import annotations

import os
import subprocess
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated

import pytest
import typer
from typer.testing import CliRunner

from mmem.cli.plain_options import AsGiven, Group

ROOT = Path(__file__).resolve().parents[2]


class Level(str, Enum):
    shot = "shot"
    event = "event"


def make(cls: type | None) -> typer.Typer:
    app = typer.Typer(cls=cls, add_completion=False, pretty_exceptions_enable=False)
    sub = typer.Typer()

    @app.command()
    def show(
        name: Annotated[str, typer.Argument()],
        db: Annotated[str | None, typer.Option(envvar="PLAIN_TEST_DB")] = None,
        limit: Annotated[int, typer.Option()] = 5,
        fps: Annotated[float, typer.Option()] = 1.0,
        ratio: Annotated[float, typer.Option()] = 2,  # an int default for a float: typer converts it
        top: Annotated[int, typer.Option(min=1, max=9)] = 3,
        level: Annotated[Level, typer.Option()] = Level.event,
        path: Annotated[Path | None, typer.Option()] = None,
        tags: Annotated[list[str] | None, typer.Option()] = None,
        json_out: Annotated[bool, typer.Option("--json")] = False,
    ) -> None:
        values = (name, db, limit, fps, ratio, top, level, path, tags, json_out)
        print(repr([(type(v).__name__, v) for v in values]))

    @sub.command("list")
    def listing(db: Annotated[str | None, typer.Option()] = None,
                n: Annotated[int, typer.Option()] = 1) -> None:
        print(repr((db, n)))

    app.add_typer(sub, name="sub")
    return app


CASES = [
    ["show", "x"],
    ["show", "x", "--db", "/tmp/m", "--limit", "7", "--fps", "2.5", "--json"],
    ["show", "x", "--limit", "abc"],
    ["show", "x", "--limit", "2.5"],
    ["show", "x", "--fps", "nan"],
    ["show", "x", "--fps", "1e3", "--ratio", "3"],
    ["show", "x", "--top", "12"],
    ["show", "x", "--level", "shot", "--path", "/tmp", "--tags", "a", "--tags", "b"],
    ["show", "x", "--level", "bogus"],
    ["show", "--help"],
    ["show"],
    ["sub", "list", "--db", "d", "--n", "4"],
    ["sub", "list", "--n", "four"],
    ["sub", "list", "--help"],
    ["--help"],
]


@pytest.mark.parametrize("args", CASES, ids=[" ".join(a) for a in CASES])
def test_the_pass_through_changes_no_answer(args, monkeypatch):
    monkeypatch.setenv("PLAIN_TEST_DB", "from-env")
    runner = CliRunner()
    plain, fitted = runner.invoke(make(None), args), runner.invoke(make(Group), args)
    assert (fitted.exit_code, fitted.output) == (plain.exit_code, plain.output)
    assert type(fitted.exception) is type(plain.exception)


def test_plain_options_are_fitted_and_the_others_are_typers():
    app = typer.main.get_command(make(Group))
    ctx = app.make_context("app", ["show", "x"], resilient_parsing=True)
    command = app.get_command(ctx, "show")
    fitted = {p.name for p in command.params if isinstance(p._runtime_param, AsGiven)}
    assert fitted == {"name", "db", "limit", "fps", "ratio", "json_out"}  # not bounds, choices, paths, lists


@pytest.mark.parametrize(("args", "pydantic"), [(["sub", "list", "--db", "d"], False),
                                              (["sub", "list", "--n", "4"], True)])
def test_only_a_value_typer_must_convert_imports_pydantic(args, pydantic):
    """A command whose options are all plain and given as their type parses without pydantic; a
    number given as text is converted by typer's adapter, as before."""
    code = ("import sys\nfrom typer.testing import CliRunner\n"
            "from tests.unit.test_plain_options import make, Group\n"
            f"r = CliRunner().invoke(make(Group), {args!r})\n"
            "print(r.exit_code, r.output.strip(), 'pydantic' in sys.modules)")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120,
                       cwd=ROOT)
    assert p.returncode == 0, p.stderr[-2000:]
    assert p.stdout.split()[0] == "0" and p.stdout.split()[-1] == str(pydantic), p.stdout
