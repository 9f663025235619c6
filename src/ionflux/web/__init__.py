"""HTTP API and web page: ``create_app`` (FastAPI) served by ``ionflux serve``."""

from __future__ import annotations

from ionflux.web.app import PredictRequest, ServeSettings, create_app

__all__ = ["PredictRequest", "ServeSettings", "create_app"]
