"""Installed package versions, for the provenance of documents and MD sidecars."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version


def package_versions(*names: str) -> dict[str, str]:
    """Installed version of each of ``names`` (``"not installed"`` when absent)."""
    out = {}
    for name in names:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out
