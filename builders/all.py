"""mrun definition: every stage in build order (serial or ``-n`` processes; for the distributed
manager run one stage file per ``mrun`` call, see builders/README.md).

    mrun builders/all.py
"""

from ionflux.stages.runner import Pipeline

__builders__ = Pipeline.open().builders()
