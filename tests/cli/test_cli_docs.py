"""docs/cli.md lists every subcommand, and every option its examples use exists."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from ionflux.cli import _command

DOC = Path(__file__).resolve().parents[2] / "docs" / "cli.md"
ROW = re.compile(r"^\| `([a-z -]+)` \| .* \| `(ionflux [^`]+)` \|$")


def _leaves(node=None, path=()) -> dict[tuple[str, ...], object]:
    node = node or _command()
    commands = getattr(node, "commands", None)
    if not commands:
        return {path: node}
    out = {}
    for name, child in commands.items():
        out.update(_leaves(child, (*path, name)))
    return out


def _rows() -> list[tuple[tuple[str, ...], str]]:
    return [(tuple(m.group(1).split()), m.group(2))
            for m in map(ROW.match, DOC.read_text().splitlines()) if m]


def test_every_subcommand_has_a_line():
    listed = [name for name, _ in _rows()]
    assert sorted(listed) == sorted(_leaves()), "docs/cli.md and the CLI differ"


def test_every_example_runs_a_listed_command_with_real_options():
    leaves = _leaves()
    for name, example in _rows():
        words = shlex.split(example)[1:]
        assert tuple(words[:len(name)]) == name, example
        options = {o for p in leaves[name].params for o in getattr(p, "opts", [])}
        used = [w.split("=")[0] for w in words if w.startswith("-")]
        assert set(used) <= options, f"{example}: {set(used) - options}"
