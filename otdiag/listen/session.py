"""One `otdiag listen` session: the receivers bound, each span handed over as it arrives, then the summary.

Receivers accept spans on their own threads; a bounded queue brings them to the thread that called
`Session.run`, which shows them (a terminal or a pipe is never written from two threads) until Ctrl-C,
SIGTERM or SIGHUP, or until `stop_after` has passed. What the display cannot keep up with is counted,
never waited for: a slow terminal must not slow the receivers down.
"""

from __future__ import annotations

import contextlib
import os
import queue
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import FrameType

from otdiag.listen.refused import RefusedRequest
from otdiag.listen.server import Bound, Listener
from otdiag.listen.store import Arrival, SpanStore
from otdiag.listen.summary import ListenResult, summarize
from otdiag.model import ExitCode
from otdiag.net.endpoints import HostPort

QUEUE_LIMIT = 20_000
"""Spans waiting to be shown; beyond it they are counted in `Session.dropped` instead."""

STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))
"""Besides Ctrl-C, what ends listen with its summary: SIGTERM, and SIGHUP (the terminal went away)."""

Show = Callable[[Arrival], None]
ShowRefused = Callable[[RefusedRequest], None]


@dataclass(frozen=True)
class ListenRequest:
    """Where to receive (None: not at all), how many spans to keep, and when to stop (None: on a signal)."""

    grpc: HostPort | None
    http: HostPort | None
    query: HostPort | None
    max_spans: int
    stop_after: float | None = None
    save: str | None = None
    """--save: write every accepted request to this file, one OTLP JSON line each."""


class Session:
    def __init__(self, request: ListenRequest) -> None:
        from otdiag.listen.save import SaveFile

        self.request = request
        self.saved = SaveFile(request.save) if request.save else None
        self.store = SpanStore(request.max_spans, recorder=self.saved)
        self.dropped = 0
        """Spans received but not shown: they arrived faster than the display."""
        self._listener = Listener(self.store, grpc=request.grpc, http=request.http, query=request.query)
        self._arrivals: queue.Queue[Arrival | RefusedRequest] = queue.Queue(QUEUE_LIMIT)
        self._show_refused: ShowRefused | None = None
        self._subscribed: set[str] = set()

    def start(self, *, live: bool = False) -> Bound:
        """Bind every receiver (BindError, with a one-line message, when one cannot) and start them.

        With `live`, what arrives is queued from the first request on, so a span or a refused request
        that comes in while the banner is printed is shown once `run` starts, not only summed up.
        """
        if live:
            self._subscribe(spans=True, refused=True)
        return self._listener.start()

    def _subscribe(self, *, spans: bool, refused: bool) -> None:
        """Queue accepted spans and/or refused requests for the display (each subscribed once)."""
        if spans and "spans" not in self._subscribed:
            self._subscribed.add("spans")
            self.store.subscribe(self._observe)
        if refused and "refused" not in self._subscribed:
            self._subscribed.add("refused")
            self.store.refused.subscribe(self._observe_refused)

    def run(
        self,
        show: Show | None,
        *,
        flush: Callable[[], None] | None = None,
        hard_exit: bool = False,
        show_refused: ShowRefused | None = None,
    ) -> ExitCode:
        """Hand every span to `show` as it arrives, until a stop signal (INTERRUPTED) or `stop_after` (OK).

        `flush` is called after each burst of spans. On return the receivers are stopped and every span
        received was shown. With `hard_exit`, a second signal from then on ends the process at once
        (exit 130), and `end` ends it once the summary is out.
        """
        self._subscribe(spans=show is not None, refused=show_refused is not None)
        self._show_refused = show_refused
        code = ExitCode.OK
        try:
            with _stop_signals_interrupt(hard_exit):
                self._show_until_stopped(show or _ignore, flush)
        except KeyboardInterrupt:
            code = ExitCode.INTERRUPTED
        finally:
            self._listener.stop()
            if self.saved is not None:
                self.saved.close()
        while not self._arrivals.empty():
            self._show(show or _ignore, self._arrivals.get_nowait())
        return code

    def _show(self, show: Show, item: Arrival | RefusedRequest) -> None:
        if isinstance(item, RefusedRequest):
            if self._show_refused is not None:
                self._show_refused(item)
        else:
            show(item)

    def _observe_refused(self, item: RefusedRequest) -> None:
        """Called on a receiver's thread with the first refused request of each kind."""
        with contextlib.suppress(queue.Full):
            self._arrivals.put_nowait(item)

    def summary(self) -> ListenResult:
        return summarize(self.store)

    def _observe(self, batch: list[Arrival]) -> None:
        """Called on a receiver's thread with each accepted batch."""
        for a in batch:
            try:
                self._arrivals.put_nowait(a)
            except queue.Full:
                self.dropped += 1

    def _show_until_stopped(self, show: Show, flush: Callable[[], None] | None) -> None:
        stop_after = self.request.stop_after
        deadline = time.monotonic() + stop_after if stop_after is not None else None
        arrivals = self._arrivals
        while deadline is None or time.monotonic() < deadline:
            try:
                a = arrivals.get(timeout=0.2)
            except queue.Empty:
                continue
            self._show(show, a)
            with contextlib.suppress(queue.Empty):
                while True:
                    self._show(show, arrivals.get_nowait())
            if flush is not None:
                flush()


def end(code: ExitCode, *, hard_exit: bool) -> ExitCode:
    """Summed up: with `hard_exit` (on the main thread), end the process here with `code`.

    Returning would leave a window (interpreter shutdown, where signal handlers are reset) in which
    another Ctrl-C kills the process with SIGINT instead of exiting 130.
    """
    if hard_exit and _on_main_thread():
        with contextlib.suppress(OSError):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(int(code))
    return code


def _ignore(a: Arrival) -> None:
    """What a quiet session does with a span (none reaches it: it does not subscribe)."""


def _on_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _exit_now(signum: int, frame: FrameType | None) -> None:
    """A second Ctrl-C (or SIGTERM/SIGHUP) while the summary is on its way: stop at once, exit 130."""
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(int(ExitCode.INTERRUPTED))


@contextlib.contextmanager
def _stop_signals_interrupt(hard_exit: bool) -> Iterator[None]:
    """SIGTERM and SIGHUP raise KeyboardInterrupt as Ctrl-C does (signals are the main thread's only).

    On the way out the previous handlers come back; with `hard_exit`, every stop signal then exits 130
    at once: the summary is being written, and a second signal means "now".
    """
    main = _on_main_thread()
    previous = {s: signal.getsignal(s) for s in STOP_SIGNALS} if main else {}
    for s in previous:
        signal.signal(s, _interrupt)
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        if main and hard_exit:
            for s in (signal.SIGINT, *STOP_SIGNALS):
                signal.signal(s, _exit_now)
