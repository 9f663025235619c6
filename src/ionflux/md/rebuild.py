"""Remaking the MD runs behind a transport document, and checking the document comes out the same.

The frames of the distilled-potential melts (~250 MB) are not in the repository, the documents
are. A run is fixed by its melt, seed, length and MD settings: a document's provenance names
its seeds (``method["seeds"]``) and each source's frame count gives every run's length. On one
machine a run is deterministic (every chunk saves the positions, momenta and the thermostat's
random state, :mod:`ionflux.md.mlip`; the same run made twice gave bit-identical frames,
2026-12-07), so there the remade document equals the bundled one (:func:`document_differences`).
Across machines it is not: the first remade documents (2026-12-07, on another machine than
the one that made the bundle, same package versions) differ in every number, as floating-point
rounding that differs in the last bit grows chaotically in MD. A run remade elsewhere is then
another realisation of the same melt, and the check is statistical: the two documents must
agree within their combined standard errors (:func:`document_agreement`), which also tests
those errors. Runs a document left out (ordered, or out of the domain) are not remade. Runs
remade and continued can replace the documents they came from (:func:`replace_documents`),
each replacement saying so.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ionflux.errors import InputError
from ionflux.md.selection import LEFT_OUT_ENTRY, left_out_entries

_NOT_REMADE = " (first realisation; not remade)"

#: Key of an export file's list of changes since it was first made: each ``{"kind":
#: "replaced" | "updated", "melts": [...], "note": ...}``, oldest first.
CHANGES_KEY = "changes"
_CHANGED = "; changed since first made: "
# how changes were written into the description before they had their own key
_OLD_CHANGE = re.compile(r"; (replaced|updated): ")
_OLD_BODY = re.compile(r"^((?:[A-Za-z0-9]+ [0-9.]+ K(?: \(removed\))?)(?:, [A-Za-z0-9]+ [0-9.]+ K"
                       r"(?: \(removed\))?)*) \((.*)\)$", re.S)

#: MD settings of every bundled distilled melt (runs/README.md): 2 fs steps, a frame every
#: 5 steps (10 fs), 500 steps of equilibration before the first kept frame, 500-step chunks.
TIMESTEP_FS = 2.0
FRAME_EVERY = 5
EQUILIBRATION_STEPS = 500
CHUNK_STEPS = 500

#: Numbers compared between a remade document and the bundled one.
COMPARED = ("L", "L_stderr", "L_self", "L_self_stderr", "L_distinct", "L_distinct_stderr",
            "D_self_cm2_s", "D_self_cm2_s_stderr", "correlation_factor",
            "correlation_factor_stderr", "fit_window_fs", "n_frames", "volume_A3")


@dataclass(frozen=True)
class PlannedRun:
    """One run to remake: melt, temperature (K), seed and total MD steps (equilibration
    included)."""

    formula: str
    temperature_K: float
    seed: int
    total_steps: int

    @property
    def melt(self) -> str:
        return f"{self.formula}:{self.temperature_K:g}"

    @property
    def folder(self) -> str:
        """Folder name the melt runs write (``FORMULA_TK``)."""
        return f"{self.formula}_{self.temperature_K:g}K"


def planned_runs(document: Mapping[str, Any]) -> list[PlannedRun]:
    """The runs a melt document (a ``run_mlip_melts.py --export`` document, as a dict) pools,
    in its replicate order, with the steps that give each its frame count. Raises InputError
    for a document that does not name its seeds or was not made with the bundled settings."""
    method = document.get("provenance", {}).get("method", {})
    sources = document.get("provenance", {}).get("sources", [])
    seeds_text = method.get("seeds")
    if not seeds_text:
        raise InputError(f"{document.get('formula')}: the document names no seeds; only "
                         "exported melt documents can be remade")
    seeds = [int(s) for s in str(seeds_text).split(",")]
    if len(seeds) != len(sources):
        raise InputError(f"{document['formula']}: {len(seeds)} seeds but {len(sources)} sources")
    interval = float(document["frame_interval_fs"])
    if not np.isclose(interval, TIMESTEP_FS * FRAME_EVERY):
        raise InputError(f"{document['formula']}: frames {interval:g} fs apart, not the bundled "
                         f"{TIMESTEP_FS * FRAME_EVERY:g} fs; give the settings it was made with")
    if method.get("cut_to_ps_after_equilibration"):
        raise InputError(f"{document['formula']}: a document cut to "
                         f"{method['cut_to_ps_after_equilibration']} ps is remade from its "
                         "whole runs (remake the uncut document)")
    runs = []
    for seed, source in zip(seeds, sources, strict=True):
        # the first kept frame is the last equilibration step's
        production = (int(source["n_frames"]) - 1) * FRAME_EVERY
        runs.append(PlannedRun(str(document["formula"]), float(document["temperature_K"]),
                               seed, EQUILIBRATION_STEPS + production))
    return runs


def _as_array(value: Any) -> np.ndarray:
    if isinstance(value, Mapping):
        value = [value[key] for key in sorted(value)]
    return np.asarray(value, dtype=float)


def document_differences(remade: Mapping[str, Any], bundled: Mapping[str, Any],
                         rtol: float = 1e-9) -> list[str]:
    """Every compared number of ``remade`` that differs from ``bundled`` by more than ``rtol``
    (relative), and every quality flag whose value or verdict differs, as lines; empty when
    the two agree."""
    lines = []
    for key in COMPARED:
        new, old = remade.get(key), bundled.get(key)
        if new is None or old is None:
            if (new is None) != (old is None):
                lines.append(f"{key}: present in only one document")
            continue
        a, b = _as_array(new), _as_array(old)
        if a.shape != b.shape:
            lines.append(f"{key}: shape {a.shape} vs {b.shape}")
            continue
        both_nan = np.isnan(a) & np.isnan(b)
        scale = np.maximum(np.abs(b), np.finfo(float).tiny)
        relative = np.where(both_nan, 0.0, np.abs(a - b) / scale)
        worst = float(np.nanmax(np.where(np.isnan(relative), np.inf, relative)))
        if worst > rtol:
            lines.append(f"{key}: largest relative difference {worst:.2e}")
    new_flags, old_flags = remade.get("quality", {}), bundled.get("quality", {})
    for name in sorted(set(new_flags) & set(old_flags)):
        n, o = new_flags[name], old_flags[name]
        same_value = (n["value"] == o["value"] or (n["value"] is not None and o["value"] is not None
                      and np.isclose(n["value"], o["value"], rtol=rtol, atol=0.0)))
        if n["passed"] != o["passed"] or not same_value:
            lines.append(f"quality {name}: {n['passed']} ({n['value']}) vs {o['passed']} "
                         f"({o['value']})")
    return lines


def document_agreement(remade: Mapping[str, Any], bundled: Mapping[str, Any]
                       ) -> dict[str, dict[str, float]]:
    """Two independent realisations of one document compared: per species, D_remade /
    D_bundled and the difference in combined standard errors (z); per L term (upper triangle,
    ``"A-B"``), z. A missing D or error gives NaN."""
    out: dict[str, dict[str, float]] = {"D_ratio": {}, "D_z": {}, "L_z": {}}
    species = list(bundled["species"])
    for el in species:
        a, b = remade["D_self_cm2_s"].get(el), bundled["D_self_cm2_s"].get(el)
        ea = (remade.get("D_self_cm2_s_stderr") or {}).get(el)
        eb = (bundled.get("D_self_cm2_s_stderr") or {}).get(el)
        if None in (a, b, ea, eb) or not b:
            out["D_ratio"][el] = out["D_z"][el] = float("nan")
            continue
        out["D_ratio"][el] = a / b
        out["D_z"][el] = (a - b) / float(np.hypot(ea, eb))
    if remade.get("L_stderr") and bundled.get("L_stderr"):
        difference = np.asarray(remade["L"], float) - np.asarray(bundled["L"], float)
        combined = np.hypot(np.asarray(remade["L_stderr"], float),
                            np.asarray(bundled["L_stderr"], float))
        for i, j in zip(*np.triu_indices(len(species)), strict=True):
            out["L_z"][f"{species[i]}-{species[j]}"] = float(difference[i, j] / combined[i, j])
    return out


def replace_documents(bundle: Mapping[str, Any], replacements: Sequence[Mapping[str, Any]],
                      note: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A copy of an export file (``description``, ``documents``, ``skipped``) with each of
    ``replacements`` in place of the bundled document of the same melt and temperature, and the
    documents it replaced. ``note`` says why and from which runs; it goes into each replacement's
    ``provenance.method["replaces"]`` and, with the melts named, into the file's ``changes``
    (:func:`record_change`), so
    a replaced document is never silent. Runs the replaced document left out (ordered, out of the
    domain) are not remade, so what it said of them is carried into the replacement's
    ``runs_not_used``, marked as the first realisation's. Raises InputError for a replacement
    without a bundled document to replace, two replacements of one melt, or an empty note."""
    if not note.strip():
        raise InputError("a replacement needs a note saying why and from which runs")
    out = copy.deepcopy(dict(bundle))
    index = {(d["formula"], float(d["temperature_K"])): k
             for k, d in enumerate(out["documents"])}
    seen: set[tuple[str, float]] = set()
    replaced = []
    for document in replacements:
        key = (document["formula"], float(document["temperature_K"]))
        if key not in index:
            raise InputError(f"{key[0]} {key[1]:g} K: not in the bundle, nothing to replace")
        if key in seen:
            raise InputError(f"{key[0]} {key[1]:g} K: two replacements for one document")
        seen.add(key)
        new = copy.deepcopy(dict(document))
        method = new["provenance"]["method"]
        method["replaces"] = note
        carried = _runs_not_remade(out["documents"][index[key]], new)
        if carried:
            method["runs_not_used"] = "; ".join(filter(None, [method.get("runs_not_used"),
                                                              *carried]))
        replaced.append(out["documents"][index[key]])
        out["documents"][index[key]] = new
    if seen:
        record_change(out, "replaced", [f"{f} {t:g} K" for f, t in sorted(seen)], note)
    return out, replaced


def update_variant(variant: Mapping[str, Any], documents: Sequence[Mapping[str, Any]],
                   note: str, drop: Sequence[tuple[str, float]] = ()) -> dict[str, Any]:
    """A copy of a bundled variant file (documents of the melts some analysis choice changes,
    e.g. ordered frames kept) with ``documents`` in place of its documents of the same melts,
    or added where it has none (``provenance.method["replaces"]`` or ``["added"]`` = ``note``),
    and the melts in ``drop`` removed (the choice no longer changes them). The description
    names every melt touched. Raises InputError for an empty note or two documents of one
    melt."""
    if not note.strip():
        raise InputError("a variant update needs a note saying why and from which runs")
    out = copy.deepcopy(dict(variant))
    keys = [(d["formula"], float(d["temperature_K"])) for d in documents]
    if len(set(keys)) != len(keys):
        raise InputError("two documents of one melt for one variant")
    index = {(d["formula"], float(d["temperature_K"])): k
             for k, d in enumerate(out["documents"])}
    touched = []
    for key, document in zip(keys, documents, strict=True):
        new = copy.deepcopy(dict(document))
        new["provenance"]["method"]["replaces" if key in index else "added"] = note
        if key in index:
            out["documents"][index[key]] = new
        else:
            out["documents"].append(new)
        touched.append(f"{key[0]} {key[1]:g} K")
    gone = {(f, float(t)) for f, t in drop} & set(index)
    out["documents"] = [d for d in out["documents"]
                        if (d["formula"], float(d["temperature_K"])) not in gone]
    touched += [f"{f} {t:g} K (removed)" for f, t in sorted(gone)]
    if touched:
        record_change(out, "updated", touched, note)
    return out


def split_description(description: str) -> tuple[str, list[dict[str, Any]]]:
    """The description of an export file as first made, and the changes written into it
    before they had their own key (``"; replaced: MELTS (NOTE)"``, ``"; updated: ..."``).
    A description in today's form gives its first part and no changes. Raises InputError for a
    change it cannot read (nothing is dropped silently)."""
    head = description.split(_CHANGED)[0]
    parts = _OLD_CHANGE.split(head)
    changes = []
    for kind, body in zip(parts[1::2], parts[2::2], strict=True):
        match = _OLD_BODY.match(body)
        if match is None:
            raise InputError(f"cannot read the change {kind!r} in the description: {body[:80]!r}")
        changes.append({"kind": kind, "melts": match.group(1).split(", "),
                        "note": match.group(2)})
    return parts[0], changes


def record_change(export: dict[str, Any], kind: str, melts: Sequence[str], note: str) -> None:
    """Append a change to ``export[CHANGES_KEY]`` (in place) and name every melt changed so
    far in the description, once: each note lives in the list and in its documents, so the
    description no longer grows by a note per change. Changes an older file wrote into its
    description move into the list first."""
    base, old = split_description(export["description"])
    changes = export.setdefault(CHANGES_KEY, [])
    changes[:0] = old
    changes.append({"kind": kind, "melts": list(melts), "note": note})
    named = sorted({melt for change in changes for melt in change["melts"]})
    export["description"] = (f"{base}{_CHANGED}{', '.join(named)} (each change with its note "
                             f"in '{CHANGES_KEY}')")


def _runs_not_remade(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """The ``runs_not_used`` entries of ``old`` for seeds ``new`` neither uses nor names."""
    method = new["provenance"]["method"]
    named = {int(s) for s in str(method.get("seeds", "")).split(",") if s.strip()}
    named |= set(_left_out(method.get("runs_not_used")))
    # a second replacement carries the first realisation's entries as they are
    return [entry if entry.endswith(_NOT_REMADE) else entry + _NOT_REMADE
            for seed, entry in _left_out(old["provenance"]["method"].get("runs_not_used")).items()
            if seed not in named]


def _left_out(runs_not_used: str | None) -> dict[int, str]:
    """``runs_not_used`` as {seed: entry}, for the entries of numbered seeds."""
    found = ((LEFT_OUT_ENTRY.match(entry), entry) for entry in left_out_entries(runs_not_used))
    return {int(m.group(1)): entry for m, entry in found if m and m.group(1).isdigit()}

