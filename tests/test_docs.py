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
    kinds = catalogue.load_all()
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
