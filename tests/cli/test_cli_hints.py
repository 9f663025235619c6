"""Every fix a build failure advises exists: options of ``ionflux build``, keys of the
settings file, fields of the sidecar.

Analysis messages are shared by ``ionflux transport analyze`` and the builders; the builders
pass them through ``build_hint``. This reads every message string of the modules a build runs
(with ``ast``) and checks what the rewritten message names.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from ionflux.cli import _command
from ionflux.stages.settings import BUILD_EQUIVALENTS, PipelineSettings, build_hint
from ionflux.storage.documents import TrajectoryMetadata

SRC = Path(__file__).resolve().parents[2] / "src" / "ionflux"
#: Where messages come from and the command that shows them: the science packages and the
#: builders run under ``ionflux build``; ingest and retire have commands of their own.
SOURCES = {"io": "build", "transport": "build", "structure": "build", "kinetics": "build",
           "thermo": "build", "chempot": "build", "stages/builders.py": "build",
           "stages/gamma.py": "build", "storage/ingest.py": "ingest",
           "storage/retire.py": "retire"}
FLAG = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*")
#: `ionflux CMD [SUB]`: a message that names a command is judged against that command.
COMMAND = re.compile(r"ionflux ([a-z-]+)(?: ([a-z-]+))?")


def _options(*path: str) -> set[str]:
    node = _command()
    for name in path:
        node = node.commands[name]
    return {opt for p in node.params for opt in getattr(p, "opts", [])}


def _all_commands() -> dict[tuple[str, ...], set[str]]:
    out, stack = {}, [((), _command())]
    while stack:
        path, node = stack.pop()
        out[path] = {opt for p in node.params for opt in getattr(p, "opts", [])}
        stack += [((*path, k), v) for k, v in getattr(node, "commands", {}).items()]
    return out


def _messages(path: Path) -> list[str]:
    """String constants and f-strings (their literal parts joined) that are not docstrings."""
    tree = ast.parse(path.read_text())
    skip = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Expr)}
    out = []
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.JoinedStr):
            out.append("".join(v.value if isinstance(v, ast.Constant) else "{}"
                               for v in node.values))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            out.append(node.value)
    return out


def _build_messages() -> list[tuple[str, str, str]]:
    found = []
    for source, command in SOURCES.items():
        paths = [SRC / source] if source.endswith(".py") else sorted((SRC / source).rglob("*.py"))
        for path in paths:
            found += [(str(path.relative_to(SRC)), command, m) for m in _messages(path)
                      if FLAG.search(m)]
    return found


def test_the_scan_sees_the_known_analysis_hints():
    # guards the scan itself: these messages exist and name analyze-only options
    texts = " ".join(m for _, _, m in _build_messages())
    for flag in ("--window-fs", "--blocks", "--frame-interval-fs"):
        assert flag in texts


@pytest.mark.parametrize(("where", "command", "message"), _build_messages())
def test_every_option_a_message_names_exists(where, command, message):
    commands = _all_commands()
    named = COMMAND.search(message)
    if named:
        # "`ionflux transport import --time-axis-factor`": judged against that command
        path = tuple(n for n in named.groups() if n)
        path = path if path in commands else path[:1]
        assert path in commands, f"{where}: names no command: {message!r}"
        allowed = commands[path]
    else:
        message = build_hint(message) if command == "build" else message
        allowed = _options(command)
    missing = [f for f in FLAG.findall(message) if f not in allowed]
    assert not missing, f"{where}: {message!r} names {missing}, which the command lacks"


def _settings_key_exists(dotted: str) -> bool:
    model: type = PipelineSettings
    for part in dotted.split("."):
        field = model.model_fields.get(part)
        if field is None:
            return False
        model = field.annotation
    return True


@pytest.mark.parametrize(("flag", "target"), sorted(BUILD_EQUIVALENTS.items()))
def test_every_equivalent_is_real_on_both_sides(flag, target):
    assert any(flag in opts for opts in _all_commands().values()), f"no command has {flag}"
    kind, name = target
    if kind == "settings":
        assert _settings_key_exists(name), f"{name} is not a pipeline settings key"
    else:
        assert kind == "sidecar" and name in TrajectoryMetadata.model_fields, name
    assert flag not in build_hint(f"pass {flag} to fix it")
    assert name in build_hint(f"pass {flag} to fix it")


def test_the_settings_key_check_can_fail():
    assert _settings_key_exists("transport.n_blocks")
    assert not _settings_key_exists("transport.blocks")
    assert "--settings" in _options("build")
