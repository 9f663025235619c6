"""Shared pytest fixtures."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20261122)


def pytest_configure(config: pytest.Config) -> None:
    """Persistent caches of the test run live in a folder of their own, never in the user's
    ~/.cache (results are keyed by data and code, so sharing them within a run is safe)."""
    import os
    import tempfile

    if "IONFLUX_DRIVING_FORCE_CACHE" in os.environ:
        return
    folder = tempfile.mkdtemp(prefix="ionflux-test-cache-")
    config._ionflux_cache_folder = folder  # removed in pytest_unconfigure
    os.environ["IONFLUX_DRIVING_FORCE_CACHE"] = os.path.join(folder, "driving_forces.sqlite")


def pytest_unconfigure(config: pytest.Config) -> None:
    import shutil

    folder = getattr(config, "_ionflux_cache_folder", None)
    if folder:
        shutil.rmtree(folder, ignore_errors=True)
