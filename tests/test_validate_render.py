"""validate-config's human view on fixed-width consoles (80 and 120 columns), as a terminal shows it.

Each test validates a small config through the core (validate/report.py), renders the typed result
with render/validate.py into a buffer, and asserts what a reader sees: a ✓/✗ line per file, every
finding with its fix, a code frame whose caret sits under the offending text, and no line wider
than the console.
"""

from __future__ import annotations

import io

import pytest
from rich.cells import cell_len

from otdiag.render import human
from otdiag.render import validate as view
from otdiag.validate.drawing import GraphFormat
from otdiag.validate.report import ValidateRequest, ValidateResult, validate

WIDTHS = (80, 120)

VALID = b"""receivers:
  otlp:
    protocols:
      grpc:
        endpoint: 0.0.0.0:4317
processors:
  memory_limiter:
    check_interval: 1s
    limit_percentage: 80
  batch:
    send_batch_max_size: 8192
exporters:
  otlp_grpc:
    endpoint: jaeger:4317
    tls:
      insecure: true
service:
  pipelines:
    traces:
      receivers: [otlp]
      processors: [memory_limiter, batch]
      exporters: [otlp_grpc]
"""

# Line 20 names a receiver that is not defined (column 25), line 21 a misspelt processor (column 36).
BROKEN = VALID.replace(b"receivers: [otlp]", b"receivers: [otlp, zipkin]").replace(
    b"processors: [memory_limiter, batch]", b"processors: [memory_limiter, batchy]"
)

# Valid, but two warnings: a literal secret in a header, and a debug exporter at detailed verbosity
# that is never used.
WARNED = VALID.replace(
    b"    tls:\n      insecure: true\n",
    b"    tls:\n      insecure: true\n    headers:\n      authorization: Bearer s3cr3t-t0ken-value\n"
    b"  debug:\n    verbosity: detailed\n",
)


def terminal(width: int) -> tuple[human.Console, io.StringIO]:
    """A terminal of `width` columns without colour (what NO_COLOR shows)."""
    buf = io.StringIO()
    console = human.Console(file=buf, width=width, force_terminal=True, color_system=None, highlight=False, emoji=False)
    return console, buf


def shown(result: ValidateResult, width: int) -> list[str]:
    console, buf = terminal(width)
    view.print_validate(console, result)
    return buf.getvalue().splitlines()


def run(
    *files: tuple[str, bytes], strict: bool = False, merge: bool = False, graph: GraphFormat | None = None
) -> ValidateResult:
    return validate(ValidateRequest(files=tuple(files), strict=strict, merge=merge, graph=graph))


def fits(lines: list[str], width: int) -> None:
    wide = [line for line in lines if cell_len(line) > width]
    assert not wide, f"wider than {width} columns: {wide}"


def caret_under(lines: list[str], line_no: int) -> str:
    """The source text the code frame's caret points at, for the frame of source line `line_no`."""
    gutter = f"{line_no:>5} │ "
    frames = [i for i, line in enumerate(lines) if line.startswith("    " + gutter)]
    assert frames, f"no code frame for line {line_no}"
    frame, caret = lines[frames[0]], lines[frames[0] + 1]
    assert caret.strip() == "^"
    return frame[caret.index("^") :]


@pytest.mark.parametrize("width", WIDTHS)
def test_a_valid_config_reads_as_valid(width: int) -> None:
    result = run(("collector.yaml", VALID))
    lines = shown(result, width)
    fits(lines, width)
    assert result.ok
    assert lines[0] == "✓ collector.yaml"
    assert not any("error" in line for line in lines[1:-1])
    assert lines[-1].startswith("valid: 1 file, 0 errors, 0 warnings")


@pytest.mark.parametrize("width", WIDTHS)
def test_errors_show_a_code_frame_at_the_right_place_and_their_fix(width: int) -> None:
    result = run(("collector.yaml", BROKEN))
    lines = shown(result, width)
    fits(lines, width)
    assert not result.ok
    assert lines[0] == "✗ collector.yaml"
    errors = [line for line in lines if line.startswith("  ✗ error ")]
    assert len(errors) == 2
    assert errors[0].startswith("  ✗ error 20:25 ")
    assert caret_under(lines, 20).startswith("zipkin]")
    assert caret_under(lines, 21).startswith("batchy]")
    text = "\n".join(lines)
    assert "fix: Did you mean" in text and '"batch"' in text, "the misspelt processor's fix names the defined one"
    assert "fix: Define zipkin under receivers" in text
    assert lines[-1].startswith("invalid: 1 file, 2 errors")


@pytest.mark.parametrize("width", WIDTHS)
def test_warnings_have_their_fix_and_never_show_the_secret(width: int) -> None:
    result = run(("collector.yaml", WARNED))
    lines = shown(result, width)
    fits(lines, width)
    text = "\n".join(lines)
    warnings = [line for line in lines if line.startswith("  ! warning ")]
    assert warnings, text
    assert result.ok, "warnings alone pass without --strict"
    assert "s3cr3t-t0ken-value" not in text
    assert "<redacted>" in text, "the code frame shows where the secret is, not what it is"
    # Every finding is followed (after its frame and evidence) by its fix before the next finding.
    marks = [i for i, line in enumerate(lines) if line.startswith(("  ✗ ", "  ! ", "  i "))]
    for start, end in zip(marks, [*marks[1:], len(lines)], strict=True):
        assert any(line.startswith("    fix: ") for line in lines[start:end]), lines[start]
    assert lines[-1].startswith("valid: 1 file, 0 errors")


@pytest.mark.parametrize("width", WIDTHS)
def test_strict_turns_warnings_into_a_failure(width: int) -> None:
    result = run(("collector.yaml", WARNED), strict=True)
    lines = shown(result, width)
    fits(lines, width)
    assert not result.ok
    assert lines[-1].startswith("invalid: 1 file, 0 errors")
    assert lines[-1].endswith("(--strict: warnings fail)")


@pytest.mark.parametrize("width", WIDTHS)
def test_merged_files_each_show_their_own_findings(width: int) -> None:
    head, tail = BROKEN.split(b"service:\n")
    result = run(("a.yaml", head), ("b.yaml", b"service:\n" + tail), merge=True)
    lines = shown(result, width)
    fits(lines, width)
    assert [line for line in lines if line[:2] in ("✓ ", "✗ ")] == ["✓ a.yaml", "✗ b.yaml"]
    b_at = lines.index("✗ b.yaml")
    # b.yaml starts at the service: line, so the unknown receiver sits on its line 4, column 25.
    assert caret_under(lines[b_at:], 4).startswith("zipkin]")
    assert lines[-1].startswith("invalid: 2 files, 2 errors")


@pytest.mark.parametrize("width", WIDTHS)
def test_graph_follows_the_report(width: int) -> None:
    result = run(("collector.yaml", VALID), graph=GraphFormat.TEXT)
    lines = shown(result, width)
    fits(lines, width)
    at = lines.index("pipelines of collector.yaml")
    assert lines[at + 1].startswith("traces: [otlp] -> [memory_limiter] -> [batch] -> [otlp_grpc]")


def test_code_frame_keeps_the_caret_under_the_column_of_a_long_line() -> None:
    source = ["x" * 300 + "TARGET" + "y" * 50]
    frame, caret = view.code_frame(source, 1, 301)
    text = frame.split("│ ", 1)[1].removeprefix("[/]")
    gutter = len("    1 │ ")
    assert caret.index("[bold]^") - gutter == text.index("TARGET")
    assert len(text) <= 161


# --- YAML syntax errors: named, framed, bounded --------------------------------------------------------

TABBED = b"receivers:\n  otlp:\n    protocols:\n\t  grpc:\nexporters:\n  debug:\n"


@pytest.mark.parametrize("width", (60, *WIDTHS))
def test_a_tab_is_named_and_shown_in_a_code_frame(width: int) -> None:
    result = run(("collector.yaml", TABBED))
    lines = shown(result, width)
    fits(lines, width)
    finding = result.files[0].findings[0]
    assert finding.code == "config.yaml-syntax"
    assert "a tab character at line 4, column 1: YAML indents with spaces only" in finding.message
    assert finding.location is not None and (finding.location.line, finding.location.column) == (4, 1)
    assert "tab at line 4, column 1" in finding.hint
    assert caret_under(lines, 4).startswith(view.TAB_SHOWN + "  grpc:"), "the tab is visible, the caret under it"


def test_a_tab_after_spaces_is_found_at_its_own_column() -> None:
    result = run(("c.yaml", b"receivers:\n  otlp:\n    protocols:\n   \tgrpc:\n"))
    finding = result.files[0].findings[0]
    assert "a tab character at line 4, column 4" in finding.message, finding.message
    assert caret_under(shown(result, 80), 4).startswith(view.TAB_SHOWN + "grpc:")


def test_the_frame_of_a_line_holding_a_secret_never_shows_it() -> None:
    result = run(("c.yaml", b"exporters:\n  otlp:\n    endpoint: x\n\tpassword: hunter2-s3cret\n"))
    text = "\n".join(shown(result, 80))
    assert "hunter2-s3cret" not in text
    assert "<redacted>" in text and "a tab character at line 4" in " ".join(text.split())


def test_an_unclosed_quote_is_framed_where_it_opens() -> None:
    source = b'receivers:\n  otlp:\n    protocols:\n      grpc:\n        endpoint: "localhost:4317\nexporters: {}\n'
    result = run(("c.yaml", source))
    finding = result.files[0].findings[0]
    assert finding.location is not None and (finding.location.line, finding.location.column) == (5, 19)
    assert "starts at line 5, column 19" in finding.message
    assert caret_under(shown(result, 80), 5).startswith('"localhost:4317')


def test_an_unclosed_bracket_shows_the_end_of_the_file() -> None:
    lines = shown(run(("c.yaml", b"receivers: [\n")), 80)
    assert any(line.startswith("        1 │ receivers: [") for line in lines), lines
    assert any(line.rstrip() == "        2 │" for line in lines), lines


@pytest.mark.parametrize("source", [b"a: b: c\n", b"key: [1, 2\nother: 3\n", b"- a\nb: c\n", b"a:\n  - b\n  c: d\n"])
def test_every_yaml_syntax_error_gets_a_code_frame(source: bytes) -> None:
    result = run(("c.yaml", source))
    finding = result.files[0].findings[0]
    assert finding.code == "config.yaml-syntax", finding
    assert finding.location is not None
    lines = shown(result, 80)
    assert any("│" in line for line in lines), lines


@pytest.mark.parametrize("width", (60, 80))
def test_a_long_line_in_a_frame_is_cut_to_the_width_around_the_caret(width: int) -> None:
    source = b"receivers:\n  otlp: {endpoint: " + b"x" * 300 + b" ]\n"
    result = run(("c.yaml", source))
    lines = shown(result, width)
    fits(lines, width)
    finding = result.files[0].findings[0]
    assert finding.location is not None
    assert caret_under(lines, finding.location.line).startswith("]")
