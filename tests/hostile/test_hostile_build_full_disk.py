"""A full disk during `build`: the claims table (SQLite) cannot be written either. That is a
one-line error, every document written is whole, and a rerun completes."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from hostile_data import write_runs

from ionflux.cli import main
from ionflux.storage.claims import Claims

FULL = sqlite3.OperationalError("database or disk is full")


@pytest.mark.parametrize("where", ["release", "acquire"])
def test_claims_on_a_full_disk(tmp_path: Path, capsys, monkeypatch, where: str):
    runs = write_runs(tmp_path / "runs", ["a", "b", "c"], n_frames=200)
    store = ["--data-dir", str(tmp_path / "store")]
    assert main(["ingest", str(runs), *store]) == 0
    real = getattr(Claims, where)
    calls = {"n": 0}

    def full_after_one(self, ids=None):
        if ids is not None:  # (release() with no ids, at the end, is best effort)
            calls["n"] += 1
            if calls["n"] == 2:
                raise FULL
        return real(self, ids)

    monkeypatch.setattr(Claims, where, full_after_one)
    capsys.readouterr()
    assert main(["build", "--stage", "transport", *store]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "\n" not in err, err
    assert "database or disk is full" in err and "build_claims" in err, err
    monkeypatch.setattr(Claims, where, real)
    from ionflux.pipeline import Pipeline

    with Pipeline.open("local", data_dir=tmp_path / "store") as pipe:
        written = list(pipe.stores.transport.query())
        assert len(written) == (2 if where == "release" else 1)
        assert all(d["L"] and d["input_fingerprint"] for d in written)
    assert main(["build", "--stage", "transport", *store]) == 0
    with Pipeline.open("local", data_dir=tmp_path / "store") as pipe:
        assert pipe.stores.transport.count() == 3
