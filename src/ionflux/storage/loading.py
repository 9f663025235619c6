"""Turning a raw-trajectory document back into a checked ``Trajectory``.

The file is read from its registered path when it is still there with the same content;
otherwise (another machine, file moved) from the shared store's GridFS copy. The sidecar's
metadata is resolved with ``Trajectory.with_metadata`` and its formula checked against the atoms.
"""

from __future__ import annotations

import importlib
import tempfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ionflux.errors import InputError
from ionflux.storage.documents import RawTrajectoryDoc, reduced_formula

if TYPE_CHECKING:
    from ionflux.io.trajectory import Trajectory
    from ionflux.storage.blobs import GridFSBlobs


def resolve_function(path: str) -> Callable[..., Any]:
    """``"package.module:function"`` -> the function (how builders name their science call)."""
    module_name, _, attr = path.partition(":")
    if not module_name or not attr:
        raise InputError(f"function path {path!r} must look like 'package.module:function'")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise InputError(f"cannot import {module_name} for {path!r}: {exc}") from exc
    try:
        return getattr(module, attr)
    except AttributeError as exc:
        raise InputError(f"{module_name} has no function {attr!r} (needed by {path!r})") from exc


def _read(path: Path, raw: RawTrajectoryDoc, reader: Callable[..., Any]) -> Trajectory:
    meta = raw.metadata
    kwargs: dict[str, Any] = {"frame_interval_fs": meta.frame_interval_fs,
                              "temperature_K": meta.temperature_K}
    if meta.type_map is not None:
        kwargs["type_map"] = meta.reader_type_map()
    traj = reader(str(path), meta.format, **kwargs)
    traj = traj.with_metadata(temperature_K=meta.temperature_K,
                              frame_interval_fs=meta.frame_interval_fs)
    actual = reduced_formula("".join(f"{el}{n}" for el, n in traj.element_counts.items()))
    if actual != raw.formula:
        counts = " ".join(f"{el}{n}" for el, n in traj.element_counts.items())
        raise InputError(f"{raw.path}: sidecar {raw.sidecar_path} says formula {raw.formula}, "
                         f"but the file holds {actual} ({counts})")
    return traj


def load_trajectory(raw: RawTrajectoryDoc | dict, *, reader: str = "ionflux.io:read_trajectory",
                    blobs: GridFSBlobs | None = None) -> Trajectory:
    """The trajectory of a raw document, metadata resolved and formula checked.

    Raises ``InputError`` (or a subclass) naming the file when it is missing, changed since
    ingest, unreadable, or contradicts its sidecar.
    """
    if isinstance(raw, dict):
        raw = RawTrajectoryDoc.model_validate({k: v for k, v in raw.items() if k != "_id"})
    from ionflux.io.trajectory import file_sha256  # lazy: ionflux.io loads numba

    read = resolve_function(reader)
    path = Path(raw.path)
    has_copy = blobs is not None and raw.blob is not None
    if path.is_file():
        try:
            traj = _read(path, raw, read)
            same = (traj.source.sha256 or file_sha256(path)) == raw.sha256
        except InputError:
            if file_sha256(path) == raw.sha256 or not has_copy:
                if file_sha256(path) != raw.sha256:
                    raise _changed(path) from None
                raise
            same = False
        if same:
            return _with_source(traj, raw)
        if not has_copy:
            raise _changed(path)
    elif not has_copy:
        raise InputError(f"{path}: trajectory file not found (moved or deleted since ingest; "
                         "`ionflux retire` unregisters a deleted file)")
    # the registered content, from the shared store
    assert blobs is not None
    with tempfile.TemporaryDirectory(prefix="ionflux-") as tmp:
        local = blobs.fetch(raw.sha256, Path(tmp) / path.name)
        return _with_source(_read(local, raw, read), raw)


def _changed(path: Path) -> InputError:
    return InputError(f"{path}: file changed since it was ingested (sha256 differs); "
                      "run `ionflux ingest` again")


def _with_source(traj: Trajectory, raw: RawTrajectoryDoc) -> Trajectory:
    from ionflux.io.trajectory import TrajectorySource

    # documents name the registered file, not a temporary copy fetched from GridFS
    return replace(traj, source=TrajectorySource(reader=traj.source.reader, path=raw.path,
                                                 sha256=raw.sha256))
