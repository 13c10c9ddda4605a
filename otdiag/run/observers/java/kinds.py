"""The finding kinds only the Java observer reports (the others reuse the generic app.* codes)."""

from __future__ import annotations

from otdiag.catalogue_families import (  # declared there: importing the catalogue loads no package
    JAVA_AGENT_DISABLED,
    JAVA_ENDPOINT_OVERRIDDEN,
    JAVA_MUZZLE_SKIPPED,
    JAVA_OBSERVER_NOT_LOADED,
)

__all__ = ["JAVA_AGENT_DISABLED", "JAVA_ENDPOINT_OVERRIDDEN", "JAVA_MUZZLE_SKIPPED", "JAVA_OBSERVER_NOT_LOADED"]
