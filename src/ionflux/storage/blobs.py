"""File bytes in a shared MongoDB (GridFS), so workers on other machines can read trajectories.

Files are content-addressed: the GridFS file name is the SHA-256 of the bytes, so uploading the
same file twice stores it once and a changed file never overwrites the old copy. Concurrent
uploads of the same bytes claim the hash first (``<bucket>_claims``, ``_id`` = hash), so one of
them uploads and the others wait for it.
"""

from __future__ import annotations

import hashlib
import shutil
import time
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

    #: Seconds a claim without a file counts as alive; seconds to wait for another uploader.
    STALE_CLAIM_S = 600.0
    WAIT_S = 900.0

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

    def _claims(self) -> Any:
        self._bucket()
        return self._client[self.database][f"{self.bucket}_claims"]

    def exists(self, sha256: str) -> bool:
        return self._files().find_one({"filename": sha256}, {"_id": 1}) is not None

    def put(self, path: str | Path, sha256: str) -> bool:
        """Upload ``path`` unless a file with this hash is stored; True if it uploaded.

        Concurrent callers with the same hash upload it once: each first inserts a claim
        document whose ``_id`` is the hash (unique in every MongoDB), and only the one whose
        insert succeeds uploads; the others wait for its file to appear. A claim older than
        ``STALE_CLAIM_S`` without a file (its uploader died) is taken over.
        """
        from pymongo.errors import DuplicateKeyError, PyMongoError

        try:
            deadline = time.monotonic() + self.WAIT_S
            while True:
                if self.exists(sha256):
                    return False
                now = time.time()
                try:
                    self._claims().insert_one({"_id": sha256, "claimed_at": now})
                    break
                except DuplicateKeyError:
                    claim = self._claims().find_one({"_id": sha256}) or {}
                    started = claim.get("claimed_at", now)
                    if now - started > self.STALE_CLAIM_S:
                        self._claims().delete_one({"_id": sha256, "claimed_at": started})
                        continue
                    if time.monotonic() > deadline:
                        raise StoreError(f"GridFS bucket {self.bucket}: {path}: another "
                                         f"upload of the same bytes did not finish within "
                                         f"{self.WAIT_S:g} s") from None
                    time.sleep(0.05)
            try:
                with open(path, "rb") as handle:
                    self._bucket().upload_from_stream(
                        sha256, handle, metadata={"source_name": Path(path).name})
            except BaseException:
                self._claims().delete_one({"_id": sha256})
                raise
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
