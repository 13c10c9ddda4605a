"""Issue 23: `otdiag run` on Python apps that lose part of their spans names the exact cause, gives one
count everywhere, exits 1, and says the same on every run (real apps under the real CLI, tests/apps/observed)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from typing import Any

from otdiag.model import ExitCode
from tests.test_observer import APPS, clean_env, first_error, run

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def human(app: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    full = env or clean_env()
    full["PYTHONPATH"] = str(APPS.parents[2])
    full["COLUMNS"] = "80"
    cmd = [sys.executable, "-m", "otdiag", "run", "--grace", "0.3s", "--", sys.executable, app]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=full, cwd=APPS, timeout=120, check=False)
    return proc.returncode, ANSI.sub("", proc.stdout)


def headline(out: str) -> str:
    """The report's first line (the app's own stdout comes before it)."""
    return next(line for line in out.splitlines() if "the app emitted" in line)


def shown(doc: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    return [(f["code"], f["severity"], f["message"], f["hint"]) for f in doc["findings"]]


def codes(doc: dict[str, Any]) -> list[str]:
    return [f["code"] for f in doc["findings"]]


def test_spawned_workers_without_a_provider_give_the_same_report_every_run() -> None:
    reports = [run("spawn_workers_no_provider.py") for _ in range(4)]
    for rc, doc, err in reports:
        assert rc == ExitCode.PROBLEM, (doc, err)
        assert doc["spans"] == 1
        assert doc["observer"]["spans"]["noop"] == 6, doc["observer"]
        first = first_error(doc)
        assert first["code"] == "app.spans-lost"
        assert first["message"].startswith("6 of 7 span(s) the app started never reached the receiver (1 did)")
        assert "child processes without a provider" in first["message"]
        assert f"{first['location']['file']}:{first['location']['line']}" == "spawn_workers_no_provider.py:10"
        assert "initializer" in first["hint"]
        cause = next(f for f in doc["findings"] if f["code"] == "app.worker-no-provider")
        assert "spawn_workers_no_provider.py:10" in cause["message"]  # where the span starts
        assert "spawn_workers_no_provider.py:21" in cause["message"]  # where the parent set the provider
        assert "__main__" in cause["message"]
        assert "app.spans-before-provider" not in codes(doc)  # not the parent's timing: another process
    assert shown(reports[0][1]) == shown(reports[1][1]) == shown(reports[2][1]) == shown(reports[3][1])


def test_spawned_workers_headline_is_the_verdict() -> None:
    rc, out = human("spawn_workers_no_provider.py")
    assert rc == ExitCode.PROBLEM
    assert headline(out).startswith("✗ the app emitted 1 span "), out


def test_a_queue_sized_in_code_is_named_at_its_line_with_one_count() -> None:
    env = clean_env(OTEL_BSP_MAX_QUEUE_SIZE="4096")
    rc, doc, err = run("queue_size_in_code.py", env=env)
    assert rc == ExitCode.PROBLEM, (doc, err)
    lost = 200 - doc["spans"]
    assert lost > 0
    first = first_error(doc)
    assert first["code"] == "app.spans-lost"
    assert f"{lost} dropped by the full queue" in first["message"]
    assert "max_queue_size=16" in first["hint"] and "queue_size_in_code.py:10" in first["hint"]
    assert "Raise OTEL_BSP_MAX_QUEUE_SIZE" not in first["hint"]  # the argument wins over the variable
    assert first["guide"] == "traces-not-collected"  # the spans were created, then lost on the way out
    full = next(f for f in doc["findings"] if f["code"] == "app.queue-full")
    assert f"{lost} span(s) dropped" in full["message"]
    assert full["location"]["line"] == 10 and full["hint"] == first["hint"]
    numbers = {int(n) for f in doc["findings"] for n in re.findall(r"(\d+) (?:span\(s\) )?dropped", f["message"])}
    numbers |= {int(n) for f in doc["findings"] for e in f["evidence"] for n in re.findall(r"(\d+) time", e)}
    assert numbers == {lost}, doc["findings"]


def test_a_crash_after_every_span_was_exported_claims_no_loss() -> None:
    for _ in range(2):
        rc, doc, err = run("crash_after_flush.py")
        assert rc == ExitCode.PROBLEM, (doc, err)  # the app crashed: still an error
        assert doc["spans"] == 2
        first = first_error(doc)
        assert first["code"] == "app.crashed"
        assert "KeyError" in first["message"] and "no span was lost" in first["message"]
        assert "lost" not in first["hint"]
        assert first["guide"] is None
        assert "app.spans-lost" not in codes(doc)
    rc, out = human("crash_after_flush.py")
    assert rc == ExitCode.PROBLEM
    assert headline(out).startswith("✗ the app emitted 2 spans")
    assert "Spans are not being created" not in out
    assert "The app itself" in out


def test_a_daemon_thread_cut_at_exit_is_named_not_a_missing_end() -> None:
    reports = [run("daemon_thread_cut.py") for _ in range(3)]
    for rc, doc, err in reports:
        assert rc == ExitCode.PROBLEM, (doc, err)
        assert doc["spans"] == 3
        first = first_error(doc)
        assert first["code"] == "app.spans-lost"
        assert "1 of 4" in first["message"] and "daemon thread" in first["message"]
        assert "join()" in first["hint"] and "start_as_current_span" not in first["hint"]
        cut = next(f for f in doc["findings"] if f["code"] == "app.daemon-thread-cut")
        assert "'poller'" in cut["message"] and "'poll-2'" in cut["message"]
        assert "daemon_thread_cut.py:20" in cut["message"]
        assert "app.span-not-ended" not in codes(doc)
    assert shown(reports[0][1]) == shown(reports[1][1]) == shown(reports[2][1])


def _run_and_interrupt(ignore_sigint: bool, *, json_out: bool) -> tuple[int, str, str]:
    """otdiag run on a looping app, started with SIGINT ignored (as a shell's `cmd &` does) or not, then SIGINT."""
    env = clean_env(PYTHONPATH=str(APPS.parents[2]), COLUMNS="80")
    wrapper = (
        "import signal,os,sys; signal.signal(signal.SIGINT, signal.SIG_IGN if sys.argv[1] == 'ign' "
        "else signal.SIG_DFL); os.execv(sys.executable, [sys.executable, *sys.argv[2:]])"
    )
    cmd = [sys.executable, "-c", wrapper, "ign" if ignore_sigint else "dfl", "-m", "otdiag", "run",
           *(["--json"] if json_out else []), "--kill-after", "5s", "--", sys.executable, "sigint_loop.py"]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=APPS)
    assert proc.stderr is not None
    deadline = time.monotonic() + 30
    err = ""
    while "SIGINT " not in err and time.monotonic() < deadline:
        err += proc.stderr.readline()
    time.sleep(1.0)
    os.kill(proc.pid, signal.SIGINT)
    out, rest = proc.communicate(timeout=60)
    return proc.returncode, ANSI.sub("", out), err + rest


def test_an_inherited_sigint_ignore_does_not_reach_the_app() -> None:
    rc, out, err = _run_and_interrupt(True, json_out=True)
    assert "SIGINT default" in err, err  # otdiag reset SIGINT to SIG_DFL for the app
    assert rc == 130
    doc = json.loads(out)
    assert doc["escalated"] is False and doc["stopped"] == "SIGINT"
    killed = next(f for f in doc["findings"] if f["code"] == "app.killed")
    assert killed["message"] == "otdiag was stopped (SIGINT): the app was sent SIGINT; it was killed by SIGINT."
    assert "SIGTERM" not in killed["message"]
    spans = doc["observer"]["spans"]
    # the counts inside the app agree with what arrived: every started span ended and was received
    assert spans["started"] == spans["ended"] == doc["spans"], (spans, doc["spans"])


def test_the_stop_reads_as_a_sentence_in_the_human_view() -> None:
    rc, out, _ = _run_and_interrupt(False, json_out=False)
    assert rc == 130
    text = " ".join(out.split())
    assert "the app was sent SIGINT; it was killed by SIGINT." in text, out
    assert "it killed by" not in text
