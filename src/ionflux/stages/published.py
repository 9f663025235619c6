"""Published Onsager tensor sets as pipeline inputs, beside ingested MD trajectories.

A published set (a file in the rxn-ca ``transport_db`` format, or a bundled system such as
``Ba-Ti-O``) is imported into the ``published_transport`` store, one record per (phase,
temperature), keyed by ``group_id`` like the aggregates of MD replicates. Importing is
incremental and idempotent: a record is written only when its fingerprint (file hash, group,
ionflux version) changed, and records of the same set that the new file no longer holds are
removed. The K_D stage reads these records as well as the MD aggregates.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from ionflux import __version__
from ionflux.stages.builders import _wrap_store_errors
from ionflux.storage.documents import (
    DerivedFields,
    PipelineProvenance,
    fingerprint,
    now_ms,
    to_record,
)
from ionflux.storage.ingest import IngestReport
from ionflux.storage.stores import StoreSet, describe_store


class PublishedFields(DerivedFields):
    """Bookkeeping of one imported published record."""

    id_kind: ClassVar[str] = "published"

    group_id: str
    published_source: str = Field(description="the file or bundled system it came from")


def import_published(source: str, stores: StoreSet, *,
                     time_axis_factor: float | str | None = None) -> IngestReport:
    """Import the published tensors of ``source`` (a file path or a bundled system name).

    ``stores`` must be connected. The report lists group ids as new, changed, unchanged and
    removed. ``time_axis_factor`` divides every L by it (recorded in the documents and in
    their fingerprints); ``"reference"`` divides each composition's by its factor against the
    bundled reference documents (ionflux.transport.time_axis; the reference file's hash goes
    into the fingerprints). The documents carry the physics checks' flags.
    """
    from ionflux.transport.physics_checks import REVISION
    from ionflux.transport.published import load_published

    docs = load_published(source, time_axis_factor=time_axis_factor)
    if time_axis_factor == "reference":
        from ionflux.transport.time_axis import reference_sha256

        factor: float | str | None = f"reference {reference_sha256(source)}"
    else:
        factor = None if time_axis_factor in (None, 1.0) else float(time_axis_factor)
    store = stores.published_transport
    label = str(source)
    existing = {d["group_id"]: d for d in store.query(
        properties=["group_id", "input_fingerprint", "published_source"])}
    report = IngestReport()
    records = []
    stamp = now_ms()
    for doc in docs:
        group = doc.key()
        file_hash = doc.provenance.sources[0].sha256 or ""
        fp = fingerprint("published", __version__, file_hash, group,
                         {"physics_checks": REVISION, "time_axis_factor": factor})
        old = existing.get(group)
        if old is not None and old.get("input_fingerprint") == fp:
            report.unchanged.append(group)
            continue
        if old is not None and old.get("published_source") != label:
            report.notes.append(f"{group}: replaces the record imported from "
                                f"{old.get('published_source')}")
        fields = PublishedFields(
            input_fingerprint=fp, last_updated=stamp, group_id=group, published_source=label,
            pipeline=PipelineProvenance(stage="ingest", builder="import_published",
                                        source_keys=[label], source_hashes={label: file_hash}))
        records.append(to_record(doc, fields))
        (report.changed if old is not None else report.new).append(group)
    if records:
        _wrap_store_errors(describe_store(store), store.update, records)
    imported = {doc.key() for doc in docs}
    stale = sorted(g for g, d in existing.items()
                   if d.get("published_source") == label and g not in imported)
    if stale:
        _wrap_store_errors(describe_store(store), store.remove_docs, {"group_id": {"$in": stale}})
        report.removed.extend(stale)
    return report
