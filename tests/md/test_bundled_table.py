"""The table of bundled melt documents in docs/md-engines.md is the bundle's own."""

from __future__ import annotations

import subprocess
import sys
from importlib import resources
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BUNDLE = resources.files("ionflux") / "data" / "ba-ti-o" / "transport_distilled_melts.json"
HEADER = "| melt | T (K) | ps (seeds) | end | D Ba | pub/ours | D Ti | pub/ours | D O | pub/ours |"


def _table_in(text: str) -> list[str]:
    lines = text.splitlines()
    start = lines.index(HEADER)
    end = next((k for k in range(start, len(lines)) if not lines[k].startswith("|")),
               len(lines))
    return lines[start:end]


def test_the_docs_table_is_printed_from_the_bundled_documents():
    """Every row (seeds, run lengths, verdict, D ± error, published / ours) as
    ``run_mlip_melts.py --table`` prints it from the bundled file: a document replaced in the
    bundle without the docs following fails here."""
    printed = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "run_mlip_melts.py"), "--table", str(BUNDLE)],
        capture_output=True, text=True, check=True).stdout
    documented = _table_in((ROOT / "docs" / "md-engines.md").read_text())
    assert documented == _table_in(printed)
