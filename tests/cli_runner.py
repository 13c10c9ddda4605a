"""Run the otdiag CLI in-process and capture what it wrote, for tests."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from typer.testing import CliRunner

from otdiag.cli.main import app


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    runner = CliRunner()
    res = runner.invoke(app, list(args), env=env, catch_exceptions=False)
    return Result(res.exit_code, res.stdout, res.stderr)
