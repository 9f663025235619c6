"""Analysis settings of the pipeline's builders (a YAML/JSON file or defaults).

Settings enter every document's input fingerprint: changing one rebuilds the documents it
affects, and only those. The science functions are named as ``"module:function"`` so that a
build can be pointed at another implementation without code changes (and so that builders
stay serialisable for maggma's distributed ``mrun``).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ionflux.errors import InputError

SETTINGS_ENV = "IONFLUX_PIPELINE_SETTINGS"
#: ``--settings`` value that means the built-in defaults (not a file).
DEFAULT_SETTINGS_NAME = "default"

#: Options of ``ionflux transport analyze`` (and ``ionflux kd``) that analysis messages advise,
#: and where ``ionflux build`` takes the same value from: (kind, name), kind ``settings`` (a
#: key of the settings file, dotted) or ``sidecar`` (a field of the trajectory's sidecar).
BUILD_EQUIVALENTS: dict[str, tuple[str, str]] = {
    "--window-fs": ("settings", "transport.window_fs"),
    "--blocks": ("settings", "transport.n_blocks"),
    "--estimator": ("settings", "transport.estimator"),
    "--nist": ("settings", "kd.nist"),
    "--frame-interval-fs": ("sidecar", "frame_interval_fs"),
    "--temperature": ("sidecar", "temperature_K"),
    "--type-map": ("sidecar", "type_map"),
}
_FLAG = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*")


def build_hint(message: str) -> str:
    """``message`` with every option of the single-file commands that ``ionflux build`` does
    not have replaced by where a build takes that value from (settings key or sidecar field).

    Analysis code is shared by ``ionflux transport analyze`` and the builders, so its messages
    name the analyze options; a build failure must name the fix that works for a build.
    """
    def fix(match: re.Match[str]) -> str:
        kind, name = BUILD_EQUIVALENTS.get(match.group(0), ("", ""))
        if kind == "settings":
            return f"{name} in the --settings file"
        if kind == "sidecar":
            return f"{name} in the sidecar"
        return match.group(0)

    return _FLAG.sub(fix, message)


class TransportSettings(BaseModel):
    """Per-replicate and aggregated Onsager analysis (``ionflux.transport``)."""

    model_config = ConfigDict(defer_build=True, extra="forbid")

    window_fs: tuple[float, float] | None = Field(
        None, description="fit window [start, end] in fs; automatic when None")
    n_blocks: int = Field(10, ge=1, description="blocks per trajectory for standard errors")
    estimator: str = Field("scaled-window", description="ionflux.transport.ESTIMATORS key, "
                           "optionally NAME@REVISION to reproduce documents of an earlier "
                           "revision; 'half-block' is the estimator before the choice existed")
    analysis: str = "ionflux.transport:analyze_trajectories"

    @field_validator("estimator")
    @classmethod
    def _known_estimator(cls, spec: str) -> str:
        from ionflux.transport.estimators import parse_estimator

        try:
            parse_estimator(spec)
        except InputError as exc:
            raise ValueError(str(exc)) from exc
        return spec


class BondSettings(BaseModel):
    """CrystalNN bond counts per replicate (``ionflux.structure``)."""

    model_config = ConfigDict(defer_build=True, extra="forbid")

    n_frames: int = Field(10, ge=1, description="frames sampled per trajectory")
    workers: int = Field(1, ge=1, description="processes per item (builders parallelise items)")
    analysis: str = "ionflux.structure.bonds:bond_counts"


class KDSettings(BaseModel):
    """K_D per (phase, temperature, precursor pair) (``ionflux.kinetics``)."""

    model_config = ConfigDict(defer_build=True, extra="forbid")

    precursor_pairs: list[tuple[str, str]] = Field(
        default_factory=lambda: [("BaO", "TiO2")],
        description="precursor pairs; each applies to phases whose elements include theirs")
    include_anions: bool = False
    thermo: Literal["load", "bundled"] = Field(
        "load", description="'load' (fetched cache, else bundled) or 'bundled'")
    nist: bool = Field(False, description="NIST-JANAF G_f(T) where available (opt-in); "
                                          "default MP + Bartel for every solid")

    @field_validator("precursor_pairs")
    @classmethod
    def _reduce(cls, pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
        from ionflux.storage.documents import reduced_formula

        out = []
        for a, b in pairs:
            a, b = reduced_formula(a), reduced_formula(b)
            if a == b:
                raise ValueError(f"precursor pair {a}+{b} names one phase twice")
            out.append((a, b))
        return out


class GammaSettings(BaseModel):
    """Extrapolation grades of ACE trajectories (``ionflux.stages.gamma``)."""

    model_config = ConfigDict(defer_build=True, extra="forbid")

    warn: float = Field(5.0, gt=0, description="warn above this per-frame max gamma")
    stop: float = Field(100.0, gt=0, description="exclude trajectories from aggregates above")
    max_frames: int | None = Field(
        200, ge=2, description="frames evaluated, spread evenly (None: every frame)")


class PipelineSettings(BaseModel):
    """All builder settings."""

    model_config = ConfigDict(defer_build=True, extra="forbid")

    reader: str = "ionflux.io:read_trajectory"
    chunk_size: int = Field(1, ge=1, description=(
        "results written per store transaction by maggma's own runners (mrun); `ionflux "
        "build` writes each result as soon as it is done"))
    transport: TransportSettings = Field(default_factory=TransportSettings)
    bonds: BondSettings = Field(default_factory=BondSettings)
    kd: KDSettings = Field(default_factory=KDSettings)
    gamma: GammaSettings = Field(default_factory=GammaSettings)

    @classmethod
    def from_file(cls, path: str | Path) -> PipelineSettings:
        import yaml

        path = Path(path)
        try:
            data = yaml.safe_load(path.read_text()) or {}
            return cls.model_validate(data)
        except OSError as exc:
            raise InputError(f"{path}: cannot read pipeline settings: {exc.strerror}") from exc
        except (yaml.YAMLError, ValidationError) as exc:
            raise InputError(f"{path}: invalid pipeline settings: "
                             f"{' '.join(str(exc).split())}") from exc

    @classmethod
    def from_env(cls, path: str | Path | None = None) -> PipelineSettings:
        """Settings from ``path``, else from the file in ``$IONFLUX_PIPELINE_SETTINGS``, else
        the defaults."""
        path = path or os.environ.get(SETTINGS_ENV)
        return cls.from_file(path) if path else cls()
