"""`otdiag listen` under load: connections, memory and answers stay bounded, and new clients are served."""

from __future__ import annotations

import socket
import time
from contextlib import ExitStack, suppress

from otdiag.listen.httpserver import Limits
from tests.listen_helpers import listening, post, raw_exchange


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
