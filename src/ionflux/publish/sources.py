"""What gets published: one group per (composition, temperature, data source).

From a store: every ``transport_aggregate`` (MD replicates, source ``md``) and
``published_transport`` record (source ``published``), each with the K_D records of that
source; an MD group also gets the bond counts and the last frame of its first replicate and
the method metadata of its sidecars (potential, engine, frame interval, run length). From
the bundled data (a fresh clone, empty store): the published tensors of every bundled system
with their K_D where thermo data exists, and the bundled classical melt-quenched cells as
their own structure-only groups (source ``meltquench``), never attached to the ACE tensors.
Every group names the Materials Project id of its composition where bundled thermo data
has one.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from functools import lru_cache
from importlib import resources
from typing import Any

from ionflux.errors import DataNotFoundError, IonfluxError
from ionflux.publish.payload import GroupData
from ionflux.storage.documents import one_line, reduced_formula

Progress = Callable[[str], Any]

#: Reference of MD groups when the user gives none.
NO_REFERENCE = "none given (MD analysed with ionflux; add one with --reference)"


def _wanted(formulas: Sequence[str] | None) -> set[str] | None:
    if not formulas:
        return None
    out = set()
    for f in formulas:
        try:
            out.add(reduced_formula(f))
        except ValueError as exc:
            from ionflux.errors import InputError

            raise InputError(f"--formula {f!r}: {exc}") from None
    return out


@lru_cache(maxsize=1)
def bundled_mp_ids() -> dict[str, str]:
    """Reduced formula -> Materials Project id of the entry the bundled thermo data uses."""
    from ionflux.thermo import ThermoData

    out: dict[str, str] = {}
    root = resources.files("ionflux") / "data"
    for folder in sorted(root.iterdir(), key=lambda p: p.name):
        if not (folder / "thermo.json").is_file():
            continue
        thermo = ThermoData.bundled(folder.name.title())
        for formula in thermo.formulas:
            entry = thermo.entry(formula)
            if entry is not None and entry.material_id:
                out.setdefault(formula, entry.material_id)
    return out


def last_frame_structure(trajectory: Any) -> Any:
    """The last frame of a trajectory as a pymatgen Structure (positions wrapped)."""
    from ionflux.structure.bonds import frame_structure

    return frame_structure(trajectory.positions[-1], trajectory.cells[-1],
                           list(trajectory.species))


def published_method(doc: Any) -> dict[str, Any]:
    """Method metadata of an imported published record (what the source states)."""
    from ionflux.transport.published import ACE_MD_LABELS

    label = doc.provenance.method.get("metadata_label") or "not stated"
    potential = (f"ACE machine-learned potential (PBEsol, no spin; label {label})"
                 if label in ACE_MD_LABELS else f"as labelled by the source: {label}")
    return {"potential": potential, "engine": "not stated by the source",
            "estimator": "as published (L from the source's own analysis)",
            "reference": str(doc.provenance.method.get("source_label") or "not stated")}


def md_method(doc: Any, sidecars: Sequence[Any], reference: str | None) -> dict[str, Any]:
    """Method metadata of an MD aggregate from its document and its replicates' sidecars."""

    def joined(name: str, version: str) -> str:
        """Every distinct ``name (version v)`` among the replicates, '; '-joined."""
        values = sorted({f"{getattr(m, name)}" + (f" (version {getattr(m, version)})"
                                                  if getattr(m, version) else "")
                         for m in sidecars if getattr(m, name)})
        return "; ".join(values) or "not stated in the sidecar"

    interval = doc.frame_interval_fs
    length_ps = (interval * (doc.n_frames - 1) / 1000.0
                 if interval and doc.n_frames else None)
    spec = doc.provenance.method.get("estimator_spec")
    return {"potential": joined("potential", "potential_version"),
            "engine": joined("md_engine", "md_engine_version"),
            "atoms": sum(doc.composition.values()) if doc.composition else None,
            "interval": interval, "length": length_ps,
            "estimator": str(spec or doc.estimator or "not recorded"),
            "reference": reference or NO_REFERENCE}


def meltquench_groups(wanted: set[str] | None, *, bonds: bool, bond_frames: int,
                      structures: bool, progress: Progress | None) -> list[GroupData]:
    """The bundled classical melt-quenched cells as structure-only groups (``structures``
    False: their method metadata only, the cells are not read)."""
    from ionflux.io import read_trajectory

    folder = resources.files("ionflux") / "data" / "amorphous"
    manifest = json.loads((folder / "manifest.json").read_text())
    mp_ids = bundled_mp_ids()
    groups = []
    for cell in manifest["cells"]:
        formula = reduced_formula(cell["formula"])
        if wanted is not None and formula not in wanted:
            continue
        interval = cell["frame_every"] * cell["timestep_fs"]
        group = GroupData(
            key=f"{formula}@{cell['temperature_K']:g}K", transport=None, source="meltquench",
            input_fingerprint=cell["sha256"], formula=formula,
            temperature_K=float(cell["temperature_K"]), mp_id=mp_ids.get(formula),
            method={"potential": "Pedone (classical pair potential)", "engine": cell["engine"],
                    "atoms": cell["n_atoms"], "interval": interval,
                    "length": interval * (cell["n_frames"] - 1) / 1000.0,
                    "estimator": "none: structure and CrystalNN bond counts only",
                    "reference": "made by ionflux (scripts/generate_amorphous.py; "
                                 "ionflux/data/amorphous/PROVENANCE.md)"})
        if not structures:
            groups.append(group)
            continue
        traj = read_trajectory(str(folder / cell["file"]))
        group.structure = last_frame_structure(traj)
        if bonds:
            from ionflux.structure.bonds import bond_counts

            if progress:
                progress(f"bond counts {group.key}")
            group.bonds = bond_counts(traj, n_frames=min(bond_frames, traj.n_frames),
                                      workers=1)
        groups.append(group)
    return groups


def bundled_groups(formulas: Sequence[str] | None = None, *, bonds: bool = True,
                   bond_frames: int = 2, structures: bool = True,
                   progress: Progress | None = None) -> list[GroupData]:
    """Groups of the bundled data: published tensors (with K_D where thermo data exists)
    of every bundled system, and the melt-quenched cells."""
    from ionflux.kinetics import KDTable
    from ionflux.thermo import ThermoData
    from ionflux.transport.published import BUNDLED_PRECURSORS, load_published

    wanted = _wanted(formulas)
    mp_ids = bundled_mp_ids()
    groups = []
    for system, pair in BUNDLED_PRECURSORS.items():
        docs = [d for d in load_published(system)
                if wanted is None or reduced_formula(d.formula) in wanted]
        if not docs:
            continue
        try:
            thermo = ThermoData.load(system)
        except DataNotFoundError:
            thermo = None
        table = KDTable.published(system, thermo=thermo) if thermo is not None else None
        for doc in docs:
            if progress:
                progress(f"K_D {doc.key()}")
            group = GroupData(key=doc.key(), transport=doc, source="published",
                              input_fingerprint=doc.provenance.sources[0].sha256 or "",
                              mp_id=mp_ids.get(doc.formula), method=published_method(doc))
            if table is None:
                group.notes.append(f"no K_D: no thermo data for {system}")
            else:
                try:
                    group.kd.append(table.doc(doc.formula, doc.temperature_K, pair))
                except IonfluxError as exc:
                    group.notes.append(f"no K_D: {one_line(exc)}")
            groups.append(group)
    groups += meltquench_groups(wanted, bonds=bonds, bond_frames=bond_frames,
                                structures=structures, progress=progress)
    if wanted is not None and not groups:
        raise DataNotFoundError(f"no bundled data for {', '.join(sorted(wanted))}")
    return groups


def store_groups(stores: Any, formulas: Sequence[str] | None = None, *,
                 reference: str | None = None, structures: bool = True,
                 progress: Progress | None = None) -> list[GroupData]:
    """Groups of a connected StoreSet: each MD aggregate and each imported published record
    is its own group (a composition and temperature with both gives two contributions)."""
    from ionflux.kinetics.kd import KDDoc
    from ionflux.storage.documents import TrajectoryMetadata, from_record
    from ionflux.storage.loading import load_trajectory
    from ionflux.structure.documents import BondCountDoc
    from ionflux.transport.documents import TransportDoc
    from ionflux.transport.physics_checks import with_monotonic_flags

    wanted = _wanted(formulas)
    mp_ids = bundled_mp_ids()
    found: dict[str, list[dict]] = {}
    for source, store in (("md", stores.transport_aggregate),
                          ("published", stores.published_transport)):
        found[source] = [rec for rec in store.query(sort={"group_id": 1})
                         if wanted is None or rec["formula"] in wanted]
    # D monotonic in T spans the MD documents (built one at a time): judged as they are read
    found["md"] = with_monotonic_flags(found["md"], stores.transport_aggregate)
    groups = []
    for source, records in found.items():
        for rec in records:
            key = rec["group_id"]
            if progress:
                progress(f"{key} ({source})")
            doc = from_record(rec, TransportDoc)
            group = GroupData(key=key, transport=doc, source=source,
                              input_fingerprint=rec.get("input_fingerprint", ""),
                              mp_id=mp_ids.get(doc.formula))
            for kd in stores.kd.query({"group_id": key}):
                if kd.get("transport_source", "md") == source:
                    group.kd.append(from_record(kd, KDDoc))
            if source == "published":
                group.method = published_method(doc)
                groups.append(group)
                continue
            raws = [r for r in (stores.raw_trajectories.query_one({"traj_id": t})
                                for t in sorted(rec.get("replicates") or [])) if r is not None]
            sidecars = [TrajectoryMetadata.model_validate(r["metadata"]) for r in raws]
            group.method = md_method(doc, sidecars, reference)
            if raws:
                bonds = stores.bonds.query_one({"traj_id": raws[0]["traj_id"]})
                if bonds is not None:
                    group.bonds = from_record(bonds, BondCountDoc)
                try:
                    if structures:
                        group.structure = last_frame_structure(
                            load_trajectory(raws[0], blobs=stores.blobs))
                except IonfluxError as exc:
                    group.notes.append(f"no structure: {one_line(exc)}")
            groups.append(group)
    return sorted(groups, key=lambda g: (g.key, g.source))


def collect(store: str | None = None, data_dir: Any = None, formulas: Sequence[str] | None = None,
            source: str = "auto", *, bonds: bool = True, structures: bool = True,
            reference: str | None = None, progress: Progress | None = None
            ) -> tuple[list[GroupData], str]:
    """Groups to publish and where they came from.

    ``source``: ``store`` (the pipeline store), ``bundled`` (the data shipped with ionflux) or
    ``auto`` (the store when it holds transport documents, else the bundled data).
    """
    if source not in ("auto", "store", "bundled"):
        from ionflux.errors import InputError

        raise InputError(f"--source {source!r}: use auto, store or bundled")
    if source != "bundled":
        import os

        from ionflux.storage.stores import StoreSet

        name = store or os.environ.get("IONFLUX_STORE") or "local"
        stores = StoreSet.open(name, data_dir=data_dir).connect()
        try:
            groups = store_groups(stores, formulas, reference=reference,
                                  structures=structures, progress=progress)
            where = stores.location
        finally:
            stores.close()
        if groups or source == "store":
            if not groups:
                raise DataNotFoundError(f"no transport documents to publish in {where}")
            return groups, where
    return (bundled_groups(formulas, bonds=bonds, structures=structures, progress=progress),
            "bundled data (published tensors and melt-quenched cells)")
