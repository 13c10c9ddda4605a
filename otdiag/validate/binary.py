"""Run a real collector's (or Jaeger's) `validate` on a config and locate what it says in the file."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from otdiag import bounded, redact
from otdiag import catalogue_config as kinds
from otdiag.errors import UsageError
from otdiag.model import Finding, Location
from otdiag.redact import Scrubber
from otdiag.validate.model import Config

if TYPE_CHECKING:
    from otdiag.validate.api import Result

TIMEOUT_S = 120.0
MAX_OUTPUT = 1024 * 1024
"""What is kept of the binary's stdout and of its stderr; the rest is drained and dropped."""


@dataclass(frozen=True)
class Verdict:
    ok: bool
    messages: list[str]
    """The collector's error lines (after `Error: `), in its order."""


class BinaryError(Exception):
    """The binary could not be run (missing, not executable, timed out)."""


def find(otelcol: str | None, with_binary: bool) -> str | None:
    """The collector binary --otelcol names, or (--with-binary) the first on PATH; exit 2 when there is none."""
    if otelcol:
        p = Path(otelcol)
        try:
            runnable = p.is_file() and os.access(p, os.X_OK)
        except (OSError, ValueError):
            raise UsageError(f"--otelcol: {otelcol[:200]} is not an executable file") from None
        if not runnable:
            found = None if os.sep in otelcol else shutil.which(otelcol)
            if not found:
                raise UsageError(f"--otelcol: {redact.printable(otelcol[:200])} is not an executable file")
            return found
        return str(p.absolute())  # ./otelcol-contrib is the one here, never one on PATH
    if with_binary:
        for name in ("otelcol-contrib", "otelcol", "otelcol-k8s", "jaeger"):
            found = shutil.which(name)
            if found:
                return found
        raise UsageError("--with-binary: no otelcol-contrib, otelcol or jaeger on PATH (or pass --otelcol PATH)")
    return None


COMPONENT_KINDS = {
    "receivers": "receiver",
    "processors": "processor",
    "exporters": "exporter",
    "connectors": "connector",
    "extensions": "extension",
}


def components(binary: str, timeout: float = 20.0) -> dict[str, frozenset[str]] | None:
    """The component types the binary was built with, by kind, from its `components` subcommand.

    None when it has no such subcommand (or says nothing readable): then only its release decides.
    """
    import yaml

    try:
        done = bounded.run([binary, "components"], timeout=timeout, max_output=MAX_OUTPUT)
    except OSError:
        return None
    if done.timed_out or done.returncode != 0:
        return None
    try:
        doc = yaml.safe_load(done.stdout.decode("utf-8", "replace"))
    except (yaml.YAMLError, RecursionError):
        return None
    if not isinstance(doc, dict):
        return None
    out: dict[str, frozenset[str]] = {}
    for section, kind in COMPONENT_KINDS.items():
        entries = doc.get(section)
        if isinstance(entries, list):
            out[kind] = frozenset(
                str(e["name"])[:200] for e in entries if isinstance(e, dict) and isinstance(e.get("name"), str)
            )
    return out if out else None


def is_jaeger(binary: str) -> bool:
    """Jaeger v2's binary: judged by its own release, not a collector release."""
    return Path(binary).name.startswith("jaeger")


def run_validate(binary: str | Path, config: str | Path | list[str], *, timeout: float | None = None) -> Verdict:
    """The binary's own `validate`; several configs are passed as repeated --config, merged as it merges them.

    The binary runs in its own process group, killed whole at the timeout; its output is capped.
    """
    configs = config if isinstance(config, list) else [str(config)]
    limit = TIMEOUT_S if timeout is None else timeout
    try:
        done = bounded.run(
            [str(binary), "validate", *(f"--config={Path(c).resolve()}" for c in configs)],
            timeout=limit,
            max_output=MAX_OUTPUT,
        )
    except OSError as exc:
        raise BinaryError(f"cannot run {binary}: {exc.strerror or exc}") from None
    if done.timed_out:
        raise BinaryError(f"{binary} validate did not finish within {limit:g}s; it was stopped")
    out = done.stderr.decode("utf-8", "replace") + done.stdout.decode("utf-8", "replace")
    lines = [ln for ln in out.splitlines() if ln.strip() and not _is_log(ln)]
    msgs: list[str] = []
    for ln in lines[:200]:
        msg = ln.removeprefix("Error: ")[:2000]
        # One error once (some releases print the error and then the same again as the command's error),
        # and not the heading that only announces the errors below it.
        if msg not in msgs and not msg.rstrip().endswith("error(s):"):
            msgs.append(msg)
    return Verdict(done.returncode == 0, msgs if done.returncode else [])


def _is_log(line: str) -> bool:
    # Jaeger prints its version banner, and both print zap log lines, on stderr.
    return bool(re.match(r"^\d{4}[-/]\d\d[-/]\d\d", line)) or "application version" in line


_ID_IN_MSG = re.compile(r"(receivers|processors|exporters|connectors|extensions)::([^:\s]+)")
_QUOTED = re.compile(r'"([^"]+)"')


def locate(message: str, cfg: Config | None, file: str) -> Location | None:
    """The component a collector message names, as a place in the file."""
    if cfg is None:
        return None
    m = _ID_IN_MSG.search(message)
    if m:
        comp = cfg.comp(m.group(1)[:-1], m.group(2))
        if comp is not None:
            return Location(file, comp.key.line, comp.key.column)
    pm = re.search(r"pipelines::([^:\s]+)", message)
    if pm and pm.group(1) in cfg.pipelines:
        p = cfg.pipelines[pm.group(1)]
        return Location(file, p.key.line, p.key.column)
    for q in _QUOTED.findall(message):
        for comp in cfg.all():
            if comp.id == q:
                return Location(file, comp.key.line, comp.key.column)
    return None


def findings(verdict: Verdict, cfg: Config | None, file: str, binary: str, scrub: Scrubber) -> list[Finding]:
    kind = kinds.W_BINARY
    return [
        kind(scrub(msg), location=locate(msg, cfg, file), evidence=(f"{Path(binary).name} validate",))
        for msg in verdict.messages
        if not msg.startswith(("decoding failed", "Error: ")) and msg.strip()
    ]


def add_verdicts(
    binary: str,
    results: list[Result],
    files: Sequence[tuple[str, bytes]],
    merge: bool,
    secrets: Callable[[Result], list[str]],
) -> None:
    """--otelcol / --with-binary: the binary's own verdict on each file, added to that file's findings.

    `files` are (name as given, bytes), '-' for stdin (written to a temporary file for the binary);
    with `merge`, the binary merges them itself (repeated --config) into the one result.
    `secrets` gives the values of a result's config that must not show in what the binary says.
    """
    with tempfile.TemporaryDirectory(prefix="otdiag-validate-") as tmp:
        paths = []
        for i, (name, data) in enumerate(files):
            if name == "-":
                p = Path(tmp) / f"stdin-{i}.yaml"
                p.write_bytes(data)
                paths.append(str(p))
            else:
                paths.append(name)
        targets: list[str | list[str]] = [paths] if merge and len(paths) > 1 else list(paths)
        for result, path in zip(results, targets, strict=False):
            try:
                verdict = run_validate(binary, path)
            except BinaryError as exc:
                result.findings.append(kinds.W_BINARY_FAILED(str(exc)))
                continue
            scrub = Scrubber(secrets(result))
            result.findings += findings(verdict, result.config, result.path, binary, scrub)
