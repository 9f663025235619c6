"""mrun definition: extrapolation grades of ACE trajectories (the ``gamma`` stage).

    mrun builders/gamma.py

Stores and settings come from IONFLUX_STORE, IONFLUX_DATA_DIR, IONFLUX_MONGO_URI and
IONFLUX_PIPELINE_SETTINGS (see builders/README.md).
"""

from ionflux.stages.runner import Pipeline

__builders__ = Pipeline.open().builders(["gamma"])
