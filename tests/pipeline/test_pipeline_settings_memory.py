"""`build --settings` is remembered by the store; `status --check` explains every failure and
fails only on what needs action (pending items, failures other than known data gaps)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from pipeline_data import TEST_SETTINGS, write_run

from ionflux.cli import main


def _cli(capsys: pytest.CaptureFixture, *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    return code, " ".join(capsys.readouterr().out.split())


def test_status_and_query_use_the_settings_the_build_recorded(tmp_path: Path, capsys,
                                                              monkeypatch):
    monkeypatch.delenv("IONFLUX_PIPELINE_SETTINGS", raising=False)
    monkeypatch.delenv("IONFLUX_STORE", raising=False)
    runs, data = tmp_path / "runs", ["--data-dir", str(tmp_path / "data")]
    # BaTi3O7 has transport but no thermodynamic data: its K_D item fails (a known data gap)
    write_run(runs, "exotic", replicate="a", seed=7, formula="BaTi3O7", formula_units=2,
              n_frames=150)
    settings = tmp_path / "settings.yaml"
    settings.write_text(yaml.safe_dump(TEST_SETTINGS))
    assert _cli(capsys, "ingest", str(runs), *data)[0] == 0
    code, out = _cli(capsys, "build", "--settings", str(settings), *data)
    assert code == 1 and f"settings: file {settings}" in out

    # plain status: the recorded settings, so nothing is pending; the K_D failure is a known
    # gap, explained, and does not fail the check
    code, out = _cli(capsys, "status", "--check", *data)
    assert code == 0, out
    assert "settings: recorded by the build of " in out and f"(from file {settings})" in out
    assert ("known gap kd BaTi3O7@1500K:BaO+TiO2: no thermodynamic data for phase 'BaTi3O7'"
            in out)
    assert "does not fail --check" in out
    assert "check passed: every item is built; 1 known data gap(s)" in out
    status = json.loads(_cli(capsys, "status", "--json", *data)[1])
    assert {s["stage"]: s["pending"] for s in status["stages"]}["transport"] == 0
    assert [f["known_gap"] for f in status["failures"]] == [True]

    # other settings: the documents were not built with them, and status says so
    code, out = _cli(capsys, "status", "--check", "--settings", "default", *data)
    assert code == 1
    assert "the last build used other settings" in out
    assert "check FAILED: " in out and "pending (run `ionflux build`)" in out

    code, out = _cli(capsys, "query", "transport", "--formula", "BaTi3O7",
                     "--temperature", "1500", *data)
    assert code == 0 and f"(from file {settings})" in out

    # an input problem needs action: the check fails and says why
    (runs / "broken.extxyz").write_text("5\nnot an extended xyz frame\n")
    assert _cli(capsys, "ingest", str(runs), *data)[0] == 1
    code, out = _cli(capsys, "status", "--check", *data)
    assert code == 1
    assert "failed ingest" in out and "fix the file or its sidecar" in out
    assert "check FAILED: 1 failure(s) that need action" in out
