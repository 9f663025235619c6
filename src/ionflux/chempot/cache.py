"""A persistent cache of driving forces, keyed by everything a result rests on.

Building chemical-potential diagrams dominates ``kd``, ``chempot distance`` and the K_D part of
predictions (seconds per temperature), while the answer only depends on:

- the thermodynamic data set, hashed whole (entries, NIST-JANAF tables, elemental references,
  melting points, ``prefer_experimental``, i.e. whether NIST-JANAF is used, and its source);
- the code that turns data into a driving force: the source files of ``ionflux.thermo`` and
  ``ionflux.chempot`` (hashed, so an edited checkout never serves an old number) and the
  pymatgen and scipy versions;
- the two phases, the temperature, the artificial lower limit and the metastable tolerance.

The key is the SHA-256 of all of these. Entries live in one SQLite file,
``$IONFLUX_CACHE_DIR/driving_forces.sqlite`` (default ``~/.cache/ionflux``); set
``IONFLUX_DRIVING_FORCE_CACHE`` to another file, or to ``off`` to disable it. The cache is an
optimisation only: when its file cannot be opened or written, results are computed as usual.

The cache stores JSON text and knows nothing of ``DrivingForce``: ``DrivingForceCalculator``
serialises and validates, so this module sits below ``driving_force.py`` and the two do not
import each other (issue #24).
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import orjson

from ionflux.storage.sqlite_cache import SQLiteCache, chosen_path, source_digest

if TYPE_CHECKING:
    from ionflux.thermo.data import ThermoData

CACHE_ENV = "IONFLUX_DRIVING_FORCE_CACHE"
#: Bump when the stored format changes.
FORMAT = 1


@cache
def code_digest() -> str:
    """Hash of the code a driving force depends on (ionflux.thermo, ionflux.chempot sources and
    the pymatgen/scipy/numpy versions)."""
    return source_digest(f"format {FORMAT}", ("thermo", "chempot"),
                         ("pymatgen", "scipy", "numpy"))


def data_digest(thermo: ThermoData) -> str:
    """Hash of the whole thermodynamic data set, including whether NIST-JANAF is preferred."""
    return hashlib.sha256(thermo.model_dump_json().encode()).hexdigest()


def default_path() -> Path | None:
    """The cache file, or None when the cache is switched off."""
    from ionflux.thermo.data import cache_dir

    return chosen_path(CACHE_ENV, lambda: cache_dir() / "driving_forces.sqlite")


class DrivingForceCache(SQLiteCache):
    """Driving forces stored by key in one SQLite file (see the module docstring)."""

    TABLE = "driving_forces"

    @classmethod
    def default(cls) -> DrivingForceCache | None:
        path = default_path()
        return None if path is None else cls(path)

    @staticmethod
    def key(data: str, alpha: str, beta: str, temperature_K: float, lower_limit_eV: float,
            metastable_tol_eV: float) -> str:
        parts = [FORMAT, code_digest(), data, alpha, beta, float(temperature_K),
                 float(lower_limit_eV), float(metastable_tol_eV)]
        return hashlib.sha256(orjson.dumps(parts)).hexdigest()
