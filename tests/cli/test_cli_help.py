"""Help pages: no `<bool>` for flags, nothing cut off at 80 columns; `status --check`."""

from __future__ import annotations

import pytest
import typer

from ionflux.cli import app, main


def _commands(command: object, path: tuple[str, ...] = ()):
    yield path
    if hasattr(command, "commands"):  # a group (typer vendors its own click)
        for name, sub in command.commands.items():
            yield from _commands(sub, (*path, name))


def test_help_pages_are_whole(capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setenv("TERMINAL_WIDTH", "80")
    paths = list(_commands(typer.main.get_command(app)))
    assert len(paths) > 15
    for path in paths:
        assert main([*path, "--help"]) == 0
        out = capsys.readouterr().out
        assert "<bool>" not in out, path
        assert "…" not in out, (path, [line for line in out.splitlines() if "…" in line])


def test_command_summaries_are_one_line_of_source():
    # typer's rich listing keeps single newlines of a docstring's first paragraph, which broke
    # summaries mid-sentence ("... a record" / "of what was removed stays"); one source line each
    root = typer.main.get_command(app)
    broken = []
    for path in _commands(root):
        command = root
        for name in path:
            command = command.commands[name]
        summary = (command.help or "").strip().split("\n\n")[0]
        if "\n" in summary:
            broken.append((" ".join(path), summary))
    assert not broken, broken
