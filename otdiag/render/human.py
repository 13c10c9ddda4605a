"""The human view: findings with their fixes, hop diagrams, spinners. Only this module uses rich."""

from __future__ import annotations

import errno
import os
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from rich.cells import cell_len
from rich.console import Console as _RichConsole
from rich.markup import escape as _markup_escape
from rich.status import Status
from rich.text import Text

from otdiag import redact
from otdiag.model import GUIDE_TITLES, Finding, Guide, Severity, Stage, order_findings

__all__ = [
    "Console",
    "Spinner",
    "escape",
    "make_console",
    "print_findings",
]

_SEV_STYLE = {
    Severity.ERROR: ("✗", "bold red"),
    Severity.WARNING: ("!", "yellow"),
    Severity.INFO: ("i", "cyan"),
}


def escape(text: str) -> str:
    """Any text from the network, a file or the user, ready for markup: scrubbed of secrets,
    printable (controls escaped, newlines shown as ⏎) and with Rich markup escaped."""
    return _markup_escape(redact.clean(str(text)))


class Console(_RichConsole):
    """Rich's console, with one last guard: every string it renders is scrubbed and made printable.

    Strings reach it as markup (escaped by `escape`), so newlines of otdiag's own are kept here;
    a stray escape sequence, secret or control character from elsewhere still never gets out.
    """

    def render_str(self, text: str, **kwargs: Any) -> Text:
        return super().render_str(redact.printable(redact.scrub(text), keep_newlines=True), **kwargs)

    def on_broken_pipe(self) -> None:
        """The reader went away (`| head`): stop writing, and let the command's boundary choose the
        exit code (rich's own choice is SystemExit(1), which says "a problem was found")."""
        self.quiet = True
        raise BrokenPipeError(errno.EPIPE, "the reader of the output went away")


def make_console(*, stderr: bool = False, width: int | None = None, no_color: bool = False) -> Console:
    """A console for stdout or stderr.

    Width: `width`, else COLUMNS (a positive number, clamped to 20..1000), else the terminal the user sits
    at (stdout, stderr, stdin, then /dev/tty: `| less` and `| cat` end on it), else 80. Text wraps between
    words at that width, into a pipe too; a URL or an ID is never cut.

    Colour follows no-color.org and force-color.org as Rich reads them: NO_COLOR (any non-empty value)
    turns every ANSI style off, bold included, and wins over FORCE_COLOR; FORCE_COLOR (any non-empty
    value, as force-color.org and Rich say) styles even a pipe.
    """
    env = os.environ
    no_color = no_color or bool(env.get("NO_COLOR"))
    force: bool | None = None
    if no_color:
        # FORCE_COLOR must not make a pipe a terminal either (rich would then draw a spinner into it).
        force = _isatty(sys.stderr if stderr else sys.stdout)
    elif env.get("FORCE_COLOR"):
        force = True
    # No emoji codes: a fix text holding ${env:X:-value} must not become ${env❌-value}.
    console = Console(
        stderr=stderr, width=width if width is not None else columns(), no_color=no_color, highlight=False,
        emoji=False, force_terminal=force, color_system=None if no_color else "auto",
    )  # fmt: skip
    console.soft_wrap = False
    return console


def _is_tty(console: _RichConsole) -> bool:
    """The console writes to a real terminal (os.isatty), whatever FORCE_COLOR made rich believe."""
    try:
        return os.isatty(console.file.fileno())
    except (AttributeError, OSError, ValueError):
        return False


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, OSError, ValueError):
        return False


MIN_COLUMNS, MAX_COLUMNS = 20, 1000
"""COLUMNS is clamped to this range: below 20 nothing reads, above 1000 is a typo."""


def _columns_env() -> int | None:
    given = os.environ.get("COLUMNS", "").strip()
    if not given.isdigit() or int(given) <= 0:
        return None
    return min(MAX_COLUMNS, max(MIN_COLUMNS, int(given)))


def columns() -> int:
    """COLUMNS when it is a positive number, else the width of the terminal the user sits at, else 80."""
    given = _columns_env()
    if given is not None:
        return given
    width = terminal_columns()
    return width if width is not None else 80


def terminal_columns() -> int | None:
    """The width of the terminal behind stdout, stderr or stdin, else of the controlling terminal
    (/dev/tty, opened without blocking and without becoming its controller), else None."""
    for fd in (1, 2, 0):
        width = _fd_columns(fd)
        if width is not None:
            return width
    try:
        fd = os.open("/dev/tty", os.O_RDONLY | os.O_NOCTTY | os.O_NONBLOCK)
    except OSError:  # no controlling terminal (ENXIO), or none at all
        return None
    try:
        return _fd_columns(fd)
    finally:
        os.close(fd)


def _fd_columns(fd: int) -> int | None:
    try:
        if not os.isatty(fd):
            return None
        width = os.get_terminal_size(fd).columns
    except (OSError, ValueError):
        return None
    # A pty not sized yet reports 0 columns.
    return min(MAX_COLUMNS, max(MIN_COLUMNS, width)) if width > 0 else None


class Spinner:
    """A `Progress` that shows a spinner on stderr (only on a terminal)."""

    def __init__(self, console: Console) -> None:
        self._status: Status | None = None
        self._console = console

    def update(self, message: str) -> None:
        if self._status is not None:
            self._status.update(escape(message))

    @contextmanager
    def running(self, message: str) -> Iterator[Spinner]:
        if not _is_tty(self._console):
            # FORCE_COLOR styles a pipe, but a live display belongs on a real terminal only: no frames or
            # cursor codes in a file.
            yield self
            return
        with self._console.status(escape(message)) as status:
            self._status = status
            try:
                yield self
            finally:
                self._status = None


def plural(n: float, word: str, many: str | None = None) -> str:
    """`1 span`, `2 spans`, `1,024 spans`."""
    return f"{n:,.0f} {word if n == 1 else many or word + 's'}"


def hang(console: Console, lead: str, body: str) -> None:
    """Print `lead` then `body` (both markup); wrapped lines of the body start under its first character.

    A hanging indent keeps the ✓/✗ column readable at 80 columns. Lines break between words; a word longer
    than the line breaks only after a natural separator (`,` `=` `/` `_`), a URL or an ID is never cut (it
    overflows, alone on its line), and a location (file:line:col) too long for the line is shortened from the
    left (`…/dir/file.js:6:1`), never split. When the lead leaves less than `MIN_BODY` columns (a step table
    at 40 columns), the body goes below the lead instead (stacked). A console with soft wrap (none that
    `make_console` builds) gets the line whole.
    """
    # Text objects bypass Console.render_str's guard: scrub and make printable here too.
    lead_t, body_t = (
        Text.from_markup(redact.printable(redact.scrub(m), keep_newlines=True), emoji=False) for m in (lead, body)
    )
    if console.soft_wrap:
        console.print(Text.assemble(lead_t, body_t))
        return
    pad = lead_t.cell_len
    indent = len(lead_t.plain) - len(lead_t.plain.lstrip())
    if indent and lead_t.plain.strip() and pad > indent + 4 and console.width - pad < _room_needed(body_t.plain):
        # Stacked: an indented lead (a step's name, a row's label) on its own line, the body below it,
        # indented a little more, when beside the lead the body would not have MIN_BODY columns or a URL
        # would not fit.
        lead_t.rstrip()
        _print_line(console, lead_t)
        pad = indent + 4
        lead_t = Text(" " * pad)
    first = True
    for paragraph in body_t.split("\n", allow_blank=True):
        for line in wrap_text(paragraph, max(MIN_BODY // 2, console.width - pad)):
            _print_line(console, Text.assemble(lead_t if first else " " * pad, line))
            first = False


MIN_BODY = 24
"""Columns a body needs beside its lead; with fewer, `hang` puts the body below the lead."""


def _room_needed(body: str) -> int:
    """The columns a body wants beside its lead: MIN_BODY, or its longest URL or ID (never broken)."""
    whole = [cell_len(w) for w in body.split() if _unbreakable(w)]
    return max([MIN_BODY, *whole])


def _print_line(console: Console, line: Text) -> None:
    console.print(line, no_wrap=True, crop=False, overflow="ignore")


_UNBREAKABLE = re.compile(
    r"[a-z][a-z0-9+.-]*://\S*|[0-9a-f]{16,}|[0-9a-f-]{32,}|[\w-]+(?:\.[\w-]+){2,}(?::\d+)?|[a-z0-9+/]{24,}={0,2}",
    re.I,
)
"""A URL, a host[:port], a trace/span ID or another opaque token: a copy must give it back whole, so it is
never broken (it overflows the line instead)."""
_SOURCE_EXTENSIONS = (
    ".py", ".pyw", ".js", ".cjs", ".mjs", ".ts", ".cts", ".mts", ".jsx", ".tsx", ".java", ".kt", ".scala", ".go",
    ".rb", ".cs", ".yaml", ".yml", ".json",
)  # fmt: skip
_POSITION = re.compile(r":\d{1,9}(?::\d{1,9})?")
"""file:line[:col] of a source or config file, with a path before the file or not (a host:port is none)."""
_SEPARATORS = ",=/_:"
"""Where a word longer than the line may break (after the separator), in order of preference; then after a
dash or a dot; a word with none of them (a name of 200 letters) is cut at the width."""


def wrap_text(text: Text, width: int) -> list[Text]:
    """`text` (one paragraph) as lines of at most `width` cells, broken between words (see `hang`)."""
    text = _fit_locations(text, width)
    plain = text.plain
    offsets: list[int] = []
    used = 0  # cells on the current line
    for m in re.finditer(r"\S+", plain):
        start, word = m.start(), m.group()
        size = cell_len(word)
        if used and used + 1 + size <= width:
            used += 1 + size
            continue
        if used:
            offsets.append(start)
        used = size
        if size <= width or _unbreakable(word):
            continue
        cuts = _word_breaks(word, width)
        offsets.extend(start + cut for cut in cuts)
        used = cell_len(word[cuts[-1] :]) if cuts else size
    lines = text.divide(offsets) if offsets else [text.copy()]
    out = []
    for line in lines:
        line.rstrip()
        out.append(line)
    return out


def _unbreakable(word: str) -> bool:
    if _UNBREAKABLE.fullmatch(word.strip("()[]<>,.;'\"")):
        return True
    bare = word.strip("()[],.;")
    found = _locations(bare)
    return len(found) == 1 and found[0][0] == 0 and found[0][1] == len(bare)


def _word_breaks(word: str, width: int) -> list[int]:
    """Offsets inside a word longer than the line: after a separator, each piece as long as it may be."""
    cuts: list[int] = []
    pos = 0
    while cell_len(word[pos:]) > width:
        window = word[pos : pos + width]
        cut = -1
        for sep in _SEPARATORS:
            at = window.rfind(sep)
            if at > 0:
                cut = at + 1
                break
        if cut <= 0:
            # No separator in reach: a dash or a dot, else (a name of 200 letters) cut at the width.
            cut = max(window.rfind("-"), window.rfind(".")) + 1 or len(window)
        pos += cut
        cuts.append(pos)
    return cuts


def _locations(plain: str) -> list[tuple[int, int, str, str]]:
    """(start, end, path, :line[:col]) of each file:line[:col] in `plain` (a host:port is none).

    Read word by word, without a regular expression over the path (one over a long run of slashes
    backtracks): the path is what comes before the word's first colon, and ends with a source or
    config file's extension after a non-empty name.
    """
    out: list[tuple[int, int, str, str]] = []
    for m in re.finditer(r"\S+", plain):
        word = m.group()
        colon = word.find(":")
        path = word[:colon]
        name = path.rsplit("/", 1)[-1]
        if colon <= 0 or not name.lower().endswith(_SOURCE_EXTENSIONS) or name.startswith("."):
            continue
        pos = _POSITION.match(word, colon)
        if pos is not None:
            out.append((m.start(), m.start() + pos.end(), path, pos.group()))
    return out


def _fit_locations(text: Text, width: int) -> Text:
    """A location longer than the line, shortened from the left to `…/` + what fits (file:line:col kept)."""
    plain = text.plain
    for start, end, path, pos in reversed(_locations(plain)):
        if cell_len(plain[start:end]) <= width:
            continue
        parts = path.split("/")
        kept = parts[-1] + pos
        for part in reversed(parts[:-1]):
            if cell_len(f"…/{part}/{kept}") > width:
                break
            kept = f"{part}/{kept}"
        short = Text("…/" + kept, style=_style_at(text, start))
        text = Text.assemble(text[:start], short, text[end:])
    return text


def _style_at(text: Text, offset: int) -> str:
    styles = [str(span.style) for span in text.spans if span.start <= offset < span.end]
    return " ".join(styles)


def finding_lines(f: Finding) -> list[tuple[str, str]]:
    """A finding as (lead, body) pairs: the message with its code, the fix, then up to four evidence lines."""
    mark, style = _SEV_STYLE[f.severity]
    where = f" [dim]{escape(f.location.file)}:{f.location.line}:{f.location.column}[/]" if f.location else ""
    lines = [(f"  [{style}]{mark}[/] ", f"{escape(f.message)} [dim]({f.code})[/]{where}")]
    lines.append(("    [bold]fix:[/] ", escape(f.hint)))
    lines.extend(("    [dim]·[/] ", f"[dim]{escape(e)}[/]") for e in f.evidence[:4])
    return lines


def print_findings(console: Console, findings: list[Finding]) -> None:
    """Findings grouped under the guide's three headings, in diagnosis order.

    The groups come in the order of their first finding (errors first, most fundamental first), so the
    first ✗ on screen is the verdict's first error. A guide's heading is printed only over a group with an
    error or a warning; notes alone (`i`) are listed last under "Notes", never under a heading that would
    claim a problem on a healthy run.
    """
    ordered = order_findings(findings)
    groups: dict[Guide | None, list[Finding]] = {}
    notes: list[Finding] = []
    for f in ordered:
        groups.setdefault(f.guide, []).append(f)
    sections: list[tuple[str, list[Finding]]] = []
    for guide, items in groups.items():
        if all(f.severity is Severity.INFO for f in items):
            notes.extend(items)
            continue
        sections.append((GUIDE_TITLES[guide] if guide else _other_title(items), items))
    if notes:
        sections.append(("Notes", notes))
    for n, (title, items) in enumerate(sections):
        console.print(f"[bold]{title}[/]")
        for f in items:
            for lead, body in finding_lines(f):
                hang(console, lead, body)
        if n == len(sections) - 1:
            _explain_hint(console, ordered)
        console.print()


def _other_title(items: list[Finding]) -> str:
    """The heading over findings outside the guide's three: the app's own failure (a crash after every span
    was exported) is about the app, not about its spans."""
    return "The app itself" if all(f.stage is Stage.APP for f in items) else "Other"


def _explain_hint(console: Console, ordered: list[Finding]) -> None:
    """One line offering `otdiag explain` for the first finding that has more to say than its fix."""
    from otdiag import explanations

    first = next((f for f in ordered if f.severity is not Severity.INFO and explanations.causes(f.code)), None)
    if first is not None:
        console.print(f"[dim]Causes and how to confirm a finding: otdiag explain {escape(first.code)}[/]")
