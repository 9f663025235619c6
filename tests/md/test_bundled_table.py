"""The tables of bundled melt documents in docs/md-engines.md (D, activation energies) are the
bundle's own."""

from __future__ import annotations

import subprocess
import sys
from importlib import resources
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BUNDLE = resources.files("ionflux") / "data" / "ba-ti-o" / "transport_distilled_melts.json"
HEADER = "| melt | T (K) | ps (seeds) | end | D Ba | pub/ours | D Ti | pub/ours | D O | pub/ours |"
ACTIVATION_HEADER = ("| melt | T (K) | E_a Ba | E_a Ti | E_a O "
                     "| published 1500-1750 K: Ba | Ti | O |")


def _table_in(text: str, header: str = HEADER) -> list[str]:
    lines = text.splitlines()
    start = lines.index(header)
    end = next((k for k in range(start, len(lines)) if not lines[k].startswith("|")),
               len(lines))
    return lines[start:end]


def test_the_docs_table_is_printed_from_the_bundled_documents():
    """Every row (seeds, run lengths, verdict, D ± error, published / ours) as
    ``run_mlip_melts.py --table`` prints it from the bundled file: a document replaced in the
    bundle without the docs following fails here."""
    documented = _table_in((ROOT / "docs" / "md-engines.md").read_text())
    assert documented == _table_in(_printed("--table"))


def test_the_docs_activation_energies_are_printed_from_the_bundled_documents():
    """The apparent E_a per melt and species between 1750 and 2000 K, as ``run_mlip_melts.py
    --activation`` prints it: the table once kept the values of documents since replaced."""
    documented = _table_in((ROOT / "docs" / "md-engines.md").read_text(), ACTIVATION_HEADER)
    assert documented == _table_in(_printed("--activation"), ACTIVATION_HEADER)


def _printed(option: str) -> str:
    return subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "run_mlip_melts.py"), option, str(BUNDLE)],
        capture_output=True, text=True, check=True).stdout
