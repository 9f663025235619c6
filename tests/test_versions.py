"""Package versions read from dist-info folders agree with importlib.metadata."""

from __future__ import annotations

from importlib.metadata import version

import pytest

import ionflux
from ionflux.versions import installed_version, package_versions


@pytest.mark.parametrize("name", ["ionflux", "numpy", "pymatgen-core", "pymatgen_core",
                                  "pydantic"])
def test_dist_info_lookup_matches_importlib_metadata(name):
    assert installed_version(name) == version(name)


def test_missing_package_and_the_package_version():
    assert package_versions("no-such-package-xyz") == {"no-such-package-xyz": "not installed"}
    assert ionflux.__version__ == version("ionflux")
