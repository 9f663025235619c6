"""The reaction tables of a prediction, cached across processes.

Everything a prediction computes before the automaton runs (candidate phase data, the
enumerated reactions, their energies, K_D and scores, each realisation's drawn scores, the
hull, the warnings these raise) depends on the phases, the profile's temperatures, the scoring
settings, the realisations and seed, and the data; not on the molar ratio, the grid or the
automaton settings. So a new ratio of the same precursors reuses it: ~0.25 s of a 1 s
prediction with driving forces cached.

Entries are keyed by the SHA-256 of those inputs, of the data version of the prediction
(thermo and K_D data, ionflux version), of the sources of ``ionflux.ca``, ``kinetics``,
``thermo``, ``chempot`` and ``transport`` and of the numpy, scipy and pymatgen versions, so a
stale table is never served. They live in ``$IONFLUX_CACHE_DIR/reaction_tables.sqlite``
(default ``~/.cache/ionflux``); set ``IONFLUX_REACTION_TABLE_CACHE`` to another file, or to
``off`` to disable it. Predictions whose data has no version, and predictions run without a
predictions cache (``cache=False``, ``--no-cache``), neither read nor store tables.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, fields
from functools import cache
from typing import Any

from ionflux.ca.reactions import PhaseInfo, Reaction
from ionflux.ca.scoring import ScoredReactions
from ionflux.ca.table import CATable, build_table, rescored
from ionflux.storage.sqlite_cache import SQLiteCache, chosen_path, source_digest

CACHE_ENV = "IONFLUX_REACTION_TABLE_CACHE"
#: Bump when the stored format changes.
FORMAT = 1


@cache
def code_digest() -> str:
    """Hash of the code a reaction table depends on and of the libraries it calls."""
    return source_digest(f"reaction tables {FORMAT}",
                         ("ca", "kinetics", "thermo", "chempot", "transport"),
                         ("numpy", "scipy", "pymatgen"),
                         files=("formula.py", "units.py", "errors.py"))


@dataclass
class PreparedTables:
    """What a prediction computes before the automaton (see the module docstring).

    ``sampled_scores``: each realisation's scores ([realisation][temperature][reaction], in
    the order of ``reactions``), or None when nothing was drawn. The K_D source is not needed
    when the tables come from the cache, so what the prediction reports of it is kept here too
    (``kd_uncertainty``, ``time_axis``, ``arrhenius``).
    """

    infos: dict[str, PhaseInfo]
    reactions: list[Reaction]
    scored: ScoredReactions
    hull: dict[str, dict[str, float]]
    warnings: list[str]
    sampled_scores: list[list[list[float]]] | None
    sampled: dict[str, bool]
    kd_uncertainty: str
    time_axis: dict[str, str]  # K_D source's rescaled products (KDTable.time_axis_corrections)
    # products with documents shifted below their simulated temperature (KDTable.arrhenius_shifts)
    arrhenius: dict[str, str] = field(default_factory=dict)

    def tables(self) -> tuple[CATable, list[CATable] | None]:
        """The automaton's table (mean scores) and one per realisation (None when nothing was
        drawn): the same stoichiometry, each with its own scores."""
        temps = self.scored.temperatures_K
        table = build_table(self.infos, self.reactions,
                            dict(zip(temps, self.scored.scores, strict=True)))
        if self.sampled_scores is None:
            return table, None
        return table, [rescored(table, dict(zip(temps, rows, strict=True)))
                       for rows in self.sampled_scores]

    def to_json(self) -> str:
        """JSON text (floats written exactly: repr round-trips, NaN as NaN)."""
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data.update(infos={k: v.model_dump() for k, v in self.infos.items()},
                    reactions=[r.model_dump() for r in self.reactions],
                    scored=self.scored.model_dump())
        return json.dumps(data)

    @classmethod
    def from_json(cls, text: str | bytes) -> PreparedTables:
        data = json.loads(text)
        return cls(**{**data,
                      "infos": {k: PhaseInfo.model_validate(v) for k, v in data["infos"].items()},
                      "reactions": [Reaction.model_validate(r) for r in data["reactions"]],
                      "scored": ScoredReactions.model_validate(data["scored"])})


class ReactionTableCache(SQLiteCache):
    """Prepared reaction tables stored by key in one SQLite file (module docstring)."""

    TABLE = "reaction_tables"

    @classmethod
    def default(cls) -> ReactionTableCache | None:
        """The cache at ``$IONFLUX_REACTION_TABLE_CACHE`` or in the cache folder; None when
        switched off."""
        from ionflux.thermo.data import cache_dir

        path = chosen_path(CACHE_ENV, lambda: cache_dir() / "reaction_tables.sqlite")
        return None if path is None else cls(path)

    @staticmethod
    def key(inputs: Any) -> str:
        """SHA-256 of ``inputs`` (JSON-able: everything the tables rest on), the format and
        the code digest."""
        text = json.dumps([FORMAT, code_digest(), inputs], sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()

    def load(self, key: str) -> PreparedTables | None:
        """The tables stored under ``key``; None when missing or unreadable (recomputed)."""
        text = self.get(key)
        if text is None:
            return None
        try:
            return PreparedTables.from_json(text)
        except (ValueError, TypeError, KeyError, AttributeError):  # damaged: recompute
            return None

    def store(self, key: str, tables: PreparedTables) -> None:
        self.put(key, tables.to_json())
