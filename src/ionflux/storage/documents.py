"""Pydantic schemas of the pipeline's own documents: sidecars, raw trajectories, failures, and
the bookkeeping fields every derived document carries.

Derived documents are stored flat: the science document (``TransportDoc``, ``BondCountDoc``,
``KDDoc``) dumped to JSON types, overlaid with the fields of :class:`DerivedFields` (or a
subclass). Time stamps derive from the inputs (see :func:`derived_time`), so rebuilding from the
same raw store gives identical documents, field for field.
"""

from __future__ import annotations

import hashlib
import math
import platform
import re
from datetime import UTC, datetime
from functools import lru_cache
from typing import Annotated, Any, ClassVar, Literal

import orjson
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_serializer,
)

from ionflux import __version__
from ionflux.units import FRAME_INTERVAL_RANGE_FS, TEMPERATURE_RANGE_K, range_problem

#: Stages in build order; "ingest" registers files, the others are builders.
STAGES: tuple[str, ...] = ("ingest", "gamma", "transport", "bonds", "aggregate", "kd")
Stage = Literal["ingest", "gamma", "transport", "bonds", "aggregate", "kd", "predict"]
BUILD_STAGES: tuple[str, ...] = STAGES[1:]


def now_ms() -> datetime:
    """Current UTC time, naive, truncated to milliseconds (what MongoDB stores and returns)."""
    now = datetime.now(UTC).replace(tzinfo=None)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def as_naive_utc(value: datetime) -> datetime:
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


def derived_time(*stamps: datetime) -> datetime:
    """The ``last_updated`` of a derived document: the newest of its inputs' time stamps."""
    return max(as_naive_utc(s) for s in stamps)


def fingerprint(*parts: Any) -> str:
    """SHA-256 of the canonical JSON of ``parts`` (sorted keys): equal inputs, equal hash."""
    blob = orjson.dumps(list(parts), option=orjson.OPT_SORT_KEYS | orjson.OPT_SERIALIZE_NUMPY)
    return hashlib.sha256(blob).hexdigest()


@lru_cache(maxsize=4096)
def reduced_formula(formula: str) -> str:
    """Reduced formula in pymatgen's convention (``Ba2Ti2O6`` -> ``BaTiO3``)."""
    from ionflux.formula import Composition

    try:
        comp = Composition(formula)  # real elements only
    except ValueError as exc:
        raise ValueError(f"not a chemical formula: {formula!r}") from exc
    if comp.num_atoms <= 0:
        raise ValueError(f"not a chemical formula: {formula!r}")
    return comp.reduced_formula


def group_key(formula: str, temperature_K: float) -> str:
    """Key of a (phase, temperature) group, e.g. ``BaTiO3@1500K`` (as ``TransportDoc.key()``)."""
    return f"{formula}@{temperature_K:g}K"


def replicate_key(formula: str, temperature_K: float, replicate: str) -> str:
    """Key of one replicate trajectory, e.g. ``BaTiO3@1500K#r1``."""
    return f"{group_key(formula, temperature_K)}#{replicate}"


#: Longest identifiers (formula, replicate, format) and free labels in a sidecar, characters.
_SHORT = 100
_LABEL = 300


def _no_bool_finite(value: Any) -> Any:
    # YAML turns `yes` into True and `.inf` into inf: neither is a number of frames or a grade
    if isinstance(value, bool):
        raise ValueError("must be a number, not a boolean")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("must be a finite number")
    return value


class SidecarGamma(BaseModel):
    """Extrapolation-grade statistics an ACE MD run records in its sidecar
    (:func:`ionflux.md.run.gamma_statistics`); every field typed, nothing else accepted.
    Fields left out stay out of the dump, so a recorded dictionary reads back unchanged."""

    model_config = ConfigDict(defer_build=True, extra="forbid", strict=True)

    n_frames: int | None = Field(None, ge=0, le=10**12)
    max: float | None = None
    mean: float | None = None
    p95: float | None = None
    n_above_warn: int | None = Field(None, ge=0, le=10**12)
    n_above_stop: int | None = Field(None, ge=0, le=10**12)
    warn_threshold: float | None = None
    stop_threshold: float | None = None

    _finite = field_validator("*", mode="before")(classmethod(
        lambda cls, value: _no_bool_finite(value)))

    @model_serializer(mode="wrap")
    def _given_fields_only(self, handler: Any) -> dict[str, Any]:
        return {k: v for k, v in handler(self).items() if k in self.model_fields_set}


class TrajectoryMetadata(BaseModel):
    """The metadata sidecar of one trajectory file (YAML or JSON).

    For ``run1.extxyz`` the sidecar is ``run1.extxyz.yaml`` (or ``.yml``/``.json``) or
    ``run1.yaml`` (or ``.yml``/``.json``). Unknown keys are an error, so typos do not pass.
    """

    model_config = ConfigDict(defer_build=True, extra="forbid")

    formula: str = Field(max_length=_SHORT, description="formula of the simulated phase (any "
                         "multiple, e.g. Ba8Ti8O24); it must match the atoms in the file")
    temperature_K: float = Field(gt=0, description="MD temperature, K")
    replicate: str = Field(min_length=1, max_length=_SHORT,
                           description="replicate id, unique per (formula, T)")
    frame_interval_fs: float | None = Field(
        None, gt=0, description="time between stored frames, fs (optional if the file has times)")
    phase: str | None = Field(None, max_length=_LABEL,
                              description="free label, e.g. 'amorphous (melt-quenched)'")
    potential: str | None = Field(None, max_length=_LABEL,
                                  description="interatomic potential, e.g. 'ACE Ba-Ti-O'")
    potential_version: str | None = Field(None, max_length=_LABEL)
    md_engine: str | None = Field(None, max_length=_LABEL, description="MD code, e.g. 'LAMMPS'")
    md_engine_version: str | None = Field(None, max_length=_LABEL)
    format: str = Field("auto", max_length=_SHORT,
                        description="reader format passed to ionflux.io.read_trajectory")
    type_map: list[Annotated[str, Field(max_length=3)]] | None = Field(
        None, max_length=200,
        description="element of each LAMMPS atom type (type 1 first), for dump files")
    notes: str | None = Field(None, max_length=4000)

    # ACE runs: the potential and active set (paths relative to the sidecar's folder or
    # absolute) let the gamma stage recompute extrapolation grades from the stored frames
    potential_file: str | None = Field(None, max_length=_LABEL,
                                       description="ACE potential (.yaml) used")
    potential_sha256: str | None = Field(None, max_length=64)
    active_set_file: str | None = Field(None, max_length=_LABEL,
                                        description="its active set (.asi)")
    active_set_sha256: str | None = Field(None, max_length=64)
    gamma: SidecarGamma | None = Field(
        None, description="extrapolation-grade statistics recorded by the MD run")
    thermostat_gamma_per_fs: float | None = Field(
        None, gt=0, le=100.0,
        description="Langevin thermostat friction of the production run, 1/fs (e.g. 0.01); "
                    "when given, D is checked against the free-particle bound kB T/(m gamma). "
                    "Leave out for other thermostats (Nose-Hoover) or NVE")

    @model_serializer(mode="wrap")
    def _omit_unset_thermostat(self, handler: Any) -> dict[str, Any]:
        # left out when empty, so sidecars without it keep their fingerprints
        data = handler(self)
        if data.get("thermostat_gamma_per_fs") is None:
            data.pop("thermostat_gamma_per_fs", None)
        return data

    @field_validator("temperature_K", "frame_interval_fs", "thermostat_gamma_per_fs",
                     mode="before")
    @classmethod
    def _finite_number(cls, value: Any) -> Any:
        # YAML turns `yes` into True and `.inf` into inf: neither is a temperature or a time
        if isinstance(value, bool):
            raise ValueError("must be a number, not a boolean")
        if isinstance(value, str):
            raise ValueError("must be a number, not text")
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError("must be a finite number")
        return value

    @field_validator("temperature_K", "frame_interval_fs", mode="after")
    @classmethod
    def _physical_range(cls, value: float | None, info: ValidationInfo) -> float | None:
        if value is None:
            return value
        bounds, unit = ((TEMPERATURE_RANGE_K, "K") if info.field_name == "temperature_K"
                        else (FRAME_INTERVAL_RANGE_FS, "fs"))
        problem = range_problem(value, "value", unit, bounds)
        if problem:
            raise ValueError(problem)
        return value

    @field_validator("type_map", mode="before")
    @classmethod
    def _type_map_as_list(cls, value: Any) -> Any:
        # {1: Ba, 2: O} -> [Ba, O]: stored as a list because BSON keys must be strings
        if isinstance(value, dict):
            types = sorted(int(k) for k in value)
            if types != list(range(1, len(types) + 1)):
                raise ValueError(f"type_map must map LAMMPS types 1..n, got types {types}")
            return [value[k] if k in value else value[str(k)] for k in types]
        return value

    def reader_type_map(self) -> dict[int, str] | None:
        """``type_map`` as ``ionflux.io.read_trajectory`` takes it (type -> element)."""
        return None if self.type_map is None else {i + 1: el for i, el in enumerate(self.type_map)}

    @field_validator("replicate", mode="before")
    @classmethod
    def _replicate_as_text(cls, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise ValueError("must be text or an integer")
        return str(value)

    @field_validator("formula")
    @classmethod
    def _reduce(cls, value: str) -> str:
        return reduced_formula(value)

    def missing_provenance(self) -> list[str]:
        """Names of recommended fields the sidecar leaves empty."""
        return [f for f in ("potential", "potential_version", "md_engine") if not getattr(self, f)]


class BlobRef(BaseModel):
    """Where a shared store keeps a copy of the file's bytes (GridFS, file name = sha256)."""

    model_config = ConfigDict(defer_build=True)

    bucket: str
    sha256: str


class PipelineProvenance(BaseModel):
    """Which inputs, code and settings produced a document."""

    model_config = ConfigDict(defer_build=True)

    stage: Stage
    builder: str
    ionflux_version: str = __version__
    source_keys: list[str] = Field(default_factory=list)
    source_hashes: dict[str, str] = Field(
        default_factory=dict, description="source key -> sha256 of its file or input fingerprint")
    settings: dict[str, Any] = Field(default_factory=dict)


class RawTrajectoryDoc(BaseModel):
    """A registered trajectory: file location, content hash and metadata; never the arrays."""

    model_config = ConfigDict(defer_build=True)

    traj_id: str = Field(description="formula@TK#replicate")
    group_id: str = Field(description="formula@TK, the aggregation group")
    formula: str
    temperature_K: float
    replicate: str
    path: str = Field(description="absolute path of the trajectory file at ingest")
    sidecar_path: str
    sha256: str = Field(description="SHA-256 of the trajectory file's bytes")
    size_bytes: int
    file_mtime_ns: int | None = Field(
        None, description="modification time at ingest; the hash is reused while it and the "
                          "size are unchanged (not part of the fingerprint)")
    sidecar_size_bytes: int | None = None
    sidecar_mtime_ns: int | None = Field(
        None, description="sidecar modification time at ingest; while it, the sidecar size and "
                          "the file's size and time are unchanged, a re-ingest reads neither")
    metadata: TrajectoryMetadata
    blob: BlobRef | None = None
    fingerprint: str = Field(description="hash of path, sha256 and metadata: what builds see")
    provenance: PipelineProvenance
    warnings: list[str] = Field(default_factory=list)
    last_updated: datetime = Field(description="when this fingerprint was first ingested")

    @staticmethod
    def compute_fingerprint(path: str, sha256: str, metadata: TrajectoryMetadata) -> str:
        return fingerprint("raw", path, sha256, metadata.model_dump(mode="json"))


class FailureDoc(BaseModel):
    """One item a stage could not process, with the reason (one line)."""

    model_config = ConfigDict(defer_build=True)

    failure_id: str = Field(description="stage:item_key")
    stage: Stage
    item_key: str
    input_fingerprint: str | None = Field(
        None, description="inputs that failed; the item is retried when they change")
    error_type: str
    error: str
    sources: list[str] = Field(default_factory=list, description="files involved")
    ionflux_version: str = __version__
    last_updated: datetime

    @staticmethod
    def make_id(stage: str, item_key: str) -> str:
        return f"{stage}:{item_key}"


#: Layout of stored documents. Version 2 adds the emmet-style fields (``ionflux_id``,
#: ``formula_pretty``, ``chemsys``, ``elements``, ``nelements``, ``builder_meta``); a record
#: without ``schema_version`` is version 1 and is read as it is, those fields derived on reading.
SCHEMA_VERSION = 2


class BuilderMeta(BaseModel):
    """Which code built a document, and when (emmet's ``builder_meta``)."""

    model_config = ConfigDict(defer_build=True)

    ionflux_version: str
    python_version: str
    build_date: datetime = Field(description="the document's derived time stamp, UTC")
    settings_hash: str = Field(description="sha256 of the settings the builder ran with")


def chemsys_of(elements: Any) -> str:
    """Materials Project chemical system: element symbols sorted and joined by '-'."""
    return "-".join(sorted(set(elements)))


def composition_fields(formula: str) -> dict[str, Any]:
    """``formula_pretty``, ``chemsys``, ``elements`` and ``nelements`` of a formula, as
    emmet's documents name them (elements sorted alphabetically)."""
    from ionflux.formula import Composition

    elements = sorted({el.symbol for el in Composition(formula).elements})
    return {"formula_pretty": reduced_formula(formula), "chemsys": chemsys_of(elements),
            "elements": elements, "nelements": len(elements)}


def stable_id(kind: str, key: str) -> str:
    """``ionflux-<16 hex>``: a document's id from what it describes (its kind and natural key,
    e.g. ``aggregate`` and ``BaTiO3@1500K``), so rebuilding keeps the id."""
    return "ionflux-" + hashlib.sha256(f"{kind}:{key}".encode()).hexdigest()[:16]


#: The natural key of a record, first field present wins (a K_D id, a replicate, a group).
_KEY_FIELDS = ("kd_id", "traj_id", "group_id", "prediction_id")


def document_fields(record: dict[str, Any], id_kind: str) -> dict[str, Any]:
    """The emmet-style fields of ``record`` (stored or derived on reading): its stable id and
    the composition fields of its ``formula`` (``phase`` for K_D; none for a prediction).
    ``id_kind`` is the ``DerivedFields.id_kind`` of the record's writer."""
    key = next((record[k] for k in _KEY_FIELDS if isinstance(record.get(k), str)), None)
    # replicate transport and bond documents share a traj_id: the document type tells them apart
    kind = f"{id_kind}-{record.get('doc_type') or ''}".rstrip("-")
    out: dict[str, Any] = {"ionflux_id": stable_id(kind, key) if key else None}
    formula = record.get("formula") or record.get("phase")
    system = record.get("system")
    try:
        if isinstance(formula, str):
            out.update(composition_fields(formula))
        elif isinstance(system, str) and system:  # a prediction: its chemical system only
            elements = sorted(set(system.split("-")))
            out.update(formula_pretty=None, chemsys=chemsys_of(elements), elements=elements,
                       nelements=len(elements))
    except (ValueError, KeyError):  # an old record with a bad formula reads as it is
        pass
    return out


def builder_meta(settings: Any, built: datetime) -> dict[str, Any]:
    """``builder_meta`` of a record built now with ``settings`` (JSON types) at ``built``."""
    return BuilderMeta(ionflux_version=__version__, python_version=platform.python_version(),
                       build_date=built, settings_hash=fingerprint(settings)
                       ).model_dump(mode="python")


def upgraded(record: dict[str, Any], id_kind: str) -> dict[str, Any]:
    """``record`` with every emmet-style field it lacks derived (version-1 records keep
    ``schema_version`` 1 and ``builder_meta`` None: what built them is not known)."""
    missing = {k: v for k, v in document_fields(record, id_kind).items()
               if record.get(k) is None}
    return {**record, "schema_version": record.get("schema_version", 1),
            "builder_meta": record.get("builder_meta"), **missing}


class DerivedFields(BaseModel):
    """Bookkeeping fields overlaid on every derived document."""

    model_config = ConfigDict(defer_build=True)

    #: first word of the stable id (documents of different kinds never share an id)
    id_kind: ClassVar[str] = "derived"

    input_fingerprint: str = Field(description="hash of inputs + settings + ionflux version")
    pipeline: PipelineProvenance
    warnings: list[str] = Field(default_factory=list)
    last_updated: datetime = Field(description="the newest input's time stamp")


class ReplicateFields(DerivedFields):
    """Per-replicate documents (transport, bonds)."""

    id_kind: ClassVar[str] = "replicate"

    traj_id: str
    group_id: str
    replicate: str


class ExcludedReplicate(BaseModel):
    model_config = ConfigDict(defer_build=True)

    traj_id: str
    reason: str


class AggregateFields(DerivedFields):
    """Per (phase, temperature) transport aggregated over replicates."""

    id_kind: ClassVar[str] = "aggregate"

    group_id: str
    replicates: list[str] = Field(description="traj_ids combined (mean and standard error)")
    excluded: list[ExcludedReplicate] = Field(default_factory=list)


class KDFields(DerivedFields):
    """Per (phase, temperature, precursor pair) K_D document."""

    id_kind: ClassVar[str] = "kd"

    kd_id: str = Field(description="formula@TK:precursorA+precursorB, + '@published' for a "
                                   "published tensor set")
    group_id: str
    precursors: list[str]
    transport_source: Literal["md", "published"] = Field(
        "md", description="MD replicates aggregated here, or an imported published set")


def finite_or_none(value: Any) -> Any:
    """``value`` with every NaN/inf float replaced by None (JSON has no NaN; some servers
    reject it), recursively through dicts and lists."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite_or_none(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite_or_none(v) for v in value]
    return value


def to_record(science_doc: BaseModel, fields: DerivedFields) -> dict[str, Any]:
    """Flatten a science document and the pipeline fields into one stored document.

    The science document's own warnings come first; its time stamps are replaced by the
    derived one so that the record depends on the inputs only. Non-finite numbers are stored
    as null.
    """
    record = finite_or_none(science_doc.model_dump(mode="json"))
    extra = fields.model_dump(mode="python")
    extra["warnings"] = [*record.get("warnings", []),
                         *[w for w in fields.warnings if w not in record.get("warnings", [])]]
    record.update(extra)
    record.update(document_fields(record, fields.id_kind))
    record["schema_version"] = SCHEMA_VERSION
    record["builder_meta"] = builder_meta(fields.pipeline.settings, fields.last_updated)
    provenance = record.get("provenance")
    if isinstance(provenance, dict) and "created_at" in provenance:
        provenance["created_at"] = fields.last_updated.isoformat()
    return record


def from_record(record: dict[str, Any], model: type[BaseModel]) -> BaseModel:
    """The science document inside a stored record (pipeline fields dropped)."""
    data = {k: v for k, v in record.items() if k in model.model_fields}
    return model.model_validate(data)


def one_line(exc: BaseException) -> str:
    """An exception as one line: its message, or its type when it has none."""
    text = " ".join(str(exc).split())
    return text or type(exc).__name__


_QUOTED = re.compile(r"'[^'\n]*'|\"[^\"\n]*\"")


def redact_contents(message: str) -> str:
    """``message`` with quoted text (readers quote the offending line of a file) replaced by
    ``'…'``, for records that others can read: file contents never reach a shared store."""
    return _QUOTED.sub("'…'", message)
