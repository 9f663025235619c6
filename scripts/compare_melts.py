"""Demo melts through the whole pipeline, next to the published ACE tensors (README table).

Ingests a folder of melts (``scripts/make_trajectories.py`` output, or the shipped
``src/ionflux/data/melts``) into a fresh store, imports the published Ba-Ti-O tensors, builds
every stage, and prints a Markdown table per (composition, temperature): Ba:Ti, correlation
factors f_i (demo | published), CrystalNN bonds per cation (demo only: the published data has
no cells), K_D for BaO + TiO2 (demo | published), and the self-term quality flags::

    nice -n 15 python scripts/compare_melts.py src/ionflux/data/melts --data-dir /tmp/cmp
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("NUMBA_NUM_THREADS", "1")


def _fmt(value: float | None, spec: str = ".2f") -> str:
    return "-" if value is None else format(value, spec)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--data-dir", type=Path, required=True)
    args = parser.parse_args(argv)

    from pymatgen.core import Composition

    from ionflux.pipeline import Pipeline, PipelineSettings

    settings = PipelineSettings.model_validate({"kd": {"thermo": "bundled"}})
    with Pipeline.open("local", data_dir=args.data_dir, settings=settings) as pipe:
        pipe.ingest(args.folder)
        pipe.import_published("Ba-Ti-O")
        pipe.build()
        failures = pipe.status().failures
        rows = []
        for agg in pipe.stores.transport_aggregate.query(sort={"group_id": 1}):
            formula, t = agg["formula"], agg["temperature_K"]
            comp = Composition(formula)
            ratio = comp["Ba"] / comp["Ti"]
            pub = pipe.stores.published_transport.query_one({"group_id": agg["group_id"]})
            kd = {d["transport_source"]: d for d in pipe.stores.kd.query(
                {"group_id": agg["group_id"]})}
            bonds = list(pipe.stores.bonds.query({"group_id": agg["group_id"]}))
            flags = agg.get("quality", {})
            self_ok = all(f["passed"] for k, f in flags.items()
                          if k.startswith("rel_stderr_L_self"))
            diffusive = all(f["passed"] for k, f in flags.items() if k.startswith("diffusive"))
            f_demo = agg["correlation_factor"]
            f_pub = pub["correlation_factor"] if pub else {}
            bond_text = "-"
            if bonds:
                pairs = bonds[0].get("pairs") or {}
                bond_text = " ".join(f"{k} {_fmt(v.get('mean'))}" for k, v in pairs.items()
                                     if k in ("Ti-O", "Ba-O")) or "-"
            rows.append(
                f"| {formula} | {ratio:.2f} | {t:g} | "
                + " / ".join(f"{_fmt(f_demo.get(el))} ({_fmt(f_pub.get(el))})"
                             for el in ("Ba", "Ti", "O"))
                + f" | {bond_text} | {_fmt(kd.get('md', {}).get('K_D_cm2_s'), '.2e')} "
                  f"({_fmt(kd.get('published', {}).get('K_D_cm2_s'), '.2e')}) | "
                  f"{'yes' if self_ok else 'no'} | {'yes' if diffusive else 'no'} |")
    print("| phase | Ba:Ti | T (K) | f Ba / Ti / O: demo (published) | bonds per cation "
          "(CrystalNN) | K_D BaO+TiO2, cm^2/s: demo (published) | self 20 % | diffusive |")
    print("|---|---|---|---|---|---|---|---|")
    print("\n".join(rows))
    for f in failures:
        print(f"failure {f['stage']} {f['item_key']}: {f['error']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
