"""The ``gamma`` stage: extrapolation grades of ACE trajectories, and builders that use them.

- :class:`GammaBuilder`: for every registered trajectory whose sidecar names an ACE potential
  and active set (``potential_file``, ``active_set_file``, with their SHA-256), recompute the
  per-frame gamma from the stored frames (:mod:`ionflux.md.gamma`). Files are resolved relative
  to the sidecar's folder; a missing file or one whose hash differs from the sidecar's is a
  failure record with the reason. Trajectories without an ACE potential get no gamma document.
- :class:`GammaTransportBuilder`: the transport stage, whose per-replicate documents carry the
  gamma statistics (``gamma``: from the gamma stage, else as the MD run recorded them).
- :class:`GammaAggregateBuilder`: the aggregate stage, which excludes replicates whose gamma
  went above the stop threshold, with the reason recorded in ``excluded``.

The gamma documents' fingerprints enter the fingerprints of the dependent transport and
aggregate documents, so a changed gamma result rebuilds exactly what rests on it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

from maggma.core import Store

from ionflux.errors import AnalysisError, InputError
from ionflux.stages.builders import (
    PlanEntry,
    TransportAggregateBuilder,
    TransportBuilder,
    _ReplicateBuilder,
)
from ionflux.storage.blobs import GridFSBlobs
from ionflux.storage.documents import (
    ExcludedReplicate,
    RawTrajectoryDoc,
    ReplicateFields,
    derived_time,
    fingerprint,
    to_record,
)
from ionflux.storage.loading import load_trajectory

_ACE_FIELDS = ["traj_id", "fingerprint", "sha256", "path", "last_updated",
               "metadata.potential_file", "metadata.active_set_file"]


def _is_ace(doc: dict) -> bool:
    meta = doc.get("metadata") or {}
    return bool(meta.get("potential_file") and meta.get("active_set_file"))


def resolve_file(name: str, raw: RawTrajectoryDoc, expected_sha256: str | None,
                 what: str) -> Path:
    """A file named in a sidecar (relative to the sidecar's folder), hash-checked."""
    from ionflux.md.run import file_sha256

    path = Path(name)
    if not path.is_absolute():
        path = Path(raw.sidecar_path).parent / path
    if not path.is_file():
        raise InputError(f"{raw.traj_id}: {what} {path} not found (named in "
                         f"{raw.sidecar_path})")
    if expected_sha256 and file_sha256(path) != expected_sha256:
        raise InputError(f"{raw.traj_id}: {what} {path} differs from the one the MD run used "
                         "(sha256 mismatch)")
    return path


class GammaBuilder(_ReplicateBuilder):
    """ACE trajectory -> per-frame extrapolation grades (key ``traj_id``)."""

    stage: ClassVar[str] = "gamma"

    # explicit arguments (no **kwargs): maggma pickles builders through their __init__ args
    def __init__(self, raw: Store, target: Store, failures: Store, *, warn: float = 5.0,
                 stop: float = 100.0, max_frames: int | None = 200,
                 blobs: GridFSBlobs | None = None, reader: str = "ionflux.io:read_trajectory",
                 keys: list[str] | None = None, retry_failed: bool = False,
                 delete_orphans: bool = True, chunk_size: int = 20):
        self.warn = float(warn)
        self.stop = float(stop)
        self.max_frames = max_frames
        super().__init__(raw, target, failures, blobs=blobs, reader=reader, keys=keys,
                         retry_failed=retry_failed, delete_orphans=delete_orphans,
                         chunk_size=chunk_size)

    def settings(self) -> dict[str, Any]:
        return {"warn": self.warn, "stop": self.stop, "max_frames": self.max_frames,
                "reader": self.reader}

    def plan_entries(self) -> tuple[dict[str, PlanEntry], list[str]]:
        entries = {}
        for d in self.raw.query(properties=_ACE_FIELDS):
            if not _is_ace(d):
                continue
            entries[d["traj_id"]] = PlanEntry(
                fingerprint=self.item_fingerprint(d["fingerprint"]),
                last_updated=derived_time(d["last_updated"]), source_keys=[d["traj_id"]],
                source_hashes={d["traj_id"]: d["sha256"]}, sources=[d["path"]])
        return entries, []

    def compute(self, item: dict) -> dict:
        from ionflux.md.ace import load_active_set, load_potential
        from ionflux.md.gamma import trajectory_gamma

        raw = RawTrajectoryDoc.model_validate(item["raw"])
        meta = raw.metadata
        pot_path = resolve_file(meta.potential_file or "", raw, meta.potential_sha256,
                                "ACE potential")
        asi_path = resolve_file(meta.active_set_file or "", raw, meta.active_set_sha256,
                                "active set")
        potential = load_potential(pot_path)
        inverse = load_active_set(asi_path, potential.basis)
        traj = load_trajectory(raw, reader=self.reader, blobs=self.blobs)
        doc = trajectory_gamma(traj, potential.basis, inverse, potential=pot_path.name,
                               potential_sha256=potential.sha256,
                               active_set_sha256=meta.active_set_sha256 or "",
                               warn=self.warn, stop=self.stop, max_frames=self.max_frames)
        doc.formula = raw.formula
        fields = self.fields(ReplicateFields, item["entry"], raw.warnings, traj_id=raw.traj_id,
                             group_id=raw.group_id, replicate=raw.replicate)
        return to_record(doc, fields)


def _gamma_state(gamma: Store | None, keys: list[str]) -> dict[str, dict]:
    """traj_id -> {input_fingerprint, status, statistics} of built gamma documents."""
    if gamma is None or not keys:
        return {}
    out = {}
    for d in gamma.query({"traj_id": {"$in": sorted(keys)}},
                         properties=["traj_id", "input_fingerprint", "status", "statistics",
                                     "potential"]):
        out[d["traj_id"]] = d
    return out


def _with_gamma(entries: dict[str, PlanEntry], states: dict[str, dict],
                members: dict[str, list[str]]) -> dict[str, PlanEntry]:
    for key, entry in entries.items():
        parts = [(k, states[k]["input_fingerprint"]) for k in members[key] if k in states]
        if parts:
            entry.fingerprint = fingerprint(entry.fingerprint, "gamma", parts)
    return entries


class GammaTransportBuilder(TransportBuilder):
    """The transport stage; records carry ``gamma`` statistics where there are any."""

    def __init__(self, raw: Store, target: Store, failures: Store, *,
                 gamma: Store | None = None,
                 window_fs: list[float] | tuple[float, float] | None = None, n_blocks: int = 10,
                 estimator: str = "scaled-window",
                 analysis: str = "ionflux.transport:analyze_trajectories",
                 blobs: GridFSBlobs | None = None, reader: str = "ionflux.io:read_trajectory",
                 keys: list[str] | None = None, retry_failed: bool = False,
                 delete_orphans: bool = True, chunk_size: int = 20):
        self.gamma = gamma
        super().__init__(raw, target, failures, window_fs=window_fs, n_blocks=n_blocks,
                         estimator=estimator, analysis=analysis, blobs=blobs, reader=reader,
                         keys=keys, retry_failed=retry_failed, delete_orphans=delete_orphans,
                         chunk_size=chunk_size)
        if gamma is not None:  # a source, so that the runner connects (and closes) it
            self.sources = [*self.sources, gamma]

    def plan_entries(self) -> tuple[dict[str, PlanEntry], list[str]]:
        entries, notes = super().plan_entries()
        states = _gamma_state(self.gamma, list(entries))
        return _with_gamma(entries, states, {k: [k] for k in entries}), notes

    def fetch(self, keys: list[str], entries: dict[str, PlanEntry]) -> Iterator[dict]:
        states = _gamma_state(self.gamma, keys)
        for item in super().fetch(keys, entries):
            item["gamma"] = states.get(item["key"])
            yield item

    def compute(self, item: dict) -> dict:
        record = super().compute(item)
        state = item.get("gamma")
        recorded = (item["raw"].get("metadata") or {}).get("gamma")
        # only ACE trajectories get the field: other records stay exactly as the plain
        # transport stage makes them
        if state is not None:
            record["gamma"] = {"source": "gamma stage", "status": state["status"],
                               "potential": state.get("potential"), **state["statistics"]}
        elif recorded:
            record["gamma"] = {"source": "MD run (sidecar)", **recorded}
        return record


class GammaAggregateBuilder(TransportAggregateBuilder):
    """The aggregate stage, excluding replicates whose gamma exceeded the stop threshold."""

    def __init__(self, raw: Store, target: Store, failures: Store, *,
                 gamma: Store | None = None, stop: float = 100.0,
                 window_fs: list[float] | tuple[float, float] | None = None, n_blocks: int = 10,
                 estimator: str = "scaled-window",
                 analysis: str = "ionflux.transport:analyze_trajectories",
                 blobs: GridFSBlobs | None = None, reader: str = "ionflux.io:read_trajectory",
                 keys: list[str] | None = None, retry_failed: bool = False,
                 delete_orphans: bool = True, chunk_size: int = 5):
        self.gamma = gamma
        self.stop = float(stop)
        super().__init__(raw, target, failures, window_fs=window_fs, n_blocks=n_blocks,
                         estimator=estimator, analysis=analysis, blobs=blobs, reader=reader,
                         keys=keys, retry_failed=retry_failed, delete_orphans=delete_orphans,
                         chunk_size=chunk_size)
        if gamma is not None:
            self.sources = [*self.sources, gamma]

    def plan_entries(self) -> tuple[dict[str, PlanEntry], list[str]]:
        # the stop threshold enters the fingerprint of groups with gamma documents only, so
        # groups without ACE trajectories keep the plain aggregate stage's fingerprints
        entries, notes = super().plan_entries()
        members = {k: e.source_keys for k, e in entries.items()}
        states = _gamma_state(self.gamma, [m for ms in members.values() for m in ms])
        for state in states.values():
            state["input_fingerprint"] = fingerprint(state["input_fingerprint"], self.stop)
        return _with_gamma(entries, states, members), notes

    def fetch(self, keys: list[str], entries: dict[str, PlanEntry]) -> Iterator[dict]:
        for item in super().fetch(keys, entries):
            states = _gamma_state(self.gamma, [m["traj_id"] for m in item["members"]])
            item["gamma"] = states
            yield item

    def compute(self, item: dict) -> dict:
        states = item.get("gamma") or {}
        kept, excluded = [], []
        for member in item["members"]:
            state = states.get(member["traj_id"])
            recorded = (member.get("metadata") or {}).get("gamma") or {}
            worst = state["statistics"].get("max") if state else recorded.get("max")
            if worst is not None and worst > self.stop:
                source = "gamma stage" if state else "MD run"
                excluded.append(ExcludedReplicate(
                    traj_id=member["traj_id"],
                    reason=f"ACE extrapolation grade gamma = {worst:.3g} above the stop "
                           f"threshold {self.stop:g} ({source})"))
            else:
                kept.append(member)
        if not kept:
            reasons = "; ".join(f"{e.traj_id}: {e.reason}" for e in excluded)
            raise AnalysisError(f"{item['key']}: no usable replicate ({reasons})")
        record = super().compute({**item, "members": kept})
        used = set(record.get("replicates", []))
        per_replicate = {m["traj_id"]: {"source": "gamma stage", "status": states[m["traj_id"]]
                                        ["status"], **states[m["traj_id"]]["statistics"]}
                         for m in kept if m["traj_id"] in states and m["traj_id"] in used}
        if per_replicate:  # ACE groups only: other aggregates stay as the plain stage makes them
            record["gamma"] = per_replicate
        record["excluded"] = [*record.get("excluded", []),
                              *[e.model_dump() for e in excluded]]
        record["warnings"] = [*record.get("warnings", []),
                              *[f"replicate {e.traj_id} excluded: {e.reason}"
                                for e in excluded]]
        return record

