"""The ``ionflux`` command line. Each sub-module registers one group of sub-commands.

Heavy imports (pymatgen, numba, maggma) happen inside the commands so ``ionflux --help`` is quick.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from typing import Any

import typer

from ionflux.errors import IonfluxError

app = typer.Typer(
    name="ionflux",
    help="Onsager transport of amorphous phases, K_D and synthesis-outcome predictions.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

#: Sub-modules of ionflux.cli, each with a ``register(app)`` function.
_COMMAND_MODULES = (
    "transport", "structure", "thermo", "chempot", "kd", "plot",
    "pipeline", "predict", "report", "md",
    "publish", "serve", "batch",
)


def _register_all() -> None:
    for name in _COMMAND_MODULES:
        module_name = f"{__name__}.{name}"
        if importlib.util.find_spec(module_name) is None:
            continue
        importlib.import_module(module_name).register(app)



@app.command("version")
def version() -> None:
    """Print the ionflux version."""
    from ionflux import __version__

    typer.echo(__version__)


@app.callback()
def _root() -> None:
    """Onsager transport of amorphous phases, K_D and synthesis-outcome predictions."""


_register_all()


_COMMAND: list = []


def _command() -> typer.core.TyperGroup:
    """The click command tree of ``app``, with on/off flags shown without a type (typer
    labels them ``<bool>``, which reads as if they took a value)."""
    if not _COMMAND:
        command = typer.main.get_command(app)
        stack = [command]
        while stack:
            node = stack.pop()
            stack.extend(getattr(node, "commands", {}).values())
            for param in getattr(node, "params", []):
                if getattr(param, "is_flag", False) and param.metavar is None:
                    param.metavar = ""
            node.get_help_option = _no_type(node.get_help_option)
        _COMMAND.append(command)
    return _COMMAND[0]


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
    try:
        _command()(args=argv, prog_name="ionflux")
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except IonfluxError as exc:
        typer.echo(f"error: {exc}", err=True)
        return 2
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
