"""The pipeline as one object: stores by role, builders by stage, build, status and queries."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from time import perf_counter
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from ionflux.errors import DataNotFoundError, InputError
from ionflux.stages.settings import DEFAULT_SETTINGS_NAME, SETTINGS_ENV, PipelineSettings
from ionflux.storage.documents import BUILD_STAGES, group_key, now_ms, reduced_formula
from ionflux.storage.stores import STORE_ENV, StoreConfig, StoreSet

if TYPE_CHECKING:
    from maggma.core import Builder

    from ionflux.stages.builders import IncrementalBuilder
    from ionflux.storage.ingest import IngestReport
    from ionflux.storage.retire import RetireReport
    from ionflux.transport.documents import TransportDoc

#: Progress callback: (stage, done, total).
Progress = Callable[[str, int, int], Any]


@dataclass
class StageReport:
    """What one builder run did."""

    stage: str
    processed: int = 0
    succeeded: int = 0
    failed: int = 0
    seconds: float = 0.0
    claimed_elsewhere: int = field(default=0, metadata={
        "help": "items left to another builder running at the same time"})


@dataclass
class StageStatus:
    """State of one stage against the current inputs."""

    stage: str
    total: int
    up_to_date: int
    pending: int
    failed: int
    outdated: int = field(default=0, metadata={"help": "items with an older document kept"})


@dataclass
class StatusReport:
    location: str
    stages: list[StageStatus]
    failures: list[dict]
    notes: list[str]
    settings_note: str = ""

    def needs_action(self) -> list[dict]:
        """Failures that are not known data gaps (see :func:`explain_failure`)."""
        return [f for f in self.failures if not explain_failure(f)[0]]


#: Error types that mean the reference data (thermodynamics, transport temperatures) do not
#: cover an item: no rebuild and no input fix removes them, so they are known, not to do.
DATA_GAP_TYPES = ("DataNotFoundError",)
_WHY = {
    "InputError": "the input is unusable as given: fix the file or its sidecar, then "
                  "`ionflux ingest` and `ionflux build`",
    "TrajectoryFormatError": "the trajectory file is truncated or corrupt: replace it, then "
                             "`ionflux ingest` and `ionflux build`",
    "UnwrapError": "the stored frames are too far apart to unwrap: store frames more often",
    "AnalysisError": "the analysis cannot give a trustworthy number from these data with these "
                     "settings (the message names the fix)",
    "StoreError": "the store could not be read or written: check it and rerun `ionflux build`",
}


def explain_failure(failure: dict) -> tuple[bool, str]:
    """(known data gap?, why in one line) for a failure record.

    The rule: a failure whose cause is that the reference data do not cover the item
    (``DataNotFoundError``, e.g. a phase without thermodynamic data) is a *known gap*; every
    other failure needs action. ``status --check`` fails on pending items and on failures
    that need action, not on known gaps (listed, with their reason, every time).
    """
    kind = failure.get("error_type") or ""
    if kind in DATA_GAP_TYPES:
        return True, ("a data gap: the reference thermodynamics or temperature range do not "
                      "cover this item, and no rebuild changes that, so it does not fail --check")
    return False, _WHY.get(kind, f"unexpected {kind or 'error'} (a bug?): rerun with "
                                 "`ionflux build --retry-failed`; report it if it repeats")


def run_builder(builder: Builder, progress: Progress | None = None, processes: int = 1,
                label: str | None = None) -> StageReport:
    """Run one builder like maggma's serial runner, with a progress callback and counts.

    ``processes > 1`` processes items in a process pool (results written by this process).
    Each result is written when it is done, whatever the builder's ``chunk_size``.
    """
    label = label or getattr(builder, "stage", type(builder).__name__)
    start = perf_counter()
    report = StageReport(stage=label)
    builder.connect()
    try:
        items = iter(builder.get_items())
        first = next(items, None)
        total = int(getattr(builder, "total", 0) or 0)
        if progress:
            progress(label, 0, total)
        if first is not None:
            pending = _chain(first, items)
            pool = None
            if processes > 1:
                from concurrent.futures import ProcessPoolExecutor  # ~7 ms: builds only

                pool = ProcessPoolExecutor(processes)
            try:
                results = (pool.map(builder.process_item, pending, chunksize=1) if pool
                           else map(builder.process_item, pending))
                for result in results:
                    # each result is written as soon as it is done: a build killed at any
                    # point keeps every finished item (results are expensive, writes cheap)
                    builder.update_targets([result])
                    report.processed += 1
                    if progress:
                        progress(label, report.processed, total)
            finally:
                if pool is not None:
                    pool.shutdown(cancel_futures=True)
    finally:
        builder.finalize()
    report.succeeded = getattr(builder, "n_succeeded", report.processed)
    report.failed = getattr(builder, "n_failed", 0)
    report.claimed_elsewhere = getattr(builder, "n_claimed_elsewhere", 0)
    report.seconds = perf_counter() - start
    return report


def _chain(first: Any, rest: Any) -> Any:
    yield first
    yield from rest


class Pipeline:
    """Stores, settings and builders of one ionflux data collection.

    Example::

        pipe = Pipeline.open("local", data_dir="./ionflux-data")
        pipe.ingest("runs/")
        pipe.build()
        doc = pipe.transport("BaTiO3", 1500)
    """

    def __init__(self, stores: StoreSet, settings: PipelineSettings | None = None,
                 settings_source: str = "a settings object from the caller"):
        self.stores = stores
        self._settings = settings
        #: where the settings came from, in words (shown by status and query)
        self.settings_source = settings_source if settings is not None else "built-in defaults"

    @property
    def settings(self) -> PipelineSettings:
        """The stages' settings; the built-in defaults are made when first asked for (a query
        needs none, and the models' validators cost a quick command a tenth of its time)."""
        if self._settings is None:
            self._settings = PipelineSettings()
        return self._settings

    @settings.setter
    def settings(self, value: PipelineSettings) -> None:
        self._settings = value

    @classmethod
    def open(cls, store: str | StoreConfig | None = None, data_dir: str | Path | None = None,
             settings: PipelineSettings | str | Path | None = None,
             uri: str | None = None, read_only: bool = False) -> Pipeline:
        """Pipeline on store ``store`` (default ``$IONFLUX_STORE`` or ``local``).

        Settings: an object, a file, ``"default"`` (the built-in defaults), else the file in
        ``$IONFLUX_PIPELINE_SETTINGS``, else the settings the store's last build recorded,
        else the defaults. ``read_only``: for status and queries (see ``StoreSet.open``).
        """
        name = store or os.environ.get(STORE_ENV) or "local"
        stores = StoreSet.open(name, data_dir=data_dir, uri=uri, read_only=read_only)
        if isinstance(settings, PipelineSettings):
            return cls(stores, settings)
        path = settings or os.environ.get(SETTINGS_ENV)
        if str(path) == DEFAULT_SETTINGS_NAME:
            return cls(stores, PipelineSettings(), "built-in defaults (--settings default)")
        if path:
            return cls(stores, PipelineSettings.from_file(path),
                       f"file {path}" + ("" if settings else f" (${SETTINGS_ENV})"))
        pipe = cls(stores)
        recorded = pipe.recorded_settings()
        if recorded is not None:
            try:
                pipe.settings = PipelineSettings.model_validate(recorded["settings"])
            except ValidationError as exc:
                raise InputError(f"{stores.location}: the settings its last build recorded are "
                                 f"not valid here ({' '.join(str(exc).split())[:300]}); pass "
                                 "--settings FILE or --settings default") from exc
            pipe.settings_source = _recorded_words(recorded)
        return pipe

    # -- remembered settings ----------------------------------------------------------------
    def recorded_settings(self) -> dict | None:
        """The record of the settings the store's last build used, or None."""
        self.stores.connect()
        return self.stores.settings.query_one({"settings_id": _SETTINGS_ID})

    def record_settings(self) -> None:
        """Remember this pipeline's settings in the store (written only when they changed), so
        that a plain ``status`` or ``query`` uses the settings the documents were built with."""
        current = self.settings.model_dump(mode="json")
        recorded = self.recorded_settings()
        if recorded is not None and recorded.get("settings") == current:
            return
        self.stores.settings.update([{"settings_id": _SETTINGS_ID, "settings": current,
                                      "source": self.settings_source,
                                      "last_updated": now_ms()}])

    def settings_note(self) -> str:
        """One line: which settings status and queries use, and whether the store's documents
        were built with them."""
        recorded = self.recorded_settings()
        line = f"settings: {self.settings_source}"
        if self.settings_source.startswith("recorded") or recorded is None:
            return line + ("" if recorded is not None else " (no build has recorded any)")
        if recorded.get("settings") == self.settings.model_dump(mode="json"):
            return line + "; the same as the last build's"
        return (line + f"; the last build used other settings ({_recorded_words(recorded)}), "
                "so items show as pending that a build with these settings would redo")

    from_env = open

    # -- builders ---------------------------------------------------------------------------
    def builder(self, stage: str, **overrides: Any) -> IncrementalBuilder:
        """The builder of one stage (``transport``, ``bonds``, ``aggregate``, ``kd``)."""
        # imported here: the builders load maggma and pymongo, which queries do not need
        from ionflux.stages.builders import BondsBuilder, KDBuilder
        from ionflux.stages.gamma import (
            GammaAggregateBuilder,
            GammaBuilder,
            GammaTransportBuilder,
        )

        s, st = self.settings, self.stores
        common = {"blobs": st.blobs, "reader": s.reader, "chunk_size": s.chunk_size}
        if stage == "gamma":
            kwargs = dict(warn=s.gamma.warn, stop=s.gamma.stop, max_frames=s.gamma.max_frames,
                          **common)
            builder: IncrementalBuilder = GammaBuilder(
                st.raw_trajectories, st.gamma, st.failures, **{**kwargs, **overrides})
        elif stage == "transport":
            kwargs = dict(window_fs=s.transport.window_fs, n_blocks=s.transport.n_blocks,
                          estimator=s.transport.estimator, analysis=s.transport.analysis,
                          gamma=st.gamma, **common)
            builder = GammaTransportBuilder(
                st.raw_trajectories, st.transport, st.failures, **{**kwargs, **overrides})
        elif stage == "bonds":
            kwargs = dict(n_frames=s.bonds.n_frames, workers=s.bonds.workers,
                          analysis=s.bonds.analysis, **common)
            builder = BondsBuilder(st.raw_trajectories, st.bonds, st.failures,
                                   **{**kwargs, **overrides})
        elif stage == "aggregate":
            kwargs = dict(window_fs=s.transport.window_fs, n_blocks=s.transport.n_blocks,
                          estimator=s.transport.estimator, analysis=s.transport.analysis,
                          gamma=st.gamma, stop=s.gamma.stop, **common)
            builder = GammaAggregateBuilder(st.raw_trajectories, st.transport_aggregate,
                                            st.failures, **{**kwargs, **overrides})
        elif stage == "kd":
            kwargs = dict(precursor_pairs=s.kd.precursor_pairs, chunk_size=s.chunk_size,
                          include_anions=s.kd.include_anions, thermo=s.kd.thermo,
                          nist=s.kd.nist)
            builder = KDBuilder(st.transport_aggregate, st.kd, st.failures,
                                published=st.published_transport, **{**kwargs, **overrides})
        else:
            raise InputError(f"unknown stage {stage!r}; use one of {', '.join(BUILD_STAGES)}")
        return builder

    def builders(self, stages: Sequence[str] | None = None, **overrides: Any
                 ) -> list[IncrementalBuilder]:
        """Builders in build order (all stages by default)."""
        wanted = list(stages) if stages else list(BUILD_STAGES)
        unknown = [s for s in wanted if s not in BUILD_STAGES]
        if unknown:
            raise InputError(f"unknown stage {unknown[0]!r}; use one of {', '.join(BUILD_STAGES)}")
        return [self.builder(s, **overrides) for s in BUILD_STAGES if s in wanted]

    # -- actions ----------------------------------------------------------------------------
    def connect(self) -> Pipeline:
        self.stores.connect()
        return self

    def close(self) -> None:
        self.stores.close()

    def __enter__(self) -> Pipeline:
        return self.connect()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def ingest(self, directory: str | Path, *, recursive: bool = True, rehash: bool = False,
               follow_links: bool = False,
               progress: Callable[[int, int, str], Any] | None = None) -> IngestReport:
        from ionflux.storage.ingest import ingest_directory

        self.stores.connect()
        return ingest_directory(directory, self.stores, recursive=recursive, rehash=rehash,
                                follow_links=follow_links, progress=progress)

    def retire(self, paths: Sequence[str | Path] | None = None, *, missing: bool = False,
               reason: str | None = None) -> RetireReport:
        """Unregister deleted trajectory files (and their per-replicate documents), recorded
        in the ``retired`` store; see :mod:`ionflux.storage.retire`."""
        from ionflux.storage.retire import retire

        self.stores.connect()
        return retire(self.stores, list(paths or []), missing=missing, reason=reason)

    def import_published(self, source: str, time_axis_factor: float | str | None = None
                         ) -> IngestReport:
        """Import a published tensor set (a file, or a bundled system such as ``Ba-Ti-O``)
        into the ``published_transport`` store; the K_D stage then builds from it.
        ``time_axis_factor``: divide every L by it, or "reference" (each composition by its
        factor against the bundled reference melts); recorded, never applied otherwise."""
        from ionflux.stages.published import import_published

        self.stores.connect()
        return import_published(source, self.stores, time_axis_factor=time_axis_factor)

    def build(self, stages: Sequence[str] | None = None, *, retry_failed: bool = False,
              processes: int = 1, progress: Progress | None = None) -> list[StageReport]:
        """Run the builders of ``stages`` (all by default) in order."""
        self.stores.connect()
        builders = self.builders(stages, retry_failed=retry_failed)
        # before the builders run: documents built from here on use these settings
        self.record_settings()
        reports = []
        try:
            for builder in builders:
                reports.append(run_builder(builder, progress, processes))
        finally:
            # builders close their stores when they finish; keep the pipeline usable
            with contextlib.suppress(Exception):
                self.stores.connect()
        return reports

    def status(self) -> StatusReport:
        """Counts per stage and the current failures with their reasons."""
        self.stores.connect()
        raw_count = self.stores.raw_trajectories.count()
        ingest_failures = list(self.stores.failures.query({"stage": "ingest"}))
        stages = [StageStatus("ingest", raw_count + len(ingest_failures), raw_count, 0,
                              len(ingest_failures))]
        failures = ingest_failures
        published = self.stores.published_transport.count()
        # imported published tensor sets are transport documents too (with their source)
        stages.append(StageStatus("published", published, published, 0, 0))
        notes: list[str] = []
        for builder in self.builders():
            builder.ensure_indexes()
            plan = builder.plan()
            up = sum(1 for k, e in plan.entries.items() if plan.built.get(k) == e.fingerprint)
            failed_keys = [k for k, e in plan.entries.items()
                           if plan.built.get(k) != e.fingerprint
                           and plan.failed.get(k, (None, ""))[0] == e.fingerprint]
            outdated = sum(1 for k, e in plan.entries.items()
                           if k in plan.built and plan.built[k] != e.fingerprint)
            stages.append(StageStatus(builder.stage, len(plan.entries), up,
                                      len(plan.entries) - up - len(failed_keys),
                                      len(failed_keys), outdated))
            if failed_keys:
                ids = [f"{builder.stage}:{k}" for k in failed_keys]
                failures += list(self.stores.failures.query({"failure_id": {"$in": ids}}))
            notes += plan.notes
        for f in failures:
            f.pop("_id", None)
        failures.sort(key=lambda f: (BUILD_STAGES.index(f["stage"]) + 1
                                     if f["stage"] in BUILD_STAGES else 0, f["item_key"]))
        return StatusReport(self.stores.location, stages, failures, notes, self.settings_note())

    # -- queries ----------------------------------------------------------------------------
    def transport(self, formula: str, temperature_K: float, replicates: bool = False,
                  source: str = "all") -> dict | list[dict]:
        """The transport record of (formula, T), or its per-replicate MD records.

        ``source``: ``md`` (replicates aggregated here), ``published`` (imported sets) or
        ``all`` (the MD aggregate where there is one, else the published record). The record's
        ``transport_source`` says which it is.
        """
        if source not in ("md", "published", "all"):
            raise InputError(f"unknown transport source {source!r}; use md, published or all")
        self.stores.connect()
        group = _group(formula, temperature_K)
        if source == "published" or (source == "all" and not replicates and self.stores
                                     .transport_aggregate.query_one({"group_id": group},
                                                                    properties=["group_id"])
                                     is None):
            doc = self.stores.published_transport.query_one({"group_id": group})
            if doc is not None or source == "published":
                if doc is None:
                    raise DataNotFoundError(
                        f"no published transport document for {group} in "
                        f"{self.stores.location}{self._known('published_transport')}")
                return {**_clean(doc), "transport_source": "published"}
        if replicates:
            docs = sorted(self.stores.transport.query({"group_id": group}),
                          key=lambda d: d["traj_id"])
            if not docs:
                raise DataNotFoundError(f"no per-replicate transport documents for {group}")
            return self._mark_stale("transport", [_clean(d) for d in docs], "traj_id")
        doc = self.stores.transport_aggregate.query_one({"group_id": group})
        if doc is None:
            raise DataNotFoundError(f"no transport document for {group} in "
                                    f"{self.stores.location}{self._known('transport_aggregate')}")
        doc = self._mark_stale("aggregate", [_clean(doc)], "group_id")[0]
        from ionflux.transport.physics_checks import with_monotonic_flags

        doc = with_monotonic_flags([doc], self.stores.transport_aggregate)[0]
        return {**doc, "transport_source": "md"}

    def flagged(self, codes: Sequence[str], source: str = "all", formula: str | None = None
                ) -> tuple[list[dict], int]:
        """(transport records carrying a physics flag in ``codes``, records looked at); a
        record holds its key fields, species, D and flags (no tensors).

        ``source``: ``md``, ``published`` or ``all`` (both, each record labelled by its
        ``transport_source``, as the API lists them). MD aggregates get ``D_falls_with_T``
        judged now against every stored temperature of their formula, as ``transport`` does;
        each record keeps only the flags asked for. Sorted by formula, temperature, source.
        """
        from ionflux.storage.transport_records import SOURCE_ROLES
        from ionflux.transport.physics_checks import MONOTONIC_PROPERTIES, with_monotonic_flags

        if source not in SOURCE_ROLES:
            raise InputError(f"unknown transport source {source!r}; use md, published or all")
        criteria = {} if formula is None else {"formula": _reduced(formula)}
        self.stores.connect()
        wanted = set(codes)
        # what a flag line needs, and what the read-time check reads (not whole tensors)
        fields = sorted({*MONOTONIC_PROPERTIES, "physics_flags"})
        out, seen = [], 0
        for role in SOURCE_ROLES[source]:
            store = self.stores.stores[role]
            records = [_clean(r) for r in store.query(criteria, properties=fields)]
            if role == "transport_aggregate":
                records = with_monotonic_flags(records, store)
            seen += len(records)
            label = "md" if role == "transport_aggregate" else "published"
            for record in records:
                flags = [f for f in record.get("physics_flags") or [] if f.get("code") in wanted]
                if flags:
                    out.append({**record, "physics_flags": flags, "transport_source": label})
        out.sort(key=lambda r: (r["formula"], float(r["temperature_K"]), r["transport_source"]))
        return out, seen

    def _mark_stale(self, stage: str, docs: list[dict], key: str) -> list[dict]:
        """Add ``stale`` to documents kept while newer inputs of the same item failed.

        ``stale`` holds the failed stage, its one-line error and when those inputs arrived;
        the document itself is what the older inputs gave.
        """
        ids = [f"{stage}:{d[key]}" for d in docs]
        failures = {f["item_key"]: f for f in self.stores.failures.query(
            {"failure_id": {"$in": ids}},
            properties=["item_key", "input_fingerprint", "error", "last_updated"])}
        for doc in docs:
            failure = failures.get(doc[key])
            if failure is not None and failure.get("input_fingerprint") != \
                    doc.get("input_fingerprint"):
                doc["stale"] = {"stage": stage, "error": failure.get("error", ""),
                                "failed_inputs_from": str(failure.get("last_updated"))}
        return docs

    def transport_docs(self, system: str | None = None, source: str = "all"
                       ) -> list[TransportDoc]:
        """Transport documents of the store as ``TransportDoc`` objects.

        ``source`` is ``md`` (aggregated replicates), ``published`` (imported sets) or ``all``
        (both; where both cover a (phase, temperature), the MD aggregate wins). ``system``
        (e.g. ``"Ba-Ti-O"``) keeps the documents whose elements lie in it.
        """
        from ionflux.storage.documents import from_record
        from ionflux.storage.transport_records import transport_records
        from ionflux.thermo.system import parse_system
        from ionflux.transport.documents import TransportDoc

        records = transport_records(self.stores, source,
                                    set(parse_system(system)) if system else None)
        return [from_record(record, TransportDoc) for record in records]

    def kd(self, formula: str, temperature_K: float, precursors: Sequence[str] | None = None
           ) -> list[dict]:
        """K_D records of (formula, T), for every precursor pair or the one given."""
        self.stores.connect()
        group = _group(formula, temperature_K)
        docs = [_clean(d) for d in self.stores.kd.query({"group_id": group})]
        if precursors:
            wanted = sorted(reduced_formula(p) for p in precursors)
            docs = [d for d in docs if sorted(d["precursors"]) == wanted]
        docs = self._mark_stale("kd", docs, "kd_id")
        if not docs:
            raise DataNotFoundError(f"no K_D document for {group}"
                                    + (f" and precursors {'+'.join(precursors)}"
                                       if precursors else "")
                                    + f" in {self.stores.location}{self._known('kd')}")
        return sorted(docs, key=lambda d: d["kd_id"])

    def _known(self, role: str) -> str:
        groups = sorted(set(self.stores.stores[role].distinct("group_id")))
        return f" (available: {', '.join(groups[:12])}{' ...' if len(groups) > 12 else ''})" \
            if groups else " (the store has none; run `ionflux build`)"


_SETTINGS_ID = "pipeline"


def _recorded_words(record: dict) -> str:
    when = record.get("last_updated")
    stamp = when.strftime("%Y-%m-%d %H:%M UTC") if hasattr(when, "strftime") else str(when)
    return f"recorded by the build of {stamp} (from {record.get('source', 'unknown')})"


def _group(formula: str, temperature_K: float) -> str:
    try:
        return group_key(_reduced(formula), float(temperature_K))
    except ValueError as exc:
        raise InputError(str(exc)) from exc


def _reduced(formula: str) -> str:
    try:
        return reduced_formula(formula)
    except ValueError as exc:
        raise InputError(str(exc)) from exc


def _clean(doc: dict) -> dict:
    doc.pop("_id", None)
    return doc
