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

import contextlib
import hashlib
import os
import sqlite3
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import orjson

from ionflux.versions import installed_version

if TYPE_CHECKING:
    from ionflux.thermo.data import ThermoData

CACHE_ENV = "IONFLUX_DRIVING_FORCE_CACHE"
#: Bump when the stored format changes.
FORMAT = 1


@cache
def code_digest() -> str:
    """Hash of the code a driving force depends on (ionflux.thermo, ionflux.chempot sources and
    the pymatgen/scipy versions)."""
    root = Path(__file__).resolve().parents[1]
    h = hashlib.sha256(f"format {FORMAT}".encode())
    for folder in ("thermo", "chempot"):
        for path in sorted((root / folder).glob("*.py")):
            h.update(path.name.encode())
            h.update(path.read_bytes())
    for package in ("pymatgen", "scipy", "numpy"):
        h.update(f"{package} {installed_version(package) or '?'}".encode())
    return h.hexdigest()


def data_digest(thermo: ThermoData) -> str:
    """Hash of the whole thermodynamic data set, including whether NIST-JANAF is preferred."""
    return hashlib.sha256(thermo.model_dump_json().encode()).hexdigest()


def default_path() -> Path | None:
    """The cache file, or None when the cache is switched off."""
    from ionflux.thermo.data import cache_dir

    chosen = os.environ.get(CACHE_ENV)
    if chosen is not None and chosen.strip().lower() in ("", "off", "0", "no", "false"):
        return None
    return Path(chosen) if chosen else cache_dir() / "driving_forces.sqlite"


class DrivingForceCache:
    """Driving forces stored by key in one SQLite file (see the module docstring)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._conn: sqlite3.Connection | None = None
        self.broken = False
        self.hits = 0
        self.misses = 0

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

    def _db(self) -> sqlite3.Connection | None:
        if self._conn is None and not self.broken:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                conn = sqlite3.connect(self.path, timeout=10, isolation_level=None)
                conn.execute("PRAGMA journal_mode=WAL")
                # no fsync per stored result (a cold prediction stores ~90: 0.7 s of waiting);
                # with WAL a crash can lose the latest entries, never corrupt the file, and a
                # lost entry is recomputed
                conn.execute("PRAGMA synchronous=NORMAL")
                conn.execute("CREATE TABLE IF NOT EXISTS driving_forces "
                             "(key TEXT PRIMARY KEY, doc BLOB NOT NULL)")
                self._conn = conn
            except (OSError, sqlite3.Error):
                self.broken = True  # an optimisation only: compute as usual
        return self._conn

    def get(self, key: str) -> bytes | str | None:
        """The JSON text stored under ``key``, or None (a miss)."""
        db = self._db()
        row = None
        if db is not None:
            with contextlib.suppress(sqlite3.Error):
                row = db.execute("SELECT doc FROM driving_forces WHERE key = ?",
                                 (key,)).fetchone()
        if row is None:
            self.misses += 1
            return None
        self.hits += 1
        return row[0]

    def put(self, key: str, doc_json: str) -> None:
        """Store the JSON text ``doc_json`` under ``key`` (silently skipped when unwritable)."""
        db = self._db()
        if db is None:
            return
        with contextlib.suppress(sqlite3.Error):
            db.execute("INSERT OR REPLACE INTO driving_forces VALUES (?, ?)",
                       (key, doc_json))

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
        self._conn = None

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_conn": None}
