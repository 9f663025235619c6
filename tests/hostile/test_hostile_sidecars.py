"""Hostile sidecars: YAML alias bombs and untyped free-form fields are refused at ingest with a
one-line error recorded as an ingest failure; the rest of the store is left as it was."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import yaml

from ionflux.errors import InputError
from ionflux.storage.ingest import MAX_SIDECAR_BYTES, read_sidecar

GOOD = "formula: BaTiO3\ntemperature_K: 1500\nreplicate: r1\nframe_interval_fs: 50\n"


def alias_bomb(levels: int = 7, width: int = 9) -> str:
    """The 'billion laughs' in a sidecar's free-form field: ``width ** levels`` strings from a
    few hundred bytes (7 levels of 9: 4.8 million)."""
    lines = ["gamma:", f"  a0: &a0 [{', '.join(['lol'] * width)}]"]
    for k in range(1, levels):
        lines.append(f"  a{k}: &a{k} [{', '.join([f'*a{k - 1}'] * width)}]")
    return GOOD + "\n".join(lines) + "\n"


def _sidecar(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "run.extxyz.yaml"
    path.write_text(text)
    return path


def test_alias_bomb_is_refused_quickly(tmp_path: Path):
    text = alias_bomb()
    assert len(text) < 1000
    start = time.perf_counter()
    with pytest.raises(InputError) as err:
        read_sidecar(_sidecar(tmp_path, text))
    assert time.perf_counter() - start < 1.0
    message = str(err.value)
    assert "YAML aliases" in message and "*a0" in message and "\n" not in message


@pytest.mark.parametrize("text", [
    GOOD + "notes: &n hello\npotential: *n\n",               # a harmless alias is refused too
    "base: &b {formula: BaTiO3}\n<<: *b\ntemperature_K: 1500\nreplicate: r1\n",  # merge key
])
def test_any_alias_is_refused(tmp_path: Path, text: str):
    with pytest.raises(InputError, match="YAML aliases"):
        read_sidecar(_sidecar(tmp_path, text))


def test_deep_nesting_is_a_one_line_error(tmp_path: Path):
    text = GOOD + "notes: " + "[" * 20000 + "]" * 20000 + "\n"
    assert len(text) < MAX_SIDECAR_BYTES
    with pytest.raises(InputError) as err:
        read_sidecar(_sidecar(tmp_path, text))
    assert "nested" in str(err.value) and "\n" not in str(err.value)
    json_path = tmp_path / "run.json"
    json_path.write_text("[" * 20000 + "]" * 20000)
    with pytest.raises(InputError, match="nested"):
        read_sidecar(json_path)


@pytest.mark.parametrize(("gamma", "message"), [
    ({"lol": ["lol"] * 3}, "gamma.lol: Extra inputs are not permitted"),
    ({"max": "big"}, "gamma.max: Input should be a valid number"),
    ({"max": True}, "gamma.max: must be a number, not a boolean"),
    ({"n_frames": -1}, "gamma.n_frames: Input should be greater than or equal to 0"),
    ({"max": float("inf")}, "gamma.max: must be a finite number"),
    ([1, 2], "gamma: Input should be a valid dictionary"),
])
def test_gamma_field_is_typed(tmp_path: Path, gamma, message: str):
    text = GOOD + yaml.safe_dump({"gamma": gamma})
    with pytest.raises(InputError) as err:
        read_sidecar(_sidecar(tmp_path, text))
    assert message in str(err.value) and "\n" not in str(err.value)


def test_gamma_as_ionflux_md_records_it_reads_and_dumps_unchanged(tmp_path: Path):
    from ionflux.md.run import gamma_statistics

    for stats in (gamma_statistics([1.0, 2.5, 7.0], 5.0, 100.0),
                  gamma_statistics([], 5.0, 100.0)):
        meta = read_sidecar(_sidecar(tmp_path, GOOD + yaml.safe_dump({"gamma": stats})))
        # the same dictionary back (fingerprints of registered ACE runs do not change)
        assert meta.model_dump(mode="json")["gamma"] == stats


def test_alias_bomb_at_ingest_is_a_recorded_failure(tmp_path: Path):
    from ionflux.pipeline import Pipeline
    from ionflux.transport.synthetic import barium_titanate_like

    runs = tmp_path / "runs"
    runs.mkdir()
    from ionflux.io.writers import write_extxyz

    traj = barium_titanate_like(n_formula_units=2).generate(60, seed=1)
    for name in ("good", "bomb"):
        write_extxyz(runs / f"{name}.extxyz", traj)
    (runs / "good.extxyz.yaml").write_text(GOOD)
    (runs / "bomb.extxyz.yaml").write_text(alias_bomb().replace("r1", "r2"))
    with Pipeline.open("local", data_dir=tmp_path / "store") as pipe:
        start = time.perf_counter()
        report = pipe.ingest(runs)
        assert time.perf_counter() - start < 10
        assert report.new == [str(runs / "good.extxyz")]
        [(path, error)] = report.failed
        assert path == str(runs / "bomb.extxyz") and "YAML aliases" in error
        failures = list(pipe.stores.failures.query({"stage": "ingest"}))
        assert [f["item_key"] for f in failures] == [path]
        assert "\n" not in failures[0]["error"]
        assert pipe.stores.raw_trajectories.count() == 1
