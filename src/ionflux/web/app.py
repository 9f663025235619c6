"""The HTTP API and web page (FastAPI): transport, bond-count, K_D and prediction documents.

Read endpoints follow the Materials Project API (docs/api.md): ``{"data": [...], "meta":
{...}}`` responses, the query operators of :mod:`ionflux.web.operators` (``formula``,
``chemsys``, ``elements``, ``temperature_min``/``_max``, ``_fields``, ``_sort_fields``,
``_limit``/``_skip``), unknown parameters refused, and one source rule (``source=all`` unless
asked otherwise). ``POST /api/predict`` returns a cached prediction or runs one when its cost
(cell updates, plus the thermodynamics of every profile step and each realisation's set-up in
the same units) is within the server's budget; at most ``max_queue`` distinct predictions wait
or run (429 with Retry-After beyond), queued work whose clients have all gone is dropped before
it starts, and a request gives up waiting after ``predict_timeout_s`` (504; the run finishes in
the background and lands in the cache, so a retry is served from it). Errors are JSON
``{"detail": ...}`` with a 4xx status for bad requests (422 for every invalid query, 404 only
for an id that names no document); anything unexpected is a 500 with a fixed message (the
traceback goes to the server log only).
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import math
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import Body, Depends, FastAPI, Query, Request
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field, field_validator
from starlette.exceptions import HTTPException

from ionflux.errors import DataNotFoundError, InputError, IonfluxError, StoreError
from ionflux.transport.physics_checks import MONOTONIC_PROPERTIES, with_monotonic_flags
from ionflux.web.data import PathScrubber, StoreAccess, clean, parse_formula
from ionflux.web.operators import (
    FIELD_PATHS,
    FORMULAS,
    FormulaQuery,
    KDPrecursorQuery,
    PaginationQuery,
    PhysicsFlagQuery,
    PredictionQuery,
    SortQuery,
    SourceQuery,
    SparseFieldsQuery,
    TemperatureQuery,
    merge,
    precursor_names,
    refuse_unknown,
    with_operators,
)
from ionflux.web.search import Collection, search

logger = logging.getLogger("ionflux.web")

MODES = ("full", "self-only", "thermo-only")
#: Documents per response without _limit (MP's default is 100 too).
DEFAULT_LIMIT = 100
#: Fields every document endpoint can sort by (beside its own).
COMMON_SORT = ["ionflux_id", "formula_pretty", "chemsys", "nelements", "temperature_K",
               "last_updated", "source"]
#: Fields added to every stored document (emmet-style) and by the API (``source``).
EMMET_FIELDS = ["ionflux_id", "formula_pretty", "chemsys", "elements", "nelements",
                "builder_meta", "schema_version", "last_updated", "source"]
#: Top-level fields of a cached prediction record.
PREDICTION_FIELDS = ["prediction_id", "system", "recipe", "mode", "data_version",
                     "prediction", *EMMET_FIELDS[:-1]]


def declared_query(dependant: Any) -> set[str]:
    """Names of the query parameters a route takes, its dependencies' included."""
    names = {param.alias for param in dependant.query_params}
    for sub in dependant.dependencies:
        names |= declared_query(sub)
    return names


async def known_parameters_only(request: Request) -> None:
    """InputError (422) for a query parameter an API route does not take: a misspelt filter
    is refused, never ignored (as the MP API refuses them)."""
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is not None and getattr(route, "include_in_schema", False):  # not the page
        refuse_unknown(request.query_params, declared_query(dependant))


def fields_of(*models: type[BaseModel]) -> list[str]:
    """Top-level fields of stored documents made of ``models``, plus the emmet-style ones."""
    return sorted({name for m in models for name in m.model_fields} | set(EMMET_FIELDS))


@dataclass
class ServeSettings:
    """Limits of the server."""

    store: str = "local"
    data_dir: str | Path | None = None
    max_page: int = 500
    max_cell_updates: float = 5e7  # ~5 s of automaton at ~1e7 updates/s
    predict_timeout_s: float = 120.0
    #: Distinct predictions queued or running at once; one more is refused with 429.
    max_queue: int = 4
    #: Largest request body, bytes: the largest valid prediction request (6 precursors, 50
    #: profile steps) is ~4 KB of JSON; a bigger body is refused with 413 before it is read.
    max_body_bytes: int = 64 * 1024


class BodyLimit:
    """ASGI middleware: a request body over ``limit`` bytes is answered 413 before anything
    parses it, from its Content-Length when it has one, else as soon as the streamed body
    passes the limit (the rest is never read)."""

    def __init__(self, app: Any, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope.get("headers") or ()).get(b"content-length")
        if length is not None:
            try:
                size = int(length)
            except ValueError:
                size = -1
            if size < 0:
                await self._refuse(send, 400, "invalid Content-Length header")
                return
            if size > self.limit:
                await self._refuse(send, 413, self._message(f"{size} bytes"))
                return
        received = 0

        async def counted_receive() -> dict:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    # raised while the body is read, before it is parsed; answered by the
                    # framework's HTTPException handler as {"detail": ...}
                    raise HTTPException(413, self._message(f"more than {self.limit} bytes"))
            return message

        await self.app(scope, counted_receive, send)

    def _message(self, size: str) -> str:
        return (f"request body of {size} is larger than the server's limit of {self.limit} "
                "bytes")

    @staticmethod
    async def _refuse(send: Any, status: int, detail: str) -> None:
        body = json.dumps({"detail": detail}).encode()
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode()),
                                (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})


# ------------------------------------------------------------------ request models
class ProfileStep(BaseModel):
    model_config = ConfigDict(extra="forbid")

    temperature_K: float = Field(gt=0, le=5000, description="temperature, K")
    hours: float = Field(gt=0, le=1000, description="duration, h (10 automaton sweeps per h)")


class PredictRequest(BaseModel):
    """Precursors (formula -> molar ratio), a heating profile and the automaton's settings."""

    model_config = ConfigDict(extra="forbid")

    precursors: dict[str, float] = Field(min_length=2, max_length=6,
                                         examples=[{"BaO": 1, "TiO2": 2}])
    profile: list[ProfileStep] = Field(min_length=1, max_length=50)
    mode: Literal["full", "self-only", "thermo-only"] = "full"
    realisations: int = Field(8, ge=1, le=16)
    seed: int = Field(0, ge=0, le=2**31 - 1)
    grid: int = Field(20, ge=4, le=60, description="edge of the cubic grid, cells")

    @field_validator("precursors")
    @classmethod
    def _ratios(cls, value: dict[str, float]) -> dict[str, float]:
        for name, ratio in value.items():
            if not math.isfinite(ratio) or ratio <= 0 or ratio > 1e6:
                raise ValueError(f"ratio of {name!r} must be > 0 and <= 1e6")
        from ionflux.cli._parse import check_ratios  # the command line's limits

        try:
            check_ratios(value, "precursors")
        except InputError as exc:
            raise ValueError(str(exc).removeprefix("precursors: ")) from None
        return value


class Meta(BaseModel):
    """``meta`` of a response, as the MP API (maggma's ``Meta``) has it."""

    model_config = ConfigDict(extra="allow")

    api_version: str = Field(description="ionflux version serving the request")
    time_stamp: datetime = Field(default_factory=lambda: datetime.now(UTC),
                                 description="when the query ran, UTC")
    total_doc: int = Field(ge=0, description="documents matching the query (all pages)")


class Envelope(BaseModel):
    """The Materials Project API's response: documents under ``data``, and ``meta`` with
    ``total_doc`` (documents matching), ``max_limit``, ``api_version`` and ``time_stamp``."""

    data: list[dict[str, Any]]
    meta: Meta


class ErrorBody(BaseModel):
    detail: str


ERRORS = {400: {"model": ErrorBody}, 404: {"model": ErrorBody}, 422: {"model": ErrorBody},
          503: {"model": ErrorBody}}



#: Cell updates per second the cost limit assumes (Retry-After is estimated with it).
UPDATES_PER_S = 1e7
#: Cost of each profile step besides its cell updates: G_f(T), reaction energies and scores at
#: its temperature (measured 30-40 ms per step, Ba-Ti-O), in cell updates at UPDATES_PER_S.
STEP_COST = 5e5
#: Cost of each realisation besides its cell updates: its drawn score table, seeds and records
#: (measured 6-10 ms), in cell updates.
REALISATION_COST = 1e5


def _cost(request: PredictRequest) -> float:
    """Cost of the request in cell updates: the automaton's updates, plus the thermodynamics
    of every profile step and each realisation's set-up in the same units."""
    from ionflux.ca.recipes import SWEEPS_PER_HOUR
    from ionflux.ca.settings import AutomatonSettings

    sweeps_per_unit = AutomatonSettings().sweeps_per_unit
    cells = request.grid ** 3
    per_realisation = sum(max(1, round(s.hours * SWEEPS_PER_HOUR * sweeps_per_unit * cells))
                          for s in request.profile)
    return float((per_realisation + REALISATION_COST) * request.realisations
                 + STEP_COST * len(request.profile))


@dataclass
class _Job:
    """A queued or running prediction and the requests waiting for it; ``abandoned`` is set
    when every client has gone, and a predictor that takes ``cancel`` then stops."""

    future: Future
    cost: float
    waiters: int = 0
    abandoned: threading.Event = field(default_factory=threading.Event)


def _check_size(request: PredictRequest) -> None:
    """The memory and time estimate every entry point applies (ionflux.ca.request)."""
    from ionflux.ca.recipes import SWEEPS_PER_HOUR
    from ionflux.ca.request import check_size
    from ionflux.ca.settings import AutomatonSettings

    steps = [(s.temperature_K, s.hours * SWEEPS_PER_HOUR) for s in request.profile]
    check_size(steps, request.grid ** 3, request.realisations, AutomatonSettings())


def run_prediction(request: PredictRequest, store: str, data_dir: Any,
                   cancel: Callable[[], bool] | None = None) -> dict:
    """Run (or fetch from the cache) one prediction; its JSON document. ``cancel()`` true stops
    the run (ionflux.ca.predict.PredictionCancelled)."""
    from ionflux.ca.cache import BestEffortCache, StoreCache
    from ionflux.ca.predict import predict
    from ionflux.ca.recipes import SWEEPS_PER_HOUR

    steps = [(s.temperature_K, s.hours * SWEEPS_PER_HOUR) for s in request.profile]
    # a cache write blocked by another writer never costs the client its prediction
    cache = BestEffortCache(StoreCache.open(store, data_dir))
    doc = predict(request.precursors, steps, mode=request.mode,
                  realisations=request.realisations, seed=request.seed, grid=request.grid,
                  cache=cache, cancel=cancel)
    result = clean(doc.model_dump(mode="json"))
    if cache.skipped:
        result["warnings"] = [*result.get("warnings", []), *cache.skipped]
    return result


# ------------------------------------------------------------------ app
def create_app(settings: ServeSettings | None = None, *, predictor: Any = None) -> FastAPI:
    """The application; ``predictor(request, store, data_dir) -> dict`` runs predictions
    (tests substitute a fast one)."""
    from ionflux import __version__
    from ionflux.kinetics.kd import KDDoc
    from ionflux.stages.published import PublishedFields
    from ionflux.storage.documents import AggregateFields, KDFields, ReplicateFields
    from ionflux.structure.documents import BondCountDoc
    from ionflux.transport.documents import TransportDoc

    settings = settings or ServeSettings()
    access = StoreAccess(settings.store, settings.data_dir)
    predictor = predictor or run_prediction
    # stand-ins in tests may take (request, store, data_dir) only
    takes_cancel = "cancel" in inspect.signature(predictor).parameters
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ionflux-predict")
    jobs: dict[str, _Job] = {}  # request JSON -> job; requests may come from several loops
    jobs_lock = threading.RLock()  # a cancelled future calls _forget at once
    def _forget(key: str) -> None:
        with jobs_lock:
            jobs.pop(key, None)

    # nothing served names a server path: relative to the ingest or store root, or a file name
    scrub = PathScrubber(access.root, access.ingest_paths)

    class Served(JSONResponse):
        def render(self, content: Any) -> bytes:
            return super().render(scrub(content))

    # /docs is served below from vendored Swagger UI files: FastAPI's default loads them from
    # a CDN, which leaves the page blank offline
    app = FastAPI(title="ionflux", version=__version__, docs_url=None, redoc_url=None,
                  dependencies=[Depends(known_parameters_only)],
                  default_response_class=Served,
                  description="Onsager transport, K_D and synthesis predictions of the ionflux "
                              "store. Units are in the field names (K, cm2_s, eV).")
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)

    # -- errors ---------------------------------------------------------------------------
    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        parts = []
        for err in exc.errors()[:5]:
            where = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
            parts.append(f"{where}: {err.get('msg', 'invalid')}")
        return Served({"detail": "; ".join(parts) or "invalid request"}, status_code=422)

    @app.exception_handler(IonfluxError)
    async def _ionflux(_: Request, exc: IonfluxError) -> JSONResponse:
        status = (404 if isinstance(exc, DataNotFoundError) else
                  422 if isinstance(exc, InputError) else
                  503 if isinstance(exc, StoreError) else 500)
        return Served({"detail": " ".join(str(exc).split())}, status_code=status)

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        logger.exception("unexpected error")
        return Served({"detail": "internal error; see the server log"}, status_code=500)

    # -- meta -----------------------------------------------------------------------------
    def envelope(data: list[dict], total: int, **meta: Any) -> dict[str, Any]:
        return {"data": data, "meta": {**Meta(api_version=__version__,
                                              total_doc=total).model_dump(), **meta}}

    @app.get("/api/health", tags=["meta"])
    def health() -> dict[str, Any]:
        """Version and store location (without passwords; a local store's file name); 503
        when the store's database file was deleted or replaced under the server."""
        access.check()
        return {"status": "ok", "version": __version__, "store": access.location}

    @app.get("/heartbeat", tags=["meta"])
    def heartbeat() -> dict[str, Any]:
        """The MP API's liveness answer, which mp-api clients read on start: status, version,
        the documents' schema (``db_version``) and no access-controlled data."""
        from ionflux.storage.documents import SCHEMA_VERSION

        return {"status": "OK", "version": __version__,
                "db_version": f"ionflux-schema-{SCHEMA_VERSION}",
                "access_controlled_batch_ids": []}

    @app.get("/api/recipes", response_model=Envelope, tags=["meta"])
    def recipes() -> dict[str, Any]:
        """The literature recipes R1-R4 as precursors and (temperature K, hours) steps."""
        from ionflux.ca.recipes import RECIPES, SWEEPS_PER_HOUR

        data = [{"name": r.name, "description": r.description, "precursors": r.precursors,
                 "profile": [{"temperature_K": t, "hours": d / SWEEPS_PER_HOUR}
                             for t, d in r.profile]} for r in RECIPES.values()]
        return envelope(data, len(data), sweeps_per_hour=SWEEPS_PER_HOUR)

    # -- documents ------------------------------------------------------------------------
    def resource(path: str, collections: list[Collection], operators: list[Any],
                 summary: str, tags: list[str]) -> None:
        """GET ``path``: the documents of ``collections`` the ``operators`` select (as
        maggma's ReadOnlyResource searches, over ionflux's per-thread stores)."""
        def endpoint(**parts: Any) -> dict[str, Any]:
            query = merge(list(parts.values()))
            data, total = search(access.stores(), collections, query)
            meta = {k: v for op in operators for k, v in op.meta().items()}
            return envelope(data, total, **meta)

        endpoint.__doc__ = summary
        app.get(path, response_model=Envelope, responses=ERRORS, tags=tags,
                summary=summary.split(".")[0])(with_operators(endpoint, operators))

    def paged(known: list[str], sortable: list[str], default: list[str]) -> list[Any]:
        return [PaginationQuery(DEFAULT_LIMIT, settings.max_page), SparseFieldsQuery(known),
                SortQuery(sortable, default)]

    transport_collections = [
        Collection("transport_aggregate", "group_id", "aggregate", "md",
                   ("formula", "temperature_K"), finish=with_monotonic_flags,
                   finish_fields=tuple(MONOTONIC_PROPERTIES)),
        Collection("published_transport", "group_id", "published", "published",
                   ("formula", "temperature_K"))]
    transport_sort = [*COMMON_SORT, "formula", "group_id", "n_replicates", "volume_A3"]
    transport_fields = fields_of(TransportDoc, AggregateFields, PublishedFields)
    resource("/api/transport", transport_collections,
             [FormulaQuery("formula"), TemperatureQuery(), SourceQuery(), PhysicsFlagQuery(),
              *paged(transport_fields, transport_sort,
                     ["formula_pretty", "temperature_K", "source"])],
             "Transport documents (Onsager L, D, correlation factors) per phase and "
             "temperature: MD aggregates (source md) and imported published sets "
             "(source published).", ["documents"])
    resource("/api/bonds", [Collection("bonds", "traj_id", "replicate", "md",
                                       ("formula", "temperature_K"))],
             [FormulaQuery("formula"), TemperatureQuery(),
              *paged(fields_of(BondCountDoc, ReplicateFields),
                     [*COMMON_SORT, "formula", "traj_id", "group_id"],
                     ["formula_pretty", "temperature_K", "traj_id"])],
             "CrystalNN bond-count documents, one per replicate trajectory.", ["documents"])
    resource("/api/kd", [Collection("kd", "kd_id", "kd", None, ("phase", "temperature_K",
                                                                 "transport_source"))],
             [FormulaQuery("phase"), TemperatureQuery(), KDPrecursorQuery(), SourceQuery(),
              *paged(fields_of(KDDoc, KDFields),
                     [*COMMON_SORT, "phase", "kd_id", "K_D_cm2_s", "K_D_self_cm2_s"],
                     ["formula_pretty", "temperature_K", "kd_id", "source"])],
             "K_D documents per (product phase, temperature, precursor pair); formula "
             "filters the product phase.", ["documents"])
    prediction_collections = [Collection("predictions", "prediction_id", "prediction",
                                         head_fields=("system",),
                                         has_source=False)]
    resource("/api/predictions", prediction_collections,
             [FormulaQuery(None), PredictionQuery(),
              *paged(PREDICTION_FIELDS, ["ionflux_id", "prediction_id", "chemsys", "system",
                                         "recipe", "mode", "last_updated"],
                     ["chemsys", "last_updated", "prediction_id"])],
             "Cached predictions: by chemical system, precursors and their ratio, product "
             "phase, mode and recipe. Whole documents (with the time series) unless _fields "
             "names parts, e.g. _fields=prediction.inputs,prediction.final_mol_fraction.",
             ["predictions"])

    def one(collections: list[Collection], known: list[str], key: str, value: str,
            source: str, fields: str | None) -> dict[str, Any]:
        """The documents whose ``key`` (else ``ionflux_id``) is ``value``, MD first."""
        paths = SparseFieldsQuery(known).query(_fields=fields, _all_fields=False)["fields"]
        for field_name in (key, "ionflux_id"):
            query = {"criteria": {field_name: value}, "keep": [], "sort": {"source": 1},
                     "sources": SourceQuery().query(source)["sources"], "fields": paths,
                     "skip": 0, "limit": 10}
            data, total = search(access.stores(), collections, query)
            if data:
                return envelope(data, total)
        raise DataNotFoundError(f"no document {value!r}")

    @app.get("/api/transport/{doc_id}", response_model=Envelope, responses=ERRORS,
             tags=["documents"])
    def transport_one(doc_id: Annotated[str, PathParam(max_length=128)],
                      source: Literal["all", "md", "published"] = "all",
                      _fields: Annotated[str | None, Query(max_length=1000,
                                                           pattern=FIELD_PATHS)] = None
                      ) -> dict[str, Any]:
        """One (phase, temperature) transport document by group id (``BaTiO3@1500K``) or
        ``ionflux_id``; with source all, the MD one and the published one when both exist."""
        return one(transport_collections, transport_fields, "group_id", doc_id, source, _fields)

    @app.get("/api/kd/ratio", response_model=Envelope, responses=ERRORS, tags=["documents"])
    def kd_ratio(precursors: Annotated[str, Query(max_length=128, pattern=FORMULAS)] = "BaO,TiO2",
                 temperature: Annotated[float, Query(gt=0, le=1e5)] = 1500.0,
                 source: Literal["all", "md", "published"] = "all") -> dict[str, Any]:
        """K_D of every product at one temperature versus its cation fraction: the store's
        K_D documents (log K_D linear in 1/T between their temperatures, as ``ionflux kd``),
        else, for BaO + TiO2, the bundled published tensors."""
        from ionflux.web.kd_ratio import kd_ratio_rows

        names = precursor_names(precursors)
        if len(names) != 2:
            raise InputError("give two precursors, e.g. BaO,TiO2")
        body = kd_ratio_rows(access.stores(), names, temperature, source)
        rows = body.pop("rows")
        return envelope(rows, len(rows), **body)

    @app.get("/api/predictions/{prediction_id}", response_model=Envelope, responses=ERRORS,
             tags=["predictions"])
    def prediction_one(prediction_id: Annotated[str, PathParam(max_length=128)],
                       _fields: Annotated[str | None, Query(max_length=1000,
                                                            pattern=FIELD_PATHS)] = None
                       ) -> dict[str, Any]:
        """One cached prediction (its record: inputs, series and results under
        ``prediction``) by ``prediction_id`` or ``ionflux_id``."""
        return one(prediction_collections, PREDICTION_FIELDS, "prediction_id", prediction_id,
                   "all", _fields)


    def _busy() -> JSONResponse:
        """429: the queue is full; Retry-After from the cost of what is queued and running."""
        wait = max(1, math.ceil(sum(j.cost for j in jobs.values()) / UPDATES_PER_S))
        return Served({"detail": f"the server is busy: {len(jobs)} predictions are queued or "
                                 f"running (at most {settings.max_queue}); retry in {wait} s"},
                      status_code=429, headers={"Retry-After": str(wait)})

    async def _outcome(job: _Job, http: Request) -> Any:
        """The job's result; "gone" when the client disconnected, "timeout" after
        predict_timeout_s (the job goes on)."""
        waited = asyncio.wrap_future(job.future)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + settings.predict_timeout_s
        while True:
            left = deadline - loop.time()
            done, _ = await asyncio.wait({waited}, timeout=max(0.0, min(0.2, left)))
            if done:
                return waited.result()
            if await http.is_disconnected():
                return "gone"
            if loop.time() >= deadline:
                return "timeout"

    @app.post("/api/predict", responses={**ERRORS, 429: {"model": ErrorBody},
                                         503: {"model": ErrorBody}, 504: {"model": ErrorBody}},
              tags=["predictions"])
    async def predict(request: Annotated[PredictRequest, Body()],
                      http: Request) -> dict[str, Any]:
        """Phase fractions versus time for precursors and a heating profile (cached)."""
        access.check()  # the run's cache write must not create a new store
        for name in request.precursors:
            parse_formula(name, "precursor")
        cost = _cost(request)
        if cost > settings.max_cell_updates:
            raise InputError(f"the prediction costs {cost:.3g} cell updates (automaton, plus "
                             f"{STEP_COST:.0e} per profile step for its thermodynamics), more "
                             f"than this server's limit {settings.max_cell_updates:.3g}; use a "
                             "smaller grid, fewer realisations or a shorter profile")
        _check_size(request)
        key = request.model_dump_json()
        with jobs_lock:
            job = jobs.get(key)
            if job is None:
                # identical requests share one run; a finished run is served by the cache
                if len(jobs) >= settings.max_queue:
                    return _busy()  # type: ignore[return-value]
                abandoned = threading.Event()
                extra = {"cancel": abandoned.is_set} if takes_cancel else {}
                job = _Job(pool.submit(predictor, request, settings.store, settings.data_dir,
                                       **extra), cost, abandoned=abandoned)
                jobs[key] = job
                job.future.add_done_callback(lambda _, key=key: _forget(key))
            job.waiters += 1
        result = await _outcome(job, http)
        with jobs_lock:
            job.waiters -= 1
            if result == "gone" and job.waiters == 0:
                if job.future.cancel():
                    jobs.pop(key, None)  # nobody waits for it: never started
                    logger.info("dropped a queued prediction whose client disconnected")
                else:  # running: a predictor that takes ``cancel`` stops at its next check
                    job.abandoned.set()
                    logger.info("stopping a running prediction whose client disconnected")
        if result == "gone":
            return Served({"detail": "client disconnected"},  # type: ignore[return-value]
                          status_code=499)
        if result == "timeout":
            return Served(  # type: ignore[return-value]
                {"detail": f"the prediction did not finish within "
                           f"{settings.predict_timeout_s:g} s; it goes on and is cached when "
                           "done: retry later"}, status_code=504)
        return result

    # -- page -----------------------------------------------------------------------------
    static = resources.files("ionflux") / "web" / "static"

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(str(static / "index.html"))

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/openapi.json", title="ionflux API",
                                   swagger_js_url="/static/vendor/swagger-ui-bundle.js",
                                   swagger_css_url="/static/vendor/swagger-ui.css",
                                   swagger_favicon_url="/static/favicon.svg")

    app.mount("/static", StaticFiles(directory=str(static)), name="static")
    app.state.settings = settings
    app.state.access = access
    return app
