"""`otdiag validate-config`'s core: a collector config in, located findings out (never prints).

    result = validate_source(data, "collector.yaml")
    result.findings      # errors as `otelcol validate` would fail, start-time errors, warnings

The collector's verdict is `not result.validate_errors`; start-time errors and warnings come on top.
"""

from __future__ import annotations

from otdiag.validate.api import Result, detect_distribution, validate_source

__all__ = ["Result", "detect_distribution", "validate_source"]
