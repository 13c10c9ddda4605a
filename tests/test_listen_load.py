"""`otdiag listen` under load: connections, memory and answers stay bounded, and new clients are served."""

from __future__ import annotations

import json
import socket
import time
from contextlib import ExitStack, suppress

import pytest

from otdiag.listen.httpserver import Limits
from tests.listen_helpers import Running, listening, post, raw_exchange


def _connect(address: str) -> socket.socket:
    host, _, port = address.rpartition(":")
    return socket.create_connection((host, int(port)), timeout=5)


def test_idle_connections_make_room_for_a_new_client() -> None:
    with listening(limits=Limits(max_connections=8)) as running, ExitStack() as stack:
        idle = [stack.enter_context(_connect(running.http)) for _ in range(20)]
        time.sleep(0.3)
        ans = raw_exchange(running.http, post("/v1/traces", b"{}", "application/json"))
        assert ans.status == 200
        query = raw_exchange(
            running.query_url.removeprefix("http://"), b"GET /api/services HTTP/1.1\r\nHost: x\r\n\r\n"
        )
        assert query.status == 200
        # The oldest idle connections were closed to make room.
        closed = 0
        for s in idle:
            s.settimeout(0.5)
            with suppress(TimeoutError, ConnectionResetError):
                closed += s.recv(1) == b""
        assert closed >= 12


def test_when_every_connection_is_busy_a_new_client_is_told_so() -> None:
    with listening(limits=Limits(max_connections=4, body_timeout=10)) as running, ExitStack() as stack:
        for _ in range(4):
            busy = stack.enter_context(_connect(running.http))
            # A request whose body never comes: the connection is busy, not idle.
            busy.sendall(
                b"POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"
            )
        time.sleep(0.3)
        ans = raw_exchange(running.http, post("/v1/traces", b"{}", "application/json"))
        assert ans.status == 503
        assert ans.body == b"too many connections\n"
        assert ans.headers.get("connection") == "close"


def test_idle_connections_time_out_sooner_when_crowded() -> None:
    limits = Limits(max_connections=8, idle_timeout=60, crowded_idle_timeout=0.5)
    with listening(limits=limits) as running, ExitStack() as stack:
        conns = [stack.enter_context(_connect(running.http)) for _ in range(8)]
        time.sleep(3)
        closed = 0
        for s in conns:
            s.settimeout(0.2)
            with suppress(TimeoutError, ConnectionResetError):
                closed += s.recv(1) == b""
        # Crowded (over half of the limit): idle ones were closed after 0.5 s, down to half; the rest may idle.
        assert closed == 4


def _fill(running: Running, traces: int, spans_per_trace: int) -> None:
    from tests.otlp_craft import S, new_id, send

    now = time.time_ns()
    batch: list[S] = []
    for i in range(traces):
        tid = new_id(16)
        batch += [S(tid, new_id(8), f"op-{j}", "load", now + i, now + i + 10) for j in range(spans_per_trace)]
        if len(batch) >= 2000:
            send(running.http, batch)
            batch = []
    if batch:
        send(running.http, batch)


def test_a_large_search_answer_is_streamed_and_capped(monkeypatch: pytest.MonkeyPatch) -> None:
    import httpx

    from otdiag.listen import query_api

    with listening(max_spans=50_000) as running:
        _fill(running, 3000, 5)
        url = f"{running.query_url}/api/traces?service=load&limit=100000"
        with httpx.stream("GET", url, timeout=60) as resp:
            assert resp.status_code == 200
            assert resp.headers.get("transfer-encoding") == "chunked"
            assert "content-length" not in resp.headers
            doc = json.loads(resp.read())
        assert len(doc["data"]) == 3000 and doc["errors"] is None
        v3 = httpx.get(
            f"{running.query_url}/api/v3/traces",
            params={"query.service_name": "load", "query.start_time_min": "2000-01-01T00:00:00Z",
                    "query.start_time_max": "2100-01-01T00:00:00Z", "query.num_traces": "100000"},
            timeout=60,
        )  # fmt: skip
        assert v3.status_code == 200
        assert sum(len(ss["spans"]) for rs in v3.json()["result"]["resourceSpans"] for ss in rs["scopeSpans"]) == 15000
        # The answer stops adding traces at the cap (on spans), so its size is bounded.
        monkeypatch.setattr(query_api, "MAX_ANSWER_SPANS", 1000)
        capped = httpx.get(url, timeout=60).json()
        assert len(capped["data"]) == 200
        # A small answer still comes whole, with a Content-Length, as Jaeger's Go server sends it.
        small = httpx.get(f"{running.query_url}/api/traces?service=load&limit=2", timeout=60)
        assert small.headers.get("content-length") == str(len(small.content))
