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



def test_help_paragraphs_are_not_broken_mid_sentence():
    # typer's rich help keeps a docstring's single line breaks, which broke summaries in the
    # command list ("... a record" / "of what was removed stays") and every wrapped paragraph
    # of a help page; the tree the CLI runs holds each paragraph on one line
    from ionflux.cli import _command

    broken = []
    stack = [((), _command())]
    while stack:
        path, node = stack.pop()
        stack.extend(((*path, name), sub) for name, sub in getattr(node, "commands", {}).items())
        broken += [(" ".join(path), p[:60]) for p in (node.help or "").split("\n\n") if "\n" in p]
    assert not broken, broken
