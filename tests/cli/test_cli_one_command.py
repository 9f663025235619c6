"""A command typed first loads only its own module: the map of commands to modules is the
modules' own registration, and help pages and usage errors read the same as from the whole
command tree."""

from __future__ import annotations

import importlib

import pytest
import typer

from ionflux.cli import _COMMANDS, _command, main


def test_the_command_map_is_what_the_modules_register():
    for module in set(_COMMANDS.values()):
        app = typer.Typer()
        importlib.import_module(f"ionflux.cli.{module}").register(app)
        names = [c.name for c in app.registered_commands] + [g.name for g in app.registered_groups]
        assert sorted(names) == sorted(k for k, v in _COMMANDS.items() if v == module), module
    assert set(_command().commands) == {"version", *_COMMANDS}


def _full_tree(args: list[str]) -> int:
    try:
        _command()(args=args, prog_name="ionflux")
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 0
    return 0


@pytest.mark.parametrize("name", sorted(_COMMANDS))
def test_help_and_usage_errors_match_the_whole_tree(name, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setenv("TERMINAL_WIDTH", "80")
    for args in ([name, "--help"], [name, "--no-such-option"]):
        code = main(args)
        mine = capsys.readouterr()
        assert _full_tree(args) == code
        assert capsys.readouterr() == mine, args
