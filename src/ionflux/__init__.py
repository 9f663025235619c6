"""ionflux: Onsager transport of amorphous phases, effective diffusion rate constants and
cellular-automaton predictions of solid-state synthesis outcomes."""

from __future__ import annotations

from ionflux.versions import installed_version

# "0.0.0+unknown": running from a source tree without installation
__version__ = installed_version("ionflux") or "0.0.0+unknown"

__all__ = ["__version__"]
