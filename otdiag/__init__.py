"""otdiag: a command-line doctor for OpenTelemetry SDK -> Collector -> Jaeger pipelines."""

import os as _os
import signal as _signal
import sys as _sys

__version__ = "0.1.0"


def _exit_interrupted(signum: int, frame: object) -> None:
    _os._exit(130)


# Run as the program (the `otdiag` script or `python -m otdiag`), Ctrl-C while its modules are still
# being imported exits 130 at once, instead of a KeyboardInterrupt traceback; main() restores Ctrl-C.
_program = bool(_sys.argv) and (_sys.argv[0] == "-m" or _sys.argv[0].rsplit("/", 1)[-1] == "otdiag")
if _program and _signal.getsignal(_signal.SIGINT) is _signal.default_int_handler:
    _signal.signal(_signal.SIGINT, _exit_interrupted)
