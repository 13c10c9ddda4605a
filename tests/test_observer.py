"""`otdiag run`'s in-process observer, against real apps written as users write them (tests/apps/observed).

Every app runs under `otdiag run --json -- python app.py` with the real OpenTelemetry SDK and exporters
installed in the test environment; each code-level fault must get its own first finding, with the
file:line of the code to change, and healthy apps must get exit 0 with no error.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from otdiag.model import ExitCode
from otdiag.observe import INJECT_DIR
from tests.app_venvs import cached_venv
from tests.bounds import within
from tests.peers import REPO

APPS = REPO / "tests" / "apps" / "observed"


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "OTDIAG_", "PYTHONPATH"))}
    env.update(extra)
    return env


def run(app: str | list[str], *args: str, cwd: Path = APPS, env: dict[str, str] | None = None) -> tuple[int, Any, str]:
    argv = [sys.executable, app] if isinstance(app, str) else app
    cmd = [sys.executable, "-m", "otdiag", "run", "--json", "--grace", "0.3s", *args, "--", *argv]
    full = env or clean_env()
    full["PYTHONPATH"] = str(REPO) + (os.pathsep + full["PYTHONPATH"] if full.get("PYTHONPATH") else "")
    proc = subprocess.run(cmd, capture_output=True, text=True, env=full, cwd=cwd, timeout=120, check=False)
    return proc.returncode, json.loads(proc.stdout), proc.stderr


def first_error(doc: dict[str, Any]) -> dict[str, Any]:
    return next(f for f in doc["findings"] if f["severity"] == "error")


# app, first code, the file:line the finding points at (None: no single line), what the message names
FAULTS = [
    ("seed_jaeger_thrift.py", "app.jaeger-exporter-removed", "seed_jaeger_thrift.py:4", "1.21.0"),
    ("no_provider.py", "app.no-provider", "no_provider.py:7", "no-op tracer"),
    ("provider_not_set.py", "app.provider-not-set", "provider_not_set.py:8", "never set"),
    ("sampler_always_off.py", "app.sampler-drops-all", "sampler_always_off.py:9", "AlwaysOffSampler"),
    ("sampler_record_only.py", "app.sampler-drops-all", "sampler_record_only.py:18", "samples none"),
    ("os_exit.py", "app.exit-before-flush", "os_exit.py:16", "os._exit(0)"),
    ("shutdown_on_exit_false.py", "app.exit-before-flush", "shutdown_on_exit_false.py:8", "shutdown_on_exit=False"),
    ("console_only.py", "app.exporter-console", "console_only.py:8", "ConsoleSpanExporter"),
    ("crash_keyerror.py", "app.crashed", "crash_keyerror.py:15", "KeyError: 'topic'"),
    ("no_processor.py", "app.no-span-processor", "no_processor.py:7", "no span processor"),
    ("span_not_ended.py", "app.span-not-ended", "span_not_ended.py:15", "never ended"),
    ("parent_not_sampled.py", "app.parent-not-sampled", "parent_not_sampled.py:16", "sampled flag is 0"),
    ("spans_after_shutdown.py", "app.spans-after-shutdown", "spans_after_shutdown.py:15", "after provider.shutdown()"),
    ("hardcoded_endpoint.py", "ingest.refused", "hardcoded_endpoint.py:8", "127.0.0.1:1"),
    ("http_base_endpoint_in_code.py", "ingest.path-missing", "http_base_endpoint_in_code.py:11", "/v1/traces, or drop"),
    ("grpc_tls_to_plaintext.py", "ingest.tls-to-plaintext", "grpc_tls_to_plaintext.py:13", "insecure=True"),
    ("missing_exporter_package.py", "app.otel-import-failed", "missing_exporter_package.py:4", "zipkin"),
    ("no_span_started.py", "app.no-span-started", "no_span_started.py:10", "no span was started"),
    ("set_twice.py", "app.provider-set-twice", "set_twice.py:8", "second TracerProvider"),
    ("in_memory_only.py", "app.exporter-no-endpoint", "in_memory_only.py:10", "InMemorySpanExporter"),
    ("sdk_disabled_in_code.py", "app.sdk-disabled", "sdk_disabled_in_code.py:12", "disabled"),
    ("not_instrumented.py", "app.not-instrumented", None, "never imported OpenTelemetry"),
]


@pytest.mark.parametrize(("app", "code", "where", "says"), FAULTS, ids=[f[0] for f in FAULTS])
def test_each_code_level_fault_gets_its_own_first_error(app: str, code: str, where: str | None, says: str) -> None:
    rc, doc, err = run(app)
    assert rc == ExitCode.PROBLEM, (doc, err)
    first = first_error(doc)
    assert first["code"] == code, ([f["code"] for f in doc["findings"]], err)
    assert first["stage"] == "app"
    assert says in first["message"] + first["hint"], first
    if where is not None:
        loc = first["location"]
        assert f"{loc['file']}:{loc['line']}" == where, first
        assert where in first["message"] + first["hint"], first
    assert "app.no-spans" not in [f["code"] for f in doc["findings"]]
    assert doc["observer"]["loaded"] is True


def test_the_faults_are_distinct_causes() -> None:
    codes = {f[1] for f in FAULTS}
    assert len(codes) >= 14


def test_the_seed_example_is_verbatim_and_its_fix_is_otlp() -> None:
    seed = next((REPO.parent.parent / "shared" / "docs").glob("seed-000_*.md"), None)
    text = (APPS / "seed_jaeger_thrift.py").read_text()
    if seed is not None:
        assert text in seed.read_text()
    _, doc, _ = run("seed_jaeger_thrift.py")
    first = doc["findings"][0]
    assert first["code"] == "app.jaeger-exporter-removed"
    assert "OTLPSpanExporter" in first["hint"] and "4317" in first["hint"]
    assert "crashed" in first["message"]
    assert any("seed_jaeger_thrift.py:8" in e and "14268" in e and "Jaeger v1" in e for e in first["evidence"]), first
    assert "OTEL_EXPORTER_OTLP_ENDPOINT" not in first["hint"]  # that exporter never read it
    assert first["guide"] == "spans-not-created"


@pytest.mark.parametrize(
    ("app", "spans", "args"),
    [
        ("healthy_grpc.py", 3, []),
        ("healthy_http_simple.py", 1, []),
        ("healthy_hardcoded_localhost.py", 2, ["--default-ports"]),
    ],
)
def test_healthy_apps_get_exit_0_and_no_error(app: str, spans: int, args: list[str]) -> None:
    if args and not _default_ports_free():
        pytest.skip("127.0.0.1:4317/4318 are taken by another process on this machine")
    rc, doc, err = run(app, *args)
    assert rc == ExitCode.OK, (doc, err)
    assert doc["spans"] == spans
    assert [f for f in doc["findings"] if f["severity"] != "info"] == []
    observed = doc["observer"]
    assert observed["spans"]["started"] == spans and observed["spans"]["ended"] == spans
    assert observed["provider"]["service_name"] in ("checkout", "inventory", "payments")


def _default_ports_free() -> bool:
    import socket

    for port in (4317, 4318):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                return False
    return True


def test_a_hard_coded_default_endpoint_with_nothing_there_says_so() -> None:
    if not _default_ports_free():
        pytest.skip("127.0.0.1:4317 is taken by another process on this machine")
    rc, doc, _ = run("healthy_hardcoded_localhost.py")
    assert rc == ExitCode.PROBLEM
    first = first_error(doc)
    assert first["code"] == "ingest.refused" and first["guide"] == "traces-not-collected"
    assert "localhost:4317" in first["message"] and "--default-ports" in first["hint"]


def test_a_full_queue_is_a_partial_loss_with_the_count() -> None:
    rc, doc, _ = run("queue_full.py")
    assert rc == ExitCode.PROBLEM  # some spans arrived, the others were lost: still an error
    first = first_error(doc)
    assert first["code"] == "app.spans-lost" and "dropped by the full queue" in first["message"]
    assert "OTEL_BSP_MAX_QUEUE_SIZE" in first["hint"]
    assert "app.queue-full" in [f["code"] for f in doc["findings"]]
    assert 0 < doc["spans"] < 50


def test_a_partial_loss_is_exit_1_and_the_same_on_every_run() -> None:
    reports = [run("partial_loss_early_worker.py") for _ in range(3)]
    for rc, doc, err in reports:
        assert rc == ExitCode.PROBLEM, (doc, err)
        assert doc["spans"] == 1
        first = first_error(doc)
        assert first["code"] == "app.spans-lost", doc["findings"]
        assert first["message"].startswith("1 of 2 span(s) the app started never reached the receiver (1 did)")
        assert "1 started on the no-op tracer" in first["message"]
        assert first["location"]["file"].endswith("partial_loss_early_worker.py")
    shown = [[(f["code"], f["severity"], f["message"]) for f in doc["findings"]] for _, doc, _ in reports]
    assert shown[0] == shown[1] == shown[2]


def test_a_crash_after_every_span_was_exported_is_not_a_loss(tmp_path: Path) -> None:
    app = tmp_path / "crash_after_export.py"
    app.write_text((APPS / "healthy_grpc.py").read_text() + "\nraise SystemExit('fatal: config reload failed')\n")
    rc, doc, err = run([sys.executable, str(app)], cwd=tmp_path)
    assert doc["spans"] == 3, err
    assert "app.spans-lost" not in [f["code"] for f in doc["findings"]]
    assert rc == (ExitCode.PROBLEM if any(f["severity"] == "error" for f in doc["findings"]) else ExitCode.OK)


def _direct(app: str | list[str], *, observe: bool, tmp: Path, cwd: Path = APPS) -> subprocess.CompletedProcess[bytes]:
    argv = [sys.executable, app] if isinstance(app, str) else app
    env = clean_env(OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:1", OTEL_EXPORTER_OTLP_TIMEOUT="1")
    if observe:
        env["PYTHONPATH"] = str(INJECT_DIR)
        env["OTDIAG_OBSERVE_DIR"] = str(tmp)
    return subprocess.run(argv, capture_output=True, env=env, cwd=cwd, timeout=60, check=False)


@pytest.mark.parametrize(
    "app",
    ["crash_keyerror.py", "no_provider.py", "missing_exporter_package.py", "seed_jaeger_thrift.py", "os_exit.py",
     "no_processor.py", "sampler_always_off.py", "set_twice.py"],
)  # fmt: skip
def test_the_observer_never_changes_what_the_app_does(app: str, tmp_path: Path) -> None:
    without = _direct(app, observe=False, tmp=tmp_path)
    with_ = _direct(app, observe=True, tmp=tmp_path)
    assert (with_.returncode, with_.stdout, with_.stderr) == (without.returncode, without.stdout, without.stderr)
    assert list(tmp_path.glob("obs-*.json")), "the observer reported nothing"


def test_an_apps_own_sitecustomize_is_chained_and_sys_path_is_the_apps(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text("import os\nMARK = 'app-site'\nos.environ['APP_SITE_RAN'] = '1'\n")
    app = tmp_path / "app.py"
    app.write_text(
        "import os, sys, sitecustomize\n"
        "print(os.environ.get('APP_SITE_RAN'), getattr(sitecustomize, 'MARK', None))\n"
        "print(any('observe' in p and 'inject' in p for p in sys.path))\n"
    )
    env = clean_env(PYTHONPATH=str(site))
    plain = subprocess.run([sys.executable, str(app)], capture_output=True, text=True, env=env, check=False)
    assert plain.stdout == "1 app-site\nFalse\n"
    reports = tmp_path / "reports"
    reports.mkdir()
    env = clean_env(PYTHONPATH=f"{INJECT_DIR}{os.pathsep}{site}", OTDIAG_OBSERVE_DIR=str(reports))
    observed = subprocess.run([sys.executable, str(app)], capture_output=True, text=True, env=env, check=False)
    assert (observed.stdout, observed.stderr, observed.returncode) == (plain.stdout, plain.stderr, 0)
    assert list(reports.glob("obs-*.json"))


def test_a_broken_sitecustomize_of_the_app_fails_as_it_would_without_otdiag(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text("raise RuntimeError('broken site')\n")
    app = tmp_path / "app.py"
    app.write_text("print('ran')\n")
    plain = subprocess.run(
        [sys.executable, str(app)], capture_output=True, text=True, env=clean_env(PYTHONPATH=str(site)), check=False
    )
    env = clean_env(PYTHONPATH=f"{INJECT_DIR}{os.pathsep}{site}", OTDIAG_OBSERVE_DIR=str(tmp_path))
    observed = subprocess.run([sys.executable, str(app)], capture_output=True, text=True, env=env, check=False)
    assert "broken site" in plain.stderr
    assert (observed.stdout, observed.stderr, observed.returncode) == (plain.stdout, plain.stderr, plain.returncode)


def test_an_unwritable_report_directory_does_not_touch_the_app(tmp_path: Path) -> None:
    env = clean_env(PYTHONPATH=str(INJECT_DIR), OTDIAG_OBSERVE_DIR=str(tmp_path / "does-not-exist"))
    proc = subprocess.run(
        [sys.executable, str(APPS / "crash_keyerror.py")], capture_output=True, text=True, env=env, check=False
    )
    assert proc.returncode == 1 and proc.stdout == ""
    assert proc.stderr.rstrip().endswith("KeyError: 'topic'")


def test_a_non_python_app_keeps_the_receiver_analysis() -> None:
    rc, doc, _ = run(["sh", "-c", "exit 0"])
    assert rc == ExitCode.PROBLEM
    assert doc["findings"][0]["code"] == "app.no-spans"
    assert doc["observer"] == {"loaded": False}
    assert "app.observer-not-loaded" not in [f["code"] for f in doc["findings"]]


def test_python_in_isolated_mode_is_said_to_be_unobserved() -> None:
    _, doc, _ = run([sys.executable, "-I", str(APPS / "no_provider.py")])
    codes = [f["code"] for f in doc["findings"]]
    assert codes[0] == "app.no-spans"
    assert "app.observer-not-loaded" in codes


def test_forked_children_are_observed_too(tmp_path: Path) -> None:
    app = tmp_path / "forks.py"
    app.write_text(
        (APPS / "healthy_grpc.py").read_text().replace("provider.shutdown()", "") + "import os\n"
        "pid = os.fork()\n"
        "if pid == 0:\n"
        "    with tracer.start_as_current_span('child work'):\n"
        "        pass\n"
        "    os._exit(0)\n"
        "os.waitpid(pid, 0)\n"
        "provider.shutdown()\n"
    )
    rc, doc, err = run(str(app), cwd=tmp_path)
    assert doc["observer"]["processes"] == 2, err
    first = first_error(doc)
    assert first["code"] == "app.exit-before-flush" and "forked child" in first["message"]
    assert first["location"]["file"] == "forks.py"
    assert rc == ExitCode.PROBLEM


# --- version skew: a labelled stub distribution -------------------------------------------------
# The real SDK and API are installed at one version; to see skew, a test-made *metadata-only*
# distribution (no code: `import opentelemetry` still loads the real API) says the API is 1.20.0,
# first on the app's sys.path. Only the skew detection is tested this way; the real reading of
# the installed distributions is covered by test_deps_reads_the_real_installed_distributions.


def _stub_dist(root: Path, name: str, version: str) -> None:
    info = root / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\nSummary: otdiag test stub (metadata only)\n"
    )


def test_version_skew_leads_when_it_explains_the_failure(tmp_path: Path) -> None:
    stub = tmp_path / "stub-dists"
    _stub_dist(stub, "opentelemetry-api", "1.20.0")
    env = clean_env(PYTHONPATH=str(stub))
    rc, doc, err = run("no_processor.py", env=env)
    assert rc == ExitCode.PROBLEM
    first = first_error(doc)
    assert first["code"] == "app.otel-version-skew", err
    assert "opentelemetry-api 1.20.0" in first["message"]
    assert doc["observer"]["distributions"]["opentelemetry-api"] == "1.20.0"


def test_version_skew_is_a_warning_when_spans_arrive_anyway(tmp_path: Path) -> None:
    stub = tmp_path / "stub-dists"
    _stub_dist(stub, "opentelemetry-api", "1.20.0")
    rc, doc, _ = run("healthy_grpc.py", env=clean_env(PYTHONPATH=str(stub)))
    assert rc == ExitCode.OK
    assert {f["code"]: f["severity"] for f in doc["findings"]}["app.otel-version-skew"] == "warning"


def test_deps_reads_the_real_installed_distributions() -> None:
    from importlib import metadata

    from otdiag.observe import deps

    found = deps.installed(sys.path)
    assert found["opentelemetry-sdk"].version == metadata.version("opentelemetry-sdk")
    assert found["opentelemetry-api"].version == metadata.version("opentelemetry-api")
    assert deps.analyse(found).skew == []  # the test environment is consistent
    assert deps.analyse(found).removed == []


# --- signals and secrets --------------------------------------------------------------------------


def _start(*app: str, kill_after: str = "1s") -> subprocess.Popen[str]:
    env = clean_env(PYTHONPATH=str(REPO))
    cmd = [sys.executable, "-m", "otdiag", "run", "--json", "--grace", "0s", "--kill-after", kill_after, "--", *app]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=REPO)


def _wait_for_child(proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children")
        if children.exists() and children.read_text().strip():
            time.sleep(0.3)  # let the app install its own handlers
            return
        time.sleep(0.05)
    raise AssertionError("the app never started")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_to_otdiag_stops_the_app_and_the_report_is_printed(sig: int) -> None:
    proc = _start("sleep", "30")
    _wait_for_child(proc)
    started = time.monotonic()
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=30)
    assert time.monotonic() - started < within(1.0)
    assert proc.returncode == ExitCode.INTERRUPTED, err
    doc = json.loads(out)
    assert doc["stopped"] == signal.Signals(sig).name
    assert doc["escalated"] is False
    assert doc["exit_status"] == -sig


def test_an_app_that_ignores_the_signal_is_killed_after_the_grace_period() -> None:
    stubborn = (
        "import signal, time\n"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "signal.signal(signal.SIGINT, signal.SIG_IGN)\n"
        "time.sleep(60)\n"
    )
    proc = _start(sys.executable, "-c", stubborn, kill_after="1s")
    _wait_for_child(proc)
    started = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=30)
    assert time.monotonic() - started < within(1.0)
    doc = json.loads(out)
    assert doc["escalated"] is True and doc["exit_status"] == -signal.SIGKILL
    assert proc.returncode == ExitCode.INTERRUPTED
    killed = next(f for f in doc["findings"] if f["code"] == "app.killed")
    assert "ignored the signal" in killed["message"]


def test_timeout_escalates_too() -> None:
    stubborn = "import signal, time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\ntime.sleep(60)\n"
    env = clean_env(PYTHONPATH=str(REPO))
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "otdiag", "run", "--json", "--grace", "0s", "--timeout", "1s", "--kill-after", "0.5s",
         "--", sys.executable, "-c", stubborn],
        capture_output=True, text=True, env=env, cwd=REPO, timeout=60, check=False,
    )  # fmt: skip
    assert time.monotonic() - started < within(1.5)
    doc = json.loads(proc.stdout)
    assert doc["stopped"] == "timeout" and doc["escalated"] is True


def test_the_apps_argv_secrets_are_never_printed() -> None:
    secrets = ["s3cr3t-api-key", "hunter2-pass", "PWinURL", "tok-abc-123", "bearer-xyz-789"]
    argv = [
        sys.executable, "-c", "import sys", "--api-key=s3cr3t-api-key", "--password", "hunter2-pass",
        "http://admin:PWinURL@collector:4318/?token=tok-abc-123", "Authorization: Bearer bearer-xyz-789",
    ]  # fmt: skip
    for mode in (["--json"], []):
        env = clean_env(PYTHONPATH=str(REPO))
        cmd = [sys.executable, "-m", "otdiag", "run", *mode, "--grace", "0s", "--", *argv]
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=REPO, timeout=60, check=False)
        for secret in secrets:
            assert secret not in proc.stdout + proc.stderr, (mode, secret)
        assert "--api-key=<redacted>" in proc.stdout + proc.stderr
    from otdiag.app.runner import scrub_argv

    # -p V is a password to mysql and friends: hidden, whatever the command (issue 24)
    assert scrub_argv(["app", "--token", "x1", "-p", "pw1", "API_KEY=v", "--verbose"]) == [
        "app", "--token", "<redacted>", "-p", "<redacted>", "API_KEY=<redacted>", "--verbose",
    ]  # fmt: skip


# --- the removed Jaeger exporter on the last SDK it ran on (the real path) ---------------------

OLD_SDK_PINS = ("opentelemetry-sdk==1.21.0", "opentelemetry-exporter-jaeger-thrift==1.21.0")


@pytest.fixture(scope="session")
def old_sdk_python() -> str:
    """A virtual environment with the real opentelemetry-exporter-jaeger-thrift 1.21.0 (its last release),
    built once from the package index into the cache (about 30 s)."""
    return str(cached_venv(*OLD_SDK_PINS) / "python")


@pytest.mark.slow
def test_the_seed_example_on_the_last_sdk_with_the_jaeger_exporter(old_sdk_python: str) -> None:
    rc, doc, err = run([old_sdk_python, "seed_jaeger_thrift.py"])
    assert rc == ExitCode.PROBLEM
    first = doc["findings"][0]
    assert first["code"] == "app.jaeger-exporter-removed", err
    assert "opentelemetry-exporter-jaeger-thrift 1.21.0" in first["message"] and "crashed" in first["message"]
    assert any("service_name" in e for e in first["evidence"])  # the seed passes an argument that never existed
    assert first["location"]["line"] == 7
    assert "OTEL_EXPORTER_OTLP_ENDPOINT" not in first["hint"]
    assert "app.crashed" not in [f["code"] for f in doc["findings"]]  # the crash is the evidence


@pytest.mark.slow
def test_a_running_jaeger_exporter_is_named_with_its_endpoint(old_sdk_python: str) -> None:
    rc, doc, _ = run([old_sdk_python, "jaeger_thrift_old_sdk.py"])
    assert rc == ExitCode.PROBLEM
    first = doc["findings"][0]
    assert first["code"] == "app.jaeger-exporter-removed"
    assert "http://127.0.0.1:14268/api/traces" in first["message"]
    assert first["location"] == {"file": "jaeger_thrift_old_sdk.py", "line": 14, "column": 1}
    assert any("Connection refused" in e for e in first["evidence"])
    assert doc["observer"]["distributions"]["opentelemetry-exporter-jaeger-thrift"] == "1.21.0"


@pytest.mark.slow
def test_check_app_dir_reads_the_apps_own_virtual_environment(old_sdk_python: str, tmp_path: Path) -> None:
    from tests.cli_runner import run as cli

    venv = Path(old_sdk_python).parent.parent
    app = tmp_path / "svc"
    app.mkdir()
    (app / ".venv").symlink_to(venv, target_is_directory=True)
    res = cli("check", "--app-dir", str(app), "--no-e2e", "--timeout", "1s", "--json")
    found = {f["code"]: f for f in res.json()["findings"]}
    assert "opentelemetry-exporter-jaeger-thrift 1.21.0 is installed" in found["app.jaeger-exporter-removed"]["message"]
    assert "app.otel-version-skew" not in found  # 1.21.0 throughout


def test_secrets_inside_the_app_are_not_printed(tmp_path: Path) -> None:
    app = tmp_path / "leaky.py"
    app.write_text(
        (APPS / "hardcoded_endpoint.py")
        .read_text()
        .replace('endpoint="http://127.0.0.1:1"', 'endpoint="http://svc:Pa55word@127.0.0.1:1/?token=t0ken-abc"')
        .replace("insecure=True,", 'insecure=True, headers={"authorization": "Bearer hdr-s3cret"},')
    )
    for mode in (["--json"], []):
        env = clean_env(PYTHONPATH=str(REPO))
        cmd = [sys.executable, "-m", "otdiag", "run", *mode, "--grace", "0.2s", "--", sys.executable, str(app)]
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60, check=False)
        report = proc.stdout  # the app's own stderr passes through untouched, as without otdiag
        assert "ingest.refused" in report, proc.stderr
        for secret in ("Pa55word", "hdr-s3cret", "t0ken-abc"):
            assert secret not in report, (mode, secret)
        assert "svc:<redacted>@" in report
