"""A persistent key -> text cache in one SQLite file, and the hashes its keys are made of.

Results that take long to compute and depend on a known set of inputs (driving forces, the
reaction tables of predictions) are stored under the SHA-256 of everything they rest on: the
data, the source code that computes them and the versions of the libraries it calls. A changed
input is a different key, so a stale entry is never served, only left unused.

The cache is an optimisation only: a file that cannot be opened or written turns it off
(``broken``) and results are computed as usual.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sqlite3
from collections.abc import Callable, Iterable
from pathlib import Path

from ionflux.versions import installed_version

#: Values of a cache's environment variable that switch it off.
OFF = ("", "off", "0", "no", "false")


def chosen_path(env: str, default: Callable[[], Path]) -> Path | None:
    """The file named by ``$env``, None when it says ``off``, else ``default()``."""
    chosen = os.environ.get(env)
    if chosen is not None and chosen.strip().lower() in OFF:
        return None
    return Path(chosen) if chosen else default()


def source_digest(salt: str, folders: Iterable[str], packages: Iterable[str],
                  files: Iterable[str] = ()) -> str:
    """SHA-256 of the ``*.py`` sources of ``ionflux``'s sub-packages ``folders`` and top-level
    ``files``, and of the installed versions of ``packages``: an edited checkout or another
    library version gives another digest."""
    root = Path(__file__).resolve().parents[1]
    h = hashlib.sha256(salt.encode())
    paths = [p for folder in folders for p in sorted((root / folder).glob("*.py"))]
    for path in paths + [root / name for name in files]:
        h.update(path.name.encode())
        h.update(path.read_bytes())
    for package in packages:
        h.update(f"{package} {installed_version(package) or '?'}".encode())
    return h.hexdigest()


class SQLiteCache:
    """Text stored by key in table ``TABLE`` of one SQLite file; ``hits`` and ``misses`` count
    the look-ups."""

    TABLE = "entries"

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._conn: sqlite3.Connection | None = None
        self.broken = False
        self.hits = 0
        self.misses = 0

    def _db(self) -> sqlite3.Connection | None:
        if self._conn is None and not self.broken:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                conn = sqlite3.connect(self.path, timeout=10, isolation_level=None)
                conn.execute("PRAGMA journal_mode=WAL")
                # no fsync per stored result (a cold prediction stores ~90 driving forces: 0.7 s
                # of waiting); with WAL a crash can lose the latest entries, never corrupt the
                # file, and a lost entry is recomputed
                conn.execute("PRAGMA synchronous=NORMAL")
                conn.execute(f"CREATE TABLE IF NOT EXISTS {self.TABLE} "
                             "(key TEXT PRIMARY KEY, doc BLOB NOT NULL)")
                self._conn = conn
            except (OSError, sqlite3.Error):
                self.broken = True  # an optimisation only: compute as usual
        return self._conn

    def get(self, key: str) -> bytes | str | None:
        """The text stored under ``key``, or None (a miss)."""
        db = self._db()
        row = None
        if db is not None:
            with contextlib.suppress(sqlite3.Error):
                row = db.execute(f"SELECT doc FROM {self.TABLE} WHERE key = ?",
                                 (key,)).fetchone()
        if row is None:
            self.misses += 1
            return None
        self.hits += 1
        return row[0]

    def put(self, key: str, doc: bytes | str) -> None:
        """Store ``doc`` under ``key`` (silently skipped when unwritable)."""
        db = self._db()
        if db is None:
            return
        with contextlib.suppress(sqlite3.Error):
            db.execute(f"INSERT OR REPLACE INTO {self.TABLE} VALUES (?, ?)", (key, doc))

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
        self._conn = None

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_conn": None}
