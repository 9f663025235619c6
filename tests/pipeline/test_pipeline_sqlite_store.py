"""The embedded SQLiteStore against an independent implementation (maggma's mongomock-backed
MemoryStore), plus persistence, transactions and maggma's own builder machinery."""

from __future__ import annotations

import sqlite3
import uuid
from datetime import datetime, timedelta
from unittest import mock

import numpy as np
import pytest
from maggma.builders import MapBuilder
from maggma.stores import MemoryStore

from ionflux.errors import StoreError
from ionflux.pipeline import SQLiteStore


def _docs(rng: np.random.Generator, n: int) -> list[dict]:
    t0 = datetime(2024, 5, 1, 12, 0, 0)
    docs = []
    for i in range(n):
        doc = {"task_id": f"t{i:03d}", "last_updated": t0 + timedelta(minutes=int(i % 17)),
               "group": ["a", "b", "c"][i % 3], "value": float(rng.normal()), "n": int(i % 5),
               "tags": [f"x{i % 4}", f"y{i % 2}"], "sub": {"score": int(i % 7)},
               "items": [{"k": i, "at": t0, "deep": {"v": [1.5, {"w": i}]}}, {"k": -i}]}
        if i % 6 == 0:
            doc["group"] = ["a", "b"]  # an array where others have a scalar
        if i % 9 == 0:
            del doc["n"]
        docs.append(doc)
    return docs


def _strip(docs: list[dict]) -> list[dict]:
    return [{k: v for k, v in d.items() if k != "_id"} for d in docs]


QUERIES = [
    None,
    {"task_id": "t005"},
    {"task_id": {"$in": ["t001", "t002", "t999"]}},
    {"task_id": {"$gte": "t010", "$lt": "t020"}},
    {"last_updated": {"$gt": datetime(2024, 5, 1, 12, 5)}},
    {"group": "a"},
    {"group": {"$in": ["b", "c"]}},
    {"n": {"$exists": False}},
    {"tags": "x1"},
    {"sub.score": {"$gt": 4}},
    {"$or": [{"n": 1}, {"group": "c"}]},
    {"task_id": {"$in": ["t003", "t004", "t006"]}, "group": "a"},
]


@pytest.fixture(params=["file", "memory"])
def store_pair(request: pytest.FixtureRequest, tmp_path, rng):
    docs = _docs(rng, 60)
    if request.param == "file":
        store = SQLiteStore(str(tmp_path / "db.sqlite"), "things")
    else:
        store = SQLiteStore(f":memory:{uuid.uuid4().hex}", "things")
    reference = MemoryStore("things")
    for s in (store, reference):
        s.connect()
        s.update(docs)
    yield store, reference
    store.close()
    if store.is_memory:
        SQLiteStore.drop_memory_database(store.path)


@pytest.mark.parametrize("indexed", [False, True])
@pytest.mark.parametrize("criteria", QUERIES)
def test_queries_match_mongomock(store_pair, criteria, indexed):
    store, reference = store_pair
    if indexed:
        assert store.ensure_index("group") and store.ensure_index("n")
    assert store.count(criteria) == reference.count(criteria)
    sort = {"task_id": 1}
    got = _strip(store.query(criteria, sort=sort))
    want = _strip(reference.query(criteria, sort=sort))
    assert got == want
    assert len(got) == store.count(criteria)
    # sorting on a non-indexed field, skip and limit
    sort2 = {"value": -1}
    assert _strip(store.query(criteria, sort=sort2, skip=2, limit=5)) == _strip(
        reference.query(criteria, sort=sort2, skip=2, limit=5))
    # projections, including a dotted one
    # (indexed: "n" and "group" come from shadow columns, or from the document where a
    # shadow column holds NULL: "n" missing, "group" an array)
    for props in (["task_id", "sub.score"], ["sub", "items", "last_updated"],
                  ["items.k", "items.deep.v", "task_id"], ["n", "group"],
                  ["task_id", "n"], ["value", "n"]):
        assert _strip(store.query(criteria, properties=props, sort=sort)) == _strip(
            reference.query(criteria, properties=props, sort=sort))
    assert sorted(store.distinct("task_id", criteria)) == sorted(
        reference.distinct("task_id", criteria))


def test_distinct_groupby_remove(store_pair):
    store, reference = store_pair
    assert sorted(map(str, store.distinct("group"))) == sorted(map(str,
                                                                   reference.distinct("group")))
    assert sorted(store.distinct("tags")) == sorted(reference.distinct("tags"))
    mine = {tuple(sorted(k.items())): sorted(d["task_id"] for d in docs)
            for k, docs in store.groupby("n", properties=["task_id"])}
    theirs = {tuple(sorted(k.items())): sorted(d["task_id"] for d in docs)
              for k, docs in reference.groupby("n", properties=["task_id"])}
    # MongoDB's $group puts documents without the field in one group {} (as SQLiteStore does);
    # maggma's MemoryStore drops them
    assert mine.pop(()) == ["t000", "t009", "t018", "t027", "t036", "t045", "t054"]
    assert mine == theirs
    for criteria in ({"group": "b"}, {"task_id": {"$in": ["t001", "t050"]}}):
        store.remove_docs(criteria)
        reference.remove_docs(criteria)
        assert _strip(store.query(sort={"task_id": 1})) == _strip(
            reference.query(sort={"task_id": 1}))


def test_upsert_replaces_and_never_duplicates(tmp_path):
    store = SQLiteStore(str(tmp_path / "db.sqlite"), "c")
    store.connect()
    store.update([{"task_id": "a", "v": 1}, {"task_id": "b", "v": 2}])
    store.update([{"task_id": "a", "v": 3}, {"task_id": "a", "v": 4}])
    assert store.count() == 2
    assert store.query_one({"task_id": "a"})["v"] == 4
    # a key is a string or a number; its type is part of its identity, as in MongoDB
    store.update({"task_id": 7, "v": 5})
    assert store.query_one({"task_id": 7})["v"] == 5
    assert store.query_one({"task_id": "7"}) is None
    with pytest.raises(StoreError, match="must be a string or a number"):
        store.update({"task_id": {"nested": 1}})


def test_persistent_and_time_stamps_like_mongo(tmp_path):
    path = str(tmp_path / "sub" / "db.sqlite")
    store = SQLiteStore(path, "c", key="k")
    store.connect()
    when = datetime(2024, 1, 2, 3, 4, 5, 678901)
    store.update({"k": "x", "last_updated": when, "arr": np.arange(3)})
    store.close()
    again = SQLiteStore(path, "c", key="k")
    again.connect()
    doc = again.query_one({"k": "x"})
    # BSON keeps milliseconds: exactly what pymongo returns for the same document
    assert doc["last_updated"] == datetime(2024, 1, 2, 3, 4, 5, 678000)
    assert doc["arr"] == [0, 1, 2]
    assert again.last_updated == datetime(2024, 1, 2, 3, 4, 5, 678000)
    assert again.query_one({"last_updated": {"$gte": when.replace(microsecond=678000)}})


def test_failed_write_rolls_back_everything(tmp_path):
    store = SQLiteStore(str(tmp_path / "db.sqlite"), "c")
    store.connect()
    store.update([{"task_id": f"k{i}", "v": i} for i in range(5)])
    real = store._row
    calls = {"n": 0}

    def disk_full(doc):
        calls["n"] += 1
        if calls["n"] == 3:
            raise sqlite3.OperationalError("database or disk is full")
        return real(doc)

    with mock.patch.object(store, "_row", side_effect=disk_full), \
            pytest.raises(StoreError, match="disk is full"):
        store.update([{"task_id": f"k{i}", "v": 100 + i} for i in range(5)])
    # neither the first two new versions nor anything else was written
    assert sorted(d["v"] for d in store.query()) == [0, 1, 2, 3, 4]


class _Square(MapBuilder):
    def unary_function(self, item):
        return {"square": item["v"] ** 2}


def test_maggma_mapbuilder_run_connects_and_closes(tmp_path):
    """maggma's own Builder.run() (connect, incremental get_items, close) on SQLiteStores."""
    source = SQLiteStore(str(tmp_path / "db.sqlite"), "source")
    target = SQLiteStore(str(tmp_path / "db.sqlite"), "target")
    source.connect()
    source.update([{"task_id": i, "v": i, "last_updated": datetime(2024, 1, 1)}
                   for i in range(10)])
    source.close()
    builder = _Square(source, target, store_process_time=False)
    builder.run()
    target.connect()
    assert {d["task_id"]: d["square"] for d in target.query()} == {i: i * i for i in range(10)}
    assert all(d["state"] == "successful" for d in target.query())
    # incremental: nothing new, nothing processed
    again = _Square(source, target)
    again.connect()
    assert list(again.get_items()) == []
    source.update({"task_id": 3, "v": 30, "last_updated": datetime(2024, 2, 1)})
    assert [d["task_id"] for d in again.get_items()] == [3]


def test_memory_store_survives_builder_close():
    name = f":memory:{uuid.uuid4().hex}"
    source, target = SQLiteStore(name, "s"), SQLiteStore(name, "t")
    source.connect()
    source.update([{"task_id": i, "v": i, "last_updated": datetime(2024, 1, 1)}
                   for i in range(3)])
    _Square(source, target).run()
    target.connect()
    assert target.count() == 3
    SQLiteStore.drop_memory_database(name)


def test_serialises_for_distributed_workers(tmp_path):
    from monty.json import MontyDecoder

    store = SQLiteStore(str(tmp_path / "db.sqlite"), "c", key="traj_id")
    clone = MontyDecoder().process_decoded(store.as_dict())
    assert clone == store and clone.key == "traj_id"
