"""The automaton's update loop and phase totals (numba source). Same rules as
:mod:`ionflux.ca.reference`.

One update: pick a cell uniformly at random; with probability ``swap_p[phase]`` swap it with a
random one of its six neighbours and stop (the reference's cell mobility); otherwise offer
"no reaction" (weight ``inertia``), every
reaction of the cell's phase with the phase of each of its six face neighbours (weight = score),
and, when at least one neighbour has the same phase, the cell's decompositions; choose one with
probability proportional to weight; the chosen event proceeds with probability
min(1, event_volume / dV), dV being the reactant volume its full extent consumes.

This module is the source of the machine code and imports numba: :mod:`ionflux.ca.updates`
imports it only to build that code (once per kernel source, numba version and CPU), then loads
the object file without numba. The loops read every array through a flat index (``nbr[6 c +
k]``, ``pair_weight[P p + q]``), so it compiles for raw pointers (the C entry point) as for
arrays, allocates nothing and cannot raise (``error_model="numpy"``; no division by a value that
can be zero): its object code needs neither numba's runtime nor the Python C API.
"""

from __future__ import annotations

from numba import cfunc, njit, types, uint64

_INV_2_53 = 1.0 / 9007199254740992.0


@njit(inline="always")
def _next(s):
    """xoshiro256+ (Blackman & Vigna): the state lives in a 4-element uint64 array."""
    s0, s1, s2, s3 = s[0], s[1], s[2], s[3]
    result = s0 + s3
    t = s1 << uint64(17)
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = (s3 << uint64(45)) | (s3 >> uint64(19))
    s[0], s[1], s[2], s[3] = s0, s1, s2, s3
    return result


@njit(inline="always")
def _uniform(s):
    """Uniform double in [0, 1) from the top 53 bits."""
    return (_next(s) >> uint64(11)) * _INV_2_53


@njit(inline="always")
def _below(s, n):
    """Integer in [0, n); bias below n / 2^53, i.e. negligible."""
    return int(_uniform(s) * n)


@njit(error_model="numpy")
def _pick(scores, start: int, count: int, u: float) -> int:
    """Index of the reaction in [start, start+count) that u (uniform in [0, total)) falls on."""
    last = -1
    for j in range(start, start + count):
        s = scores[j]
        if s > 0.0:
            if u < s:
                return j
            u -= s
            last = j
    return last  # rounding at the upper edge


@njit(error_model="numpy")
def run_updates(n_updates, phase, amount, nbr, molar_volume, inertia, event_volume,
                pair_weight, pair_start, pair_count, dec_weight, dec_start, dec_count,
                ra, ca, cb, p1, p2, c1, c2, scores, events, rng, swap_p, swaps,
                pair_sum, dec_sum, n_cells, n_phases, w, same):
    """Apply ``n_updates`` random-site updates in place; ``events[r]`` counts reactions done.

    Every (P, P) table and the (n_cells, 6) neighbour table come flattened (C order).
    ``rng`` is the xoshiro256+ state (advanced in place, so chunks continue one stream);
    ``swap_p[p]`` is the swap probability of a cell of phase p; ``swaps[0]`` counts swaps.
    ``pair_weight``/``dec_weight`` are the weights offered per neighbour (sum or largest score
    of the pair's reactions); ``pair_sum``/``dec_sum`` the sums, used to pick a reaction of the
    chosen pair with probability proportional to its score. ``w`` (6 float64) and ``same``
    (6 int64) are scratch space.
    """
    for _ in range(n_updates):
        c = _below(rng, n_cells)
        p = phase[c]
        sp = swap_p[p]
        if sp > 0.0 and _uniform(rng) < sp:
            nb = nbr[6 * c + _below(rng, 6)]
            phase[c] = phase[nb]
            phase[nb] = p
            held = amount[c]
            amount[c] = amount[nb]
            amount[nb] = held
            swaps[0] += 1
            continue
        total = inertia
        m = 0
        for k in range(6):
            nb = nbr[6 * c + k]
            q = phase[nb]
            if q == p:
                same[m] = nb
                m += 1
                w[k] = 0.0
            else:
                w[k] = pair_weight[n_phases * p + q]
                total += w[k]
        wd = dec_weight[p] if m > 0 else 0.0
        total += wd
        if total <= inertia:
            continue
        u = _uniform(rng) * total
        if u < inertia:
            continue
        u -= inertia
        chosen = -1
        for k in range(6):
            if w[k] > 0.0:
                if u < w[k]:
                    chosen = k
                    break
                u -= w[k]
        if chosen < 0 and wd <= 0.0:  # rounding at the upper edge: last offered neighbour
            for k in range(6):
                if w[k] > 0.0:
                    chosen = k
            u = 0.0
        if chosen >= 0:
            n = nbr[6 * c + chosen]
            q = phase[n]
            pq = n_phases * p + q
            r = _pick(scores, pair_start[pq], pair_count[pq], u * pair_sum[pq] / pair_weight[pq])
            if ra[r] == p:
                a = ca[r]
                b = cb[r]
            else:
                a = cb[r]
                b = ca[r]
            xi_c = amount[c] / a
            xi_n = amount[n] / b
            xi = min(xi_c, xi_n)
            dv = xi * (a * molar_volume[p] + b * molar_volume[q])
            if dv > event_volume and _uniform(rng) * dv >= event_volume:
                continue
            events[r] += 1
            product = p1[r]
            made = c1[r] * xi
            # the limiting cell is drained; a leftover <= 0 (a tie, or rounding) drains both
            left_c = amount[c] - a * xi if xi_n < xi_c else 0.0
            left_n = amount[n] - b * xi if xi_c < xi_n else 0.0
            if left_n > 0.0:
                amount[n] = left_n
                phase[c] = product
                amount[c] = made
            elif left_c > 0.0:
                amount[c] = left_c
                phase[n] = product
                amount[n] = made
            else:  # both drained: share the product by consumed volume
                vc = a * molar_volume[p]
                share = made * vc / (vc + b * molar_volume[q])
                phase[c] = product
                amount[c] = share
                phase[n] = product
                amount[n] = made - share
        else:
            r = _pick(scores, dec_start[p], dec_count[p], u * dec_sum[p] / wd)
            partner = same[_below(rng, m)]
            pooled = amount[c] + amount[partner]
            dv = pooled * molar_volume[p]
            if dv > event_volume and _uniform(rng) * dv >= event_volume:
                continue
            events[r] += 1
            xi = pooled / ca[r]
            first, second = c, partner
            if _uniform(rng) < 0.5:
                first, second = partner, c
            phase[first] = p1[r]
            amount[first] = c1[r] * xi
            phase[second] = p2[r]
            amount[second] = c2[r] * xi


def _pointer(dtype):
    return types.CPointer(dtype)


#: C signature of the entry point, argument by argument as :func:`run_updates` takes them
#: (pointers to the first element of C-contiguous arrays; n_cells, n_phases last but two).
ENTRY_ARGS = (
    ("n_updates", types.int64), ("phase", _pointer(types.int16)),
    ("amount", _pointer(types.float64)), ("nbr", _pointer(types.int32)),
    ("molar_volume", _pointer(types.float64)), ("inertia", types.float64),
    ("event_volume", types.float64), ("pair_weight", _pointer(types.float64)),
    ("pair_start", _pointer(types.int64)), ("pair_count", _pointer(types.int64)),
    ("dec_weight", _pointer(types.float64)), ("dec_start", _pointer(types.int64)),
    ("dec_count", _pointer(types.int64)), ("ra", _pointer(types.int64)),
    ("ca", _pointer(types.float64)), ("cb", _pointer(types.float64)),
    ("p1", _pointer(types.int64)), ("p2", _pointer(types.int64)),
    ("c1", _pointer(types.float64)), ("c2", _pointer(types.float64)),
    ("scores", _pointer(types.float64)), ("events", _pointer(types.int64)),
    ("rng", _pointer(types.uint64)), ("swap_p", _pointer(types.float64)),
    ("swaps", _pointer(types.int64)), ("pair_sum", _pointer(types.float64)),
    ("dec_sum", _pointer(types.float64)), ("n_cells", types.int64),
    ("n_phases", types.int64), ("w", _pointer(types.float64)),
    ("same", _pointer(types.int64)),
)


@njit(error_model="numpy")
def phase_totals(phase, amount, n_cells, out):
    """Add the formula units of every cell to ``out[phase]``, in cell order."""
    for i in range(n_cells):
        out[phase[i]] += amount[i]


#: C signature of the phase-totals entry point (``out`` zeroed by the caller).
TOTALS_ARGS = (("phase", _pointer(types.int16)), ("amount", _pointer(types.float64)),
               ("n_cells", types.int64), ("out", _pointer(types.float64)))


def compile_entries() -> dict:
    """The loop and the phase totals compiled for raw pointers, as numba ``cfunc`` objects
    keyed ``updates`` and ``totals`` (compiles: ~1-2 s)."""

    @cfunc(types.void(*(t for _, t in ENTRY_ARGS)), error_model="numpy")
    def updates(n_updates, phase, amount, nbr, molar_volume, inertia, event_volume,
                pair_weight, pair_start, pair_count, dec_weight, dec_start, dec_count,
                ra, ca, cb, p1, p2, c1, c2, scores, events, rng, swap_p, swaps,
                pair_sum, dec_sum, n_cells, n_phases, w, same):
        run_updates(n_updates, phase, amount, nbr, molar_volume, inertia, event_volume,
                    pair_weight, pair_start, pair_count, dec_weight, dec_start, dec_count,
                    ra, ca, cb, p1, p2, c1, c2, scores, events, rng, swap_p, swaps,
                    pair_sum, dec_sum, n_cells, n_phases, w, same)

    @cfunc(types.void(*(t for _, t in TOTALS_ARGS)), error_model="numpy")
    def totals(phase, amount, n_cells, out):
        phase_totals(phase, amount, n_cells, out)

    return {"updates": updates, "totals": totals}


def object_code(target_machine) -> tuple[dict[str, str], bytes]:
    """({entry: symbol}, ELF/Mach-O object) of the entry points of :func:`compile_entries`,
    compiled for ``target_machine`` into one object.

    Each symbol is a function in numba's calling convention, ``int32 f(void *return_value,
    void *excinfo, args...)``; numba's C wrappers around them are left out, because their
    error path calls numba's runtime and the Python C API, which a process without numba
    cannot resolve (the functions never take it). Raises when anything external is left.
    """
    import llvmlite.binding as ll

    entries = compile_entries()
    # "cfunc." + the symbol of the function each wrapper calls
    names = {key: entry.native_name.partition(".")[2] for key, entry in entries.items()}
    modules = [ll.parse_assembly(entry.inspect_llvm()) for entry in entries.values()]
    module = modules[0]
    for other in modules[1:]:
        module.link_in(other)
    keep = set(names.values())
    for name in keep:
        if module.get_function(name).is_declaration:
            raise LookupError(f"{name} is not defined in the compiled module")
    for value in [*module.functions, *module.global_variables]:
        if not value.is_declaration and value.name not in keep:
            value.linkage = "internal"  # dropped below unless an entry point uses it
    passes = ll.create_new_module_pass_manager()
    passes.add_global_dead_code_eliminate_pass()
    passes.add_strip_dead_prototype_pass()
    passes.run(module, ll.create_pass_builder(target_machine, ll.create_pipeline_tuning_options()))
    external = [f.name for f in module.functions
                if f.is_declaration and not f.name.startswith("llvm.")]
    if external:
        raise RuntimeError(f"the automaton kernel calls external functions {external}")
    return names, target_machine.emit_object(module)
