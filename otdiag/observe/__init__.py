"""`otdiag run`'s in-process observer for Python apps: how it is injected, and where it reports.

The observer itself is `inject/sitecustomize.py` (standard library only); it is
loaded by putting `inject/` first on the app's PYTHONPATH, the way
opentelemetry-instrument loads its own. It writes its reports into a private
directory named by OTDIAG_OBSERVE_DIR; `analysis` reads them back.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

INJECT_DIR = Path(__file__).resolve().parent / "inject"
DIR_VARIABLE = "OTDIAG_OBSERVE_DIR"


def environment(env: Mapping[str, str], report_dir: Path) -> dict[str, str]:
    """The variables that load the observer in the app (and its Python children).

    The observer is copied into the run's private directory and byte-compiled there for this
    interpreter, so an app on the same Python version does not compile it at start-up (even
    with PYTHONDONTWRITEBYTECODE); another version finds no matching .pyc and compiles it.
    """
    inject = _compiled_copy(report_dir / "site")
    existing = env.get("PYTHONPATH", "")
    path = str(inject) + (os.pathsep + existing if existing else "")
    return {"PYTHONPATH": path, DIR_VARIABLE: str(report_dir)}


def _compiled_copy(target: Path) -> Path:
    import py_compile
    import shutil

    try:
        target.mkdir(mode=0o700, exist_ok=True)
        source = target / "sitecustomize.py"
        shutil.copyfile(INJECT_DIR / "sitecustomize.py", source)
        from importlib.util import cache_from_source

        py_compile.compile(str(source), cfile=cache_from_source(str(source)), doraise=True)
    except (OSError, py_compile.PyCompileError):
        return INJECT_DIR
    return target


def looks_like_python(argv: list[str]) -> bool:
    """Whether the command probably runs a Python interpreter (for the 'observer did not load' note)."""
    if not argv:
        return False
    head = Path(argv[0]).name.lower()
    if head.startswith(("python", "pypy")):
        return True
    return head.endswith(".py")
