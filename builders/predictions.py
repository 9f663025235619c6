"""mrun definition: fill ``predictions`` from ``prediction_requests`` (file them with
``ionflux batch request``).

    mrun builders/predictions.py                      # serial
    mrun -n 2 builders/predictions.py                 # two processes
    mrun --url tcp://127.0.0.1 -p 5555 -N 4 -w 2 builders/predictions.py   # distributed manager
    mrun --url tcp://127.0.0.1 -p 5555 builders/predictions.py             # each worker

Stores come from IONFLUX_STORE, IONFLUX_DATA_DIR and IONFLUX_MONGO_URI (see README.md).
"""

from ionflux.stages.predictions import prediction_builder

__builders__ = [prediction_builder()]
