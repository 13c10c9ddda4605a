"""`otdiag mcp`: otdiag's commands as Model Context Protocol tools, over stdio (the official `mcp` SDK).

Start-up imports only the SDK's low-level server and stdio transport: `initialize` is answered as
soon as they are loaded. A tool call runs `otdiag COMMAND --json` as a child process in its own
process group, so its deadline stops it whole (nothing keeps running after a timed-out call), and
the server never holds otdiag's heavy modules; explain_finding answers in process.

A tool's error is an MCP tool error (isError) whose text is the one line the CLI would print: a
usage error's message, "timed out", or "internal error"; never a traceback, never the SDK's bare
"Error executing tool".
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import signal
import sys
from typing import Any

import anyio
import mcp_types as types
from anyio.abc import Process
from mcp.server.lowlevel import Server
from mcp.server.stdio import stdio_server

from otdiag import __version__
from otdiag.mcp_server import tools as tool_specs

MAX_STDOUT = 32 * 1024 * 1024
"""A child's JSON report is read up to this size; past it the call is an error."""
MAX_STDERR = 64 * 1024
MAX_LIST_ITEMS = 200
MAX_TEXT = 4000

INSTRUCTIONS = (
    "otdiag diagnoses OpenTelemetry SDK -> Collector -> Jaeger tracing pipelines. Start with `check` "
    "(where traces get lost), `validate_config` for collector configs, `find_trace`/`search_traces` to read "
    "traces back, and `explain_finding` for any finding code in a result."
)


def _error(message: str) -> types.CallToolResult:
    line = " ".join(message.split())[:MAX_TEXT] or "otdiag: the tool failed"
    return types.CallToolResult(content=[types.TextContent(type="text", text=line)], is_error=True)


def _bounded(doc: Any, path: str, cut: list[str], depth: int = 0) -> Any:
    """`doc` with lists cut to MAX_LIST_ITEMS and strings to MAX_TEXT characters; what was cut goes in `cut`."""
    if isinstance(doc, str):
        if len(doc) > MAX_TEXT:
            cut.append(f"{path}: {len(doc)} characters")
            return doc[:MAX_TEXT] + "…"
        return doc
    if depth > 64:
        cut.append(f"{path}: nested too deep")
        return None
    if isinstance(doc, list):
        if len(doc) > MAX_LIST_ITEMS:
            cut.append(f"{path}: {len(doc)} items")
        return [_bounded(v, f"{path}[{i}]", cut, depth + 1) for i, v in enumerate(doc[:MAX_LIST_ITEMS])]
    if isinstance(doc, dict):
        return {k: _bounded(v, f"{path}.{k}" if path else str(k), cut, depth + 1) for k, v in doc.items()}
    return doc


def _result(doc: dict[str, Any]) -> types.CallToolResult:
    from otdiag import redact

    cut: list[str] = []
    bounded = _bounded(doc, "", cut)
    if cut:
        bounded["mcp_truncated"] = cut[:MAX_LIST_ITEMS]
    text = redact.json_dumps(bounded)
    structured = json.loads(text)
    return types.CallToolResult(
        content=[types.TextContent(type="text", text=text)], structured_content=structured, is_error=False
    )


def _explain(code: str) -> types.CallToolResult:
    from otdiag import explain
    from otdiag.errors import UsageError

    try:
        return _result(explain.explain(code).to_json())
    except UsageError as exc:
        return _error(f"otdiag: {exc}")


def _child_env(extra: dict[str, str]) -> dict[str, str]:
    env = dict(os.environ)
    # COLUMNS: a tool's error is the CLI's one message, on one line (on a terminal it wraps at the width).
    env.update({"GRPC_VERBOSITY": "NONE", "NO_COLOR": "1", "OTDIAG_MCP_CHILD": "1", "COLUMNS": "1000"})
    env.pop("OTDIAG_DEBUG", None)  # a traceback must never become a tool's answer
    env.update(extra)
    return env


async def _read_all(stream: Any, limit: int, into: bytearray) -> None:
    async for chunk in stream:
        if len(into) < limit:
            into.extend(chunk[: limit - len(into)])


def _kill(process: Process, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, sig)


async def _stop(process: Process) -> None:
    """SIGTERM to the child's whole group (run forwards it to the app and reports), then SIGKILL."""
    _kill(process, signal.SIGTERM)
    with anyio.move_on_after(3):
        await process.wait()
    _kill(process, signal.SIGKILL)
    with anyio.CancelScope(shield=True), anyio.move_on_after(5):
        await process.wait()


def _deadline(seconds: float) -> float:
    """The call's deadline, lowered by OTDIAG_MCP_MAX_SECONDS when the server's environment sets it."""
    try:
        cap = float(os.environ.get("OTDIAG_MCP_MAX_SECONDS", "") or "inf")
    except ValueError:
        cap = float("inf")
    return max(0.5, min(seconds, cap)) if not math.isnan(cap) else seconds


async def run_child(call: tool_specs.Call) -> types.CallToolResult:
    """`otdiag ARGV` as a child in its own process group, bounded by the call's deadline and output caps."""
    argv = [sys.executable, "-m", "otdiag", *call.argv]
    out, err = bytearray(), bytearray()
    process = await anyio.open_process(
        argv,
        stdin=-1 if call.stdin is not None else -3,  # subprocess.PIPE / DEVNULL
        env=_child_env(call.env),
        start_new_session=True,
    )
    timed_out = False
    deadline = _deadline(call.deadline_s)
    try:
        with anyio.move_on_after(deadline) as scope:
            async with anyio.create_task_group() as tg:
                assert process.stdout is not None and process.stderr is not None
                tg.start_soon(_read_all, process.stdout, MAX_STDOUT + 1, out)
                tg.start_soon(_read_all, process.stderr, MAX_STDERR, err)
                if call.stdin is not None and process.stdin is not None:
                    with contextlib.suppress(anyio.BrokenResourceError, anyio.ClosedResourceError):
                        await process.stdin.send(call.stdin.encode("utf-8", "replace"))
                    await process.stdin.aclose()
                await process.wait()
        timed_out = scope.cancelled_caught
    finally:
        if process.returncode is None:
            await _stop(process)
    if timed_out:
        return _error(f"otdiag: {call.argv[0]} timed out after {deadline:g} s (the tool's deadline); stopped")
    return _outcome(call, process.returncode, bytes(out), bytes(err))


def _outcome(call: tool_specs.Call, code: int | None, out: bytes, err: bytes) -> types.CallToolResult:
    from otdiag import redact

    line = next((ln for ln in reversed(err.decode("utf-8", "replace").splitlines()) if ln.strip()), "")
    line = redact.clean(line)
    if code in (0, 1):
        if len(out) > MAX_STDOUT:
            return _error(f"otdiag: {call.argv[0]}'s report is larger than {MAX_STDOUT // 1048576} MiB")
        try:
            doc = json.loads(out.decode("utf-8", "replace"))
        except ValueError:
            return _error(line or f"otdiag: {call.argv[0]} printed no JSON report")
        if isinstance(doc, dict):
            return _result(doc)
        return _error(f"otdiag: {call.argv[0]} printed no JSON report")
    if code == 2:
        return _error(line or "otdiag: the request is wrong (exit 2)")
    if code == 130:
        return _error("otdiag: interrupted")
    return _error(line if "internal error" in line else f"otdiag: internal error in {call.argv[0]} (exit {code})")


def build(*, allow_send: bool, allow_run: bool) -> Server[Any]:
    specs = {t.name: t for t in tool_specs.tools(allow_send=allow_send, allow_run=allow_run)}
    listed = [
        types.Tool(
            name=t.name,
            title=t.title,
            description=t.description,
            input_schema=t.input_schema(),
            annotations=types.ToolAnnotations(
                title=t.title,
                read_only_hint=t.read_only,
                destructive_hint=t.destructive,
                idempotent_hint=t.read_only,
                open_world_hint=t.open_world,
            ),
        )
        for t in specs.values()
    ]

    async def list_tools(ctx: Any, params: types.PaginatedRequestParams | None) -> types.ListToolsResult:
        return types.ListToolsResult(tools=listed)

    async def call_tool(ctx: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
        try:
            return await _call(specs, params.name, params.arguments)
        except Exception as exc:  # noqa: BLE001 - the boundary: one line, never a traceback
            from otdiag import redact

            return _error(f"otdiag: internal error: {type(exc).__name__}: {redact.clean(str(exc))[:300]}")

    server: Server[Any] = Server(
        "otdiag",
        version=__version__,
        instructions=INSTRUCTIONS,
        on_list_tools=list_tools,
        on_call_tool=call_tool,
    )
    server.middleware = []  # no SDK spans of its own: otdiag sends only the test spans it is asked to
    return server


async def _call(specs: dict[str, tool_specs.Tool], name: str, arguments: dict[str, Any] | None) -> types.CallToolResult:
    spec = specs.get(name)
    if spec is None:
        shown = name[:60]
        return _error(f"otdiag: no tool {shown!r} (this server offers: {', '.join(specs)})")
    if arguments is not None and _size(arguments) > tool_specs.MAX_ARGUMENTS_CHARS:
        return _error(f"otdiag: the arguments are larger than {tool_specs.MAX_ARGUMENTS_CHARS // 1024} KiB")
    try:
        args = spec.check(arguments)
        call = spec.build(args)
    except tool_specs.ArgumentError as exc:
        return _error(f"otdiag: {name}: {exc}")
    if call is None:
        return _explain(str(args["code"]))
    return await run_child(call)


def _size(doc: Any, budget: int = tool_specs.MAX_ARGUMENTS_CHARS + 1) -> int:
    """The size of `doc` in characters, counted only up to `budget` (a huge argument is not walked whole)."""
    total = 0
    stack = [doc]
    while stack and total < budget:
        item = stack.pop()
        if isinstance(item, str):
            total += len(item) + 2
        elif isinstance(item, dict):
            total += 2 * len(item)
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            total += len(item) + 2
            stack.extend(item)
        else:
            total += 8
    return total


def serve(*, allow_send: bool = False, allow_run: bool = False) -> int:
    """Serve MCP over stdin/stdout until the client closes stdin; 0 then."""
    server = build(allow_send=allow_send, allow_run=allow_run)

    async def main() -> None:
        async with stdio_server() as (read_stream, write_stream):
            await server.run(read_stream, write_stream, server.create_initialization_options())

    try:
        anyio.run(main)
    except KeyboardInterrupt:
        return 130
    return 0
