"""Predictions cache: a tiny get/put protocol and a JSON-files implementation.

The lead will swap in the pipeline store; anything with ``get(key) -> dict | None`` and
``put(key, dict)`` works.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path
from typing import Protocol, runtime_checkable

from ionflux.errors import StoreError

#: Environment variable overriding the default cache folder.
PREDICTIONS_DIR_ENV = "IONFLUX_PREDICTIONS_DIR"
DEFAULT_PREDICTIONS_DIR = Path("ionflux-data") / "predictions"

_KEY = re.compile(r"^[0-9a-f]{16,128}$")


@runtime_checkable
class PredictionCache(Protocol):
    def get(self, key: str) -> dict | None:
        ...

    def put(self, key: str, doc: dict) -> None:
        ...


def default_predictions_dir() -> Path:
    """$IONFLUX_PREDICTIONS_DIR, else ./ionflux-data/predictions."""
    env = os.environ.get(PREDICTIONS_DIR_ENV)
    return Path(env) if env else DEFAULT_PREDICTIONS_DIR


class JsonFileCache:
    """One ``<key>.json`` per prediction under ``root``; writes are atomic (temp file + rename)."""

    def __init__(self, root: str | Path | None = None) -> None:
        self.root = Path(root) if root is not None else default_predictions_dir()

    def _path(self, key: str) -> Path:
        if not _KEY.match(key):
            raise StoreError(f"predictions cache: invalid key {key!r} (expected hex digest)")
        return self.root / f"{key}.json"

    def get(self, key: str) -> dict | None:
        path = self._path(key)
        try:
            text = path.read_text()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StoreError(f"predictions cache: cannot read {path} ({exc})") from None
        try:
            doc = json.loads(text)
        except ValueError:
            return None  # a damaged entry is recomputed and overwritten
        return doc if isinstance(doc, dict) and doc.get("key") == key else None

    def put(self, key: str, doc: dict) -> None:
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{key[:12]}-", suffix=".tmp", dir=path.parent)
            try:
                with os.fdopen(fd, "w") as handle:
                    json.dump(doc, handle)
                os.replace(tmp, path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            raise StoreError(f"predictions cache: cannot write {path} ({exc})") from None
