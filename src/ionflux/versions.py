"""Installed package versions, for the provenance of documents and MD sidecars.

Looked up from the ``*.dist-info`` folders on ``sys.path`` directly: ``importlib.metadata``
imports the email parser and scans every distribution (~50 ms on every start of ``ionflux``);
this reads one ``METADATA`` header (~1 ms). Anything else (eggs, zip imports) falls back to
``importlib.metadata``. Results are cached for the life of the process.
"""

from __future__ import annotations

import os
import re
import sys
from functools import cache


def _normalise(name: str) -> str:
    """Distribution name as in dist-info folder names (PEP 503 / wheel spelling)."""
    return re.sub(r"[-_.]+", "_", name).lower()


def _from_dist_info(name: str) -> str | None:
    """Version from the first ``NAME-VERSION.dist-info/METADATA`` on ``sys.path``, or None."""
    wanted = _normalise(name)
    for folder in sys.path:
        try:
            entries = os.listdir(folder or ".")
        except OSError:
            continue
        for entry in entries:
            if not entry.endswith(".dist-info"):
                continue
            dist, _, _ = entry[:-len(".dist-info")].partition("-")
            if _normalise(dist) != wanted:
                continue
            try:
                with open(os.path.join(folder or ".", entry, "METADATA"), encoding="utf-8") as f:
                    for line in f:
                        if not line.strip():
                            break  # end of the header
                        if line.startswith("Version:"):
                            return line.partition(":")[2].strip()
            except OSError:
                pass
            return None
    return None


@cache
def installed_version(name: str) -> str | None:
    """Installed version of distribution ``name``, or None when it is not installed."""
    found = _from_dist_info(name)
    if found is not None:
        return found
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return None


def package_versions(*names: str) -> dict[str, str]:
    """Installed version of each of ``names`` (``"not installed"`` when absent)."""
    return {name: installed_version(name) or "not installed" for name in names}
