"""Read access to the pipeline store for the HTTP API (one connection set per thread).

File-backed SQLite connections must stay in the thread that opened them, and FastAPI serves
plain endpoints from a thread pool, so every worker thread opens its own ``StoreSet``.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from ionflux.errors import InputError, StoreError
from ionflux.storage.documents import finite_or_none, reduced_formula


def parse_formula(value: str, what: str = "formula") -> str:
    try:
        return reduced_formula(value)
    except ValueError:
        raise InputError(f"{what} {value!r} is not a chemical formula") from None


def parse_system(value: str) -> set[str]:
    """'Ba-Ti-O' -> {'Ba', 'Ti', 'O'} (each a real element)."""
    from pymatgen.core import Element

    parts = [p.strip() for p in value.split("-") if p.strip()]
    if not parts or not all(Element.is_valid_symbol(p) for p in parts):
        raise InputError(f"chemical system {value!r} must be elements joined by '-', "
                         "e.g. Ba-Ti-O")
    return set(parts)


def clean(doc: dict) -> dict:
    doc.pop("_id", None)
    return finite_or_none(doc)


class StoreAccess:
    """Per-thread connected stores of one configuration."""

    def __init__(self, store: str = "local", data_dir: str | Path | None = None) -> None:
        from ionflux.storage.stores import StoreSet

        self.store = store
        self.data_dir = data_dir
        # opened once here so a bad configuration fails at start-up, not on the first request
        first = StoreSet.open(store, data_dir=data_dir)
        self.location = first.location
        local = first.config.backend == "local" and bool(first.location)
        #: the local store's data folder (paths under it are served relative to it)
        self.root = Path(first.location).parent if local else None
        if self.root is not None and not self.root.is_dir():
            raise InputError(f"data folder {self.root} does not exist: the server never creates "
                             "one; check --data-dir (or $IONFLUX_DATA_DIR), or ingest or import "
                             "data there first")
        first.connect()
        #: (device, inode) of the local database file: a store deleted or replaced under the
        #: running server is refused (503), never read from the old file and written to a new one
        self._identity = None
        if local:
            stat = os.stat(first.location)
            self._identity = (stat.st_dev, stat.st_ino)
        self._local = threading.local()
        self._local.stores = first

    def check(self) -> None:
        """StoreError (one line) when the local database file was deleted or replaced since
        the server started."""
        if self._identity is None:
            return
        name = Path(self.location).name
        try:
            stat = os.stat(self.location)
        except OSError:
            raise StoreError(f"the store's database file {name} was deleted while the server "
                             "was running; restore it and restart ionflux serve") from None
        if (stat.st_dev, stat.st_ino) != self._identity:
            raise StoreError(f"the store's database file {name} was replaced while the server "
                             "was running; restart ionflux serve to serve the new one")

    def stores(self) -> Any:
        self.check()
        stores = getattr(self._local, "stores", None)
        if stores is None:
            from ionflux.storage.stores import StoreSet

            stores = StoreSet.open(self.store, data_dir=self.data_dir).connect()
            self._local.stores = stores
        return stores

    def ingest_paths(self) -> list[str]:
        """Paths of the registered trajectories (where they were at ingest)."""
        return [d["path"] for d in self.stores().raw_trajectories.query(properties=["path"])
                if "path" in d]


#: An absolute path inside free text: starts after the beginning, a space, a quote or a bracket
#: (never inside a URL or a unit such as 1/fs), and runs to the next space, quote or bracket.
_START = r"(?<![^\s'\"(\[=,])"
_ABSOLUTE = re.compile(_START + r"/[^\s/'\"()\[\]{},;]+(?:/[^\s/'\"()\[\]{},;]*)*")


class PathScrubber:
    """Rewrites server paths in everything served to clients: a path under the ingest root
    (the folder every registered trajectory shares) or the store root (the local store's data
    folder) becomes relative to it, any other absolute path its file name. Nothing served is
    an absolute path.

    ``ingest_paths()`` lists the registered trajectory paths; the ingest root is recomputed
    from it at most every ``ttl_s`` seconds (new ingests move it).
    """

    def __init__(self, store_root: str | Path | None,
                 ingest_paths: Callable[[], Iterable[str]], ttl_s: float = 30.0) -> None:
        self.store_root = os.path.normpath(store_root) if store_root else None
        self._ingest_paths = ingest_paths
        self.ttl_s = ttl_s
        self._roots: list[str] = []
        self._at = -float("inf")
        self._lock = threading.Lock()

    def roots(self) -> list[str]:
        """Known roots, longest first."""
        with self._lock:
            if time.monotonic() - self._at > self.ttl_s:
                roots = [self.store_root] if self.store_root else []
                try:
                    folders = {os.path.dirname(p) for p in self._ingest_paths()
                               if isinstance(p, str) and os.path.isabs(p)}
                except Exception:  # the store's own errors are answered where they occur
                    folders = set()
                if folders:
                    common = os.path.commonpath(sorted(folders))
                    if common != os.path.dirname(common):  # never the file system root
                        roots.append(common)
                self._roots = sorted(set(roots), key=len, reverse=True)
                self._at = time.monotonic()
            return self._roots

    def path(self, value: str) -> str:
        """One absolute path, relative to the first root that holds it, else its file name."""
        norm = os.path.normpath(value)
        for root in self.roots():
            if norm == root:
                return "."
            if norm.startswith(root + os.sep):
                return norm[len(root) + 1:]
        return os.path.basename(norm) or "."

    def text(self, value: str) -> str:
        if "/" not in value:
            return value
        for root in self.roots():  # first whole roots, which may hold spaces
            if root in value:
                value = re.sub(_START + re.escape(root) + r"(?:/|(?=[\s'\"()\[\]{},;:]|$))",
                               lambda m: "" if m.group(0).endswith("/") else ".", value)
        return _ABSOLUTE.sub(lambda m: self.path(m.group(0)), value)

    def __call__(self, obj: Any) -> Any:
        """``obj`` (JSON-like) with every string scrubbed."""
        if isinstance(obj, str):
            return self.text(obj)
        if isinstance(obj, dict):
            return {k: self(v) for k, v in obj.items()}
        if isinstance(obj, list | tuple):
            return [self(v) for v in obj]
        return obj
