"""maggma builders of the pipeline: incremental, idempotent, failure-isolating.

Every builder plans its items from the sources by *input fingerprint* (hash of the inputs'
fingerprints, the settings and the ionflux version) and processes only the items whose target
document carries a different fingerprint and that did not already fail with the same one. So:

- a second build with nothing new processes zero items;
- a new or changed trajectory reprocesses itself and only the aggregates (and K_D) it touches;
- a document's ``last_updated`` is the newest input time stamp, never the build time, so
  rebuilding from the same raw store gives identical documents, field for field;
- an item that raises becomes a record in the ``failures`` store with the one-line reason; it
  never replaces an earlier good document (unlike maggma's MapBuilder) and never stops the build;
- documents are upserted by key in transactions: a build killed at any point and rerun ends
  complete, identical, and without duplicates.

``prechunk`` splits the pending keys so maggma's distributed ``mrun`` can hand them to workers.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from math import ceil
from typing import Any, ClassVar

from maggma.core import Builder, Store

from ionflux import __version__
from ionflux.errors import (
    AnalysisError,
    IonfluxError,
    StoreError,
    TrajectoryFormatError,
)
from ionflux.stages.settings import build_hint
from ionflux.storage.blobs import GridFSBlobs
from ionflux.storage.documents import (
    AggregateFields,
    DerivedFields,
    ExcludedReplicate,
    FailureDoc,
    KDFields,
    PipelineProvenance,
    RawTrajectoryDoc,
    ReplicateFields,
    derived_time,
    fingerprint,
    one_line,
    redact_contents,
    to_record,
)
from ionflux.storage.loading import load_trajectory, resolve_function
from ionflux.storage.stores import describe_store
from ionflux.transport.estimators import parse_estimator

_RAW_PLAN_FIELDS = ["traj_id", "group_id", "fingerprint", "sha256", "path", "last_updated"]
#: Keys fetched from a source per query (bounded ``$in`` lists).
_FETCH_BATCH = 200

logger = logging.getLogger(__name__)


@dataclass
class PlanEntry:
    """What an item's target document must be built from."""

    fingerprint: str
    last_updated: datetime
    source_keys: list[str]
    source_hashes: dict[str, str]
    sources: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Plan:
    """Items of a stage: planned entries, what is built, what failed, what is pending."""

    entries: dict[str, PlanEntry]
    built: dict[str, str | None]
    failed: dict[str, tuple[str | None, str]]
    todo: list[str]
    notes: list[str] = field(default_factory=list)


def _reason(exc: BaseException) -> str:
    """One-line reason for a record; a reader's quote of the file's bytes is left out, and an
    option of the single-file commands is named as the settings key or sidecar field a build
    reads instead."""
    if isinstance(exc, TrajectoryFormatError):
        return build_hint(redact_contents(one_line(exc)))
    return build_hint(one_line(exc))


def _replicate_reason(exc: BaseException) -> str:
    """Why a replicate was left out of its aggregate: ionflux's own one-line message, or the
    exception type and its message (LinAlgError, MemoryError, ...) with quotes of file bytes
    left out."""
    if isinstance(exc, IonfluxError):
        return _reason(exc)
    name, text = type(exc).__name__, redact_contents(one_line(exc))
    return name if text == name else f"{name}: {text}"


def _wrap_store_errors(what: str, func: Any, *args: Any) -> Any:
    try:
        return func(*args)
    except IonfluxError:
        raise
    except Exception as exc:  # pymongo, sqlite, OS errors: one line, the build stops
        raise StoreError(f"{what}: {type(exc).__name__}: {one_line(exc)}") from exc


class IncrementalBuilder(Builder):
    """Base class: fingerprint planning, failure records, key-restricted runs for ``mrun``.

    Subclasses implement :meth:`plan_entries`, :meth:`fetch` and :meth:`compute`.
    """

    stage: ClassVar[str] = ""

    def __init__(self, sources: list[Store], target: Store, failures: Store, *,
                 keys: list[str] | None = None, retry_failed: bool = False,
                 delete_orphans: bool = True, chunk_size: int = 20):
        self.target = target
        self.failures = failures
        self.keys = keys
        self.retry_failed = retry_failed
        self.delete_orphans = delete_orphans
        self.n_succeeded = 0
        self.n_failed = 0
        self.n_claimed_elsewhere = 0
        self._claims: Any = None
        super().__init__(sources=sources, targets=[target, failures], chunk_size=chunk_size)

    # -- to implement -----------------------------------------------------------------------
    def settings(self) -> dict[str, Any]:
        """Settings that change results (they enter the fingerprint and the provenance)."""
        return {}

    def plan_entries(self) -> tuple[dict[str, PlanEntry], list[str]]:
        """Every item this stage should have, with its fingerprint; plus notes for status."""
        raise NotImplementedError

    def fetch(self, keys: list[str], entries: dict[str, PlanEntry]) -> Iterator[dict]:
        """Full inputs of the items ``keys`` (picklable dicts with at least ``key``)."""
        raise NotImplementedError

    def compute(self, item: dict) -> dict:
        """The stored record of one item (raises on failure)."""
        raise NotImplementedError

    # -- planning -----------------------------------------------------------------------------
    def item_fingerprint(self, *inputs: Any) -> str:
        return fingerprint(self.stage, type(self).__name__, __version__, self.settings(), *inputs)

    def plan(self) -> Plan:
        """Compare planned fingerprints with built documents and failure records."""
        entries, notes = self.plan_entries()
        if self.keys is not None:
            wanted = set(self.keys)
            entries = {k: v for k, v in entries.items() if k in wanted}
        tkey = self.target.key
        criteria = None if self.keys is None else {tkey: {"$in": sorted(entries)}}
        built = {d[tkey]: d.get("input_fingerprint")
                 for d in self.target.query(criteria, properties=[tkey, "input_fingerprint"])}
        failed = {d["item_key"]: (d.get("input_fingerprint"), d.get("error", ""))
                  for d in self.failures.query({"stage": self.stage},
                                               properties=["item_key", "input_fingerprint",
                                                           "error"])
                  if self.keys is None or d["item_key"] in entries}
        todo = sorted(
            k for k, e in entries.items()
            if built.get(k) != e.fingerprint
            and (self.retry_failed or failed.get(k, (None, ""))[0] != e.fingerprint))
        return Plan(entries=entries, built=built, failed=failed, todo=todo, notes=notes)

    def _cleanup(self, plan: Plan) -> None:
        """Drop failure records that are resolved and (full builds) orphaned documents."""
        resolved = [k for k, (fp, _) in plan.failed.items()
                    if k not in plan.entries or plan.built.get(k) == plan.entries[k].fingerprint]
        if resolved:
            ids = [FailureDoc.make_id(self.stage, k) for k in resolved]
            _wrap_store_errors(describe_store(self.failures), self.failures.remove_docs,
                               {"failure_id": {"$in": ids}})
        if self.delete_orphans and self.keys is None:
            orphans = sorted(set(plan.built) - set(plan.entries))
            if orphans:
                _wrap_store_errors(describe_store(self.target), self.target.remove_docs,
                                   {self.target.key: {"$in": orphans}})

    def ensure_indexes(self) -> None:
        self.target.ensure_index("input_fingerprint")
        self.failures.ensure_index("stage")
        self.failures.ensure_index("item_key")

    # -- maggma interface -----------------------------------------------------------------
    def prechunk(self, number_splits: int) -> Iterable[dict]:
        """Split pending keys into ``number_splits`` groups (maggma's distributed mode)."""
        self.ensure_indexes()
        plan = self.plan()
        self._cleanup(plan)
        if not plan.todo:
            return
        size = ceil(len(plan.todo) / max(1, number_splits))
        for start in range(0, len(plan.todo), size):
            yield {"keys": plan.todo[start:start + size]}

    def get_items(self) -> Iterator[dict]:
        self.ensure_indexes()
        plan = self.plan()
        self._cleanup(plan)
        self.total = len(plan.todo)
        self.logger.info(f"{self.stage}: {len(plan.todo)} of {len(plan.entries)} items to build")
        yield from self._claimed(self.fetch(plan.todo, plan.entries))

    def _claimed(self, items: Iterator[dict]) -> Iterator[dict]:
        """The items this builder claims; items another builder holds, or finished since the
        plan was made, are left to it (concurrent builds divide the work)."""
        from ionflux.storage.claims import Claims

        if self._claims is None:
            self._claims = Claims(self.failures)
        if not self._claims.enabled:
            yield from items
            return
        tkey = self.target.key
        for item in items:
            fp = item["entry"].fingerprint
            if not self._claim("acquire", FailureDoc.make_id(self.stage, item["key"])):
                self.n_claimed_elsewhere += 1
                continue
            done = self.target.query_one({tkey: item["key"]}, properties=[tkey,
                                                                          "input_fingerprint"])
            failed = self.failures.query_one({"failure_id": FailureDoc.make_id(
                self.stage, item["key"])}, properties=["failure_id", "input_fingerprint"])
            if (done or {}).get("input_fingerprint") == fp or (
                    not self.retry_failed and (failed or {}).get("input_fingerprint") == fp):
                self._claim("release", [FailureDoc.make_id(self.stage, item["key"])])
                self.n_claimed_elsewhere += 1
                continue
            yield item

    def _claim(self, action: str, ids: Any) -> Any:
        """Claims.acquire / release; a claims table that cannot be written (full disk, lost
        server) stops the build with a one-line StoreError. Results are written before their
        claims are released, so nothing is half-written, and claims of a process that ended
        are taken over by the next build."""
        return _wrap_store_errors(f"build_claims in {describe_store(self.failures)}",
                                  getattr(self._claims, action), ids)

    def finalize(self) -> None:
        if self._claims is not None:
            with contextlib.suppress(Exception):  # claims of a dead owner expire anyway
                self._claims.release()
            self._claims.close()
        super().finalize()

    def process_item(self, item: dict) -> dict:
        """Build one item; any exception becomes a failure record (never raised)."""
        entry: PlanEntry = item["entry"]
        try:
            return {"key": item["key"], "record": self.compute(item)}
        except Exception as exc:  # every failure is recorded, none stops a build
            self.logger.debug(f"{self.stage} {item['key']} failed", exc_info=True)
            failure = FailureDoc(
                failure_id=FailureDoc.make_id(self.stage, item["key"]), stage=self.stage,
                item_key=item["key"], input_fingerprint=entry.fingerprint,
                error_type=type(exc).__name__, error=_reason(exc), sources=entry.sources,
                last_updated=entry.last_updated)
            return {"key": item["key"], "failure": failure.model_dump()}

    def update_targets(self, items: list[dict]) -> None:
        records = [i["record"] for i in items if "record" in i]
        failures = [i["failure"] for i in items if "failure" in i]
        if records:
            _wrap_store_errors(describe_store(self.target), self.target.update, records)
            ids = [FailureDoc.make_id(self.stage, i["key"]) for i in items if "record" in i]
            _wrap_store_errors(describe_store(self.failures), self.failures.remove_docs,
                               {"failure_id": {"$in": ids}})
        if failures:
            _wrap_store_errors(describe_store(self.failures), self.failures.update, failures)
        if self._claims is not None:
            self._claim("release", [FailureDoc.make_id(self.stage, i["key"]) for i in items])
        self.n_succeeded += len(records)
        self.n_failed += len(failures)

    # -- helpers --------------------------------------------------------------------------
    def fields(self, cls: type[DerivedFields], entry: PlanEntry, warnings: list[str],
               **extra: Any) -> DerivedFields:
        return cls(input_fingerprint=entry.fingerprint, last_updated=entry.last_updated,
                   warnings=warnings,
                   pipeline=PipelineProvenance(
                       stage=self.stage, builder=type(self).__name__,  # type: ignore[arg-type]
                       source_keys=entry.source_keys, source_hashes=entry.source_hashes,
                       settings=self.settings()),
                   **extra)


def _fetch_raw(raw: Store, criteria_key: str, values: list[str]) -> Iterator[dict]:
    for start in range(0, len(values), _FETCH_BATCH):
        batch = values[start:start + _FETCH_BATCH]
        for doc in raw.query({criteria_key: {"$in": batch}}):
            doc.pop("_id", None)
            yield doc


class _ReplicateBuilder(IncrementalBuilder):
    """One document per registered trajectory (key ``traj_id``)."""

    def __init__(self, raw: Store, target: Store, failures: Store, *,
                 blobs: GridFSBlobs | None = None, reader: str = "ionflux.io:read_trajectory",
                 keys: list[str] | None = None, retry_failed: bool = False,
                 delete_orphans: bool = True, chunk_size: int = 20):
        self.raw = raw
        self.blobs = blobs
        self.reader = reader
        super().__init__([raw], target, failures, keys=keys, retry_failed=retry_failed,
                         delete_orphans=delete_orphans, chunk_size=chunk_size)

    def plan_entries(self) -> tuple[dict[str, PlanEntry], list[str]]:
        entries = {}
        for d in self.raw.query(properties=_RAW_PLAN_FIELDS):
            entries[d["traj_id"]] = PlanEntry(
                fingerprint=self.item_fingerprint(d["fingerprint"]),
                last_updated=derived_time(d["last_updated"]), source_keys=[d["traj_id"]],
                source_hashes={d["traj_id"]: d["sha256"]}, sources=[d["path"]])
        return entries, []

    def fetch(self, keys: list[str], entries: dict[str, PlanEntry]) -> Iterator[dict]:
        docs = {d["traj_id"]: d for d in _fetch_raw(self.raw, "traj_id", keys)}
        for key in keys:
            if key in docs:
                yield {"key": key, "entry": entries[key], "raw": docs[key]}

    def analyze(self, trajectory: Any, raw: RawTrajectoryDoc) -> Any:
        raise NotImplementedError

    def compute(self, item: dict) -> dict:
        raw = RawTrajectoryDoc.model_validate(item["raw"])
        traj = load_trajectory(raw, reader=self.reader, blobs=self.blobs)
        doc = self.analyze(traj, raw)
        fields = self.fields(ReplicateFields, item["entry"], raw.warnings, traj_id=raw.traj_id,
                             group_id=raw.group_id, replicate=raw.replicate)
        return to_record(doc, fields)


class TransportBuilder(_ReplicateBuilder):
    """Trajectory -> Onsager transport document of that replicate alone."""

    stage: ClassVar[str] = "transport"

    def __init__(self, raw: Store, target: Store, failures: Store, *,
                 window_fs: list[float] | tuple[float, float] | None = None, n_blocks: int = 10,
                 estimator: str = "scaled-window",
                 analysis: str = "ionflux.transport:analyze_trajectories",
                 blobs: GridFSBlobs | None = None, reader: str = "ionflux.io:read_trajectory",
                 keys: list[str] | None = None, retry_failed: bool = False,
                 delete_orphans: bool = True, chunk_size: int = 20):
        self.window_fs = None if window_fs is None else [float(w) for w in window_fs]
        self.n_blocks = n_blocks
        parse_estimator(estimator)  # a bad name is a configuration error: fail before building
        self.estimator = estimator
        self.analysis = analysis
        super().__init__(raw, target, failures, blobs=blobs, reader=reader, keys=keys,
                         retry_failed=retry_failed, delete_orphans=delete_orphans,
                         chunk_size=chunk_size)

    def settings(self) -> dict[str, Any]:
        return {"window_fs": self.window_fs, "n_blocks": self.n_blocks,
                "estimator": self.estimator,
                "estimator_revision": parse_estimator(self.estimator).revision,
                "analysis": self.analysis, "reader": self.reader}

    def analyze(self, trajectory: Any, raw: RawTrajectoryDoc) -> Any:
        analyze = resolve_function(self.analysis)
        window = None if self.window_fs is None else tuple(self.window_fs)
        doc = analyze([trajectory], window_fs=window, n_blocks=self.n_blocks,
                      estimator=self.estimator, formula=raw.formula)
        return _physics_checked(doc, [raw])


def _physics_checked(doc: Any, raws: list[RawTrajectoryDoc]) -> Any:
    """The physics checks (ionflux.transport.physics_checks) of an MD document, with the
    sidecars' Langevin friction when every replicate states the same one."""
    from ionflux.transport.documents import TransportDoc
    from ionflux.transport.physics_checks import check_md_document

    if not isinstance(doc, TransportDoc):  # a custom analysis function's own document
        return doc
    gammas = {raw.metadata.thermostat_gamma_per_fs for raw in raws}
    return check_md_document(doc, gammas.pop() if len(gammas) == 1 else None)


class BondsBuilder(_ReplicateBuilder):
    """Trajectory -> CrystalNN bond-count document."""

    stage: ClassVar[str] = "bonds"

    def __init__(self, raw: Store, target: Store, failures: Store, *, n_frames: int = 10,
                 workers: int = 1, analysis: str = "ionflux.structure.bonds:bond_counts",
                 blobs: GridFSBlobs | None = None, reader: str = "ionflux.io:read_trajectory",
                 keys: list[str] | None = None, retry_failed: bool = False,
                 delete_orphans: bool = True, chunk_size: int = 20):
        self.n_frames = n_frames
        self.workers = workers
        self.analysis = analysis
        super().__init__(raw, target, failures, blobs=blobs, reader=reader, keys=keys,
                         retry_failed=retry_failed, delete_orphans=delete_orphans,
                         chunk_size=chunk_size)

    def settings(self) -> dict[str, Any]:
        # workers changes speed, not results: not part of the fingerprint
        return {"n_frames": self.n_frames, "analysis": self.analysis, "reader": self.reader}

    def analyze(self, trajectory: Any, raw: RawTrajectoryDoc) -> Any:
        return resolve_function(self.analysis)(trajectory, n_frames=self.n_frames,
                                               workers=self.workers)


class TransportAggregateBuilder(IncrementalBuilder):
    """All replicates of one (phase, temperature) -> one transport document (mean, stderr).

    Membership is part of the fingerprint, so adding, changing or removing one replicate
    rebuilds exactly its group (maggma's GroupBuilder misses member updates). Replicates that
    cannot be read, or cannot be analysed on their own, are excluded with the reason, whatever
    they raise (InputError, LinAlgError, MemoryError, ...); a group with none left fails.
    """

    stage: ClassVar[str] = "aggregate"

    def __init__(self, raw: Store, target: Store, failures: Store, *,
                 window_fs: list[float] | tuple[float, float] | None = None, n_blocks: int = 10,
                 estimator: str = "scaled-window",
                 analysis: str = "ionflux.transport:analyze_trajectories",
                 blobs: GridFSBlobs | None = None, reader: str = "ionflux.io:read_trajectory",
                 keys: list[str] | None = None, retry_failed: bool = False,
                 delete_orphans: bool = True, chunk_size: int = 5):
        self.raw = raw
        self.window_fs = None if window_fs is None else [float(w) for w in window_fs]
        self.n_blocks = n_blocks
        parse_estimator(estimator)  # a bad name is a configuration error: fail before building
        self.estimator = estimator
        self.analysis = analysis
        self.blobs = blobs
        self.reader = reader
        super().__init__([raw], target, failures, keys=keys, retry_failed=retry_failed,
                         delete_orphans=delete_orphans, chunk_size=chunk_size)

    def settings(self) -> dict[str, Any]:
        return {"window_fs": self.window_fs, "n_blocks": self.n_blocks,
                "estimator": self.estimator,
                "estimator_revision": parse_estimator(self.estimator).revision,
                "analysis": self.analysis, "reader": self.reader}

    def plan_entries(self) -> tuple[dict[str, PlanEntry], list[str]]:
        groups: dict[str, list[dict]] = {}
        for d in self.raw.query(properties=_RAW_PLAN_FIELDS):
            groups.setdefault(d["group_id"], []).append(d)
        entries = {}
        for group, members in groups.items():
            members.sort(key=lambda d: d["traj_id"])
            entries[group] = PlanEntry(
                fingerprint=self.item_fingerprint([(d["traj_id"], d["fingerprint"])
                                                   for d in members]),
                last_updated=derived_time(*(d["last_updated"] for d in members)),
                source_keys=[d["traj_id"] for d in members],
                source_hashes={d["traj_id"]: d["sha256"] for d in members},
                sources=[d["path"] for d in members])
        return entries, []

    def fetch(self, keys: list[str], entries: dict[str, PlanEntry]) -> Iterator[dict]:
        for key in keys:
            members = list(_fetch_raw(self.raw, "traj_id", entries[key].source_keys))
            members.sort(key=lambda d: d["traj_id"])
            yield {"key": key, "entry": entries[key], "members": members}

    def compute(self, item: dict) -> dict:
        members = [RawTrajectoryDoc.model_validate(m) for m in item["members"]]
        trajectories, used, excluded = [], [], []
        for raw in members:
            try:
                trajectories.append(load_trajectory(raw, reader=self.reader, blobs=self.blobs))
                used.append(raw.traj_id)
            except Exception as exc:  # one bad replicate never fails its group
                excluded.append(ExcludedReplicate(traj_id=raw.traj_id,
                                                  reason=_replicate_reason(exc)))
        if not trajectories:
            reasons = "; ".join(f"{e.traj_id}: {e.reason}" for e in excluded)
            raise AnalysisError(f"{item['key']}: no usable replicate ({reasons})")
        window = None if self.window_fs is None else tuple(self.window_fs)
        analyze = resolve_function(self.analysis)

        def run(trajs: list[Any]) -> Any:
            return analyze(trajs, window_fs=window, n_blocks=self.n_blocks,
                           estimator=self.estimator, formula=members[0].formula)

        try:
            doc = run(trajectories)
        except Exception as exc:
            # find the replicates that cannot be analysed on their own and exclude them with
            # their reason, like unreadable ones (only on this failure path: costs one
            # analysis per replicate)
            keep = []
            for traj, traj_id in zip(trajectories, used, strict=True):
                try:
                    run([traj])
                    keep.append((traj, traj_id))
                except Exception as alone:
                    excluded.append(ExcludedReplicate(traj_id=traj_id,
                                                      reason=_replicate_reason(alone)))
            if not keep:
                reasons = "; ".join(f"{e.traj_id}: {e.reason}" for e in excluded)
                raise AnalysisError(f"{item['key']}: no usable replicate ({reasons})") from exc
            if len(keep) == len(trajectories):
                raise  # every replicate works alone: the failure is of the combination
            trajectories, used = [t for t, _ in keep], [k for _, k in keep]
            doc = run(trajectories)
        doc = _physics_checked(doc, [raw for raw in members if raw.traj_id in used])
        warnings = [w for raw in members if raw.traj_id in used for w in raw.warnings]
        warnings += [f"replicate {e.traj_id} excluded: {e.reason}" for e in excluded]
        fields = self.fields(AggregateFields, item["entry"], list(dict.fromkeys(warnings)),
                             group_id=item["key"], replicates=used, excluded=excluded)
        return to_record(doc, fields)


_THERMO_CACHE: dict[tuple[str, str], Any] = {}
_CALCULATOR_CACHE: dict[tuple[str, str], Any] = {}


def _thermo(system: str, mode: str, nist: bool = False) -> Any:
    """ThermoData per (system, mode, NIST-JANAF preference), loaded once per process."""
    from ionflux.thermo import ThermoData

    key = (system, mode, nist)
    if key not in _THERMO_CACHE:
        if mode == "bundled":
            _THERMO_CACHE[key] = ThermoData.bundled(system, prefer_experimental=nist)
        elif mode == "load":
            _THERMO_CACHE[key] = ThermoData.load(system, prefer_experimental=nist)
        else:
            raise IonfluxError(f"unknown thermo source {mode!r} (use 'load' or 'bundled')")
    return _THERMO_CACHE[key]


def _calculator(system: str, mode: str, nist: bool = False) -> Any:
    """DrivingForceCalculator per (system, mode, NIST-JANAF preference), so chemical-potential
    diagrams are built once per process and temperature rather than once per K_D item."""
    from ionflux.chempot.driving_force import DrivingForceCalculator

    key = (system, mode, nist)
    if key not in _CALCULATOR_CACHE:
        _CALCULATOR_CACHE[key] = DrivingForceCalculator(_thermo(system, mode, nist))
    return _CALCULATOR_CACHE[key]


def _elements(formula: str) -> list[str]:
    from pymatgen.core import Composition

    from ionflux.io.trajectory import species_order

    return species_order([el.symbol for el in Composition(formula).elements])


class KDBuilder(IncrementalBuilder):
    """Transport document + thermodynamics -> K_D per precursor pair.

    Transport documents come from the MD aggregates and, when given, the imported published
    sets (their K_D keys end in ``@published``). A pair applies to a phase when the phase's
    elements include the pair's. Missing thermodynamic data (phase, system or temperature)
    makes a failure record for that item.
    """

    stage: ClassVar[str] = "kd"

    def __init__(self, aggregate: Store, target: Store, failures: Store, *,
                 published: Store | None = None,
                 precursor_pairs: list[list[str]] | list[tuple[str, str]] | None = None,
                 include_anions: bool = False, thermo: str = "load", nist: bool = False,
                 keys: list[str] | None = None, retry_failed: bool = False,
                 delete_orphans: bool = True, chunk_size: int = 20):
        self.aggregate = aggregate
        self.nist = nist
        self.published = published
        pairs = [("BaO", "TiO2")] if precursor_pairs is None else precursor_pairs
        self.precursor_pairs = [[str(a), str(b)] for a, b in pairs]
        self.include_anions = include_anions
        self.thermo = thermo
        sources = [aggregate] if published is None else [aggregate, published]
        super().__init__(sources, target, failures, keys=keys, retry_failed=retry_failed,
                         delete_orphans=delete_orphans, chunk_size=chunk_size)

    def settings(self) -> dict[str, Any]:
        # the G_f(T) source enters the fingerprint: switching it rebuilds every K_D document
        return {"include_anions": self.include_anions, "thermo": self.thermo,
                "gibbs_source": "NIST-JANAF+MP+Bartel" if self.nist else "MP+Bartel"}

    def _transport_sources(self) -> dict[str, Store]:
        sources = {"md": self.aggregate}
        if self.published is not None:
            sources["published"] = self.published
        return sources

    def _thermo_hash(self, system: str) -> str | None:
        try:
            return _thermo(system, self.thermo, self.nist).source.sha256
        except IonfluxError:
            return None  # the item fails at compute time with the reason

    def plan_entries(self) -> tuple[dict[str, PlanEntry], list[str]]:
        entries, notes = {}, []
        props = ["group_id", "formula", "temperature_K", "input_fingerprint", "last_updated"]
        for label, store in self._transport_sources().items():
            suffix = "" if label == "md" else f"@{label}"
            for d in store.query(properties=props):
                elements = _elements(d["formula"])
                system = "-".join(elements)
                pairs = [p for p in self.precursor_pairs
                         if set(_elements(p[0])) | set(_elements(p[1])) <= set(elements)]
                if not pairs:
                    notes.append(f"{d['group_id']}{suffix}: no configured precursor pair lies "
                                 f"in {system}")
                    continue
                thermo_hash = self._thermo_hash(system)
                for a, b in pairs:
                    key = f"{d['group_id']}:{a}+{b}{suffix}"
                    entries[key] = PlanEntry(
                        fingerprint=self.item_fingerprint(d["input_fingerprint"], thermo_hash,
                                                          a, b, label),
                        last_updated=derived_time(d["last_updated"]),
                        source_keys=[d["group_id"]],
                        source_hashes={d["group_id"]: d["input_fingerprint"],
                                       **({f"thermo:{system}": thermo_hash}
                                          if thermo_hash else {})},
                        extra={"group_id": d["group_id"], "precursors": [a, b],
                               "system": system, "transport_source": label})
        return entries, notes

    def fetch(self, keys: list[str], entries: dict[str, PlanEntry]) -> Iterator[dict]:
        docs: dict[tuple[str, str], dict] = {}
        for label, store in self._transport_sources().items():
            groups = sorted({entries[k].extra["group_id"] for k in keys
                             if entries[k].extra["transport_source"] == label})
            docs.update({(label, d["group_id"]): d
                         for d in _fetch_raw(store, "group_id", groups)})
        for key in keys:
            extra = entries[key].extra
            found = docs.get((extra["transport_source"], extra["group_id"]))
            if found is not None:
                yield {"key": key, "entry": entries[key], "aggregate": found}

    def compute(self, item: dict) -> dict:
        from ionflux.kinetics import KDTable
        from ionflux.storage.documents import from_record
        from ionflux.transport.documents import TransportDoc

        entry: PlanEntry = item["entry"]
        transport = from_record(item["aggregate"], TransportDoc)
        system = entry.extra["system"]
        table = KDTable.from_transport_docs([transport], _thermo(system, self.thermo, self.nist),
                                            include_anions=self.include_anions,
                                            calculator=_calculator(system, self.thermo, self.nist))
        a, b = entry.extra["precursors"]
        doc = table.doc(transport.formula, transport.temperature_K, (a, b))
        # the K_D document restates each failed quality check of its transport document
        inherited = [w for w in item["aggregate"].get("warnings", [])
                     if not w.startswith(("quality check ", "failed quality checks"))]
        fields = self.fields(KDFields, entry, inherited,
                             kd_id=item["key"], group_id=entry.extra["group_id"],
                             precursors=[a, b],
                             transport_source=entry.extra["transport_source"])
        return to_record(doc, fields)
