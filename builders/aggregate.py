"""mrun definition: transport per (phase, temperature), replicates combined.

    mrun builders/aggregate.py                      # serial
    mrun -n 2 builders/aggregate.py                 # two processes
    mrun --url tcp://127.0.0.1 -p 5555 -N 4 -w 2 builders/aggregate.py   # distributed manager
    mrun --url tcp://127.0.0.1 -p 5555 builders/aggregate.py             # each worker

Stores and settings come from IONFLUX_STORE, IONFLUX_DATA_DIR, IONFLUX_MONGO_URI and
IONFLUX_PIPELINE_SETTINGS (see builders/README.md).
"""

from ionflux.stages.runner import Pipeline

__builders__ = Pipeline.open().builders(["aggregate"])
