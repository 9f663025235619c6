"""Storage: stores, blobs, claims, raw-trajectory and failure documents, ingest and retire.

This floor moves documents and bytes and knows nothing of the science it stores (as maggma's
``Store`` knows nothing of its documents): ``stores`` (configurations: embedded SQLite by
default, shared MongoDB, memory), ``sqlite_store``/``sqlite_collection`` (the SQLite store; the
collection has no maggma base, so reads load neither maggma nor pymongo), ``blobs`` (trajectory
bytes), ``claims`` (work claims of concurrent builders), ``documents`` (raw-trajectory and
failure documents, stage names), ``ingest``, ``retire`` and ``loading`` (the
``"module:function"`` names of pipeline settings). Nothing is imported here: each command loads
the modules it uses.
"""
