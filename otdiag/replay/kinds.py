"""The findings of `otdiag replay` (declared here, imported by the catalogue)."""

from __future__ import annotations

from otdiag.catalogue_families import (  # declared there: importing the catalogue loads no package
    COLLECTOR_FAILED,
    EXPECTATION_FAILED,
    INCONSISTENT,
    INPUT_REFUSED,
    LEFT_OUT,
    NOT_FAITHFUL,
    SCALED,
    VERSIONS_DIFFER,
)

__all__ = [
    "COLLECTOR_FAILED",
    "EXPECTATION_FAILED",
    "INCONSISTENT",
    "INPUT_REFUSED",
    "LEFT_OUT",
    "NOT_FAITHFUL",
    "SCALED",
    "VERSIONS_DIFFER",
]
