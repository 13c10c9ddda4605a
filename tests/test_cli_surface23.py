"""Issue 23, "Help and flags": what every command's help and flags promise, and that they keep it.

- one rule for durations (Go's and the collector's): the unit is written; a bare number other than 0 is
  a usage error that says which forms to write; every duration option is DURATION, its default shown
  with a unit;
- one name for one idea: `--wait` everywhere (send-test-span's `--verify-wait` kept, hidden);
- help in plain words at 80 columns (no Python types, no `{FILES}`, summaries whole);
- `--header` takes NAME=VALUE and curl's 'Name: value' in every command that has it;
- `run --help` names the runtimes it observes.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import typer

from otdiag import durations
from otdiag.cli import common
from otdiag.cli.root import COMMANDS, app
from otdiag.errors import UsageError
from otdiag.mcp_server import tools
from otdiag.model import ExitCode
from tests import peers
from tests.cli_runner import run
from tests.listen_helpers import listening

COLUMNS_80 = {"COLUMNS": "80"}


def _help(*args: str) -> str:
    res = run(*args, "--help", env=COLUMNS_80)
    assert res.exit_code == 0, res.stderr
    return res.stdout


def _options(command: str) -> Iterator[Any]:
    """The Click parameters of `command`, as its help shows them."""
    group = typer.main.get_command(app)
    ctx = group.make_context("otdiag", [command, "--help"], resilient_parsing=True)
    cmd = group.get_command(ctx, command)  # type: ignore[attr-defined]
    assert cmd is not None
    yield from cmd.get_params(ctx)


# --- 1. durations ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("5s", 5.0), ("500ms", 0.5), ("1.5m", 90.0), ("2h30m", 9000.0), ("2d", 172800.0), ("0", 0.0), ("0s", 0.0)],
)
def test_a_duration_with_its_unit_is_read(text: str, seconds: float) -> None:
    assert durations.parse(text, "--x") == seconds


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("5", "--x: '5' has no unit: write 5s, 5m or 5h"),
        ("0.5", "--x: '0.5' has no unit: write 0.5s, 0.5m or 0.5h"),
        ("-1", "--x: '-1' must be a positive duration"),
        ("-1s", "--x: '-1s' must be a positive duration"),
        ("soon", "--x: 'soon' is not a duration (like 30s, 500ms, 1h, 2h30m)"),
        ("1e3", "--x: '1e3' is not a duration"),
    ],
)
def test_a_bare_number_or_a_non_duration_is_refused_with_the_forms_to_write(text: str, message: str) -> None:
    with pytest.raises(UsageError) as exc:
        durations.parse(text, "--x")
    assert str(exc.value).startswith(message)


@pytest.mark.parametrize("seconds", [0.0, 0.0005, 0.5, 1.0, 5.0, 59.5, 60.0, 90.0, 300.0, 3600.0, 5400.0, 86400.0])
def test_a_duration_written_back_has_a_unit_and_reads_back_the_same(seconds: float) -> None:
    shown = durations.text(seconds)
    assert re.search(r"[a-z]$", shown), shown
    assert durations.parse(shown, "--x") == pytest.approx(seconds)


DURATION_OPTIONS = [
    ("check", "--timeout"), ("check", "--wait"), ("check", "--window"),
    ("send-test-span", "--timeout"), ("send-test-span", "--wait"), ("send-test-span", "--verify-wait"),
    ("find-trace", "--timeout"), ("find-trace", "--wait"), ("find-trace", "--lookback"),
    ("find-trace", "--min-duration"), ("find-trace", "--max-duration"),
    ("listen", "--stop-after"), ("run", "--grace"), ("run", "--timeout"), ("run", "--kill-after"),
    ("replay", "--timeout"),
]  # fmt: skip


def test_every_duration_option_is_named_and_listed_here() -> None:
    """An option whose name says it takes a time is a DURATION, and this file checks each one."""
    found = []
    for command in COMMANDS:
        for param in _options(command):
            if param.param_type_name != "option" or getattr(param, "is_flag", False):
                continue
            name = param.opts[0]
            if param.metavar == "DURATION":
                found.append((command, name))
                assert param.default is None or durations.parse(param.default, name) >= 0, (command, name)
            elif re.search(r"timeout|wait|window|lookback|grace|after|duration", name):
                pytest.fail(f"{command} {name} takes a time but is shown as {param.metavar}")
    assert sorted(found) == sorted(DURATION_OPTIONS)


@pytest.mark.parametrize(("command", "option"), [c for c in DURATION_OPTIONS if c[1] != "--timeout"])
def test_every_duration_option_refuses_a_bare_number_with_exit_2(command: str, option: str) -> None:
    args = {"run": ["--", "true"], "replay": ["-c", "/dev/null"], "find-trace": ["abc"]}.get(command, [])
    if option in ("--min-duration", "--max-duration", "--lookback"):
        args = ["--service", "s"]
    res = run(command, option, "5", *args)
    assert res.exit_code == ExitCode.USAGE, (res.stdout, res.stderr)
    assert f"{option}: '5' has no unit: write 5s, 5m or 5h" in " ".join(res.stderr.split())
    assert "Traceback" not in res.stderr and len(res.stderr.strip().splitlines()) <= 3


@pytest.mark.parametrize("command", sorted({c for c, o in DURATION_OPTIONS if o == "--timeout"}))
def test_a_bare_timeout_is_still_seconds_with_a_deprecation_note(command: str) -> None:
    """The CLI contract wrote `--timeout SECONDS`: a bare number keeps working, and says to write the unit."""
    args = {"run": ["--", "true"], "replay": ["-c", "/dev/null"], "find-trace": ["abc"]}.get(command, [])
    if command == "check":
        args = ["--no-e2e", "--otlp-endpoint", "http://127.0.0.1:9", "--jaeger-url", "http://127.0.0.1:9"]
    res = run(command, "--timeout", "1", *args)
    assert "--timeout: '1'" not in res.stderr, (res.stdout, res.stderr)
    assert "otdiag: --timeout 1 is read as 1s; write the unit (1s)" in res.stderr
    assert "Traceback" not in res.stderr
    bad = run(command, "--timeout", "0", *args)
    assert bad.exit_code == ExitCode.USAGE and "--timeout: '0' must be more than 0s" in bad.stderr


def test_check_window_5_is_refused_not_taken_for_5_seconds() -> None:
    res = run("check", "--window", "5", "--no-e2e")
    assert res.exit_code == ExitCode.USAGE
    assert "--window: '5' has no unit: write 5s, 5m or 5h" in res.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["check", "--timeout", "0"], "--timeout: '0' must be more than 0s and at most 1h"),
        (["check", "--timeout", "2h"], "--timeout: '2h' must be more than 0s and at most 1h"),
        (["run", "--grace", "2m", "--", "true"], "--grace: '2m' must be at most 1m"),
        (["run", "--kill-after", "11m", "--", "true"], "--kill-after: '11m' must be at most 10m"),
        (["listen", "--stop-after", "0s"], "--stop-after: '0s' must be more than 0s and at most 1h"),
    ],
)
def test_out_of_range_durations_are_said_with_units(args: list[str], message: str) -> None:
    res = run(*args)
    assert res.exit_code == ExitCode.USAGE
    assert message in " ".join(res.stderr.split())


def test_duration_defaults_are_shown_with_a_unit() -> None:
    check = " ".join(_help("check").split())
    assert "[default: 5s]" in check and "[default: 15s]" in check and "[default: 5m]" in check
    assert "[default: 5.0]" not in check
    run_help = " ".join(_help("run").split())
    assert "--grace DURATION" in run_help and "[default: 1s]" in run_help
    assert "--kill-after DURATION" in run_help and "[default: 5s]" in run_help


# --- 2. one name: --wait ----------------------------------------------------------------------------


def test_send_test_span_waits_with_wait_and_verify_wait_is_a_hidden_old_name() -> None:
    shown = _help("send-test-span")
    assert "--wait DURATION" in shown
    assert "--verify-wait" not in shown
    with listening() as lp:
        base = ["send-test-span", "--endpoint", f"http://{lp.http}", "--jaeger-url", lp.query_url, "--verify"]
        new = run(*base, "--wait", "10s", "--json")
        old = run(*base, "--verify-wait", "10s", "--json")
    for res in (new, old):
        assert res.exit_code == ExitCode.OK, res.stdout
        assert res.json()["verified"] is True, res.stdout
    assert "--verify-wait is now --wait" in old.stderr and "--verify-wait" not in new.stderr
    bad = run("send-test-span", "--verify-wait", "5")
    assert bad.exit_code == ExitCode.USAGE and "--verify-wait: '5' has no unit" in bad.stderr


def _flag_values(argv: list[str]) -> dict[str, str]:
    return {flag: value for flag, value in itertools.pairwise(argv) if flag.startswith("--")}


@pytest.mark.parametrize(
    ("build", "arguments"),
    [
        (tools._send, {"verify_wait": 7}),
        (tools._send, {"wait": 5, "timeout": 0.5}),
        (lambda a: tools._check(a, allow_send=False), {"wait": 0, "timeout": 2.5, "window_minutes": 15}),
        (tools._find, {"trace_id": "ab", "wait": 12}),
        (tools._search, {"service": "s", "min_duration": "10ms", "lookback_minutes": 90}),
        (tools._run, {"argv": ["true"], "timeout": 30}),
    ],
)
def test_mcp_tools_pass_every_duration_with_its_unit_and_send_waits_with_wait(
    build: Callable[[dict[str, Any]], tools.Call], arguments: dict[str, Any]
) -> None:
    argv = build(arguments).argv
    flags = _flag_values(argv)
    assert "--verify-wait" not in argv
    for flag, value in flags.items():
        if re.search(r"timeout|wait|window|lookback|duration", flag):
            assert re.fullmatch(r"[0-9.]+(ms|s|m|h)", value), (flag, value)
            durations.parse(value, flag)
    if build is tools._send:
        expected = arguments.get("wait", arguments.get("verify_wait"))
        assert durations.parse(flags["--wait"], "--wait") == expected


# --- 3. help in plain words at 80 columns -----------------------------------------------------------

PLACEHOLDERS = re.compile(r"<str>|<list|<int>|<float>|<bool>|<path>|\{[A-Z_]+\}|\bTEXT\b|\bINTEGER\b|\bFLOAT\b")


@pytest.mark.parametrize("command", [None, *COMMANDS])
def test_every_help_reads_at_80_columns_in_plain_words(command: str | None) -> None:
    text = _help(*([command] if command else []))
    for line in text.splitlines():
        assert len(line) <= 80, f"{len(line)} columns: {line!r}"
        assert not PLACEHOLDERS.search(line), line
    for entry in _entries(text):
        default = re.search(r"\[default: ([^\]]+)\]", entry)
        if " DURATION " in entry and default:
            assert re.search(r"\d(ms|s|m|h|d)$", default.group(1)), entry
    if command is None:
        return
    usage = text.splitlines()[0]
    assert re.fullmatch(r"Usage: otdiag [a-z-]+ \[OPTIONS\](?: \[?[A-Z_]+\]?(?:\.\.\.)?)?", usage), usage


def _entries(text: str) -> list[str]:
    """The help's option and argument rows, each with its wrapped lines joined."""
    entries: list[str] = []
    for line in text.splitlines():
        if re.match(r"  [-A-Z\[]", line):
            entries.append(line)
        elif entries and line.startswith("      "):
            entries[-1] += " " + line.strip()
    return [" ".join(e.split()) + " " for e in entries]


def test_arguments_are_plain_words() -> None:
    assert _help("run").splitlines()[0] == "Usage: otdiag run [OPTIONS] COMMAND..."
    assert "  COMMAND...  " in _help("run")
    assert _help("validate-config").splitlines()[0] == "Usage: otdiag validate-config [OPTIONS] FILE..."
    assert _help("replay").splitlines()[0] == "Usage: otdiag replay [OPTIONS] [SPANS_FILE]..."
    find = _help("find-trace")
    assert find.splitlines()[0] == "Usage: otdiag find-trace [OPTIONS] [TRACE_ID]"
    assert re.search(r"^  TRACE_ID  1-32 hex digits", find, re.M), find
    assert "--app-dir DIR" in _help("check")
    assert "--base-dir DIR" in _help("validate-config")


def test_top_level_summaries_are_whole_never_cut_with_dots() -> None:
    flowing = " ".join(_help().split())
    for name, spec in COMMANDS.items():
        assert "..." not in spec.summary and "…" not in spec.summary, name
        assert f"{name} {' '.join(spec.summary.split())}" in flowing, name


# --- 4. --header: NAME=VALUE and curl's 'Name: value' ------------------------------------------------

HEADER_COMMANDS = ["check", "send-test-span"]


def test_the_header_option_is_where_it_is_listed_and_says_both_forms() -> None:
    having = [c for c in COMMANDS if any("--header" in getattr(p, "opts", []) for p in _options(c))]
    assert having == HEADER_COMMANDS
    for command in having:
        flowing = " ".join(_help(command).split())
        assert "--header NAME=VALUE" in flowing
        assert "NAME=VALUE or curl's 'Name: value'" in flowing


@pytest.mark.parametrize(
    "given",
    [["Authorization=Bearer x y"], ["Authorization: Bearer x y"], ["authorization:Bearer x y"]],
)
def test_both_header_forms_parse_the_same(given: list[str]) -> None:
    assert {k.lower(): v for k, v in common.parse_headers(given).items()} == {"authorization": "Bearer x y"}


def test_a_value_with_a_colon_or_an_equals_sign_keeps_it() -> None:
    assert common.parse_headers(["x-key=a:b"]) == {"x-key": "a:b"}
    assert common.parse_headers(["X-Key: a=b"]) == {"X-Key": "a=b"}


@pytest.mark.peers
def test_curls_header_form_authenticates_in_send_and_check(start_collector: Callable[..., peers.Collector]) -> None:
    auth = {"auth": {"authenticator": "bearertokenauth"}}
    col = start_collector(peers.collector_config(None, overrides={
        "extensions": {"bearertokenauth": {"token": "s3cr3t-t0ken"}},
        "service": {"extensions": ["health_check", "bearertokenauth"]},
        "receivers": {"otlp": {"protocols": {"grpc": auth, "http": auth}}},
    }))  # fmt: skip
    endpoint = f"http://{col.otlp_http}"
    for token, ok in (("s3cr3t-t0ken", True), ("wr0ng-t0ken", False)):
        header = f"Authorization: Bearer {token}"
        sent = run("send-test-span", "--endpoint", endpoint, "--header", header, "--timeout", "5s", "--json")
        assert sent.exit_code == (ExitCode.OK if ok else ExitCode.PROBLEM), sent.stdout
        assert token not in sent.stdout + sent.stderr
        checked = run("check", "--endpoint", endpoint, "--protocol", "http/protobuf", "--header", header,
                      "--no-e2e", "--timeout", "5s", "--jaeger-url", "http://127.0.0.1:9", "--json")  # fmt: skip
        assert checked.exit_code in (ExitCode.OK, ExitCode.PROBLEM), checked.stderr
        codes = {f["code"] for f in checked.json()["findings"]}
        assert ("ingest.auth" in codes) is not ok, codes
        assert token not in checked.stdout + checked.stderr


# --- 5. run --help --------------------------------------------------------------------------------


def test_run_help_names_every_runtime_it_observes() -> None:
    flowing = " ".join(_help("run").split())
    for runtime in ("Python", "Node.js", "Java", "Go"):
        assert runtime in flowing, runtime
    assert "--require" in flowing and "agent" in flowing and "build info" in flowing
    assert "A Python app also gets" not in flowing
