"""What a compiled Go binary says about itself, read without a Go toolchain.

Two sections of an ELF Go executable are read, both bounded:

- `.go.buildinfo` (what `go version -m` prints): the Go version, the main module and every module
  linked, with versions (Go >= 1.18 keeps them inline after the `\\xff Go buildinf:` magic);
- `.gopclntab`'s function-name table: the name of every function the linker kept, including
  functions inlined into their callers. Go's linker drops code nothing reaches, so a name there
  means some code calls it (`otel.SetTracerProvider`, `sdktrace.NeverSample`, an exporter's
  `WithInsecure` option).

A stripped binary (`-ldflags=-s`) keeps both sections; a binary built with `-trimpath` too.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass, field
from pathlib import Path

MAGIC = b"\xff Go buildinf:"
MAX_BINARY = 512 * 1024 * 1024
"""A larger file is not read."""
MAX_SECTION = 64 * 1024 * 1024
_ELF = b"\x7fELF"


class NotGo(Exception):
    """The file is not a Go ELF executable otdiag can read."""


@dataclass(frozen=True, slots=True)
class GoBinary:
    go_version: str
    main_path: str = ""
    modules: dict[str, str] = field(default_factory=dict)
    """Module path -> version (a replacement's version when replaced)."""
    settings: dict[str, str] = field(default_factory=dict)
    """`build` lines: -ldflags, CGO_ENABLED, GOOS, vcs.* ..."""
    functions: frozenset[str] = frozenset()
    """Names in the function-name table (empty when it could not be read)."""
    main_refs: dict[str, str] = field(default_factory=dict)
    """Symbols that the `main` package's code calls or takes the address of, each with the first main
    function that does (amd64 binaries with a symbol table only): `os.Exit`, an itab such as sdktrace's
    `alwaysOffSampler` as a `Sampler`."""


def is_go(path: Path) -> bool:
    """An ELF executable with Go build info (reads only the section headers)."""
    try:
        size = path.stat().st_size
        if not path.is_file() or size > MAX_BINARY:
            return False
        with path.open("rb") as f:
            if f.read(4) != _ELF:
                return False
            return ".go.buildinfo" in _sections(f, size)
    except (OSError, NotGo, struct.error, ValueError, IndexError):
        return False


def _sections(f: object, data_len: int) -> dict[str, tuple[int, int, int]]:
    """ELF section name -> (file offset, size, virtual address)."""
    import io

    assert isinstance(f, io.BufferedReader)
    f.seek(0)
    ident = f.read(64)
    if len(ident) < 52 or ident[:4] != _ELF:
        raise NotGo("not an ELF file")
    is64 = ident[4] == 2
    end = "<" if ident[5] == 1 else ">"
    if is64:
        (shoff,) = struct.unpack_from(end + "Q", ident, 0x28)
        shentsize, shnum, shstrndx = struct.unpack_from(end + "HHH", ident, 0x3A)
    else:
        (shoff,) = struct.unpack_from(end + "I", ident, 0x20)
        shentsize, shnum, shstrndx = struct.unpack_from(end + "HHH", ident, 0x2E)
    if not shnum or shnum > 4096 or shstrndx >= shnum or shoff + shnum * shentsize > data_len or shentsize < 40:
        raise NotGo("no readable ELF section table")
    f.seek(shoff)
    table = f.read(shnum * shentsize)
    raw: list[tuple[int, int, int, int]] = []
    for i in range(shnum):
        e = table[i * shentsize : (i + 1) * shentsize]
        if is64:
            name, _type, _flags, addr, off, size = struct.unpack_from(end + "IIQQQQ", e, 0)
        else:
            name, _type, _flags, addr, off, size = struct.unpack_from(end + "IIIIII", e, 0)
        raw.append((name, off, size, addr))
    _, str_off, str_size, _ = raw[shstrndx]
    if str_off + str_size > data_len or str_size > 1 << 20:
        raise NotGo("bad ELF section names")
    f.seek(str_off)
    names = f.read(str_size)
    out: dict[str, tuple[int, int, int]] = {}
    for name_off, off, size, addr in raw:
        nul = names.find(b"\0", name_off)
        name = names[name_off : nul if nul >= 0 else len(names)].decode("latin-1")
        if off + size <= data_len:
            out[name] = (off, size, addr)
    return out


def _uvarint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while pos < len(data) and shift < 64:
        b = data[pos]
        pos += 1
        value |= (b & 0x7F) << shift
        if not b & 0x80:
            return value, pos
        shift += 7
    raise NotGo("truncated build info")


def parse_buildinfo(section: bytes) -> tuple[str, str]:
    """(Go version, modinfo text) from a `.go.buildinfo` section (Go >= 1.18's inline form)."""
    at = section.find(MAGIC)
    if at < 0 or len(section) < at + 32:
        raise NotGo("no Go build info")
    flags = section[at + 15]
    if not flags & 0x2:
        raise NotGo("Go build info from before Go 1.18 (pointer form) is not read")
    pos = at + 32
    n, pos = _uvarint(section, pos)
    version = section[pos : pos + n].decode("utf-8", "replace")
    pos += n
    n, pos = _uvarint(section, pos)
    mod = section[pos : pos + n]
    if len(mod) >= 33 and mod[-17:-16] == b"\n":  # 16-byte sentinels around the text
        mod = mod[16:-16]
    return version, mod.decode("utf-8", "replace")


def parse_modinfo(text: str) -> tuple[str, dict[str, str], dict[str, str]]:
    """(main module path, modules -> version, build settings) from `go version -m`'s text."""
    main = ""
    modules: dict[str, str] = {}
    settings: dict[str, str] = {}
    last = ""
    for line in text.splitlines()[:5000]:
        parts = line.split("\t")
        if parts[0] == "mod" and len(parts) >= 2:
            main = parts[1]
        elif parts[0] == "dep" and len(parts) >= 3:
            last = parts[1]
            modules[last] = parts[2]
        elif parts[0] == "=>" and len(parts) >= 3 and last:
            modules[last] = parts[2] or modules[last]
        elif parts[0] == "build" and len(parts) >= 2 and "=" in parts[1]:
            key, _, value = parts[1].partition("=")
            settings[key] = value
    return main, modules, settings


_PCLN_MAGICS = {0xFFFFFFF1: 8, 0xFFFFFFF0: 8, 0xFFFFFFFA: 7}
"""pclntab magic (Go 1.20+, 1.18-1.19, 1.16-1.17) -> index of the header word that holds funcnametab's offset."""


def parse_funcnames(pcln: bytes) -> frozenset[str]:
    """Every function name in a `.gopclntab` section (Go >= 1.16), or an empty set."""
    if len(pcln) < 16:
        return frozenset()
    for end in ("<", ">"):
        (magic,) = struct.unpack_from(end + "I", pcln, 0)
        if magic in _PCLN_MAGICS:
            break
    else:
        return frozenset()
    ptr = pcln[7]
    if ptr not in (4, 8):
        return frozenset()
    word = "Q" if ptr == 8 else "I"
    # Header words after the 8 fixed bytes: 1.18+: nfunc nfiles textStart funcnameOff cuOff ...;
    # 1.16-17: nfunc nfiles funcnameOff cuOff ...
    first = 3 if magic != 0xFFFFFFFA else 2
    try:
        name_off, cu_off = struct.unpack_from(end + word * 2, pcln, 8 + first * ptr)
    except struct.error:
        return frozenset()
    if not 0 < name_off < cu_off <= len(pcln):
        return frozenset()
    table = pcln[name_off:cu_off]
    return frozenset(table.decode("utf-8", "replace").split("\0")) - {""}


def read(path: Path, *, functions: bool = True) -> GoBinary:
    """The build info (and function names) of the Go executable at `path`; NotGo when it is not one."""
    try:
        size = path.stat().st_size
        if size > MAX_BINARY:
            raise NotGo(f"larger than {MAX_BINARY >> 20} MiB")
        with path.open("rb") as f:
            secs = _sections(f, size)
            where = secs.get(".go.buildinfo")
            if where is None:
                raise NotGo("no .go.buildinfo section: not a Go binary")
            off, n, _ = where
            f.seek(off)
            version, text = parse_buildinfo(f.read(min(n, MAX_SECTION)))
            names: frozenset[str] = frozenset()
            pcln = secs.get(".gopclntab")
            if functions and pcln is not None and pcln[1] <= MAX_SECTION:
                f.seek(pcln[0])
                names = parse_funcnames(f.read(pcln[1]))
            main_path = parse_modinfo(text)[0]
            refs = _main_references(f, secs, app_prefixes(main_path)) if functions else {}
    except OSError as exc:
        raise NotGo(f"cannot read it: {exc.strerror or exc}") from None
    except (struct.error, ValueError, IndexError) as exc:
        raise NotGo(f"malformed ELF: {type(exc).__name__}") from None
    main, modules, settings = parse_modinfo(text)
    return GoBinary(version, main, modules, settings, names, refs)


_CALL_OR_LEA = re.compile(rb"\xe8|[\x48\x4c]\x8d[\x05\x0d\x15\x1d\x25\x2d\x35\x3d]")
"""CALL rel32, or LEA r64, [RIP+disp32] (REX.W, ModRM mod=00 rm=101)."""
MAX_MAIN_CODE = 4 * 1024 * 1024
"""At most this much of the main package's machine code is scanned."""


def app_prefixes(main_path: str) -> tuple[bytes, ...]:
    """Name prefixes of the app's own functions: package main and the main module's packages."""
    if not main_path or main_path == "command-line-arguments":
        return (b"main.",)
    return (b"main.", f"{main_path}.".encode(), f"{main_path}/".encode())


def _main_references(f: object, secs: dict[str, tuple[int, int, int]], prefixes: tuple[bytes, ...]) -> dict[str, str]:
    """What the app's own functions (package main, the main module) call or load: x86-64 ELF with .symtab.

    CALL rel32 and LEA reg, [RIP+disp32] are decoded.

    A decoded byte pattern is kept only when its target is exactly the start of a symbol, so bytes
    that merely look like an instruction almost never count.
    """
    import io

    assert isinstance(f, io.BufferedReader)
    symtab, strtab, text = secs.get(".symtab"), secs.get(".strtab"), secs.get(".text")
    if symtab is None or strtab is None or text is None or symtab[1] > MAX_SECTION or strtab[1] > MAX_SECTION:
        return {}
    f.seek(0)
    ident = f.read(20)
    if ident[4] != 2 or ident[5] != 1 or struct.unpack_from("<H", ident, 18)[0] != 0x3E:  # ELF64, LE, x86-64
        return {}
    f.seek(symtab[0])
    syms = f.read(symtab[1])
    f.seek(strtab[0])
    strs = f.read(strtab[1])
    entries = list(struct.iter_unpack("<IBBHQQ", syms[: len(syms) // 24 * 24]))
    own = re.compile(b"\\0(?:" + b"|".join(re.escape(p) for p in prefixes) + b")")
    own_names = {m.start() + 1 for m in own.finditer(strs)}
    mains = [
        (value, size, off)
        for off, info, _o, _s, value, size in entries
        if off in own_names and info & 0xF == 2 and size
    ]
    text_off, text_size, text_addr = text
    targets: dict[int, int] = {}
    budget = MAX_MAIN_CODE
    for start, size, caller in mains:
        if not text_addr <= start < start + size <= text_addr + text_size or size > budget:
            continue
        budget -= size
        f.seek(text_off + start - text_addr)
        code = f.read(size)
        for m in _CALL_OR_LEA.finditer(code):
            i = m.start()
            if code[i] == 0xE8:
                if i + 5 <= len(code):
                    targets.setdefault(start + i + 5 + struct.unpack_from("<i", code, i + 1)[0], caller)
            elif i + 7 <= len(code):
                targets.setdefault(start + i + 7 + struct.unpack_from("<i", code, i + 3)[0], caller)

    def name_at(off: int) -> str:
        nul = strs.find(b"\0", off)
        return strs[off : nul if nul >= 0 else len(strs)].decode("utf-8", "replace")

    by_addr: dict[int, int] = {}
    for name_off, info, _o, _s, value, _size in entries:
        if value in targets and info & 0xF in (1, 2) and name_off not in own_names:  # OBJECT, FUNC
            by_addr.setdefault(value, name_off)
    found: dict[str, str] = {}
    for target, name_off in by_addr.items():
        found.setdefault(name_at(name_off), name_at(targets[target]))
    return found
