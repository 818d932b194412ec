"""The `mmem` command: the Typer app that joins the command modules. Each command group lives
in its own module; heavy imports happen inside commands, so `mmem --help` stays fast."""

from __future__ import annotations

import typer

from mmem.cli import ask, batch, doctor, entities, evaluate, events, forget, ingest, models, transcript
from mmem.cli.serve import serve as serve_command
from mmem.cli.single import SETTINGS

app = typer.Typer(**SETTINGS)  # the settings the app for one command alone has too (single.py)
app.command("ingest")(ingest.ingest)
app.command("batch")(batch.batch)
app.command("events")(events.events)
app.command("ask")(ask.ask)
app.command("transcript")(transcript.transcript)
app.command("doctor")(doctor.doctor)
app.command("eval")(evaluate.evaluate)
app.command("forget")(forget.forget)
app.command("serve")(serve_command)
app.add_typer(entities.app, name="entities")
app.add_typer(models.app, name="models")

