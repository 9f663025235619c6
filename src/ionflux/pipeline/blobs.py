"""File bytes in a shared MongoDB (GridFS), so workers on other machines can read trajectories.

Files are content-addressed: the GridFS file name is the SHA-256 of the bytes, so uploading the
same file twice stores it once and a changed file never overwrites the old copy.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path
from typing import Any

from monty.json import MSONable

from ionflux.errors import StoreError


class GridFSBlobs(MSONable):
    """A GridFS bucket of files named by their SHA-256.

    Args:
        uri: MongoDB connection string.
        database: database holding the bucket.
        bucket: GridFS bucket name (collections ``<bucket>.files`` and ``<bucket>.chunks``).
        timeout_ms: server-selection timeout, ms.
    """

    def __init__(self, uri: str, database: str, bucket: str = "trajectory_files",
                 timeout_ms: int = 3000):
        self.uri = uri
        self.database = database
        self.bucket = bucket
        self.timeout_ms = timeout_ms
        self._client: Any = None
        self._fs: Any = None

    def _bucket(self) -> Any:
        if self._fs is None:
            import gridfs
            from pymongo import MongoClient

            self._client = MongoClient(self.uri, serverSelectionTimeoutMS=self.timeout_ms)
            self._fs = gridfs.GridFSBucket(self._client[self.database], bucket_name=self.bucket)
        return self._fs

    def _files(self) -> Any:
        self._bucket()
        return self._client[self.database][f"{self.bucket}.files"]

    def exists(self, sha256: str) -> bool:
        return self._files().find_one({"filename": sha256}, {"_id": 1}) is not None

    def put(self, path: str | Path, sha256: str) -> bool:
        """Upload ``path`` unless a file with this hash is stored; True if it uploaded."""
        from pymongo.errors import PyMongoError

        try:
            if self.exists(sha256):
                return False
            with open(path, "rb") as handle:
                self._bucket().upload_from_stream(sha256, handle,
                                                  metadata={"source_name": Path(path).name})
        except PyMongoError as exc:
            raise StoreError(f"GridFS bucket {self.bucket}: cannot store {path}: "
                             f"{type(exc).__name__}") from exc
        return True

    def fetch(self, sha256: str, dest: str | Path) -> Path:
        """Write the stored bytes to ``dest`` and check their hash."""
        from pymongo.errors import PyMongoError

        dest = Path(dest)
        doc = self._files().find_one({"filename": sha256}, {"_id": 1})
        if doc is None:
            raise StoreError(f"GridFS bucket {self.bucket}: no file with sha256 {sha256[:12]}...")
        tmp = dest.with_name(dest.name + ".part")
        try:
            with open(tmp, "wb") as handle:
                self._bucket().download_to_stream(doc["_id"], handle)
        except PyMongoError as exc:
            raise StoreError(f"GridFS bucket {self.bucket}: cannot read {sha256[:12]}...: "
                             f"{type(exc).__name__}") from exc
        digest = hashlib.sha256(tmp.read_bytes()).hexdigest()
        if digest != sha256:
            tmp.unlink()
            raise StoreError(f"GridFS bucket {self.bucket}: stored file {sha256[:12]}... is "
                             f"corrupt (hash {digest[:12]}...)")
        shutil.move(tmp, dest)
        return dest

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
        self._client = None
        self._fs = None

    def __getstate__(self) -> dict:
        return self.as_dict()

    def __setstate__(self, d: dict) -> None:
        self.__init__(**{k: v for k, v in d.items() if not k.startswith("@")})
