"""Builds in other processes: killed with SIGKILL and rerun, and maggma's distributed ``mrun``
(ZMQ manager + two workers on 127.0.0.1) over the ``builders/`` definitions."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from pipeline_data import (
    TEST_SETTINGS,
    all_documents,
    clone_data_dir,
    free_port,
    subprocess_env,
    write_run,
)

from ionflux.pipeline import Pipeline, PipelineSettings

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def _setup(tmp_path: Path, n: int, settings: dict) -> tuple[Path, Path, Path]:
    """Ingest ``n`` runs into tmp/data and clone it to tmp/serial."""
    runs = tmp_path / "runs"
    for i in range(n):
        write_run(runs, f"run{i}", replicate=f"r{i}", seed=i,
                  temperature_K=1500.0 if i % 2 else 1750.0)
    settings_file = tmp_path / "settings.yaml"
    settings_file.write_text(yaml.safe_dump(settings))
    pipe = Pipeline.open("local", data_dir=tmp_path / "data", settings=settings_file)
    pipe.ingest(runs)
    pipe.close()
    clone_data_dir(tmp_path / "data", tmp_path / "serial")
    return tmp_path / "data", tmp_path / "serial", settings_file


def _count(db: Path, table: str) -> int:
    if not db.exists():
        return 0
    conn = sqlite3.connect(db, timeout=30)
    try:
        return int(conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            return 0
        raise
    finally:
        conn.close()


@pytest.mark.slow
def test_sigkilled_build_reruns_to_identical_documents(tmp_path: Path):
    n = 8
    data, serial, settings_file = _setup(tmp_path, n, {**TEST_SETTINGS, "chunk_size": 1})
    stages = ["transport", "bonds"]
    reference = Pipeline.open("local", data_dir=serial, settings=settings_file)
    reference.build(stages)
    want = all_documents(reference)
    reference.close()

    cmd = [sys.executable, "-m", "ionflux", "build", "--store", "local", "--data-dir", str(data),
           "--settings", str(settings_file), "--stage", "transport", "--stage", "bonds"]
    proc = subprocess.Popen(cmd, env=subprocess_env(), stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    db = data / "ionflux.sqlite"
    deadline = time.monotonic() + 300
    while _count(db, "bonds") < 2:
        assert proc.poll() is None, f"build ended before it could be killed: {proc.stderr.read()}"
        assert time.monotonic() < deadline, "build made no progress in 300 s"
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    done = _count(db, "bonds")
    assert 2 <= done < n and _count(db, "transport") == n

    pipe = Pipeline.open("local", data_dir=data, settings=settings_file)
    reports = {r.stage: r.processed for r in pipe.build(stages)}
    assert reports == {"transport": 0, "bonds": n - done}
    got = all_documents(pipe)
    pipe.close()
    assert got == want  # complete, identical, and (primary keys) without duplicates
    assert _count(db, "bonds") == n and _count(db, "transport") == n


@pytest.mark.slow
def test_mrun_manager_with_two_workers_equals_serial_build(tmp_path: Path):
    data, serial, settings_file = _setup(tmp_path, 6, TEST_SETTINGS)
    reference = Pipeline.open("local", data_dir=serial, settings=settings_file)
    reference.build(["transport"])
    want = all_documents(reference, ("transport", "failures"))
    reference.close()

    env = subprocess_env(IONFLUX_STORE="local", IONFLUX_DATA_DIR=str(data),
                         IONFLUX_PIPELINE_SETTINGS=str(settings_file),
                         MAGGMA_MANAGER_TIMEOUT="300")
    port = str(free_port())
    mrun = str(BIN / "mrun")
    url = ["--url", "tcp://127.0.0.1", "--port", port]
    logs = {name: open(tmp_path / f"{name}.log", "w") for name in ("manager", "w1", "w2")}
    procs = {"manager": subprocess.Popen(
        [mrun, *url, "--num-chunks", "2", "--num-workers", "2", "--no_bars",
         "builders/transport.py"], cwd=REPO, env=env, stdout=logs["manager"],
        stderr=subprocess.STDOUT)}
    for name in ("w1", "w2"):
        procs[name] = subprocess.Popen([mrun, *url, "--no_bars", "builders/transport.py"],
                                       cwd=REPO, env=env, stdout=logs[name],
                                       stderr=subprocess.STDOUT)
    try:
        codes = {name: p.wait(timeout=600) for name, p in procs.items()}
    finally:
        for p in procs.values():
            if p.poll() is None:
                p.kill()
        for f in logs.values():
            f.close()
    tails = {n: (tmp_path / f"{n}.log").read_text()[-1500:] for n in procs}
    assert codes == {"manager": 0, "w1": 0, "w2": 0}, tails
    for name in ("w1", "w2"):
        assert "error" not in tails[name].lower(), tails[name]

    got = Pipeline.open("local", data_dir=data, settings=PipelineSettings.from_file(settings_file))
    assert all_documents(got, ("transport", "failures")) == want
    assert len(want["transport"]) == 6
    got.close()
