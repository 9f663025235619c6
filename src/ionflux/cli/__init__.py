"""The ``ionflux`` command line. Each sub-module registers one group of sub-commands.

Heavy imports (pymatgen, numba, maggma) happen inside the commands so ``ionflux --help`` is quick.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys

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


def main(argv: list[str] | None = None) -> int:
    """Entry point: runs the CLI and turns ionflux errors into one-line messages (exit 2).

    Usage errors are reported by typer itself (exit 2); any other exception is a bug and keeps
    its traceback.
    """
    try:
        app(args=argv, prog_name="ionflux")
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except IonfluxError as exc:
        typer.echo(f"error: {exc}", err=True)
        return 2
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
