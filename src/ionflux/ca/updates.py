"""The automaton's compiled loops (updates, phase totals), loaded without importing numba.

:mod:`ionflux.ca.kernel` holds the loops (numba source). Importing numba and loading cached
numba functions costs ~0.5 s of every ``ionflux predict``; this module compiles the loops once
per kernel source, numba/llvmlite version and CPU, writes the object file to
``$IONFLUX_CACHE_DIR/kernels/`` (default ``~/.cache/ionflux``) and afterwards loads it with
llvmlite's MCJIT alone (~50 ms), calling it through ctypes. The machine code is the one numba
generates for the loops, so results are the same bit for bit. When the cache folder cannot be
written the object is loaded from memory; when llvmlite cannot load it, numba's own compiled
functions are called (the slow start of earlier versions, same results).

Also here, because the automaton needs them on every run and they need no compiler: the grid's
neighbour table and the update stream's seeding.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import os
import platform
import tempfile
import warnings
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from ionflux.versions import installed_version

if TYPE_CHECKING:
    from ionflux.ca.table import CATable

#: First line of a cached object file; then the entry points' symbols, the SHA-256 of the
#: object (a truncated or altered file is rebuilt, never handed to the loader) and the object.
_MAGIC = b"ionflux-ca-updates 1\n"


def rng_state(seed_sequence: np.random.SeedSequence) -> np.ndarray:
    """Four-word xoshiro256+ state drawn from a NumPy SeedSequence (never all zero)."""
    state = seed_sequence.generate_state(4, dtype=np.uint64)
    if not state.any():
        state[0] = 1
    return state


def neighbour_table(grid: int) -> np.ndarray:
    """(grid^3, 6) indices of the six face neighbours on a periodic cubic grid: +x, -x, +y,
    -y, +z, -z of cell (x * grid + y) * grid + z."""
    index = np.arange(grid ** 3, dtype=np.int32).reshape(grid, grid, grid)
    out = np.empty((grid ** 3, 6), np.int32)
    for axis in range(3):
        # rolling by -1 puts the cell at +1 along the axis in each position
        out[:, 2 * axis] = np.roll(index, -1, axis=axis).ravel()
        out[:, 2 * axis + 1] = np.roll(index, 1, axis=axis).ravel()
    return out


class PhaseTotals:
    """Formula units of each phase summed over cells (in cell order) of one grid state.

    The arrays are checked once (C-contiguous, phase indices in range; only the automaton's
    loop, which writes phases of its table, changes them afterwards), so each call of a
    realisation's ~200 records is one ctypes call.
    """

    def __init__(self, phase: np.ndarray, amount: np.ndarray, n_phases: int) -> None:
        n_cells = phase.size
        if n_cells and not 0 <= int(phase.min()) <= int(phase.max()) < n_phases:
            raise ValueError(f"phase indices outside 0..{n_phases - 1}")
        self._args = (_data(phase, np.int16, "phase"),
                      _data(amount, np.float64, "amount", n_cells), n_cells)
        self._targets = (phase, amount)  # read through their addresses: keep alive
        self.n_phases = n_phases
        self._entry = native().totals

    def __call__(self) -> np.ndarray:
        out = np.zeros(self.n_phases)
        status = self._entry(*self._args, out.ctypes.data)
        if status != 0:
            raise RuntimeError(f"automaton kernel returned status {status}")
        return out


def phase_moles(phase: np.ndarray, amount: np.ndarray, n_phases: int) -> np.ndarray:
    """Formula units of each phase summed over cells (in cell order)."""
    return PhaseTotals(phase, amount, n_phases)()


def swap_probability(x: np.ndarray | float, slope: float = 20.0,
                     offset: float = 18.5) -> np.ndarray:
    """The reference's swap(x) = (k x - m) / (2 sqrt((k x - m)^2 + 1)) + 1/2 of x = T / T_m."""
    y = slope * np.asarray(x, float) - offset
    return y / (2.0 * np.sqrt(y * y + 1.0)) + 0.5


# ------------------------------------------------------------------ loading the machine code
def _target_machine(ll: Any) -> Any:
    """llvmlite target machine for this CPU, set up as numba's JIT sets up its own."""
    ll.initialize_native_target()
    ll.initialize_native_asmprinter()
    target = ll.Target.from_triple(ll.get_process_triple())
    return target.create_target_machine(
        cpu=ll.get_host_cpu_name(), features=ll.get_host_cpu_features().flatten(), opt=3,
        reloc="default", codemodel="jitdefault", jit=True)


def _cache_key(ll: Any) -> str:
    """What the object code depends on: the kernel's source, the compilers and the CPU."""
    source = Path(__file__).with_name("kernel.py").read_bytes()
    parts = [hashlib.sha256(source).hexdigest(), installed_version("numba") or "",
             installed_version("llvmlite") or "", ".".join(map(str, ll.llvm_version_info)),
             ll.get_process_triple(), ll.get_host_cpu_name(),
             ll.get_host_cpu_features().flatten(), platform.python_implementation()]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:20]


def _cache_path(key: str) -> Path:
    from ionflux.thermo.data import cache_dir

    return cache_dir() / "kernels" / f"ca-updates-{key}.o"


def _read_object(path: Path) -> tuple[dict[str, str], bytes] | None:
    try:
        blob = path.read_bytes()
    except OSError:
        return None
    if not blob.startswith(_MAGIC):
        return None
    names, _, rest = blob[len(_MAGIC):].partition(b"\n")
    digest, _, obj = rest.partition(b"\n")
    if not obj or hashlib.sha256(obj).hexdigest().encode() != digest:
        return None
    try:
        return dict(item.split("=", 1) for item in names.decode().split()), obj
    except ValueError:
        return None


def _write_object(path: Path, names: dict[str, str], obj: bytes) -> None:
    """Atomically (another process may be reading); a folder we cannot write is no error."""
    header = " ".join(f"{key}={name}" for key, name in names.items()).encode()
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            f.write(b"%s%s\n%s\n%s" % (_MAGIC, header, hashlib.sha256(obj).hexdigest()
                                         .encode(), obj))
        os.replace(tmp, path)
    except OSError:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


#: Argument kinds (int64, float64, pointer) of each entry point, in order; checked against
#: ``kernel.ENTRY_ARGS`` and ``kernel.TOTALS_ARGS`` by the tests (written out here so that
#: loading the object does not import the kernel's numba).
ARG_KINDS = {"updates": "i" + "p" * 4 + "ff" + "p" * 20 + "ii" + "pp", "totals": "ppip"}


class Native(NamedTuple):
    """The compiled entry points: ``updates(*kernel.ENTRY_ARGS)`` and
    ``totals(*kernel.TOTALS_ARGS)``, each returning a status (0: done)."""

    updates: Callable[..., int]
    totals: Callable[..., int]


def _argtypes(key: str) -> list[Any]:
    kinds = {"i": ctypes.c_int64, "f": ctypes.c_double, "p": ctypes.c_void_p}
    return [kinds[k] for k in ARG_KINDS[key]]


@cache
def native() -> Native:
    """The entry points, from the cached object file (built on a miss), else numba's own."""
    try:
        import llvmlite.binding as ll

        tm = _target_machine(ll)
        path = _cache_path(_cache_key(ll))
        found = _read_object(path)
        if found is None:
            from ionflux.ca.kernel import object_code

            found = object_code(tm)
            _write_object(path, *found)
        names, obj = found
        engine = ll.create_mcjit_compiler(ll.parse_assembly(""), tm)
        engine.add_object_file(ll.ObjectFileRef.from_data(obj))
        engine.finalize_object()
        addresses = {key: engine.get_function_address(names.get(key, "")) for key in ARG_KINDS}
        if not all(addresses.values()):
            raise LookupError(f"entry points missing from the cached kernel {path}")
    except Exception as exc:  # any failure of the fast path: numba's own functions, same code
        warnings.warn(f"loading the automaton's machine code failed ({exc}); using numba's "
                      "compiled functions instead (same results, ~0.5 s slower start)",
                      RuntimeWarning, stacklevel=2)
        return _numba_entries()
    # numba's calling convention: int32 status f(void *return_value, void *excinfo, args...);
    # the functions may write to both slots, which live as long as the functions
    scratch = ctypes.create_string_buffer(64)
    slots = (ctypes.addressof(scratch), ctypes.addressof(scratch) + 32)

    def bind(key: str) -> Callable[..., int]:
        function = ctypes.CFUNCTYPE(ctypes.c_int32, ctypes.c_void_p, ctypes.c_void_p,
                                    *_argtypes(key))(addresses[key])

        def call(*args: Any) -> int:
            return function(*slots, *args)

        call.keep = (engine, scratch)  # the machine code lives as long as the engine
        return call

    return Native(bind("updates"), bind("totals"))


def _numba_entries() -> Native:
    """The entry points as numba compiles them in this process (C wrappers, no status)."""
    from ionflux.ca.kernel import compile_entries

    entries = compile_entries()

    def bind(key: str) -> Callable[..., int]:
        function = ctypes.CFUNCTYPE(None, *_argtypes(key))(entries[key].address)

        def call(*args: Any) -> int:
            function(*args)
            return 0

        call.keep = entries
        return call

    return Native(bind("updates"), bind("totals"))


def _data(array: np.ndarray, dtype: Any, name: str, size: int | None = None) -> int:
    """Address of the first element of ``array``, which the loop writes to: it must already
    be C-contiguous with the loop's dtype (a converted copy would not be written back)."""
    if array.dtype != dtype or not array.flags.c_contiguous or not array.flags.writeable:
        raise ValueError(f"{name}: need a writeable C-contiguous {np.dtype(dtype)} array, got "
                         f"{array.dtype} {'' if array.flags.c_contiguous else 'non-contiguous'}")
    if size is not None and array.size != size:
        raise ValueError(f"{name}: need {size} elements, got {array.size}")
    return array.ctypes.data


class TableUpdates:
    """The loop bound to one table, temperature and grid state: ``run(n)`` applies n updates.

    Arrays are checked and their addresses taken once, so a realisation's many short chunks
    cost one ctypes call each. ``phase`` (int16), ``amount`` (float64), ``events`` (int64,
    one per reaction), ``rng`` (4 uint64) and ``swaps`` (1 int64) are updated in place.
    """

    def __init__(self, table: CATable, t_index: int, phase: np.ndarray, amount: np.ndarray,
                 nbr: np.ndarray, inertia: float, event_volume: float, events: np.ndarray,
                 rng: np.ndarray, swap_p: np.ndarray | None = None,
                 swaps: np.ndarray | None = None, pair_weight: str = "sum") -> None:
        n_cells, n_p, n_r = phase.size, table.n_phases, len(table.labels)
        if pair_weight not in ("sum", "max"):
            raise ValueError(f"pair_weight {pair_weight!r}: use 'sum' or 'max'")
        if pair_weight == "sum":
            pair_w, dec_w = table.pair_weight[t_index], table.dec_weight[t_index]
        else:
            pair_w, dec_w = table.pair_max[t_index], table.dec_max[t_index]
        swap_p = np.zeros(n_p) if swap_p is None else swap_p
        swaps = np.zeros(1, np.int64) if swaps is None else swaps

        # read-only inputs: converted (no copy when already right), kept alive by self
        def f64(a: Any, size: int) -> np.ndarray:
            return self._keep(np.ascontiguousarray(a, np.float64), size)

        def i64(a: Any, size: int) -> np.ndarray:
            return self._keep(np.ascontiguousarray(a, np.int64), size)

        self._arrays: list[np.ndarray] = []
        self._scratch = (np.empty(6), np.empty(6, np.int64))
        self._nbr = self._keep(np.ascontiguousarray(nbr, np.int32), 6 * n_cells)
        pointers = [
            _data(phase, np.int16, "phase"), _data(amount, np.float64, "amount", n_cells),
            self._nbr.ctypes.data, f64(table.molar_volume, n_p).ctypes.data,
            float(inertia), float(event_volume), f64(pair_w, n_p * n_p).ctypes.data,
            i64(table.pair_start, n_p * n_p).ctypes.data,
            i64(table.pair_count, n_p * n_p).ctypes.data, f64(dec_w, n_p).ctypes.data,
            i64(table.dec_start, n_p).ctypes.data, i64(table.dec_count, n_p).ctypes.data,
            i64(table.ra, n_r).ctypes.data, f64(table.ca, n_r).ctypes.data,
            f64(table.cb, n_r).ctypes.data, i64(table.p1, n_r).ctypes.data,
            i64(table.p2, n_r).ctypes.data, f64(table.c1, n_r).ctypes.data,
            f64(table.c2, n_r).ctypes.data, f64(table.scores[t_index], n_r).ctypes.data,
            _data(events, np.int64, "events", n_r), _data(rng, np.uint64, "rng", 4),
            f64(swap_p, n_p).ctypes.data, _data(swaps, np.int64, "swaps", 1),
            f64(table.pair_weight[t_index], n_p * n_p).ctypes.data,
            f64(table.dec_weight[t_index], n_p).ctypes.data, n_cells, n_p,
            self._scratch[0].ctypes.data, self._scratch[1].ctypes.data]
        self._targets = (phase, amount, events, rng, swaps)  # written in place: keep alive
        self._args = tuple(pointers)
        self._entry = native().updates

    def _keep(self, array: np.ndarray, size: int) -> np.ndarray:
        if array.size != size:
            raise ValueError(f"table array of {array.size} elements where {size} are needed")
        self._arrays.append(array)
        return array

    def run(self, n_updates: int) -> None:
        """Apply ``n_updates`` random-site updates."""
        status = self._entry(int(n_updates), *self._args)
        if status != 0:  # the loop cannot raise; a status means a broken build: say so
            raise RuntimeError(f"automaton kernel returned status {status}")


def run_table_updates(table: CATable, t_index: int, n_updates: int, phase: np.ndarray,
                      amount: np.ndarray, nbr: np.ndarray, inertia: float, event_volume: float,
                      events: np.ndarray, rng: np.ndarray, swap_p: np.ndarray | None = None,
                      swaps: np.ndarray | None = None, pair_weight: str = "sum") -> None:
    """Run the compiled loop with the scores of ``table`` at temperature index ``t_index``.

    ``swap_p`` (per phase) defaults to no swaps; ``swaps`` (one int64) accumulates swap counts;
    ``pair_weight`` is 'sum' (every reaction of a pair offered with its score) or 'max' (a
    pair offered once, with its largest score).
    """
    TableUpdates(table, t_index, phase, amount, nbr, inertia, event_volume, events, rng,
                 swap_p, swaps, pair_weight).run(n_updates)
