"""Start-up stays light: each path imports only what it uses (heavy modules cost most of a short run).

Which modules a command imports is asserted here; how long that takes is measured by
scripts/bench_all.py, never asserted.
"""

from __future__ import annotations

import json
import subprocess
import sys
from enum import Enum
from pathlib import Path
from typing import Any

import pytest
import typer.main

from otdiag.cli.root import COMMANDS, app, load_command

REPO = Path(__file__).resolve().parent.parent

_PROBE = """
import atexit, json, sys
atexit.register(lambda: sys.stderr.write("\\nMODULES " + json.dumps(sorted(sys.modules)) + "\\n"))
sys.argv = ["otdiag", *sys.argv[1:]]
from otdiag.cli.main import main
main()
"""

# Heavy enough to matter (tens of milliseconds each) and needed by only some commands.
GRPC = "grpc"
SDK = "opentelemetry.sdk"
PROTOBUF = "google.protobuf"
RICH = "rich"
TYPER = "typer"
YAML = "yaml"
PYDANTIC = "pydantic"
HTTPX = "httpx"
VALIDATE = "otdiag.validate"


def imported(*args: str, stdin: str | None = None) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", _PROBE, *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
        input=stdin,
        check=False,
    )
    line = [ln for ln in out.stderr.splitlines() if ln.startswith("MODULES ")]
    assert line, out.stderr
    return set(json.loads(line[-1][len("MODULES ") :]))


def loaded(modules: set[str], package: str) -> bool:
    return any(m == package or m.startswith(package + ".") for m in modules)


SMALL_CONFIG = """receivers:
  otlp:
    protocols:
      grpc:
exporters:
  otlp_grpc:
    endpoint: jaeger:4317
service:
  pipelines:
    traces:
      receivers: [otlp]
      exporters: [otlp_grpc]
"""


@pytest.mark.parametrize(
    ("args", "must_not"),
    [
        (["--version"], [TYPER, RICH, GRPC, SDK, PROTOBUF, YAML, PYDANTIC, HTTPX, VALIDATE, "otdiag.cli.root"]),
        (
            ["--help"],
            [GRPC, SDK, PROTOBUF, YAML, PYDANTIC, HTTPX, VALIDATE, "otdiag.cli.check", "markdown_it", "pygments"],
        ),
        (["validate-config", "--help"], [GRPC, SDK, PROTOBUF, PYDANTIC, HTTPX, "otdiag.cli.check"]),
        (["validate-config", "-"], [GRPC, SDK, PROTOBUF, PYDANTIC, HTTPX, "otdiag.cli.send", "otdiag.listen.receiver"]),
        (["validate-config", "--json", "-"], [GRPC, SDK, PROTOBUF, PYDANTIC, HTTPX, "otdiag.listen.server"]),
        (["find-trace", "--help"], [GRPC, SDK, PROTOBUF, PYDANTIC, YAML, VALIDATE]),
        (["listen", "--max-spans", "0"], [SDK, PYDANTIC, YAML, VALIDATE, HTTPX]),
        (
            [
                "send-test-span",
                "--protocol",
                "http/protobuf",
                "--endpoint",
                "http://127.0.0.1:9",
                "--count",
                "2",
                "--timeout",
                "0.5s",
                "--json",
            ],
            [GRPC, SDK, PYDANTIC, YAML, VALIDATE],
        ),
        (
            [
                "check",
                "--json",
                "--timeout",
                "0.5s",
                "--jaeger-url",
                "http://127.0.0.1:9",
                "--otlp-endpoint",
                "http://127.0.0.1:9",
                "--collector-health-url",
                "http://127.0.0.1:9",
                "--collector-metrics-url",
                "http://127.0.0.1:9/metrics",
            ],
            [SDK, RICH, PYDANTIC, YAML, VALIDATE],
        ),
    ],
)
def test_a_light_path_does_not_import_heavy_modules(args: list[str], must_not: list[str]) -> None:
    modules = imported(*args, stdin=SMALL_CONFIG)
    assert "otdiag.cli.main" in modules
    heavy = [name for name in must_not if loaded(modules, name)]
    assert not heavy, f"otdiag {' '.join(args)} imported {heavy}"


def test_a_command_module_is_imported_only_when_it_runs() -> None:
    modules = imported("validate-config", "-", stdin=SMALL_CONFIG)
    assert "otdiag.cli.validate" in modules
    others = {spec.module for name, spec in COMMANDS.items() if name != "validate-config"}
    assert not others & modules


def test_after_the_help_rich_markdown_is_the_real_module() -> None:
    code = (
        "from otdiag.cli.root import _light_rich_utils; _light_rich_utils()\n"
        "import rich.markdown, rich.traceback, typer.rich_utils\n"
        "assert rich.markdown.Markdown.__module__ == 'rich.markdown', rich.markdown.Markdown\n"
        "assert rich.traceback.Traceback.__module__ == 'rich.traceback'\n"
        "assert typer.rich_utils.Markdown.__name__ == '_NotUsed'\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=REPO, check=False
    )
    assert out.returncode == 0, out.stderr


def test_version_answers_without_typer() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "otdiag", "--version"], capture_output=True, text=True, timeout=60, cwd=REPO, check=False
    )
    assert out.returncode == 0
    assert out.stdout.startswith("otdiag ")


class _Color(Enum):
    RED = "red"
    GREEN = "green"


def _params() -> list[Any]:
    out: list[Any] = []
    group: Any = typer.main.get_command(app)
    ctx = group.make_context("otdiag", [], resilient_parsing=True)
    out += [("otdiag", p) for p in group.get_params(ctx)]
    for name in COMMANDS:
        cmd = load_command(name)
        out += [(name, p) for p in cmd.get_params(ctx)]
    return out


SAMPLES: list[Any] = ["", "x", "12", "-3", "007", "1.5", "-0.25", "1e3", " 4", "inf", "+5", "GRPC", "grpc", "human"]


@pytest.mark.parametrize("value", SAMPLES)
def test_fast_option_coercion_agrees_with_typers_own(value: Any) -> None:
    """otdiag converts plain option values without Pydantic; results and errors must be Typer's."""
    from typer._coercion import build_runtime_param

    ctx = typer.main.get_command(app).make_context("otdiag", [], resilient_parsing=True)
    for where, param in _params():
        desc = getattr(param, "type_descriptor", None)
        if desc is None or desc.annotation is bool:
            continue
        fast = param.get_runtime_param()
        assert type(fast).__name__ == "_FastRuntimeParam", (where, param.name)
        slow = build_runtime_param(desc)
        got, want = _outcome(fast, value, param, ctx), _outcome(slow, value, param, ctx)
        assert got == want, (where, param.name, value)
        assert type(got) is type(want)


def _outcome(runtime: Any, value: Any, param: Any, ctx: Any) -> Any:
    try:
        out = runtime.coerce(value, param=param, ctx=ctx)
    except Exception as exc:  # the error itself is compared
        return (type(exc).__name__, str(exc))
    return [(type(v), v) for v in out] if isinstance(out, list) else out
