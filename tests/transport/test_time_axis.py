"""Time-axis factors of published records against reference documents (transport/time_axis)."""

from __future__ import annotations

import math
import re
import warnings

import numpy as np
import pytest

from ionflux.errors import DataNotFoundError, InputError
from ionflux.transport.physics_checks import apply_time_axis_factor
from ionflux.transport.published import load_published
from ionflux.transport.time_axis import load_reference, time_axis_factors

#: Bundled melts whose runs the selection left out or cut because their cations order
#: (measured, ionflux.md.selection; docs/md-engines.md).
ORDERED_MELTS = {("Ba3TiO5", 1750.0), ("Ba4TiO6", 1750.0), ("BaTiO3", 1750.0),
                 ("BaTiO3", 2000.0), ("Ba3TiO5", 2000.0), ("Ba2TiO4", 2000.0),
                 ("Ba2TiO4", 1750.0)}


@pytest.fixture(scope="module")
def published():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return load_published("Ba-Ti-O")


def _at(docs, formula, temperature_K=1750.0):
    return next(d for d in docs if d.formula == formula and d.temperature_K == temperature_K)


def _scaled_self(doc, per_species: dict[str, float]):
    """``doc`` with L_self of each species divided by its own number (a reference whose
    cations disagree, so the geometric mean is exercised)."""
    L_self = [v / per_species[el] for el, v in zip(doc.species, doc.L_self, strict=True)]
    return doc.model_copy(update={"L_self": L_self})


def test_known_factors_are_recovered_and_gaps_take_the_nearest(published):
    truth = {"BaTiO3": (40.0, 160.0), "Ba2TiO4": (2.0, 2.0), "BaTi4O9": (90.0, 10.0)}
    reference = [_scaled_self(_at(published, f), {"Ba": a, "Ti": b, "O": 7.0})
                 for f, (a, b) in truth.items()]
    factors = time_axis_factors(published, reference)
    for formula, (a, b) in truth.items():
        got = factors[formula]
        assert got.origin == "measured"
        assert got.factor == pytest.approx(math.sqrt(a * b), rel=1e-12)  # O is no cation
        assert got.ratios == pytest.approx({"Ba": a, "Ti": b}, rel=1e-12)
        assert got.log_sd == pytest.approx(abs(math.log(a / b)) / math.sqrt(2), rel=1e-12)
    # every published composition gets a factor; a gap borrows from the nearest in Ti/(Ba+Ti):
    # Ba3TiO5 (0.25) -> Ba2TiO4 (0.33); BaTi2O5 (0.67) -> BaTi4O9 (0.8) rather than BaTiO3
    # (0.5); Ba2Ti9O20 (0.82) -> BaTi4O9
    assert set(factors) == {d.formula for d in published}
    assert factors["Ba3TiO5"].origin == "nearest reference: Ba2TiO4"
    assert factors["BaTi2O5"].origin == "nearest reference: BaTi4O9"
    assert factors["Ba2Ti9O20"].origin == "nearest reference: BaTi4O9"
    assert factors["Ba2Ti9O20"].factor == factors["BaTi4O9"].factor


def test_reference_correction_divides_each_composition_at_every_temperature(published):
    corrected = load_published("Ba-Ti-O", time_axis_factor="reference")
    factors = time_axis_factors(published, load_reference("Ba-Ti-O"))
    assert len(corrected) == len(published)
    for before, after in zip(published, corrected, strict=True):
        factor = factors[before.formula].factor
        np.testing.assert_allclose(np.array(after.L) * factor, before.L, rtol=1e-12)
        np.testing.assert_allclose(np.array(after.L_self) * factor, before.L_self, rtol=1e-12)
        method = after.provenance.method
        assert method["time_axis_factor"] == pytest.approx(factor, rel=1e-15)
        assert method["time_axis_origin"].startswith(f"{before.formula}: F = ")
        assert any("every temperature" in w for w in after.warnings)
    # the correction changes the numbers, so every hash of them
    assert {d.L[0][0] for d in corrected}.isdisjoint({d.L[0][0] for d in published})


def test_corrected_kd_and_onset_s_scale_by_the_product_factor(published):
    """K_D is linear in L at fixed driving force, so the corrected BaTiO3 K_D is the published
    one over BaTiO3's factor, and so is the s the onset rule gives."""
    from ionflux.ca.calibration import onset_s
    from ionflux.ca.settings import ScoringSettings
    from ionflux.kinetics import KDTable
    from ionflux.thermo import ThermoData

    thermo = ThermoData.bundled("Ba-Ti-O")
    plain = KDTable.from_transport_docs(published, thermo)
    corrected = KDTable.from_transport_docs(
        load_published("Ba-Ti-O", thermo=thermo, time_axis_factor="reference"), thermo)
    factor = time_axis_factors(published, load_reference("Ba-Ti-O"))["BaTiO3"].factor
    scoring = ScoringSettings()
    assert onset_s(corrected, scoring) == pytest.approx(onset_s(plain, scoring) / factor,
                                                        rel=1e-9)
    assert "BaTiO3" in corrected.time_axis_corrections()
    assert plain.time_axis_corrections() == {}


def test_bundled_reference_is_labelled_and_splits_the_published_set():
    """The bundled melts (distilled SevenNet-0, 1750 K) as measured and documented: every
    record with Ba:Ti <= 1 is >= 50x above them, the Ba-rich ones within 25x."""
    reference = load_reference("Ba-Ti-O")
    assert {d.temperature_K for d in reference} == {1750.0, 2000.0}
    for doc in reference:
        assert doc.provenance.method["potential"].startswith("DISTILLED")
        assert any("universal-potential grade, not DFT" in w for w in doc.warnings)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        factors = time_axis_factors(load_published("Ba-Ti-O"), reference)
    ti_rich = {f: v.factor for f, v in factors.items() if f.startswith("BaTi") or
               f in ("Ba2Ti9O20", "Ba4Ti13O30", "Ba6Ti17O40")}
    ba_rich = {f: v.factor for f, v in factors.items() if f not in ti_rich}
    assert min(ti_rich.values()) > 50 and max(ba_rich.values()) < 25
    # what the docs say of the runs, read from the documents (ionflux.md.selection): the runs
    # left out for leaving the domain or for ordering, the melts cut where they order, and the
    # rule, judged on each document as exported (ionflux.md.convergence), passed by 8 of 11
    # documents at 1750 K and 10 of 11 at 2000 K (BaTi5O11 at 1750 K since its remade runs
    # went on from 79 to 119 ps, BaTi6O13 since it pools two more seeds, Ba2TiO4 at 2000 K
    # since its runs went on to 300 ps, 2026-12-07)
    not_used = {(d.formula, d.temperature_K): d.provenance.method.get("runs_not_used", "")
                for d in reference}
    exits = {melt for melt, text in not_used.items() if "left the domain" in text}
    # (BaTi6O13 at 1750 K: its remade seed 1 left at 100 ps, which the first run had not)
    assert exits == {("BaTi5O11", 1750.0), ("Ba6Ti17O40", 2000.0), ("BaTi4O9", 2000.0),
                     ("BaTi5O11", 2000.0), ("BaTi6O13", 1750.0)}
    # every melt has a run that finished in the domain: none is used up to an exit (BaTi4O9 at
    # 2000 K was, until its second seed finished)
    ends = {(d.formula, d.temperature_K): d.provenance.method["run_ends"] for d in reference}
    assert not {melt for melt, end in ends.items() if "left the domain" in end}
    cut = {(d.formula, d.temperature_K) for d in reference
           if "cut where its cations order" in d.provenance.method["run_ends"]}
    left_out = {melt for melt, text in not_used.items() if "cations order" in text}
    assert cut | left_out == ORDERED_MELTS and not cut & left_out
    assert all(d.quality["cation_order"].passed for d in reference)
    passed = {t: sum(d.quality["convergence_rule"].passed for d in reference
                     if d.temperature_K == t) for t in (1750.0, 2000.0)}
    assert passed == {1750.0: 8, 2000.0: 10}
    # every pass rests on two or more seeds (>= 3 degrees of freedom: two seeds in 3 blocks);
    # the two one-run passes at 1750 K of the seventh session failed with another seed (and
    # with a third; BaTi5O11 passes on three seeds run on to 119 ps). Every document pools two
    # or more seeds (Ba2TiO4 at 1750 K rested on its one liquid run of four in the fifteenth
    # session; on six seeds, two stay liquid: sixteenth)
    assert all(d.provenance.method["stderr_dof"] >= 3 for d in reference
               if d.quality["convergence_rule"].passed)
    assert not any(d.quality["convergence_rule"].passed for d in reference
                   if (d.formula, d.temperature_K) == ("Ba3TiO5", 1750.0))
    assert all(d.n_replicates >= 2 for d in reference)


def test_reference_cut_to_59_ps_replaces_exactly_the_longer_runs():
    """The bundled 59-ps alternative: a document is replaced if one of its runs was longer
    than 59 ps, otherwise only if it left a run out (over 59 ps that run may still be clean),
    and each replacement is the same melt analysed over 59 ps."""
    whole = load_reference("Ba-Ti-O")
    cut = load_reference("Ba-Ti-O", span_ps=59)
    assert [(d.formula, d.temperature_K) for d in cut] == [
        (d.formula, d.temperature_K) for d in whole]
    replaced = 0
    for before, after in zip(whole, cut, strict=True):
        runs = [float(x) for x in str(before.provenance.method["replicate_run_ps"]).split(", ")]
        left_out = before.provenance.method.get("runs_not_used", "")
        if max(runs) > 59.0 + 1e-6 or (left_out and after != before):
            replaced += 1
            assert after.provenance.method["cut_to_ps_after_equilibration"] == 59.0
            # over 59 ps a run that left the domain or ordered later is still clean, so the
            # cut document may use seeds the whole one left out (ionflux.md.selection)
            seeds = {s.strip() for s in after.provenance.method["seeds"].split(",")}
            kept = {s.strip() for s in before.provenance.method["seeds"].split(",")}
            extra = seeds - kept
            assert kept <= seeds and all(
                f"seed {seed} not used" in before.provenance.method.get("runs_not_used", "")
                for seed in extra)
            assert after.L_self != before.L_self
        else:
            assert after == before
    assert replaced == 21
    # BaTiO3 at 1750 K: over the first 59 ps of seeds 1, 2 and 4 (seed 2 orders only later)
    # its cations diffuse 1.23-1.32x faster than over seeds 1 and 4 whole (139 ps each; the fit
    # before 2026-12-06: 1.7-1.9x over 59 of 99 ps)
    batio3 = next((b, a) for b, a in zip(whole, cut, strict=True)
                  if (b.formula, b.temperature_K) == ("BaTiO3", 1750.0))
    assert all(1.1 < batio3[1].D_self_cm2_s[el] / batio3[0].D_self_cm2_s[el] < 1.35
               for el in ("Ba", "Ti"))
    # every document says whether its melt was still relaxing (ionflux.md.aging), as measured
    relaxing = {(d.formula, d.temperature_K): not d.quality["stationary_energy"].passed
                for d in whole}
    # (Ba3TiO5 at 2000 K since its runs went on from 69 to 99 ps: -10.2 +- 2.7 meV/atom; remade
    # and run on to 129 ps, -11.8 +- 3.8; on four seeds -8.0 +- 3.0. Ba4TiO6 and Ba3TiO5 at
    # 1750 K on more seeds (twelfth session): -6.7 +- 2.4 and -8.2 +- 2.8, where on three and
    # two seeds the errors hid it (-6.0 +- 3.8); their liquid seeds run on to 200 and 300 ps
    # (fourteenth): -2.1 +- 2.9 and -1.6 +- 3.2. Ba2TiO4 at 2000 K: -3.5 +- 5.5, on 300-ps
    # runs -0.1 +- 4.4. Ba3TiO5 at 2000 K on its two 300-ps liquid seeds: -15.6 +- 4.9.
    # Ba2TiO4 at 1750 K on the first realisation's two seeds -21.1 +- 6.8; on its one liquid
    # run of four, 300 ps, -5.5 +- 6.2, fifteenth session; on its two liquid runs of six,
    # -15.2 +- 4.3, sixteenth: seed 6's energy still falls past 200 ps)
    assert {melt for melt, still in relaxing.items() if still} == {("Ba3TiO5", 2000.0),
                                                                  ("Ba2TiO4", 1750.0)}
    with pytest.raises(DataNotFoundError, match="cut to 33 ps"):
        load_reference("Ba-Ti-O", span_ps=33)


def test_reference_with_ordered_frames_replaces_exactly_the_melts_the_selection_changed():
    """The bundled sensitivity that keeps ordered frames: a document is replaced if and only if
    the run selection (ionflux.md.selection) left out or cut one of its runs because its
    cations order; the replacement uses every seed whole and fails the cation-order flag,
    which the bundled document (liquid frames only) passes."""
    from ionflux.md.selection import ordering_changed

    liquid = load_reference("Ba-Ti-O")
    kept = load_reference("Ba-Ti-O", variant="ordered")
    assert [(d.formula, d.temperature_K) for d in kept] == [
        (d.formula, d.temperature_K) for d in liquid]
    changed = set()
    for before, after in zip(liquid, kept, strict=True):
        assert before.quality["cation_order"].passed
        if not ordering_changed(before.provenance.method):
            assert after == before
            continue
        changed.add((before.formula, before.temperature_K))
        assert "ordered frames kept" in after.provenance.method["run_selection"]
        assert not after.quality["cation_order"].passed
        assert "cut where" not in after.provenance.method["run_ends"]
    assert changed == ORDERED_MELTS
    with pytest.raises(DataNotFoundError, match="variant 'nonesuch'"):
        load_reference("Ba-Ti-O", variant="nonesuch")
    with pytest.raises(InputError, match="not both"):
        load_reference("Ba-Ti-O", span_ps=59, variant="ordered")


def test_bad_input_is_refused(published):
    with pytest.raises(InputError, match="no reference document matches"):
        time_axis_factors(published, [_at(published, "BaTiO3", 1500.0).model_copy(
            update={"temperature_K": 1234.0})])
    negative = _at(published, "BaTiO3").model_copy(update={"L_self": [-1.0, 1.0, 1.0]})
    with pytest.raises(InputError, match="must be positive"):
        time_axis_factors(published, [negative])
    with pytest.raises(InputError, match="positive number or 'reference'"):
        load_published("Ba-Ti-O", time_axis_factor="soon")
    assert apply_time_axis_factor(published[0], 2.0, why="test").warnings[-1].endswith(
        "factor test")


def test_predict_with_corrected_transport_records_factors_and_the_onset_s(tmp_path, capsys):
    import json

    from ionflux.ca.calibration import onset_s
    from ionflux.ca.settings import ScoringSettings
    from ionflux.cli import main
    from ionflux.kinetics import KDTable
    from ionflux.thermo import ThermoData

    argv = ["predict", "--precursors", "BaO=1,TiO2=1", "--profile", "1300K:2", "--grid", "8",
            "--realisations", "2", "--json", "--no-cache"]
    assert main([*argv, "--source", "published-corrected"]) == 0
    captured = capsys.readouterr()
    doc = json.loads(captured.out)
    thermo = ThermoData.bundled("Ba-Ti-O")
    corrected = KDTable.from_transport_docs(
        load_published("Ba-Ti-O", thermo=thermo, time_axis_factor="reference"), thermo)
    assert doc["inputs"]["scoring"]["s"] == pytest.approx(onset_s(corrected, ScoringSettings()),
                                                          rel=1e-12)
    assert "the onset rule on the published-corrected data" in captured.err
    assert doc["model"]["transport_time_axis"]["BaTiO3"].startswith("BaTiO3: F = ")
    assert main([*argv]) == 0
    plain = json.loads(capsys.readouterr().out)
    assert "transport_time_axis" not in plain["model"]
    assert plain["data_version"] != doc["data_version"]
    assert main([*argv, "--source", "corrected"]) == 2
    assert "published-corrected" in capsys.readouterr().err


def test_two_matching_references_of_one_composition_are_refused(published):
    twice = [_at(published, "BaTiO3", 1500.0), _at(published, "BaTiO3", 1750.0)]
    with pytest.raises(InputError, match="two reference documents of BaTiO3"):
        time_axis_factors(published, twice)


#: The bundled documents that failed only the plateau (2026-12-07) and were remade.
PLATEAU_FAILURES = {("Ba3TiO5", 1750.0), ("Ba4TiO6", 1750.0), ("BaTi6O13", 1750.0),
                    ("Ba3TiO5", 2000.0)}
#: Remade at its bundled length too (eleventh session), then continued.
REMADE = PLATEAU_FAILURES | {("BaTi5O11", 1750.0)}


def test_remade_melts_are_other_realisations_that_agree_within_their_errors():
    """The runs of the four plateau failures and of BaTi5O11 at 1750 K remade from their seeds
    on another machine, at the bundled lengths (scripts/rebuild_melts.py), against the
    documents as first bundled: every number differs (another realisation), every D agrees
    within 2 combined standard errors (15 values, rms z 0.86), and BaTi6O13's seed 1, which
    left the domain in its remade run, is left out of its document. The latest-window variant
    fits the same runs at a later window: the window starts later, the reason is recorded, and
    every D is within 25 % below to 5 % above the remade one."""
    from ionflux.md.rebuild import document_agreement

    bundled = {(d.formula, d.temperature_K): d
               for d in load_reference("Ba-Ti-O", variant="first")}
    now = {(d.formula, d.temperature_K): d for d in load_reference("Ba-Ti-O")}
    # the remade file's own documents (the others come from the bundle as it is now)
    remade = [d for d in load_reference("Ba-Ti-O", variant="remade")
              if d != now[(d.formula, d.temperature_K)]]
    late = {(d.formula, d.temperature_K): d
            for d in load_reference("Ba-Ti-O", variant="latewindow")
            if d != now[(d.formula, d.temperature_K)]}
    changed = {(d.formula, d.temperature_K) for d in remade
               if d != bundled[(d.formula, d.temperature_K)]}
    assert changed == REMADE
    assert set(late) == PLATEAU_FAILURES
    z = []
    for doc in remade:
        key = (doc.formula, doc.temperature_K)
        if key not in REMADE:
            continue
        agree = document_agreement(doc.model_dump(), bundled[key].model_dump())
        z += list(agree["D_z"].values())
        if key not in PLATEAU_FAILURES:
            continue
        later = late[key]
        assert later.fit_window_fs[0] > doc.fit_window_fs[0]
        assert "latest window of the plateau scan" in later.provenance.method["window_given"]
        assert later.provenance.method["seeds"] == doc.provenance.method["seeds"]
        for el in doc.species:
            assert 0.75 < later.D_self_cm2_s[el] / doc.D_self_cm2_s[el] < 1.05
    assert len(z) == 15 and max(abs(v) for v in z) < 2.0
    assert 0.7 < float(np.sqrt(np.mean(np.square(z)))) < 1.1
    bati6o13 = next(d for d in remade if (d.formula, d.temperature_K) == ("BaTi6O13", 1750.0))
    assert bati6o13.provenance.method["seeds"] == "2, 3"
    assert "seed 1 not used: left the domain" in bati6o13.provenance.method["runs_not_used"]


#: Documents whose remade runs went on (eleventh session, 2026-12-07) and replaced the first.
CONTINUED = REMADE | {("Ba2TiO4", 2000.0), ("Ba2TiO4", 1750.0)}


def test_continued_documents_replace_the_first_ones_and_say_so():
    """The seven documents remade and run on, or on added seeds, replace the first ones,
    whichever way the rule went (a policy fixed before the runs ended or started): each says
    so and where the first one is, uses
    the first one's seeds less those it names as left out (plus the seeds it says it pooled:
    BaTi6O13 at 1750 K seeds 4 and 5; in the twelfth session Ba3TiO5 at 1750 K 6 and 7, Ba4TiO6
    at 1750 K 6-9, Ba3TiO5 at 2000 K 4 and 5), on longer runs; the first ones are kept whole
    as a variant. As measured: the melts slow as they run (D below the first realisation's in
    14 of 21 values, median 0.88x; Ba3TiO5 at 1750 K, whose seed 2 orders, 0.47-0.55x; Ba2TiO4
    at 1750 K, whose first runs were still relaxing, 1.13-1.33x on the two liquid runs of its
    four added seeds), every D within 4 combined standard errors of the first. (Thirteenth
    session: the 2000 K pair continued to 300 ps, Ba2TiO4 on two added seeds; fourteenth: the
    1750 K pair continued, Ba4TiO6 to 200 ps, Ba3TiO5 to 300 ps; fifteenth and sixteenth:
    Ba2TiO4 at 1750 K on two and then four added seeds of 300 ps.)"""
    from ionflux.md.rebuild import document_agreement

    now = {(d.formula, d.temperature_K): d for d in load_reference("Ba-Ti-O")}
    first = {(d.formula, d.temperature_K): d
             for d in load_reference("Ba-Ti-O", variant="first")}
    replaced = {key for key, doc in now.items() if "replaces" in doc.provenance.method}
    assert replaced == CONTINUED == {key for key in now if now[key] != first[key]}
    ratios, z = [], []
    for key in sorted(CONTINUED):
        new, old = now[key].provenance.method, first[key].provenance.method
        assert "replaces" not in old
        assert "transport_distilled_melts_first.json" in new["replaces"]
        seeds = [int(s) for s in new["seeds"].split(",")]
        old_seeds = [int(s) for s in old["seeds"].split(",")]
        added = set(seeds) - set(old_seeds)
        if added:
            pooled = re.search(r"seeds ([\d,]+) pooled", new["replaces"])
            assert pooled and added <= {int(x) for x in pooled.group(1).split(",")}
        assert all(f"seed {s} not used" in new["runs_not_used"]
                   for s in set(old_seeds) - set(seeds))
        assert min(float(p) for p in new["replicate_run_ps"].split(",")) > max(
            float(p) for p in old["replicate_run_ps"].split(","))
        agree = document_agreement(now[key].model_dump(), first[key].model_dump())
        ratios += list(agree["D_ratio"].values())
        z += list(agree["D_z"].values())
    assert len(ratios) == 21 and sum(r < 1 for r in ratios) == 14
    assert 0.8 < float(np.median(ratios)) < 0.9 and max(abs(v) for v in z) < 4.0
    bati6o13 = now[("BaTi6O13", 1750.0)]
    assert bati6o13.provenance.method["seeds"] == "2, 3, 4, 5"
    assert bati6o13.quality["convergence_rule"].passed
    ba3tio5 = now[("Ba3TiO5", 1750.0)]
    # (0.64-0.79x on 129-ps runs; 0.47-0.55x on 299-ps runs, fourteenth session)
    assert all(0.4 < ba3tio5.D_self_cm2_s[el] / first[("Ba3TiO5", 1750.0)].D_self_cm2_s[el]
               < 0.6 for el in ba3tio5.species)
    assert "seed 2 not used: cations order from 40 ps" in ba3tio5.provenance.method[
        "runs_not_used"]


#: The 1750 K documents that failed the plateau on more seeds (twelfth session), their liquid
#: runs continued (fourteenth session, 2026-12-07; policy fixed before the runs), Ba4TiO6 then
#: given seeds 10-13 (fifteenth session; the same policy): seeds used, run length (ps), the
#: seeds the selection leaves out because their cations order, with when (the first
#: realisation's seeds 1 and 3, 1 and 5 are carried as they were), and what the rule fails on.
LONGER_RUNS_1750 = {
    ("Ba4TiO6", 1750.0): ("7, 8, 10, 11, 12, 13", 199.0, {2: 140, 4: 80, 5: 100, 6: 180, 9: 60},
                          "no plateau: D over 3.765-16.58 ps vs 7.53-33.16 ps differs by 20 %"),
    ("Ba3TiO5", 1750.0): ("4, 7", 299.0, {2: 40, 3: 240, 6: 140},
                          "self terms fail the 20 % limit")}


def test_longer_runs_at_1750_k_order_most_runs_and_settle_the_rest():
    """Continued to 200 ps (Ba4TiO6, six liquid seeds) and 300 ps (Ba3TiO5, four), the
    Ba-rich melts at 1750 K mostly crystallise: four of six and two of four runs order. The
    runs that stay liquid have settled (the potential energy no longer falls between the
    halves), but two seeds leave errors above the 20 % limit. Ba4TiO6's four added seeds of
    200 ps (fifteenth session) all stay liquid: on six seeds its errors are within limits
    (Ba 10 %, Ti 13 %) and it fails the plateau again (O over the window 20 % slower than
    over half its lags, 6.2 paired errors), as on six shorter seeds in the twelfth session.
    Both fail (8 of 11 at 1750 K). Counting every run of the melt, the cell stays liquid for
    a mean ~250-300 ps (ionflux.md.nucleation), the length the plateau needs."""
    from ionflux.md.nucleation import liquid_lifetime, run_fates

    now = {(d.formula, d.temperature_K): d for d in load_reference("Ba-Ti-O")}
    for key, (seeds, length, ordered, fails_on) in LONGER_RUNS_1750.items():
        doc = now[key]
        method = doc.provenance.method
        assert method["seeds"] == seeds, key
        assert {float(p) for p in method["replicate_run_ps"].split(",")} == {length}, key
        for seed, start in ordered.items():
            assert f"seed {seed} not used: cations order from {start} ps" in method[
                "runs_not_used"], key
        assert "fourteenth session" in method["replaces"], key
        assert doc.quality["stationary_energy"].passed, key
        rule = doc.quality["convergence_rule"]
        assert not rule.passed and fails_on in rule.reason, key
        lifetime = liquid_lifetime(*run_fates(method))
        assert 200 < lifetime.tau_ps < 350 and lifetime.high_ps < 800, key
    assert sum(d.quality["convergence_rule"].passed for d in now.values()
               if d.temperature_K == 1750.0) == 8


def test_ba2tio4_at_1750_k_on_added_seeds_orders_in_four_of_six_runs():
    """Ba2TiO4 at 1750 K on four added seeds of 300 ps (fourteenth to sixteenth sessions; each
    policy fixed before its runs started: the selection as always over every seed, replacing
    the bundled document whichever way the rule went). Seeds 4 and 5 order from 100 and 180
    ps as both remade runs did (120, 60 ps); the selection pools the two liquid runs, seeds 3
    and 6. Seed 3's energy had settled (-5.5 +- 6.2 meV/atom alone), seed 6's still falls past
    200 ps, so the pair is still relaxing (-15.2 +- 4.3), and with 5 degrees of freedom Ti's
    error is 42 % and O's 21 %: the document fails the rule. Counting the six runs, the cell
    stays liquid a mean ~270 ps, as Ba3TiO5 and Ba4TiO6 at 1750 K (ionflux.md.nucleation)."""
    from ionflux.md.nucleation import liquid_lifetime, run_fates

    doc = next(d for d in load_reference("Ba-Ti-O")
               if (d.formula, d.temperature_K) == ("Ba2TiO4", 1750.0))
    method = doc.provenance.method
    assert method["seeds"] == "3, 6" and method["replicate_run_ps"] == "299, 299"
    assert method["stderr_dof"] == 5
    for seed, start in {1: 120, 2: 60, 4: 100, 5: 180}.items():
        assert f"seed {seed} not used: cations order from {start} ps" in method["runs_not_used"]
    assert "sixteenth session" in method["replaces"]
    assert doc.quality["cation_order"].passed
    assert not doc.quality["stationary_energy"].passed
    rule = doc.quality["convergence_rule"]
    assert not rule.passed and "L_self Ti error 42 %" in rule.reason
    lifetime = liquid_lifetime(*run_fates(method))
    assert lifetime.n_ordered == 4 and 250 < lifetime.tau_ps < 300


#: The 2000 K documents that failed the plateau, their runs continued to 300 ps (thirteenth
#: session, 2026-12-07; policy fixed before the runs): seeds pooled, and the seeds the
#: selection leaves out because their cations order, with when.
LONGER_RUNS = {("Ba2TiO4", 2000.0): ("1, 2, 3", {4: 180}),
               ("Ba3TiO5", 2000.0): ("2, 5", {1: 280, 3: 120, 4: 60})}


def test_longer_runs_give_a_plateau_where_the_melt_settles_and_order_where_it_does_not():
    """Run on to 300 ps, the window moves out to ~10-50 ps of lag. Ba2TiO4, whose energy had
    settled, then has D at a plateau (oxygen within 15 % between the window and half its
    lags) and on three liquid seeds passes the rule: 10 of 11 documents at 2000 K. Ba3TiO5,
    whose energy was still falling, orders in two of its four continued runs (from 120 and
    280 ps; its seed 4 from 60 ps), and its two liquid seeds fail the errors (Ti 34 %) with
    the energy still falling: at 2000 K this melt is supercooled for the potential."""
    now = {(d.formula, d.temperature_K): d for d in load_reference("Ba-Ti-O")}
    for key, (seeds, ordered) in LONGER_RUNS.items():
        doc = now[key]
        method = doc.provenance.method
        assert method["seeds"] == seeds, key
        assert {float(p) for p in method["replicate_run_ps"].split(",")} == {299.0}, key
        assert doc.fit_window_fs[1] > 45_000 and doc.fit_window_fs[0] > 9_000, key
        for seed, start in ordered.items():
            assert f"seed {seed} not used: cations order from {start} ps" in method[
                "runs_not_used"], key
        assert "thirteenth session" in method["replaces"], key
    passes = [d for d in now.values() if d.temperature_K == 2000.0
              and d.quality["convergence_rule"].passed]
    assert len(passes) == 10
    ba2tio4 = now[("Ba2TiO4", 2000.0)]
    assert ba2tio4.quality["convergence_rule"].passed
    assert ba2tio4.quality["stationary_energy"].passed
    ba3tio5 = now[("Ba3TiO5", 2000.0)]
    rule = ba3tio5.quality["convergence_rule"]
    assert not rule.passed and "L_self Ti error 34 %" in rule.reason
    assert not ba3tio5.quality["stationary_energy"].passed


#: Runs the order flag keeps while their Ti-Ti correlations grow as in runs that order
#: (sixteenth session, docs/melt-record.md "Cation order"): melt -> (seed left out, seed kept).
TI_ORDER_RUNS = {("Ba2TiO4", 1750.0): (6, "3"), ("Ba3TiO5", 1750.0): (7, "4"),
                 ("Ba3TiO5", 2000.0): (5, "2")}


def test_titi_order_variant_leaves_out_exactly_the_runs_named():
    """The bundled sensitivity without the three runs whose Ti-Ti order the flag does not see:
    it replaces exactly those three documents, each pooling the bundled document's seeds less
    the one named (so each rests on one run), says so, and is another document of the same
    melt (its D differs from the bundled one's: the runs pooled differ)."""
    now = {(d.formula, d.temperature_K): d for d in load_reference("Ba-Ti-O")}
    variant = {(d.formula, d.temperature_K): d
               for d in load_reference("Ba-Ti-O", variant="titi_order")}
    assert set(variant) == set(now)
    changed = {key for key in now if variant[key] != now[key]}
    assert changed == set(TI_ORDER_RUNS)
    for key, (left_out, kept) in TI_ORDER_RUNS.items():
        doc, bundled = variant[key].provenance.method, now[key].provenance.method
        assert str(left_out) in bundled["seeds"].split(", ")
        assert doc["seeds"] == kept and kept in bundled["seeds"].split(", ")
        assert f"less seed {left_out}, whose Ti-Ti correlations grow" in doc["replaces"]
        assert variant[key].D_self_cm2_s != now[key].D_self_cm2_s
        assert not variant[key].quality["convergence_rule"].passed
