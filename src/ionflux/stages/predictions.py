"""Batch predictions on the pipeline: ``prediction_requests`` -> ``predictions``.

A request (precursors and molar ratio, heating profile, mode, realisations, seed, grid) is
keyed by ``request_id``, the hash of those inputs, so filing the same grid twice adds nothing.
:class:`PredictionBuilder` runs every request whose prediction is missing or was made with
other inputs or code, and writes it into the ``predictions`` store in the layout of the
predictions cache (``ionflux.ca.cache.StoreCache``), plus ``request_id``: the HTTP API and
``ionflux predict`` then serve batch results from the cache, and the builder reuses any
prediction already cached (from the API, say) instead of running it again. A request that
fails (unknown phase, too large a run) becomes a record in ``failures`` (stage ``predict``)
and is retried only when its inputs change or with ``retry_failed``. Like the other builders it
splits its keys for ``mrun``'s distributed mode.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from itertools import product
from typing import Any, ClassVar, Literal

from maggma.core import Store
from pydantic import BaseModel, ConfigDict, Field

from ionflux import __version__
from ionflux.ca.cache import BestEffortCache  # noqa: F401  (its former home)
from ionflux.errors import InputError
from ionflux.stages.builders import IncrementalBuilder, Plan, PlanEntry
from ionflux.storage.documents import fingerprint, now_ms, reduced_formula

REQUESTS = "prediction_requests"
STAGE = "predict"

logger = logging.getLogger("ionflux.predictions")


class PredictionRequest(BaseModel):
    """One prediction to run; ``request_id`` is the hash of everything but the label."""

    model_config = ConfigDict(extra="forbid")

    request_id: str = ""
    precursors: dict[str, float] = Field(description="reduced formula -> molar ratio")
    profile: list[tuple[float, float]] = Field(
        description="(temperature K, duration in sweeps; 10 sweeps = 1 h) steps")
    mode: Literal["full", "self-only", "thermo-only"] = "full"
    realisations: int = Field(8, ge=1)
    seed: int = Field(0, ge=0)
    grid: int = Field(30, ge=3)
    label: str | None = Field(None, description="free name (e.g. a recipe); not in the key")
    last_updated: datetime = Field(default_factory=now_ms)

    def model_post_init(self, _context: Any) -> None:
        self.precursors = {reduced_formula(k): float(v) for k, v in self.precursors.items()}
        self.profile = [(float(t), float(d)) for t, d in self.profile]
        self.request_id = fingerprint("prediction-request", self.inputs())[:32]

    def inputs(self) -> dict[str, Any]:
        return {"precursors": dict(sorted(self.precursors.items())), "profile": self.profile,
                "mode": self.mode, "realisations": self.realisations, "seed": self.seed,
                "grid": self.grid}


def request_grid(precursors: Sequence[str], ratios: Sequence[Sequence[float]],
                 profiles: Sequence[Sequence[tuple[float, float]]], modes: Sequence[str],
                 *, realisations: int = 8, seed: int = 0, grid: int = 30
                 ) -> list[PredictionRequest]:
    """Every (ratio, profile, mode) combination as a request; each profile's size (memory and
    time estimate of :func:`ionflux.ca.request.check_size`) is checked before anything is filed.
    """
    from ionflux.ca.request import check_size, parse_profile
    from ionflux.ca.settings import AutomatonSettings

    settings = AutomatonSettings()
    for profile in profiles:
        check_size(parse_profile(profile), grid ** 3, realisations, settings)
    out = []
    for ratio, profile, mode in product(ratios, profiles, modes):
        if len(ratio) != len(precursors):
            raise InputError(f"ratio {':'.join(f'{r:g}' for r in ratio)} has {len(ratio)} "
                             f"numbers for {len(precursors)} precursors")
        label = ":".join(f"{r:g}" for r in ratio)
        out.append(PredictionRequest(precursors=dict(zip(precursors, ratio, strict=True)),
                                     profile=list(profile), mode=mode,  # type: ignore[arg-type]
                                     realisations=realisations, seed=seed, grid=grid,
                                     label=f"{'+'.join(precursors)} {label}"))
    return out


def file_requests(store: Store, requests: Iterable[PredictionRequest]) -> tuple[int, int]:
    """Upsert requests into a connected ``prediction_requests`` store; (new, already there)."""
    requests = list({r.request_id: r for r in requests}.values())
    ids = [r.request_id for r in requests]
    existing = {d["request_id"] for d in store.query({"request_id": {"$in": ids}},
                                                     properties=["request_id"])}
    new = [r.model_dump(mode="python") for r in requests if r.request_id not in existing]
    if new:
        store.update(new, key="request_id")
    return len(new), len(existing)


class PredictionBuilder(IncrementalBuilder):
    """``prediction_requests`` -> ``predictions`` (see the module docstring)."""

    stage: ClassVar[str] = STAGE

    def __init__(self, requests: Store, target: Store, failures: Store, *,
                 keys: list[str] | None = None, retry_failed: bool = False,
                 chunk_size: int = 1):
        self.requests = requests
        # predictions also hold cache entries made outside the builder: never delete those
        super().__init__([requests], target, failures, keys=keys, retry_failed=retry_failed,
                         delete_orphans=False, chunk_size=chunk_size)

    def settings(self) -> dict[str, Any]:
        from ionflux.ca.predict import CA_ENGINE_VERSION

        return {"engine": CA_ENGINE_VERSION}

    def plan_entries(self) -> tuple[dict[str, PlanEntry], list[str]]:
        entries = {}
        for d in self.requests.query():
            d.pop("_id", None)
            request = PredictionRequest.model_validate(d)
            entries[request.request_id] = PlanEntry(
                fingerprint=self.item_fingerprint(request.inputs()),
                last_updated=request.last_updated, source_keys=[request.request_id],
                source_hashes={}, extra={"request": request.model_dump(mode="json")})
        return entries, []

    def plan(self) -> Plan:
        entries, notes = self.plan_entries()
        if self.keys is not None:
            entries = {k: v for k, v in entries.items() if k in set(self.keys)}
        built = {d["request_id"]: d.get("input_fingerprint")
                 for d in self.target.query({"request_id": {"$in": sorted(entries)}},
                                            properties=["request_id", "input_fingerprint"])}
        failed = {d["item_key"]: (d.get("input_fingerprint"), d.get("error", ""))
                  for d in self.failures.query({"stage": STAGE},
                                               properties=["item_key", "input_fingerprint",
                                                           "error"])
                  if d["item_key"] in entries}
        todo = sorted(k for k, e in entries.items()
                      if built.get(k) != e.fingerprint
                      and (self.retry_failed or failed.get(k, (None, ""))[0] != e.fingerprint))
        return Plan(entries=entries, built=built, failed=failed, todo=todo, notes=notes)

    def _cleanup(self, plan: Plan) -> None:
        resolved = [f"{STAGE}:{k}" for k in plan.failed
                    if plan.built.get(k) == plan.entries[k].fingerprint]
        if resolved:
            self.failures.remove_docs({"failure_id": {"$in": resolved}})

    def ensure_indexes(self) -> None:
        self.target.ensure_index("request_id")
        self.failures.ensure_index("stage")
        self.failures.ensure_index("item_key")

    def fetch(self, keys: list[str], entries: dict[str, PlanEntry]) -> Iterator[dict]:
        for key in keys:
            yield {"key": key, "entry": entries[key]}

    def compute(self, item: dict) -> dict:
        from ionflux.ca.cache import StoreCache
        from ionflux.ca.predict import predict

        entry: PlanEntry = item["entry"]
        request = PredictionRequest.model_validate(entry.extra["request"])
        # the target is the predictions cache: a prediction already there is reused. The
        # label is not passed as the recipe name, which would enter the cache key.
        doc = predict(request.precursors, request.profile, mode=request.mode,
                      realisations=request.realisations, seed=request.seed, grid=request.grid,
                      cache=StoreCache(self.target))
        record = doc.model_copy(update={"from_cache": False}).model_dump(mode="json")
        from ionflux.storage.documents import finite_or_none

        return {"prediction_id": doc.key, "system": doc.inputs.system,
                "recipe": doc.inputs.recipe, "mode": doc.inputs.mode,
                "data_version": doc.data_version, "last_updated": now_ms(),
                "prediction": finite_or_none(record), "request_id": request.request_id,
                "label": request.label,
                "input_fingerprint": entry.fingerprint, "ionflux_version": __version__}


def prediction_stores(store: Any = None, data_dir: Any = None) -> tuple[Store, Store, Store]:
    """(requests, predictions, failures) stores of a configuration, unconnected."""
    import os

    from ionflux.storage.stores import STORE_ENV, open_store

    name = store or os.environ.get(STORE_ENV) or "local"
    return (open_store(name, REQUESTS, data_dir, key="request_id"),
            open_store(name, "predictions", data_dir), open_store(name, "failures", data_dir))


def prediction_builder(store: Any = None, data_dir: Any = None, **kwargs: Any
                       ) -> PredictionBuilder:
    """The builder on the stores of ``store`` (default ``$IONFLUX_STORE`` or ``local``)."""
    return PredictionBuilder(*prediction_stores(store, data_dir), **kwargs)


def request_status(requests: Store, predictions: Store, failures: Store) -> dict[str, Any]:
    """Counts of requests done, pending and failed (stores connected), with failure reasons."""
    builder = PredictionBuilder(requests, predictions, failures)
    plan = builder.plan()
    done = [k for k, e in plan.entries.items() if plan.built.get(k) == e.fingerprint]
    failed = {k: plan.failed[k][1] for k in plan.failed
              if k not in done and plan.failed[k][0] == plan.entries[k].fingerprint}
    return {"requests": len(plan.entries), "done": len(done), "failed": failed,
            "pending": len(plan.entries) - len(done) - len(failed)}
