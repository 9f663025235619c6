"""The HTTP API and web page (FastAPI): transport, bond-count, K_D and prediction documents.

Read endpoints filter by formula, chemical system, temperature range and precursors and page
with ``limit``/``offset`` (at most ``max_page`` items per response). ``POST /api/predict``
returns a cached prediction or runs one when its cost (cell updates, plus the thermodynamics
of every profile step and each realisation's set-up in the same units) is within the server's
budget; at most ``max_queue`` distinct predictions wait or run (429 with Retry-After beyond),
queued work whose clients have all gone is dropped before it starts, and a request gives up
waiting after ``predict_timeout_s`` (504; the run finishes in the background and lands in the
cache, so a retry is served from it). Errors are JSON
``{"detail": ...}`` with a 4xx status for bad requests; anything unexpected is a 500 with a
fixed message (the traceback goes to the server log only).
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
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import Body, FastAPI, Query, Request
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field, field_validator
from starlette.exceptions import HTTPException

from ionflux.errors import DataNotFoundError, InputError, IonfluxError, StoreError
from ionflux.transport.physics_checks import with_monotonic_flags
from ionflux.web.data import (
    PathScrubber,
    StoreAccess,
    clean,
    elements_of,
    filtered_page,
    parse_formula,
    parse_system,
)

logger = logging.getLogger("ionflux.web")

MODES = ("full", "self-only", "thermo-only")
#: Shapes the schema promises (chemistry itself, e.g. that an element exists, is checked
#: by the endpoints and answered with 422).
FORMULA = r"^([A-Z][a-z]?[0-9.]*)+$"
SYSTEM = r"^[A-Z][a-z]?(-[A-Z][a-z]?)*$"
FORMULAS = r"^([A-Z][a-z]?[0-9.]*)+(,([A-Z][a-z]?[0-9.]*)+)*$"


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


class Page(BaseModel):
    total: int = Field(description="documents matching the filters")
    limit: int
    offset: int
    items: list[dict[str, Any]]


class ErrorBody(BaseModel):
    detail: str


ERRORS = {400: {"model": ErrorBody}, 404: {"model": ErrorBody}, 422: {"model": ErrorBody},
          503: {"model": ErrorBody}}


# ------------------------------------------------------------------ helpers
def _temperature_filter(tmin: float | None, tmax: float | None) -> dict:
    if tmin is not None and tmax is not None and tmin > tmax:
        raise InputError(f"temperature range is empty: tmin {tmin:g} K > tmax {tmax:g} K")
    cond: dict[str, float] = {}
    if tmin is not None:
        cond["$gte"] = tmin
    if tmax is not None:
        cond["$lte"] = tmax
    return {"temperature_K": cond} if cond else {}


def _keep_system(system: str | None):
    if not system:
        return None
    allowed = parse_system(system)
    return lambda d: elements_of(d["formula"]) <= allowed


def _precursor_list(text: str | None) -> list[str]:
    if not text:
        return []
    names = [parse_formula(p.strip(), "precursor") for p in text.split(",") if p.strip()]
    if len(set(names)) != len(names):
        raise InputError(f"precursors {text!r} name one phase twice")
    return names


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
    from ionflux.ca.cache import StoreCache
    from ionflux.ca.predict import predict
    from ionflux.ca.recipes import SWEEPS_PER_HOUR
    from ionflux.pipeline.predictions import BestEffortCache

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

    app = FastAPI(title="ionflux", version=__version__, docs_url=None, redoc_url=None,
                  default_response_class=Served,
                  description="Onsager transport, K_D and synthesis predictions of the ionflux "
                              "store. Units are in the field names (K, cm2_s, eV).")
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    limit_q = Query(50, ge=1, le=settings.max_page, description="items per page")
    offset_q = Query(0, ge=0, le=10**9, description="items to skip")

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
    @app.get("/api/health", tags=["meta"])
    def health() -> dict[str, Any]:
        """Version and store location (without passwords; a local store's file name); 503
        when the store's database file was deleted or replaced under the server."""
        access.check()
        return {"status": "ok", "version": __version__, "store": access.location}

    @app.get("/api/recipes", tags=["meta"])
    def recipes() -> dict[str, Any]:
        """The literature recipes R1-R4 as precursors and (temperature K, hours) steps."""
        from ionflux.ca.recipes import RECIPES, SWEEPS_PER_HOUR

        return {"sweeps_per_hour": SWEEPS_PER_HOUR, "recipes": [
            {"name": r.name, "description": r.description, "precursors": r.precursors,
             "profile": [{"temperature_K": t, "hours": d / SWEEPS_PER_HOUR}
                         for t, d in r.profile]} for r in RECIPES.values()]}

    # -- documents ------------------------------------------------------------------------
    @app.get("/api/transport", response_model=Page, responses=ERRORS, tags=["documents"])
    def transport(formula: Annotated[str | None, Query(max_length=64, pattern=FORMULA)] = None,
                  system: Annotated[str | None, Query(max_length=64, pattern=SYSTEM)] = None,
                  tmin: Annotated[float | None, Query(ge=0, le=1e5)] = None,
                  tmax: Annotated[float | None, Query(ge=0, le=1e5)] = None,
                  source: Literal["md", "published"] = "md",
                  limit: int = limit_q, offset: int = offset_q) -> dict:
        """Transport documents: MD aggregates (``md``) or imported published sets."""
        criteria = _temperature_filter(tmin, tmax)
        if formula:
            criteria["formula"] = parse_formula(formula)
        stores = access.stores()
        store = stores.transport_aggregate if source == "md" else stores.published_transport
        result = filtered_page(store, criteria, "group_id", limit, offset, _keep_system(system))
        if source == "md":  # D monotonic in T spans documents: judged as they are read
            result["items"] = with_monotonic_flags(result["items"], store)
        return result

    @app.get("/api/transport/{group_id}", responses=ERRORS, tags=["documents"])
    def transport_one(group_id: Annotated[str, PathParam(max_length=128)]) -> dict[str, Any]:
        """One (phase, temperature) transport document, e.g. ``BaTiO3@1500K``."""
        stores = access.stores()
        for store in (stores.transport_aggregate, stores.published_transport):
            doc = store.query_one({"group_id": group_id})
            if doc is not None:
                if store is stores.transport_aggregate:
                    return with_monotonic_flags([clean(doc)], store)[0]
                return clean(doc)
        raise DataNotFoundError(f"no transport document {group_id!r}")

    @app.get("/api/bonds", response_model=Page, responses=ERRORS, tags=["documents"])
    def bonds(formula: Annotated[str | None, Query(max_length=64, pattern=FORMULA)] = None,
              system: Annotated[str | None, Query(max_length=64, pattern=SYSTEM)] = None,
              tmin: Annotated[float | None, Query(ge=0, le=1e5)] = None,
              tmax: Annotated[float | None, Query(ge=0, le=1e5)] = None,
              limit: int = limit_q, offset: int = offset_q) -> dict:
        """CrystalNN bond-count documents (one per replicate trajectory)."""
        criteria = _temperature_filter(tmin, tmax)
        if formula:
            criteria["formula"] = parse_formula(formula)
        return filtered_page(access.stores().bonds, criteria, "traj_id", limit, offset,
                             _keep_system(system))

    @app.get("/api/kd", response_model=Page, responses=ERRORS, tags=["documents"])
    def kd(formula: Annotated[str | None, Query(max_length=64, pattern=FORMULA)] = None,
           system: Annotated[str | None, Query(max_length=64, pattern=SYSTEM)] = None,
           tmin: Annotated[float | None, Query(ge=0, le=1e5)] = None,
           tmax: Annotated[float | None, Query(ge=0, le=1e5)] = None,
           precursors: Annotated[str | None, Query(max_length=128, pattern=FORMULAS,
                                                   description="e.g. BaO,TiO2")] = None,
           limit: int = limit_q, offset: int = offset_q) -> dict:
        """K_D documents per (product phase, temperature, precursor pair)."""
        criteria = _temperature_filter(tmin, tmax)
        if formula:
            criteria["phase"] = parse_formula(formula)
        names = _precursor_list(precursors)
        if names:
            criteria["precursors"] = {"$all": names}
        return filtered_page(access.stores().kd, criteria, "kd_id", limit, offset,
                             _keep_system(system), formula_field="phase")

    @app.get("/api/kd/ratio", responses=ERRORS, tags=["documents"])
    def kd_ratio(precursors: Annotated[str, Query(max_length=128, pattern=FORMULAS)] = "BaO,TiO2",
                 temperature: Annotated[float, Query(gt=0, le=1e5)] = 1500.0) -> dict:
        """K_D of every product at one temperature versus its cation ratio (store documents;
        the bundled published data when the store has none for this pair)."""
        from ionflux.web.kd_ratio import kd_ratio_rows

        names = _precursor_list(precursors)
        if len(names) != 2:
            raise InputError("give two precursors, e.g. BaO,TiO2")
        return kd_ratio_rows(access.stores(), names, temperature)

    @app.get("/api/predictions", response_model=Page, responses=ERRORS, tags=["predictions"])
    def predictions(system: Annotated[str | None, Query(max_length=64, pattern=SYSTEM)] = None,
                    precursors: Annotated[str | None, Query(max_length=128,
                                                            pattern=FORMULAS)] = None,
                    mode: Literal["full", "self-only", "thermo-only"] | None = None,
                    recipe: Annotated[str | None, Query(max_length=16)] = None,
                    limit: int = limit_q, offset: int = offset_q) -> dict:
        """Cached predictions (summaries: inputs and final mole fractions)."""
        from ionflux.ca.predict import chemical_system

        criteria: dict[str, Any] = {}
        if system:
            criteria["system"] = chemical_system(sorted(parse_system(system)))
        if mode:
            criteria["mode"] = mode
        if recipe:
            criteria["recipe"] = recipe.upper()
        for name in _precursor_list(precursors):
            criteria[f"prediction.inputs.precursors.{name}"] = {"$exists": True}
        fields = ["prediction_id", "system", "recipe", "mode", "data_version",
                  "prediction.inputs", "prediction.final_mol_fraction",
                  "prediction.final_mol_fraction_stderr", "prediction.created_at"]
        return filtered_page(access.stores().predictions, criteria, "prediction_id", limit,
                             offset, None, fields)

    @app.get("/api/predictions/{prediction_id}", responses=ERRORS, tags=["predictions"])
    def prediction_one(prediction_id: Annotated[str, PathParam(max_length=128)]
                       ) -> dict[str, Any]:
        """One cached prediction document."""
        record = access.stores().predictions.query_one({"prediction_id": prediction_id})
        if record is None or not isinstance(record.get("prediction"), dict):
            raise DataNotFoundError(f"no prediction {prediction_id!r}")
        return clean(record["prediction"])

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

    app.mount("/static", StaticFiles(directory=str(static)), name="static")
    app.state.settings = settings
    app.state.access = access
    return app
