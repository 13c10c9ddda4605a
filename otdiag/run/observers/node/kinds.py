"""Finding kinds only the Node.js observer of `otdiag run` reports (the shared ones live in catalogue.py)."""

from __future__ import annotations

from otdiag.catalogue_families import (  # declared there: importing the catalogue loads no package
    NODE_ESM_NOT_INSTRUMENTED,
    NODE_EXPORTER_URL_NO_PATH,
    NODE_LOADED_BEFORE_INSTRUMENTATION,
)

__all__ = ["NODE_ESM_NOT_INSTRUMENTED", "NODE_EXPORTER_URL_NO_PATH", "NODE_LOADED_BEFORE_INSTRUMENTATION"]
