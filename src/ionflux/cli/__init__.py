"""The ``ionflux`` command line. Each sub-module registers one group of sub-commands.

Heavy imports (pymatgen, numba, maggma) happen inside the commands so ``ionflux --help`` is quick.
"""

from __future__ import annotations

import gc
import importlib
import importlib.util
import inspect
import sys
from typing import Any

import typer

from ionflux.errors import IonfluxError

#: Settings of the root command (the full tree and the one-command trees alike).
_APP_SETTINGS = dict(
    name="ionflux",
    help="Onsager transport of amorphous phases, K_D and synthesis-outcome predictions.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

#: Each top-level command (or group) and the sub-module of ionflux.cli whose ``register(app)``
#: adds it, in registration order; tests/cli checks it against the modules. A command
#: typed first on the command line loads only its own module (the others cost ~25 ms).
_COMMANDS = {
    "transport": "transport", "structure": "structure", "thermo": "thermo",
    "chempot": "chempot", "kd": "kd", "plot": "plot", "ingest": "pipeline", "build": "pipeline",
    "retire": "pipeline", "status": "pipeline", "query": "pipeline", "predict": "predict",
    "report": "report", "md": "md", "publish": "publish", "serve": "serve", "batch": "batch",
}
_COMMAND_MODULES = tuple(dict.fromkeys(_COMMANDS.values()))


def version() -> None:
    """Print the ionflux version."""
    from ionflux import __version__

    typer.echo(__version__)


def _root() -> None:
    """Onsager transport of amorphous phases, K_D and synthesis-outcome predictions."""


def _new_app(modules: tuple[str, ...]) -> typer.Typer:
    """The root command with ``version`` and the commands of ``modules``."""
    new = typer.Typer(**_APP_SETTINGS)
    new.command("version")(version)
    new.callback()(_root)
    for name in modules:
        module_name = f"{__name__}.{name}"
        if importlib.util.find_spec(module_name) is None:
            continue
        importlib.import_module(module_name).register(new)
    return new


_APPS: dict[str, typer.Typer] = {}
_COMMAND: dict[str, typer.core.TyperGroup] = {}


def __getattr__(name: str) -> Any:
    if name == "app":  # the whole tree, built on first use
        if "" not in _APPS:
            _APPS[""] = _new_app(_COMMAND_MODULES)
        return _APPS[""]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _command(first: str | None = None) -> typer.core.TyperGroup:
    """The click command tree (of the whole app, or of the root with only the command
    ``first``), with on/off flags shown without a type (typer labels them ``<bool>``, which
    reads as if they took a value)."""
    key = first if first in _COMMANDS else ""
    if key not in _COMMAND:
        if key and key not in _APPS:
            _APPS[key] = _new_app((_COMMANDS[key],))
        command = typer.main.get_command(__getattr__("app") if not key else _APPS[key])
        stack = [command]
        while stack:
            node = stack.pop()
            stack.extend(getattr(node, "commands", {}).values())
            for param in getattr(node, "params", []):
                if getattr(param, "is_flag", False) and param.metavar is None:
                    param.metavar = ""
            node.get_help_option = _no_type(node.get_help_option)
            node.help = _unwrapped(node.help)
        _COMMAND[key] = command
    return _COMMAND[key]


def _unwrapped(help_text: str | None) -> str | None:
    """``help_text`` with each paragraph on one line: typer's rich help keeps a docstring's
    single line breaks, so text wrapped at 100 columns in the source came out ragged at the
    terminal's width (the terminal wraps it again anyway)."""
    if not help_text:
        return help_text
    paragraphs = inspect.cleandoc(help_text).split("\n\n")
    return "\n\n".join(" ".join(line.strip() for line in paragraph.splitlines())
                       for paragraph in paragraphs)


def _no_type(get_help_option: Any) -> Any:
    def wrapped(ctx: Any) -> Any:
        option = get_help_option(ctx)
        if option is not None:
            option.metavar = ""
        return option

    return wrapped


def main(argv: list[str] | None = None) -> int:
    """Entry point: runs the CLI and turns ionflux errors into one-line messages (exit 2).

    Usage errors are reported by typer itself (exit 2); any other exception is a bug and keeps
    its traceback.
    """
    args = sys.argv[1:] if argv is None else list(argv)
    if argv is None:
        # the process's entry point: its imports make ~10^5 objects that live until exit;
        # with the default threshold (700 allocations) a prediction runs ~140 young and ~12
        # middle-generation collections that free nothing (~4 % of its CPU). Cycles are
        # still collected, after 10,000 allocations
        gc.set_threshold(10_000, 10, 10)
    try:
        _command(args[0] if args else None)(args=args, prog_name="ionflux")
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except IonfluxError as exc:
        typer.echo(f"error: {exc}", err=True)
        return 2
    finally:
        if argv is None:
            # run as the process's entry point, which now exits: the garbage collections of
            # interpreter shutdown would walk every object left (~0.08 s of CPU after a
            # prediction); frozen objects are skipped and freed by the exit itself
            gc.freeze()
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
