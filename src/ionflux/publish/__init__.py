"""Publishing transport, K_D and structures to MPContribs (layout: docs/publishing.md).

    from ionflux.publish import prepare
    prepared = prepare("ionflux_batio", source="bundled")   # contributions + offline checks
    prepared.validation.ok

``payload`` builds contributions (pure), ``rules`` checks them with MPContribs' own limits and
unit registry, ``sources`` collects documents from a store or the bundled data, ``submit`` sends
them (idempotent, resumable) through a small API interface that tests fake.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ionflux.publish.payload import Contribution, GroupData, build_contribution, project_columns
from ionflux.publish.rules import ValidationReport, validate
from ionflux.publish.submit import (
    AuthError,
    ContribsAPI,
    Existing,
    MPContribsAPI,
    ProjectInfo,
    PublishError,
    Record,
    SubmitReport,
    TransientError,
    submit,
)


@dataclass
class Prepared:
    project: str
    where: str
    groups: list[GroupData]
    contributions: list[Contribution]
    validation: ValidationReport


def prepare(project: str, *, store: str | None = None, data_dir: Any = None,
            formulas: Sequence[str] | None = None, source: str = "auto", bonds: bool = True,
            reference: str | None = None, structures: bool = True,
            progress: Any = None) -> Prepared:
    """Collect the groups, build their contributions and validate them offline.

    ``reference``: the study (DOI or citation) of MD groups, stated in each contribution;
    ``structures`` False: no representative cells (smaller contributions, quicker)."""
    from ionflux.publish.sources import collect

    groups, where = collect(store, data_dir, formulas, source, bonds=bonds,
                            structures=structures, reference=reference, progress=progress)
    contributions = [build_contribution(g) for g in groups]
    return Prepared(project, where, groups, contributions, validate(contributions, project))


__all__ = [
    "AuthError",
    "ContribsAPI",
    "Contribution",
    "Existing",
    "GroupData",
    "MPContribsAPI",
    "Prepared",
    "ProjectInfo",
    "PublishError",
    "Record",
    "SubmitReport",
    "TransientError",
    "ValidationReport",
    "build_contribution",
    "prepare",
    "project_columns",
    "submit",
    "validate",
]
