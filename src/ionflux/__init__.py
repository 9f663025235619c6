"""ionflux: Onsager transport of amorphous phases, effective diffusion rate constants and
cellular-automaton predictions of solid-state synthesis outcomes."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("ionflux")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
