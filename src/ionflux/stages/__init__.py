"""Stages: the maggma builders that run the science and write its documents, and ``Pipeline``.

Above the science floors (docs/ARCHITECTURE.md): ``builders`` (transport, bonds, aggregates,
K_D), ``gamma`` (extrapolation grades of ACE trajectories), ``predictions`` (batch
predictions), ``published`` (imported published tensor sets), ``settings`` (which science
functions and settings each stage uses) and ``runner`` (``Pipeline``: ingest, build, status).
They read and write through :mod:`ionflux.storage`. Nothing is imported here.
"""
