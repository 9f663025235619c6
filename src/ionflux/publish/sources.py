"""What gets published: transport aggregates with their K_D, bond counts and a structure.

From a store: every ``transport_aggregate`` (MD replicates) and ``published_transport`` record
(the MD aggregate wins where both cover a group), the K_D records of the group, the bond counts
of its first replicate and the last frame of that replicate's trajectory as the representative
structure. From the bundled data (a fresh clone, empty store): the published Ba-Ti-O tensors,
their K_D for BaO + TiO2, and the bundled melt-quenched cells (1500 K) as structures and for
bond counts, attached to the group at the cell's temperature.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from importlib import resources
from typing import Any

from ionflux.errors import DataNotFoundError, IonfluxError
from ionflux.pipeline.documents import one_line, reduced_formula
from ionflux.publish.payload import GroupData

Progress = Callable[[str], Any]


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


def last_frame_structure(trajectory: Any) -> Any:
    """The last frame of a trajectory as a pymatgen Structure (positions wrapped)."""
    from ionflux.structure.bonds import frame_structure

    return frame_structure(trajectory.positions[-1], trajectory.cells[-1],
                           list(trajectory.species))


def bundled_groups(formulas: Sequence[str] | None = None, *, bonds: bool = True,
                   bond_frames: int = 2, progress: Progress | None = None) -> list[GroupData]:
    """Groups of the bundled Ba-Ti-O data (published tensors, K_D, amorphous cells)."""
    from ionflux.io import read_trajectory
    from ionflux.kinetics import KDTable
    from ionflux.thermo import ThermoData
    from ionflux.transport.published import load_published

    wanted = _wanted(formulas)
    docs = [d for d in load_published("Ba-Ti-O")
            if wanted is None or reduced_formula(d.formula) in wanted]
    if wanted is not None and not docs:
        raise DataNotFoundError(f"no bundled transport data for {', '.join(sorted(wanted))}")
    thermo = ThermoData.load("Ba-Ti-O")
    table = KDTable.published("Ba-Ti-O", thermo=thermo)
    folder = resources.files("ionflux") / "data" / "amorphous"
    groups = []
    for doc in docs:
        if progress:
            progress(f"K_D {doc.key()}")
        group = GroupData(key=doc.key(), transport=doc, source="published",
                          input_fingerprint=doc.provenance.sources[0].sha256 or "")
        try:
            group.kd.append(table.doc(doc.formula, doc.temperature_K, ("BaO", "TiO2")))
        except IonfluxError as exc:
            group.notes.append(f"no K_D: {one_line(exc)}")
        cell = folder / f"{doc.formula}_{doc.temperature_K:g}K.extxyz.gz"
        if cell.is_file():
            traj = read_trajectory(str(cell))
            group.structure = last_frame_structure(traj)
            if bonds:
                from ionflux.structure.bonds import bond_counts

                if progress:
                    progress(f"bond counts {doc.key()}")
                group.bonds = bond_counts(traj, n_frames=min(bond_frames, traj.n_frames),
                                          workers=1)
        groups.append(group)
    return groups


def store_groups(stores: Any, formulas: Sequence[str] | None = None, *,
                 progress: Progress | None = None) -> list[GroupData]:
    """Groups of a connected StoreSet (MD aggregates win over imported published sets)."""
    from ionflux.kinetics.kd import KDDoc
    from ionflux.pipeline.documents import from_record
    from ionflux.pipeline.loading import load_trajectory
    from ionflux.structure.documents import BondCountDoc
    from ionflux.transport.documents import TransportDoc

    wanted = _wanted(formulas)
    records: dict[str, tuple[str, dict]] = {}
    for source, store in (("published", stores.published_transport),
                          ("md", stores.transport_aggregate)):
        for rec in store.query(sort={"group_id": 1}):
            if wanted is None or rec["formula"] in wanted:
                records[rec["group_id"]] = (source, rec)
    from ionflux.transport.physics_checks import with_monotonic_flags

    # D monotonic in T spans the MD documents (built one at a time): judged as they are read
    md_keys = [k for k in sorted(records) if records[k][0] == "md"]
    for key, rec in zip(md_keys, with_monotonic_flags([records[k][1] for k in md_keys],
                                                      stores.transport_aggregate), strict=True):
        records[key] = ("md", rec)
    groups = []
    for key in sorted(records):
        source, rec = records[key]
        if progress:
            progress(key)
        group = GroupData(key=key, transport=from_record(rec, TransportDoc), source=source,
                          input_fingerprint=rec.get("input_fingerprint", ""))
        for kd in stores.kd.query({"group_id": key}):
            if kd.get("transport_source", "md") == source:
                group.kd.append(from_record(kd, KDDoc))
        if source == "md":
            replicates = sorted(rec.get("replicates") or [])
            if replicates:
                bonds = stores.bonds.query_one({"traj_id": replicates[0]})
                if bonds is not None:
                    group.bonds = from_record(bonds, BondCountDoc)
                raw = stores.raw_trajectories.query_one({"traj_id": replicates[0]})
                if raw is not None:
                    try:
                        group.structure = last_frame_structure(
                            load_trajectory(raw, blobs=stores.blobs))
                    except IonfluxError as exc:
                        group.notes.append(f"no structure: {one_line(exc)}")
        groups.append(group)
    return groups


def collect(store: str | None = None, data_dir: Any = None, formulas: Sequence[str] | None = None,
            source: str = "auto", *, bonds: bool = True, progress: Progress | None = None
            ) -> tuple[list[GroupData], str]:
    """Groups to publish and where they came from.

    ``source``: ``store`` (the pipeline store), ``bundled`` (the data shipped with ionflux) or
    ``auto`` (the store when it holds transport documents, else the bundled data).
    """
    if source not in ("auto", "store", "bundled"):
        from ionflux.errors import InputError

        raise InputError(f"--source {source!r}: use auto, store or bundled")
    if source != "bundled":
        from ionflux.pipeline.stores import StoreSet

        name = store or __import__("os").environ.get("IONFLUX_STORE") or "local"
        stores = StoreSet.open(name, data_dir=data_dir).connect()
        try:
            groups = store_groups(stores, formulas, progress=progress)
            where = stores.location
        finally:
            stores.close()
        if groups or source == "store":
            if not groups:
                raise DataNotFoundError(f"no transport documents to publish in {where}")
            return groups, where
    return bundled_groups(formulas, bonds=bonds, progress=progress), "bundled Ba-Ti-O data"
