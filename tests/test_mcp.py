"""`otdiag mcp` driven by the official MCP client over stdio, as an assistant would drive it.

Each test starts `python -m otdiag mcp` through mcp.client.stdio, so the transport, the handshake and
the tool results are the SDK's own. Real peers (Jaeger, the collector) where a pipeline must answer;
otdiag's own `listen` where a Jaeger-compatible query API is enough; a hand-made hung server only for
the deadline.
"""

from __future__ import annotations

import json
import socket
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import anyio
import pytest
from mcp.client.session import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client

from tests import peers
from tests.listen_helpers import listening
from tests.otlp_craft import S
from tests.otlp_craft import send as send_otlp

BROKEN = """receivers:
  otlp:
    protocols: {grpc: {endpoint: 127.0.0.1:4317}}
exporters:
  debug:
service:
  pipelines:
    traces:
      receivers: [otlp]
      exporters: [debgu]
"""
TRACE = "5b8efff798038103d269b633813fc60c"


@asynccontextmanager
async def server(*flags: str, env: dict[str, str] | None = None) -> AsyncIterator[ClientSession]:
    import os

    params = StdioServerParameters(
        command=sys.executable, args=["-m", "otdiag", "mcp", *flags], env={**os.environ, **(env or {})}
    )
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        yield session


def drive(body: Callable[[ClientSession], Any], *flags: str, env: dict[str, str] | None = None) -> Any:
    async def main() -> Any:
        with anyio.fail_after(180):
            async with server(*flags, env=env) as session:
                return await body(session)

    return anyio.run(main)


def text(result: Any) -> str:
    return "".join(c.text for c in result.content if getattr(c, "type", "") == "text")


def assert_one_line_error(result: Any) -> str:
    assert result.is_error, text(result)
    line = text(result)
    assert "\n" not in line and line.startswith("otdiag"), line
    assert "Traceback" not in line and "Error executing tool" not in line and "validation error" not in line
    return line


def test_tools_listed_and_acting_tools_only_when_allowed() -> None:
    async def names(session: ClientSession) -> dict[str, Any]:
        return {t.name: t for t in (await session.list_tools()).tools}

    plain = drive(names)
    assert set(plain) == {"check", "validate_config", "find_trace", "search_traces", "explain_finding"}
    assert all(t.annotations.read_only_hint for t in plain.values())
    assert "e2e" not in plain["check"].input_schema["properties"]
    assert "200 spans" in plain["find_trace"].description and "200 items" in plain["check"].description
    allowed = drive(names, "--allow-send", "--allow-run")
    assert {"send_test_span", "run"} <= set(allowed)
    send, run = allowed["send_test_span"].annotations, allowed["run"].annotations
    assert send.read_only_hint is False and send.open_world_hint is True and send.destructive_hint is False
    assert run.read_only_hint is False and run.destructive_hint is True
    assert allowed["check"].annotations.read_only_hint is False  # it sends a test span now


def test_validate_config_inline_and_explain_finding() -> None:
    async def body(session: ClientSession) -> tuple[Any, Any, Any]:
        validated = await session.call_tool("validate_config", {"yaml": BROKEN})
        code = validated.structured_content["findings"][0]["code"]
        explained = await session.call_tool("explain_finding", {"code": code})
        near = await session.call_tool("explain_finding", {"code": "colector-down"})
        return validated, explained, near

    validated, explained, near = drive(body)
    assert not validated.is_error
    doc = validated.structured_content
    assert doc["command"] == "validate-config" and doc["ok"] is False
    assert json.loads(text(validated)) == doc
    first = doc["findings"][0]
    assert first["code"] == "config.undefined-component" and first["location"]["line"] == 10
    assert not explained.is_error
    exp = explained.structured_content
    assert exp["code"] == "config.undefined-component" and exp["causes"] and exp["confirm"] and exp["fix"]
    assert "ingest.collector-down" in assert_one_line_error(near)


def test_check_against_a_dead_pipeline_names_it_and_keeps_the_password_out() -> None:
    async def body(session: ClientSession) -> Any:
        return await session.call_tool(
            "check",
            {
                "otlp_endpoint": "http://user:hunter2secret@127.0.0.1:9",
                "jaeger_url": "http://127.0.0.1:9",
                "timeout": 1,
            },
        )

    result = drive(body)
    assert not result.is_error, text(result)
    doc = result.structured_content
    assert doc["command"] == "check" and doc["ok"] is False
    assert doc["findings"][0]["code"] == "ingest.collector-down"
    assert not any(s["name"].startswith("e2e") and s["status"] != "skip" for s in doc["steps"])
    assert "hunter2secret" not in text(result) and "hunter2secret" not in json.dumps(doc)


def test_hostile_arguments_get_bounded_one_line_answers() -> None:
    async def body(session: ClientSession) -> list[tuple[Any, float]]:
        out = []
        calls: list[tuple[str, dict[str, Any]]] = [
            ("validate_config", {"yaml": "a: " + "x" * 50_000_000}),
            ("validate_config", {"paths": ["/dev/zero"]}),
            ("validate_config", {"paths": ["/nonexistent/c.yaml"], "yaml": "a: 1"}),
            ("find_trace", {"trace_id": "not-hex", "jaeger_url": "http://u:pw-s3cr3t@127.0.0.1:9"}),
            ("find_trace", {"trace_id": TRACE, "timeout": "soon"}),
            ("check", {"bogus": 1}),
            ("check", {"configs": ["c.yaml"] * 10_000}),
            ("search_traces", {"service": "s" * 100_000}),
            ("no_such_tool", {}),
            ("validate_config", {"yaml": "a: 1", "collector_version": "/usr/bin/otelcol"}),
        ]
        for name, args in calls:
            t0 = time.monotonic()
            out.append((await session.call_tool(name, args), time.monotonic() - t0))
        tools = await session.list_tools()  # the server keeps answering
        assert tools.tools
        return out

    answers = drive(body)
    for result, _ in answers:
        line = assert_one_line_error(result)
        assert "pw-s3cr3t" not in line and len(line) < 400
    huge, took = answers[0]
    assert took < 10, f"a 50 MB config took {took:.1f} s to refuse"
    assert "KiB" in text(huge)
    assert "/dev/zero" in text(answers[1][0])


@contextmanager
def hung_server() -> Iterator[str]:
    """Accepts connections and never answers: a query API that hangs."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        sock.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(sock.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        stop.set()
        thread.join()
        for conn in held:
            conn.close()
        sock.close()


def test_a_tool_call_past_its_deadline_ends_cleanly() -> None:
    with hung_server() as url:

        async def body(session: ClientSession) -> tuple[Any, float, Any]:
            t0 = time.monotonic()
            result = await session.call_tool(
                "find_trace", {"trace_id": TRACE, "jaeger_url": url, "wait": 60, "timeout": 30}
            )
            took = time.monotonic() - t0
            after = await session.call_tool("explain_finding", {"code": "trace.not-found"})
            return result, took, after

        result, took, after = drive(body, env={"OTDIAG_MCP_MAX_SECONDS": "3"})
    line = assert_one_line_error(result)
    assert "timed out after 3 s" in line
    assert took < 15
    assert not after.is_error


def test_find_trace_against_otdiag_listen() -> None:
    with listening() as running:
        now = time.time_ns()
        send_otlp(running.http, [S(TRACE, "1111111111111111", "root", "checkout", now - 5_000_000, now)])

        async def body(session: ClientSession) -> tuple[Any, Any]:
            found = await session.call_tool("find_trace", {"trace_id": TRACE, "jaeger_url": running.query_url})
            searched = await session.call_tool(
                "search_traces", {"service": "checkout", "jaeger_url": running.query_url}
            )
            return found, searched

        found, searched = drive(body)
    assert not found.is_error, text(found)
    doc = found.structured_content
    assert doc["command"] == "find-trace" and doc["ok"] is True
    assert doc["trace"]["trace_id"] == TRACE and doc["trace"]["spans"][0]["service"] == "checkout"
    assert not searched.is_error and searched.structured_content["traces"][0]["services"] == ["checkout"]


@pytest.mark.peers
def test_check_and_find_trace_against_real_collector_and_jaeger(
    collector_to_jaeger: tuple[peers.Collector, peers.Jaeger],
) -> None:
    collector, jaeger = collector_to_jaeger

    async def body(session: ClientSession) -> tuple[Any, Any, Any]:
        checked = await session.call_tool(
            "check",
            {
                "otlp_endpoint": f"http://{collector.otlp_grpc}",
                "protocol": "grpc",
                "jaeger_url": jaeger.query_url,
                **({"collector_health_url": collector.health_url} if collector.health_url else {}),
                **({"collector_metrics_url": collector.metrics_url} if collector.metrics_url else {}),
                "wait": 30,
            },
        )
        sent = await session.call_tool(
            "send_test_span",
            {"endpoint": f"http://{jaeger.otlp_grpc}", "protocol": "grpc", "verify": True,
             "jaeger_url": jaeger.query_url, "verify_wait": 30},
        )  # fmt: skip
        trace_id = sent.structured_content["trace_id"]
        found = await session.call_tool("find_trace", {"trace_id": trace_id, "jaeger_url": jaeger.query_url})
        return checked, sent, found

    checked, sent, found = drive(body, "--allow-send")
    assert not checked.is_error, text(checked)
    assert checked.structured_content["ok"] is True, checked.structured_content["findings"]
    assert checked.structured_content["trace_id"]
    assert sent.structured_content["accepted"] >= 1 and sent.structured_content["verified"] is True
    assert found.structured_content["ok"] is True
    assert found.structured_content["trace"]["trace_id"] == sent.structured_content["trace_id"]
