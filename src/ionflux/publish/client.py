"""The MPContribs client module, imported on first use (it is slow to import and optional)."""

from __future__ import annotations

from typing import Any


def client_module() -> Any:
    """``mpcontribs.client`` (installed with the ``publish`` extra)."""
    try:
        import mpcontribs.client as mc
    except ImportError as exc:  # pragma: no cover - the test extra installs it
        from ionflux.errors import InputError

        raise InputError("publishing needs mpcontribs-client: pip install 'ionflux[publish]'"
                         ) from exc
    return mc
