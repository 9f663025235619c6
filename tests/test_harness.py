"""The benchmark harness (scripts/harness.py): peak memory, ratio statistics, interleaving."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))

import harness

MIB = 1024 * 1024


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc")
def test_peak_memory_of_a_fresh_child_is_the_array_it_allocates():
    n_bytes = 80 * MIB
    # np.ones writes every page, so the whole array is resident at once
    peak = harness.peak_memory("numpy:ones", n_bytes // 8)
    assert peak.growth_bytes == pytest.approx(n_bytes, rel=0.10)
    # a fresh process: the parent's own peak (pytest, this module) is not inherited
    small = harness.peak_memory("numpy:ones", 1)
    assert small.growth_bytes < 2 * MIB
    assert small.peak_bytes < peak.peak_bytes


def test_peak_memory_names_a_failing_target():
    with pytest.raises(RuntimeError, match="no_such_function"):
        harness.peak_memory("numpy:no_such_function")


def test_ratio_statistics_are_per_repetition():
    timings = harness.Comparison({"analysis": [2.0, 4.0, 9.0, 5.0],
                                  "baseline": [1.0, 1.0, 3.0, 2.0]})
    stats = timings.ratio("analysis", "baseline")
    # ratios 2, 4, 3, 2.5: not min(analysis) / min(baseline) = 2 nor a ratio of medians
    assert (stats.min, stats.median, stats.max, stats.n) == (2.0, 2.75, 4.0, 4)
    assert timings.best("analysis") == 2.0
    assert timings.median("baseline") == 1.5
    rates = timings.rate_ratio("analysis", "baseline", {"analysis": 10.0, "baseline": 1.0})
    # 10 b / a per repetition: 5, 2.5, 10/3, 4
    assert (rates.min, rates.median, rates.max) == (2.5, pytest.approx(11 / 3), 5.0)


def test_interleave_rotates_the_order_and_times_only_the_call(monkeypatch):
    clock = [0.0]
    monkeypatch.setattr(harness.time, "perf_counter", lambda: clock[0])
    monkeypatch.setattr(harness.time, "process_time", lambda: clock[0] / 2)
    calls = []

    def side(name: str, cost: float):
        def run(state=None):
            calls.append((name, state))
            clock[0] += cost
            return name
        return run

    def setup():
        clock[0] += 100.0  # setup is not timed
        return "fresh"

    timings = harness.interleave({"a": side("a", 3.0), "b": side("b", 1.5)}, repeat=3,
                                 warmup=1, setup={"b": setup})
    assert [name for name, _ in calls] == ["a", "b", "b", "a", "a", "b", "b", "a"]
    assert all(state == "fresh" for name, state in calls if name == "b")
    assert timings.seconds == {"a": [3.0, 3.0, 3.0], "b": [1.5, 1.5, 1.5]}
    assert timings.cpu_seconds == {"a": [1.5, 1.5, 1.5], "b": [0.75, 0.75, 0.75]}
    assert timings.ratio("a", "b").median == 2.0
    assert timings.best("a", clock="cpu") == 1.5
    with pytest.raises(ValueError, match="wall"):
        timings.ratio("a", "b", clock="user")
    assert timings.results == {"a": "a", "b": "b"}


@pytest.fixture
def restored_thread_pools():
    """Give the thread pools of this process their sizes back after the test."""
    threadpoolctl = pytest.importorskip("threadpoolctl")
    pools = {p["prefix"]: p["num_threads"] for p in threadpoolctl.threadpool_info()}
    numba = sys.modules.get("numba")
    numba_threads = numba.get_num_threads() if numba else None
    yield
    threadpoolctl.threadpool_limits(limits=pools)
    if numba_threads is not None:
        numba.set_num_threads(numba_threads)


def test_pin_threads_sets_every_thread_variable(monkeypatch, restored_thread_pools):
    for name in harness.THREAD_VARIABLES:
        monkeypatch.setenv(name, "7")
    harness.pin_threads(1)
    env = harness.environment(versions=("numpy",))
    assert all(f"{name}=1" in env["threads"] for name in harness.THREAD_VARIABLES)
    assert {"cpu", "cores", "load average (1, 5, 15 min)", "numpy"} <= set(env)
    with pytest.raises(SystemExit, match="at least 1"):
        harness.pin_threads(0)
