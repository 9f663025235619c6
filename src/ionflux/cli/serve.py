"""``ionflux serve``: the HTTP API and web page over a store."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from ionflux.errors import InputError

#: Top-level modules of the ``web`` extra (fastapi, uvicorn) and what they bring.
WEB_EXTRA_MODULES = frozenset({"fastapi", "uvicorn", "starlette", "h11", "anyio"})


def serve_command(
    store: str = typer.Option(None, help="local | mongo | memory | config file (default "
                                         "$IONFLUX_STORE or local)"),
    data_dir: Path = typer.Option(None, help="local store folder (default ./ionflux-data)"),
    host: str = typer.Option("127.0.0.1", help="address to listen on"),
    port: int = typer.Option(8000, min=1, max=65535, help="port"),
    max_cell_updates: float = typer.Option(5e7, help="largest prediction POST /api/predict "
                                                     "runs (cell updates; ~1e7 per second)"),
    predict_timeout: float = typer.Option(120.0, help="seconds a request waits for a "
                                                      "prediction before answering 504"),
    max_body_bytes: int = typer.Option(64 * 1024, min=1, help="largest request body; a "
                                       "larger one is refused with 413 before it is read"),
    max_queue: int = typer.Option(4, min=1, help="predictions queued or running at once; "
                                  "one more is refused with 429 and Retry-After"),
) -> None:
    """Serve the API (/api/..., schema at /openapi.json) and the web page (/)."""
    try:
        import uvicorn

        from ionflux.web import ServeSettings, create_app
    except ModuleNotFoundError as exc:
        if (exc.name or "").partition(".")[0] not in WEB_EXTRA_MODULES:
            raise  # anything else missing is a bug, with its traceback
        raise InputError(f"ionflux serve needs the web extra ({exc.name} is not installed): "
                         "pip install 'ionflux[web]'") from None

    settings = ServeSettings(store=store or os.environ.get("IONFLUX_STORE") or "local",
                             data_dir=data_dir, max_cell_updates=max_cell_updates,
                             predict_timeout_s=predict_timeout, max_body_bytes=max_body_bytes,
                             max_queue=max_queue)
    app = create_app(settings)
    typer.echo(f"ionflux serving {app.state.access.location} on http://{host}:{port}/ "
               "(Ctrl-C stops)", err=True)
    uvicorn.run(app, host=host, port=port, log_level="warning")


def register(app: typer.Typer) -> None:
    app.command("serve")(serve_command)
