"""validate-config on a 200,000-component file: a clear report, bounded memory and time."""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest

from otdiag.validate.api import validate_source
from otdiag.validate.checker import MAX_PER_CODE


@pytest.mark.slow
def test_a_file_at_the_size_cap_is_checked_in_bounded_memory(tmp_path: Path) -> None:
    # 12,000 components: just under the 1 MiB a config may have (issue 24: a cap the checker finishes fast)
    lines = ["receivers:"]
    for i in range(12_000):
        lines.append(f"  otlp/r{i}:\n    protocols:\n      grpc:\n        endpoint: 0.0.0.0:{10000 + i % 50000}")
    lines.append("exporters:\n  debug:\nservice:\n  pipelines:\n    traces:\n      receivers: [otlp/r0]\n"
                 "      exporters: [debug]")  # fmt: skip
    cfg = tmp_path / "huge.yaml"
    cfg.write_text("\n".join(lines) + "\n")
    started = time.monotonic()
    out = subprocess.run([sys.executable, "-m", "otdiag", "validate-config", str(cfg), "--json"],
                         capture_output=True, text=True, timeout=300, check=False)  # fmt: skip
    took = time.monotonic() - started
    peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    assert out.returncode in (0, 1), out.stderr
    findings = json.loads(out.stdout)["files"][0]["findings"]
    unused = [f for f in findings if f["code"] == "config.unused-component"]
    assert len(unused) == MAX_PER_CODE + 1  # 200 listed, then one line counting the rest
    assert "11,799 more" in unused[-1]["message"]
    assert peak_mib < 1024, f"peak RSS {peak_mib:.0f} MiB"
    assert took < 240


def test_many_findings_of_one_code_are_folded() -> None:
    receivers = "".join(f"  otlp/r{i}:\n    protocols: {{grpc: }}\n" for i in range(MAX_PER_CODE + 5))
    text = (f"receivers:\n{receivers}exporters: {{debug: }}\n"
            "service: {pipelines: {traces: {receivers: [otlp/r0], exporters: [debug]}}}\n")  # fmt: skip
    res = validate_source(text, "c.yaml")
    unused = [f for f in res.findings if f.code == "config.unused-component"]
    assert len(unused) == MAX_PER_CODE + 1
    assert unused[-1].message.startswith("… and 4 more config.unused-component findings")
