"""Finding kinds only a Go app has (the causes shared with other runtimes reuse the generic codes)."""

from __future__ import annotations

from otdiag.catalogue_families import (  # declared there: importing the catalogue loads no package
    GO_ENDPOINT_SCHEME,
    GO_PROTOCOL_IGNORED,
    GO_SCHEMA_CONFLICT,
    GO_TLS_BY_DEFAULT,
)

__all__ = ["GO_ENDPOINT_SCHEME", "GO_PROTOCOL_IGNORED", "GO_SCHEMA_CONFLICT", "GO_TLS_BY_DEFAULT"]
