"""D and relative self-term errors of MD runs analysed with two numbers of error blocks.

The block count bounds the lags the estimator may fit, so it can move D itself, not only its
error. Until 2026-12-06 the convergence rule judged the MLIP melts with 10 blocks while their
documents used 3 (the rule now judges the document's own analysis, ``--blocks`` of
``run_mlip_melts.py``); this measures how far the two analyses of one run differ: both for
every run folder under ``--out`` (one folder per melt, as ``run_mlip_melts.py`` writes them),
and the ratio of the two D per species.

    python scripts/compare_error_blocks.py --out runs/mlip-both/distilled --blocks 3,10
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path

from ionflux.errors import IonfluxError


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="folder of run folders (one per melt)")
    parser.add_argument("--blocks", default="3,10", help="two error-block counts, FIRST,SECOND")
    args = parser.parse_args()
    from ionflux.md.mlip import assemble
    from ionflux.transport.onsager import analyze_trajectories

    try:
        first, second = (int(b) for b in args.blocks.split(","))
    except ValueError:
        raise SystemExit(f"error: --blocks wants FIRST,SECOND, got {args.blocks!r}") from None
    folders = sorted(p.parent for p in Path(args.out).glob("*/manifest.json"))
    if not folders:
        raise SystemExit(f"error: no run folder under {args.out}")
    print(f"| melt | D ({second} blocks) / D ({first}) | rel. error ({first}) | "
          f"rel. error ({second}) |")
    print("|---|---|---|---|")
    ratios = []
    for folder in folders:
        run = assemble(folder).to_trajectory()
        try:
            docs = [analyze_trajectories([run], n_blocks=n) for n in (first, second)]
        except IonfluxError as err:
            print(f"| {folder.name} | not analysed: {err} | | |")
            continue
        cells = []
        for doc in docs:
            cells.append(" ".join(f"{el} {err / val:.0%}" for el, err, val
                                  in zip(doc.species, doc.L_self_stderr, doc.L_self,
                                         strict=True)))
        ratio = {el: docs[1].D_self_cm2_s[el] / docs[0].D_self_cm2_s[el]
                 for el in docs[0].species}
        ratios += list(ratio.values())
        print(f"| {folder.name} | " + " ".join(f"{el} {r:.2f}" for el, r in ratio.items())
              + f" | {cells[0]} | {cells[1]} |")
    if ratios:
        print(f"{len(ratios)} species: D ratio {min(ratios):.2f}-{max(ratios):.2f}, median "
              f"{statistics.median(ratios):.2f}, {sum(r > 1 for r in ratios)} above 1")


if __name__ == "__main__":
    main()
