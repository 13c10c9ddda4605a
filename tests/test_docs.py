"""The generated references match the code, and every finding code is documented."""

from __future__ import annotations

import importlib.util
import re

from otdiag import catalogue
from tests.peers import REPO

_spec = importlib.util.spec_from_file_location("gen_docs", REPO / "scripts" / "gen_docs.py")
assert _spec and _spec.loader
gen_docs = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gen_docs)


def test_generated_docs_are_current() -> None:
    for path, text in gen_docs.outputs().items():
        assert path.exists(), f"{path} is missing: run scripts/gen_docs.py"
        assert path.read_text() == text, f"{path} is stale: run scripts/gen_docs.py"


def test_every_code_is_stable_shaped_and_documented() -> None:
    doc = (REPO / "docs" / "findings.md").read_text()
    kinds = catalogue.KINDS
    assert kinds
    for code, kind in kinds.items():
        assert re.fullmatch(r"[a-z][a-z0-9]*(\.[a-z0-9-]+)+", code), code
        assert f"`{code}`" in doc
        assert kind.title.endswith((".", ")")) and kind.hint


def test_readme_documents_exit_codes_and_json_report() -> None:
    readme = (REPO / "README.md").read_text()
    for code in ("| 0 |", "| 1 |", "| 2 |", "| 3 |", "| 130 |"):
        assert code in readme
    assert '"schema_version"' in readme


_EVERY_MODULE = """
import importlib, json, pkgutil, sys
import otdiag
from otdiag import catalogue
declared = set(catalogue.KINDS)
skip = ("otdiag.__main__", "otdiag.observe.inject")
for m in pkgutil.walk_packages(otdiag.__path__, "otdiag."):
    if not m.name.startswith(skip):
        importlib.import_module(m.name)
print(json.dumps({"declared": sorted(declared), "after": sorted(catalogue.KINDS)}))
"""


def test_the_catalogue_is_complete_as_soon_as_it_is_imported() -> None:
    """No kind is registered by importing some other module: importing all of otdiag adds none."""
    import json
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-c", _EVERY_MODULE], capture_output=True, text=True, check=True, timeout=120, cwd=REPO
    )
    seen = json.loads(out.stdout)
    assert set(seen["after"]) - set(seen["declared"]) == set()
    assert seen["declared"] == sorted(catalogue.KINDS)


_ANALYSE_ALONE = """
from otdiag.observe import analysis
report = {"pid": 1, "final": True, "logs": [{"message": "Queue full, dropping span", "count": 7}],
          "spans": {"started": 9, "recording": 9, "sampled": 9, "ended": 9}}
result = analysis.analyse([report], analysis.Context("http://127.0.0.1:4318", 2, 0))
print(" ".join(f.code for f in result.findings))
"""


def test_the_observers_analysis_works_in_a_fresh_interpreter() -> None:
    """analyse() used to raise KeyError 'app.queue-full' unless app.runner had been imported first."""
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-c", _ANALYSE_ALONE], check=False, capture_output=True, text=True, timeout=60, cwd=REPO
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert "app.queue-full" in out.stdout.split()
