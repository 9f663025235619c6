"""``ionflux retire``: unregister raw trajectories whose files were deleted, with a record.

A registered trajectory whose file is gone (and that the store holds no copy of) fails the
per-replicate stages on every build, so ``status --check`` would exit 1 forever. Retiring it
removes its raw document, its per-replicate documents (gamma, transport, bonds) and their
failure records, and writes a :class:`RetiredDoc` to the ``retired`` store saying what was
removed, when and why. The next ``ionflux build`` rebuilds the aggregates (and K_D documents)
of its group from the replicates left, or drops them when none is left.

Only files that no longer exist can be retired: a file that is still there would come back
with the next ingest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from pydantic import BaseModel, Field

from ionflux.errors import InputError
from ionflux.storage.documents import FailureDoc, TrajectoryMetadata, now_ms
from ionflux.storage.ingest import path_exists
from ionflux.storage.stores import StoreSet

#: Per-replicate stages whose documents and failure records are keyed by ``traj_id``.
REPLICATE_ROLES = ("gamma", "transport", "bonds")


class RetiredDoc(BaseModel):
    """A raw trajectory that was unregistered because its file was deleted."""

    traj_id: str
    group_id: str
    path: str = Field(description="the file's registered path (gone when it was retired)")
    sha256: str
    metadata: TrajectoryMetadata
    reason: str
    removed: dict[str, list[str]] = Field(
        default_factory=dict, description="store role -> keys of the documents removed")
    registered_at: datetime = Field(description="last_updated of the raw document retired")
    retired_at: datetime


@dataclass
class RetireReport:
    retired: list[RetiredDoc] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)

    def summary(self) -> str:
        if not self.retired:
            return "nothing to retire"
        return (f"retired {len(self.retired)} trajectory(ies); run `ionflux build` to update "
                f"the aggregates of {', '.join(self.groups)}")


def retire(stores: StoreSet, paths: list[str | Path] | None = None, *, missing: bool = False,
           reason: str | None = None) -> RetireReport:
    """Retire the registered trajectories at ``paths`` and, with ``missing``, every registered
    trajectory whose file is gone. A path that is not registered, or whose file still exists,
    is an error and nothing is retired."""
    if not paths and not missing:
        raise InputError("retire what? give trajectory paths, or --missing for every "
                         "registered file that no longer exists")
    raw = stores.raw_trajectories
    docs = list(raw.query())
    by_path = {d["path"]: d for d in docs}
    chosen: dict[str, dict] = {}
    for given in paths or []:
        text = str(Path(given).expanduser().absolute())
        doc = by_path.get(text) or by_path.get(str(Path(text).resolve()))
        if doc is None:
            raise InputError(f"{given}: not a registered trajectory (see `ionflux status`)")
        if path_exists(doc["path"]):
            raise InputError(f"{doc['path']}: the file still exists; delete it first (a file "
                             "that is there comes back with the next ingest)")
        chosen[doc["traj_id"]] = doc
    if missing:
        chosen.update({d["traj_id"]: d for d in docs if not path_exists(d["path"])})
    report = RetireReport()
    stamp = now_ms()
    for traj_id in sorted(chosen):
        doc = chosen[traj_id]
        removed = {role: [d[stores.stores[role].key] for d in stores.stores[role].query(
            {"traj_id": traj_id}, properties=["traj_id"])] for role in REPLICATE_ROLES}
        failure_ids = [FailureDoc.make_id(stage, traj_id) for stage in REPLICATE_ROLES]
        failure_ids.append(FailureDoc.make_id("ingest", doc["path"]))
        removed["failures"] = [d["failure_id"] for d in stores.failures.query(
            {"failure_id": {"$in": failure_ids}}, properties=["failure_id"])]
        record = RetiredDoc(
            traj_id=traj_id, group_id=doc["group_id"], path=doc["path"], sha256=doc["sha256"],
            metadata=doc["metadata"],
            reason=reason or "file deleted (not found when it was retired)",
            removed={"raw_trajectories": [traj_id],
                     **{k: v for k, v in removed.items() if v}},
            registered_at=doc["last_updated"], retired_at=stamp)
        # the record first and the raw document last: an interrupted retire leaves the
        # trajectory registered, and running it again completes it
        stores.stores["retired"].update([record.model_dump(mode="python")])
        for role in REPLICATE_ROLES:
            if removed[role]:
                stores.stores[role].remove_docs({"traj_id": traj_id})
        if removed["failures"]:
            stores.failures.remove_docs({"failure_id": {"$in": removed["failures"]}})
        raw.remove_docs({"traj_id": traj_id})
        report.retired.append(record)
    report.groups = sorted({r.group_id for r in report.retired})
    return report
