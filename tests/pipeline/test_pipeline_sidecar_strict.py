"""Sidecars: strict types, finite positive numbers, bounded size; symlinks are not followed."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from ionflux.errors import InputError
from ionflux.storage.ingest import MAX_SIDECAR_BYTES, read_sidecar

GOOD = {"formula": "BaTiO3", "temperature_K": 1500, "replicate": "r1",
        "frame_interval_fs": 50}


def _sidecar(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "run.extxyz.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(("line", "message"), [
    ("temperature_K: yes", "temperature_K: must be a number, not a boolean"),
    ("temperature_K: .inf", "temperature_K: must be a finite number"),
    ("temperature_K: .nan", "temperature_K: must be a finite number"),
    ("frame_interval_fs: .inf", "frame_interval_fs: must be a finite number"),
    ("frame_interval_fs: true", "frame_interval_fs: must be a number, not a boolean"),
    ("temperature_K: '1500'", "temperature_K: must be a number, not text"),
    ("temperature_K: -3", "temperature_K: Input should be greater than 0"),
    # physically meaningless values break the numerics downstream: refused at ingest
    ("temperature_K: 1.0e+300", "temperature_K: value 1e+300 K is outside the physically "
                                "sensible range 1-10000 K"),
    ("temperature_K: 1.0e-300", "temperature_K: value 1e-300 K is outside"),
    ("frame_interval_fs: 1.0e-300", "frame_interval_fs: value 1e-300 fs is outside the "
                                    "physically sensible range 0.001-1e+06 fs"),
    ("frame_interval_fs: 1.0e+300", "frame_interval_fs: value 1e+300 fs is outside"),
    ("replicate: true", "replicate: must be text or an integer"),
])
def test_bad_numbers_are_refused_with_the_field_named(tmp_path: Path, line: str, message: str):
    key = line.split(":")[0]
    text = yaml.safe_dump({k: v for k, v in GOOD.items() if k != key}) + line + "\n"
    with pytest.raises(InputError) as err:
        read_sidecar(_sidecar(tmp_path, text))
    assert message in str(err.value) and "\n" not in str(err.value)


def test_good_sidecar_still_reads(tmp_path: Path):
    meta = read_sidecar(_sidecar(tmp_path, yaml.safe_dump(GOOD)))
    assert (meta.temperature_K, meta.frame_interval_fs, meta.replicate) == (1500.0, 50.0, "r1")


def test_oversized_sidecars_and_fields_are_refused(tmp_path: Path):
    big = yaml.safe_dump({**GOOD, "notes": "x" * (2 * MAX_SIDECAR_BYTES)})
    with pytest.raises(InputError, match=r"sidecar is \d+ bytes; the limit is"):
        read_sidecar(_sidecar(tmp_path, big))
    long_field = yaml.safe_dump({**GOOD, "potential": "p" * 1000})
    with pytest.raises(InputError, match="potential: String should have at most"):
        read_sidecar(_sidecar(tmp_path, long_field))
