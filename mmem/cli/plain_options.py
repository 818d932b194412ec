"""Options whose value already has the type its annotation asks for are passed through as is.

Typer (0.2x, with its own parser) checks every option's value with a pydantic TypeAdapter that it
builds the first time the option is parsed, even for `None` or a default: importing pydantic's
schema machinery for that is ~0.17 s of every cold command (a fifth of a cold `mmem events`), to
find that the string "event" is a str. For a plain `str`, `int` or `float` option (no parser,
choices, bounds, path or file handling) given a value of exactly that type, the adapter's answer
is the value itself; any other value (a number still a string, a bool for an int) goes to the
adapter typer would have built, so what it accepts, converts and rejects, and its messages, are
typer's. `Group` is the app's group class (`typer.Typer(cls=Group)`): it fits the command it
resolves, and the commands of a sub-group, before they parse. With a typer that has no such
adapters, it changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from typer.core import TyperGroup

try:  # typer's coercion layer (0.2x); older typers coerce through click, without pydantic
    from typer._coercion import RuntimeParam, build_runtime_param
except ImportError:  # pragma: no cover - depends on the installed typer
    RuntimeParam = None  # type: ignore[assignment,misc]

PLAIN = (str, int, float, bool)  # a bool flag's True/False typer passes itself; its None here


def _plain(descriptor: Any) -> bool:
    """An option typer would check with nothing but its type's own validator."""
    info = descriptor.parameter_info
    return (descriptor.annotation in PLAIN and descriptor.file_annotation is None
            and getattr(info, "parser", None) is None and not descriptor.is_choice
            and not descriptor.is_ranged and not descriptor.is_path)


if RuntimeParam is not None:
    @dataclass(frozen=True)
    class AsGiven(RuntimeParam):  # type: ignore[misc,valid-type]
        """A value of exactly the annotated type as it is; any other through typer's adapter."""

        descriptor: Any = None

        def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
            if type(value) is self.annotation:
                return value
            full = param._runtime_param = build_runtime_param(self.descriptor)  # as typer would
            return full._coerce_value(value, param=param, ctx=ctx)


def fit_params(params: Any) -> None:
    """Give the plain ones of these options the pass-through (before their first parse)."""
    if RuntimeParam is None:
        return
    for param in params:
        descriptor = getattr(param, "type_descriptor", None)
        if descriptor is not None and getattr(param, "_runtime_param", False) is None and _plain(descriptor):
            param._runtime_param = AsGiven(parameter_info=descriptor.parameter_info,
                                           annotation=descriptor.annotation, descriptor=descriptor)


def fit(command: Any, ctx: Any) -> None:
    """`command`'s options, its --help (made now, as its parse would, from the same names) and
    for a group its sub-commands'."""
    fit_params(command.get_params(ctx))
    for sub in getattr(command, "commands", {}).values():
        fit(sub, ctx)


class Group(TyperGroup):
    """The app's group: its options, and the command it resolves, fitted before they parse."""

    def get_params(self, ctx: Any) -> Any:
        params = super().get_params(ctx)
        fit_params(params)
        return params

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        command = super().get_command(ctx, cmd_name)
        if command is not None:
            fit(command, ctx)
        return command
