"""An export failure seen inside an app of any runtime, named by the one classifier (`otlp.classify`).

`send-test-span` and `check` classify what they meet on the wire; the Python observer classifies the
exporter's exception; the Node.js, Java and Go observers give the exporter's error text here. The same
failure so gets the same code and the same specific fix whichever command or runtime met it. When
the exporter's endpoint is not otdiag's receiver, the endpoint was written in the code, and the fix
says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlsplit

from otdiag import catalogue as c
from otdiag.model import Finding, Location, Protocol, Severity, Stage

UNREACHED = frozenset(k.code for k in (c.INGEST_REFUSED, c.INGEST_DNS, c.INGEST_TIMEOUT))
"""The classifier's kinds that mean nothing answered at the exporter's endpoint."""


def _netloc(url: str) -> str:
    text = url if "://" in url else f"//{url}"
    try:
        return urlsplit(text).netloc.lower()
    except ValueError:
        return ""


def finding(
    head: str,
    error: str,
    *,
    endpoint: str | None,
    receiver: str,
    protocol: Protocol | None = None,
    tls: bool | None = None,
    location: Location | None = None,
    evidence: Sequence[str] = (),
    severity: Severity | None = None,
    fallback_hint: str | None = None,
    drop_option: str = "the endpoint option",
    runtime_hint: str | None = None,
) -> Finding:
    """The classified finding for an exporter's `error` (app.export-failed with `fallback_hint` when unknown).

    `head` says who failed (e.g. "OTLPTraceExporter failed 2 export(s) to URL"); `endpoint` is where the
    exporter sent, when known; `receiver` is otdiag's (`http://127.0.0.1:PORT`); `drop_option` names the
    code's setting to remove so that OTEL_EXPORTER_OTLP_ENDPOINT decides (`url:`, `setEndpoint(...)`);
    `runtime_hint` is the runtime's own words for the fix of this very error (its API), kept over the
    classifier's general one: the code stays the classifier's.
    """
    from otdiag.otlp import classify

    said = classify.scrub_error(error)
    target = endpoint or ""
    if not target and said:
        # Where it sent, when only the error says it (Go: `Post "http://host:port/v1/traces": dial tcp ...`).
        first = classify.parse_text(said)
        target = first.target if first is not None and "://" in first.target else ""
        endpoint = target or None
    mine = bool(target) and _netloc(target) == _netloc(receiver)
    if tls is None and target:
        tls = target.lower().startswith("https://")
    http_path = urlsplit(target).path if "://" in target else ""
    got = classify.classify_text(
        said,
        protocol=protocol,
        target=target,
        tls=tls,
        set_in_code=bool(target)
        and (not mine or (protocol is not None and protocol.is_http and not http_path.endswith("/v1/traces"))),
        plaintext_receiver=mine,
    ) if said else None  # fmt: skip
    shown = list(dict.fromkeys(classify.scrub_error(x) for x in evidence))
    if got is None:
        return c.APP_EXPORT_FAILED(
            f"{head}: {said}" if said else f"{head}.",
            hint=fallback_hint,
            evidence=shown,
            location=location,
            severity=severity,
            target=endpoint or None,
        )
    hint = runtime_hint or got.hint
    if target and not mine and got.code in UNREACHED and runtime_hint is None:
        hint = (
            f"{got.fix.rstrip('.')}; or drop {drop_option} so OTEL_EXPORTER_OTLP_ENDPOINT decides "
            "(otdiag run --default-ports also receives on localhost:4317/4318)."
        )
    where = "" if mine or not target else f", not otdiag's receiver ({receiver}): the endpoint is set in the code"
    return got.kind(
        f"{head}{where}: {got.message}",
        hint=hint,
        severity=severity,
        target=endpoint or None,
        evidence=shown,
        location=location,
        stage=Stage.APP,
    )
