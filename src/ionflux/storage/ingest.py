"""``ionflux ingest DIR``: register trajectory files and their metadata sidecars.

Convention: next to every trajectory file sits one metadata sidecar in YAML or JSON, named
either after the whole file (``run1.extxyz`` -> ``run1.extxyz.yaml``) or after its stem
(``run1.yaml``); ``.yml`` and ``.json`` work too. Its fields are
:class:`~ionflux.storage.documents.TrajectoryMetadata`::

    formula: BaTiO3            # phase simulated (any multiple of the formula)
    temperature_K: 1500
    frame_interval_fs: 50      # optional if the file stores times
    replicate: r1              # unique per (formula, temperature)
    potential: ACE Ba-Ti-O
    potential_version: "2024.1"
    md_engine: LAMMPS
    notes: melt-quenched from 3000 K

Trajectory files are recognised by name: ``*.extxyz``, ``*.xyz``, ``*.lammpstrj``, ``*.dump``,
``*.lammps``, ``*.traj`` and ``*XDATCAR*``, each optionally gzipped. The SHA-256 of the file's
bytes decides whether a file is new, changed or unchanged (the hash is reused while size and
modification time are unchanged, unless ``rehash``). Only the path, hash and metadata are stored;
a shared MongoDB store also keeps the bytes in GridFS. Problems (no sidecar, invalid sidecar,
duplicate replicate id) become ``ingest`` failure records and leave earlier registrations as
they were.
"""

from __future__ import annotations

import errno
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ionflux.errors import InputError
from ionflux.storage.documents import (
    BlobRef,
    FailureDoc,
    PipelineProvenance,
    RawTrajectoryDoc,
    TrajectoryMetadata,
    group_key,
    now_ms,
    one_line,
    redact_contents,
    replicate_key,
)
from ionflux.storage.stores import StoreSet

TRAJECTORY_SUFFIXES = (".extxyz", ".xyz", ".lammpstrj", ".dump", ".lammps", ".traj")
SIDECAR_SUFFIXES = (".yaml", ".yml", ".json")
#: Largest sidecar read, bytes (fields are bounded too, see TrajectoryMetadata).
MAX_SIDECAR_BYTES = 64 * 1024


@dataclass
class IngestReport:
    """What one ingest did, by trajectory path."""

    new: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (f"{len(self.new)} new, {len(self.changed)} changed, {len(self.unchanged)} "
                f"unchanged, {len(self.failed)} failed")


def is_trajectory_name(name: str) -> bool:
    lower = name.lower()
    if lower.endswith(SIDECAR_SUFFIXES) or lower.startswith("."):
        return False
    base = lower[:-3] if lower.endswith(".gz") else lower
    return base.endswith(TRAJECTORY_SUFFIXES) or "xdatcar" in base


def shown(path: str | Path) -> str:
    """``path`` as text that can be stored and printed: bytes of a file name that are not
    UTF-8 appear as ``\\xe9`` (identical to ``str(path)`` for every valid name)."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def _os_problem(path: str | Path, exc: OSError, what: str = "cannot read") -> str:
    if exc.errno == errno.ENAMETOOLONG:
        return (f"{shown(path)}: path is longer than this system allows ({len(os.fsencode(path))}"
                " bytes); move it to a shorter path")
    return f"{shown(path)}: {what}: {exc.strerror or type(exc).__name__}"


def _walk(directory: Path, recursive: bool, problems: dict[str, str] | None) -> Iterator[str]:
    """Files under ``directory`` (path strings): hidden files and folders skipped, linked folders
    not entered.
    A folder that cannot be listed (too long a path, no permission) goes to ``problems``."""
    stack = [directory]
    while stack:
        folder = stack.pop()
        try:
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda e: e.name, reverse=True)
        except OSError as exc:
            if folder == directory:
                raise InputError(_os_problem(folder, exc, "cannot list folder")) from exc
            if problems is not None:
                problems[shown(folder)] = _os_problem(folder, exc, "cannot list folder")
            continue
        for entry in entries:
            if entry.name.startswith("."):
                continue
            try:
                if entry.is_dir(follow_symlinks=False):
                    if recursive:
                        stack.append(Path(entry.path))
                elif entry.is_file():
                    yield entry.path
            except OSError as exc:
                if problems is not None:
                    problems[shown(entry.path)] = _os_problem(entry.path, exc)


def find_trajectories(directory: Path, recursive: bool = True,
                      problems: dict[str, str] | None = None) -> list[Path]:
    """Trajectory files under ``directory`` (sorted, hidden folders skipped); folders that
    cannot be listed go to ``problems`` (path -> one-line reason)."""
    return _trajectories(_listing(directory, recursive, problems))


def _listing(directory: Path, recursive: bool, problems: dict[str, str] | None) -> list[str]:
    """Every (non-hidden) file under ``directory``, as path strings."""
    if not directory.is_dir():
        raise InputError(f"{directory}: not a directory")
    return list(_walk(directory, recursive, problems))


def _trajectories(listing: list[str]) -> list[Path]:
    return sorted(Path(p) for p in listing if is_trajectory_name(os.path.basename(p)))


def _sidecar_names(name: str) -> list[str]:
    stem = name[:-3] if name.lower().endswith(".gz") else name
    if "." in stem:
        stem = stem.rsplit(".", 1)[0]
    names = [name + s for s in SIDECAR_SUFFIXES]
    if stem and stem != name:
        names += [stem + s for s in SIDECAR_SUFFIXES]
    return names


def sidecar_candidates(path: Path) -> list[Path]:
    """Possible sidecar names of a trajectory, whole-name forms first."""
    return [path.with_name(n) for n in _sidecar_names(path.name)]


def find_sidecar(path: Path, listing: set[str] | None = None) -> Path:
    """The one metadata sidecar of trajectory ``path``; ``listing`` (the files of its folder,
    as path strings, from one scan) saves a stat per candidate name."""
    if listing is None:
        present = [p for p in sidecar_candidates(path) if p.is_file()]
    else:
        folder = os.path.dirname(path)
        present = [Path(f) for n in _sidecar_names(path.name)
                   if (f := os.path.join(folder, n)) in listing]
    if not present and ".partial." in path.name:
        # written by ionflux md for runs that stopped early (ionflux.md.run)
        raise InputError(f"{path}: partial MD trajectory (the run stopped early, see "
                         f"{path.name}.md-report.json); not ingested")
    if not present:
        expected = ", ".join(p.name for p in sidecar_candidates(path)[:1]
                             + sidecar_candidates(path)[3:4])
        raise InputError(f"{path}: no metadata sidecar (expected e.g. {expected})")
    if len(present) > 1:
        raise InputError(f"{path}: several metadata sidecars ({', '.join(p.name for p in present)}"
                         "); keep one")
    return present[0]


def _invalid_text(value: Any, where: str = "") -> str | None:
    """Where in parsed sidecar data a text is not valid Unicode (None when all are)."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return where
        return None
    if isinstance(value, dict):
        items: Any = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return None
    for key, item in items:
        label = f"{where}.{key}" if where else str(key)
        found = _invalid_text(key, label) if isinstance(key, str) else None
        if found is None:
            found = _invalid_text(item, label)
        if found is not None:
            return found
    return None


class _AliasFound(Exception):
    """A YAML alias (``*name``, also in a merge key ``<<: *name``); the message is ``*name``."""


def _load_yaml(text: str) -> Any:
    """``yaml.safe_load`` that refuses aliases before anything is expanded (so a 600-byte
    'billion laughs' costs nothing), and with them merge keys."""
    import yaml

    class NoAliasLoader(yaml.SafeLoader):
        def compose_node(self, parent: Any, index: Any) -> Any:
            if self.check_event(yaml.AliasEvent):
                raise _AliasFound(f"*{self.peek_event().anchor}")
            return super().compose_node(parent, index)

    loader = NoAliasLoader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def read_sidecar(path: Path) -> TrajectoryMetadata:
    """Parse and validate a sidecar; errors are one line naming the file and the field."""
    import yaml

    try:
        size = path.stat().st_size
        if size > MAX_SIDECAR_BYTES:
            # checked before reading: a huge file is refused quickly and never stored
            raise InputError(f"{path}: sidecar is {size} bytes; the limit is "
                             f"{MAX_SIDECAR_BYTES} (put long notes in a file of their own)")
        text = path.read_text()
        data = json.loads(text) if path.suffix.lower() == ".json" else _load_yaml(text)
    except OSError as exc:
        raise InputError(f"{path}: cannot read sidecar: {exc.strerror}") from exc
    except _AliasFound as exc:
        raise InputError(f"{path}: sidecar uses YAML aliases ({exc}); write the values out "
                         "(aliases are refused: a few of them expand a small file into "
                         "gigabytes)") from exc
    except RecursionError as exc:
        raise InputError(f"{path}: sidecar is nested too deeply to be a sidecar") from exc
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: sidecar is not UTF-8 text (byte 0x{exc.object[exc.start]:02x} "
                         f"at position {exc.start}); save it as UTF-8") from exc
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise InputError(f"{path}: sidecar is not valid {path.suffix[1:].upper()}: "
                         f"{one_line(exc)}") from exc
    if not isinstance(data, dict):
        raise InputError(f"{path}: sidecar must be a mapping of fields, got "
                         f"{type(data).__name__}")
    where = _invalid_text(data)
    if where is not None:
        # YAML's "\udce9" escapes make lone surrogates, which no store or hash can take
        raise InputError(f"{path}: invalid sidecar: {where or 'sidecar'}: text that is not "
                         "valid Unicode (a lone surrogate)")
    try:
        return TrajectoryMetadata.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'sidecar'}: "
                             f"{e['msg'].removeprefix('Value error, ')}{_what_field(e)}"
                             for e in exc.errors())
        raise InputError(f"{path}: invalid sidecar: {problems}") from exc


@dataclass
class _Candidate:
    path: Path
    sidecar: Path
    meta: TrajectoryMetadata
    sha256: str
    size: int
    mtime_ns: int
    sidecar_size: int | None = None
    sidecar_mtime_ns: int | None = None

    @property
    def traj_id(self) -> str:
        return replicate_key(self.meta.formula, self.meta.temperature_K, self.meta.replicate)


def _unchanged_metadata(previous: dict | None, sidecar: Path, stat: Any,
                        rehash: bool) -> TrajectoryMetadata | None:
    """The registered metadata when the same sidecar has the same size and time stamp as at the
    last ingest (so it is not parsed again); else None."""
    if (rehash or previous is None or previous.get("sidecar_path") != str(sidecar)
            or previous.get("sidecar_size_bytes") != stat.st_size
            or previous.get("sidecar_mtime_ns") != stat.st_mtime_ns
            or previous.get("metadata") is None):
        return None
    try:
        return TrajectoryMetadata.model_validate(previous["metadata"])
    except ValidationError:  # registered under looser rules (e.g. an untyped gamma): reread
        return None


def _file_hash(path: Path, previous: dict | None, rehash: bool) -> tuple[str, int, int]:
    stat = path.stat()
    if (not rehash and previous is not None and previous.get("size_bytes") == stat.st_size
            and previous.get("file_mtime_ns") == stat.st_mtime_ns):
        return previous["sha256"], stat.st_size, stat.st_mtime_ns
    from ionflux.io.trajectory import file_sha256  # lazy: ionflux.io loads numba

    return file_sha256(path), stat.st_size, stat.st_mtime_ns


#: Formats that never store frame times: their sidecar must give ``frame_interval_fs``.
NO_TIMES_FORMATS = ("xdatcar", "traj")


def _check_head(path: Path, meta: TrajectoryMetadata) -> str:
    """New content that is not a trajectory fails here, on its first bytes (a sparse or binary
    file, a gzip bomb by the size its trailer states), not when a build reads all of it.
    Returns the format."""
    from ionflux.io.reader import check_head  # lazy: ionflux.io loads numba

    return check_head(path, meta.format)


def _check_interval(path: Path, sidecar: Path, meta: TrajectoryMetadata) -> None:
    """A file format without frame times needs ``frame_interval_fs`` in its sidecar: refused
    here with that fix, not accepted and failing at build (transport needs the time axis)."""
    fmt = _check_head(path, meta)
    if fmt in NO_TIMES_FORMATS:
        raise InputError(f"{sidecar}: {path.name} is {fmt}, which stores no frame times; add "
                         "frame_interval_fs (fs between stored frames) to the sidecar")


def _outside(path: Path, directory: Path) -> bool:
    """True when ``path``, a symbolic link, resolves outside ``directory``. (The folder walk
    does not enter linked folders, so only the file itself can be a link.)"""
    return os.path.islink(path) and not path.resolve().is_relative_to(directory)


def _parse_check(c: _Candidate) -> str | None:
    """None when the file reads as a trajectory; else a reason that quotes none of its bytes."""
    from ionflux.io import read_trajectory  # lazy: loads numba

    meta = c.meta
    try:
        read_trajectory(c.path, meta.format, type_map=meta.reader_type_map(),
                        frame_interval_fs=meta.frame_interval_fs,
                        temperature_K=meta.temperature_K)
    except InputError as exc:
        return (f"{c.path}: not a readable trajectory ({type(exc).__name__}: "
                f"{redact_contents(one_line(exc))}); not uploaded")
    return None


def ingest_directory(directory: str | Path, stores: StoreSet, *, recursive: bool = True,
                     rehash: bool = False, follow_links: bool = False,
                     progress: Callable[[int, int, str], Any] | None = None) -> IngestReport:
    """Register the trajectories under ``directory`` in the raw-trajectory store.

    ``stores`` must be connected. ``progress(done, total, path)`` is called per file.
    Symbolic links that lead out of ``directory`` are refused unless ``follow_links``. With a
    shared store (GridFS), a file is read once before its bytes are uploaded, and bytes that
    do not parse are never uploaded.
    """
    directory = Path(directory).expanduser().resolve()
    raw_store, failures = stores.raw_trajectories, stores.failures
    report = IngestReport()
    errors: dict[str, str] = {}
    # one scan of the folder: trajectories, their sidecars and orphaned sidecars all come
    # from it (a stat per candidate sidecar name cost ~0.1 s per 1,000 files on a no-op rerun)
    listing = _listing(directory, recursive, errors)
    present = set(listing)
    files = _trajectories(listing)
    existing = {d["traj_id"]: d for d in raw_store.query(
        properties=["traj_id", "path", "sha256", "fingerprint", "size_bytes", "file_mtime_ns",
                    "sidecar_path", "sidecar_size_bytes", "sidecar_mtime_ns", "metadata"])}
    by_path = {d["path"]: d for d in existing.values()}
    candidates: list[_Candidate] = []
    for i, path in enumerate(files):
        if progress:
            progress(i, len(files), shown(path))
        try:
            _check_name(path)
            if not follow_links and _outside(path, directory):
                raise InputError(f"{path}: symbolic link to a file outside {directory}; not "
                                 "followed (ingest with --follow-links to allow)")
            sidecar = find_sidecar(path, present)
            if not follow_links and _outside(sidecar, directory):
                raise InputError(f"{sidecar}: symbolic link to a file outside {directory}; "
                                 "not followed (ingest with --follow-links to allow)")
            previous = by_path.get(str(path))
            side_stat = sidecar.stat()
            meta = _unchanged_metadata(previous, sidecar, side_stat, rehash)
            if meta is None:
                meta = read_sidecar(sidecar)
            sha, size, mtime = _file_hash(path, previous, rehash)
            if meta.frame_interval_fs is None:
                _check_interval(path, sidecar, meta)
            elif previous is None or previous.get("sha256") != sha:
                _check_head(path, meta)
        except InputError as exc:
            errors[shown(path)] = one_line(exc)
            continue
        except OSError as exc:
            errors[shown(path)] = _os_problem(path, exc)
            continue
        except Exception as exc:  # one odd entry never aborts the ingest of the others
            errors[shown(path)] = (f"{shown(path)}: cannot be ingested: {type(exc).__name__}: "
                                   f"{redact_contents(one_line(exc))}")
            continue
        candidates.append(_Candidate(path, sidecar, meta, sha, size, mtime, side_stat.st_size,
                                     side_stat.st_mtime_ns))
    if progress:
        progress(len(files), len(files), "")

    # duplicate replicate ids: within this scan the first path (sorted) wins; a registration of
    # another file that still exists and is not re-labelled in this scan wins over newcomers
    scanned = {str(c.path): c for c in candidates}
    claimed: dict[str, _Candidate] = {}
    accepted: list[_Candidate] = []
    for c in candidates:
        meta = c.meta
        what = f"replicate {meta.replicate!r} of {meta.formula} at {meta.temperature_K:g} K"
        if c.traj_id in claimed:
            errors[str(c.path)] = (f"{c.path}: duplicate {what}: also claimed by "
                                   f"{claimed[c.traj_id].path}; give each run its own replicate id")
            continue
        old = existing.get(c.traj_id)
        if old is not None and old["path"] != str(c.path):
            other = Path(old["path"])
            relabelled = str(other) in scanned and scanned[str(other)].traj_id != c.traj_id
            if other.exists() and not relabelled:
                errors[str(c.path)] = (f"{c.path}: duplicate {what}: already registered for "
                                       f"{other}; give each run its own replicate id")
                continue
        claimed[c.traj_id] = c
        accepted.append(c)

    stamp = now_ms()
    docs, stale = [], []
    for c in accepted:
        path = str(c.path)
        fp = RawTrajectoryDoc.compute_fingerprint(path, c.sha256, c.meta)
        old = existing.get(c.traj_id)
        previous = by_path.get(path)
        if previous is not None and previous["traj_id"] != c.traj_id \
                and previous["traj_id"] not in claimed:
            stale.append(previous["traj_id"])
        if old is not None and old.get("fingerprint") == fp:
            report.unchanged.append(path)
            if old.get("file_mtime_ns") == c.mtime_ns and \
                    old.get("sidecar_mtime_ns") == c.sidecar_mtime_ns:
                continue
        warnings = []
        if c.meta.missing_provenance():
            warnings.append(f"sidecar {c.sidecar.name} gives no "
                            f"{', '.join(c.meta.missing_provenance())}")
        blob = None
        if stores.blobs is not None:
            if (old is None or old.get("sha256") != c.sha256) and \
                    (problem := _parse_check(c)) is not None:
                errors[path] = problem
                continue
            stores.blobs.put(c.path, c.sha256)
            blob = BlobRef(bucket=stores.blobs.bucket, sha256=c.sha256)
        unchanged = old is not None and old.get("fingerprint") == fp
        doc = RawTrajectoryDoc(
            traj_id=c.traj_id, group_id=group_key(c.meta.formula, c.meta.temperature_K),
            formula=c.meta.formula, temperature_K=c.meta.temperature_K,
            replicate=c.meta.replicate, path=path, sidecar_path=str(c.sidecar),
            sha256=c.sha256, size_bytes=c.size, file_mtime_ns=c.mtime_ns, metadata=c.meta,
            sidecar_size_bytes=c.sidecar_size, sidecar_mtime_ns=c.sidecar_mtime_ns,
            blob=blob, fingerprint=fp,
            provenance=PipelineProvenance(stage="ingest", builder="ingest_directory",
                                          source_keys=[path], source_hashes={path: c.sha256}),
            warnings=warnings,
            last_updated=_existing_time(raw_store, c.traj_id) if unchanged else stamp)
        docs.append(doc.model_dump(mode="python"))
        if not unchanged:
            (report.changed if old is not None else report.new).append(path)

    # one write for all documents: an interrupted ingest leaves the store as it was
    if docs:
        raw_store.update(docs)
    if stale:
        raw_store.remove_docs({"traj_id": {"$in": stale}})
        report.removed.extend(stale)

    ok_paths = [str(c.path) for c in accepted]
    under = [d["item_key"] for d in failures.query({"stage": "ingest"}, properties=["item_key"])
             if Path(d["item_key"]).is_relative_to(directory)]
    resolved = [p for p in under if p in ok_paths or not path_exists(p)]
    if resolved:
        failures.remove_docs({"failure_id": {"$in": [FailureDoc.make_id("ingest", p)
                                                      for p in resolved]}})
    if errors:
        failures.update([FailureDoc(
            failure_id=FailureDoc.make_id("ingest", p), stage="ingest", item_key=p,
            error_type="InputError", error=msg, sources=[p], last_updated=stamp).model_dump()
            for p, msg in sorted(errors.items())])
    report.failed = sorted(errors.items())
    report.notes = _orphan_sidecars(listing, files)
    if not files:
        report.notes.insert(0, f"{directory}: no trajectory files found")
    return report


def _what_field(error: Any) -> str:
    """For a required field left out: what to write there (its description)."""
    if error["type"] != "missing" or len(error["loc"]) != 1:
        return ""
    field_info = TrajectoryMetadata.model_fields.get(str(error["loc"][0]))
    return f" ({field_info.description})" if field_info and field_info.description \
        else ""


def _check_name(path: Path) -> None:
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:
        what = "file name" if path.name != shown(path.name) else "folder name"
        raise InputError(f"{shown(path)}: {what} is not valid UTF-8; rename it") from None


def path_exists(path: str) -> bool:
    """False only when ``path`` is known to be gone (a path too long to look at exists)."""
    try:
        os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return False
    except (OSError, ValueError):
        return True
    return True


def _existing_time(store: Any, traj_id: str) -> Any:
    doc = store.query_one({"traj_id": traj_id}, properties=["traj_id", "last_updated"])
    return doc["last_updated"]


def _orphan_sidecars(listing: list[str], files: list[Path]) -> list[str]:
    used = set()
    for path in files:
        folder, name = os.path.split(path)
        used.update(os.path.join(folder, n) for n in _sidecar_names(name))
    notes = []
    for path in sorted(Path(p) for p in listing if p not in used
                       and os.path.splitext(p)[1].lower() in SIDECAR_SUFFIXES):
        notes.append(f"{shown(path)}: sidecar without a trajectory file next to it (ignored)")
    return notes
