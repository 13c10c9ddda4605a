"""The app's OpenTelemetry dependencies, read without running it: installed distributions and declared ones.

Shared by `otdiag run` (the app's own sys.path, as its observer reported it)
and `otdiag check --app-dir` (requirements*.txt, pyproject.toml, and the
distributions installed in this environment). Two causes are found here:

- a removed package: `opentelemetry-exporter-jaeger` and its `-thrift` and
  `-proto-grpc` parts, whose last release is 1.21.0;
- version skew: an OpenTelemetry distribution requires another at a version
  that is not the one installed (or declared), e.g. API 1.20 with SDK 1.27.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from otdiag.model import Finding, Location

JAEGER_LAST_RELEASE = "1.21.0"
JAEGER_PACKAGES = frozenset(
    {
        "opentelemetry-exporter-jaeger",
        "opentelemetry-exporter-jaeger-thrift",
        "opentelemetry-exporter-jaeger-proto-grpc",
    }
)
CORE_STABLE = frozenset(
    {
        "opentelemetry-api",
        "opentelemetry-sdk",
        "opentelemetry-proto",
        "opentelemetry-exporter-otlp",
        "opentelemetry-exporter-otlp-proto-grpc",
        "opentelemetry-exporter-otlp-proto-http",
        "opentelemetry-exporter-otlp-proto-common",
    }
)
"""Released together at one version (opentelemetry-python's core repository)."""
_MAX_FILE = 1024 * 1024
_REQ = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*(\(?[^;#]*?\)?)\s*(;.*)?$")


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass(frozen=True)
class Dist:
    name: str
    version: str
    requires: tuple[str, ...] = ()
    where: str = ""
    """Where it was seen: 'installed' or a file:line."""


@dataclass
class DepReport:
    removed: list[Dist] = field(default_factory=list)
    skew: list[str] = field(default_factory=list)
    """One sentence per requirement that the versions at hand break."""


# --- versions ----------------------------------------------------------------------------------


def _vkey(version: str) -> tuple[tuple[int, ...], tuple[int, int]]:
    """A sortable key for the versions OpenTelemetry publishes (1.27.0, 0.48b0, 1.0.0rc1, 1.2.3.post1)."""
    m = re.match(r"^\s*v?(\d+(?:\.\d+)*)(?:[.-]?(a|b|rc|c|dev|post)[.-]?(\d*))?", version.strip().lower())
    if not m:
        return ((0,), (0, 0))
    release = tuple(int(p) for p in m.group(1).split("."))
    release = release + (0,) * (4 - len(release)) if len(release) < 4 else release
    tag, num = m.group(2), int(m.group(3) or 0)
    rank = {"dev": -4, "a": -3, "b": -2, "rc": -1, "c": -1, "post": 1}.get(tag or "", 0)
    return (release, (rank, num))


def _matches(version: str, op: str, want: str) -> bool:
    if op == "===":
        return version.strip() == want.strip()
    if want.endswith(".*"):
        prefix = _vkey(want[:-2])[0]
        n = len([p for p in want[:-2].split(".") if p])
        equal = _vkey(version)[0][:n] == prefix[:n]
        return equal if op == "==" else not equal if op == "!=" else True
    v, w = _vkey(version), _vkey(want)
    if op == "==":
        return v == w
    if op == "!=":
        return v != w
    if op == ">=":
        return v >= w
    if op == "<=":
        return v <= w
    if op == ">":
        return v > w
    if op == "<":
        return v < w
    if op == "~=":
        parts = [int(p) for p in re.findall(r"\d+", re.split(r"rc|b|a", want, maxsplit=1)[0])]
        if len(parts) < 2:
            return v >= w
        upper = (*parts[:-2], parts[-2] + 1)
        return v >= w and v[0][: len(upper)] < upper
    return True


def satisfies(version: str, spec: str) -> bool:
    """Whether `version` meets a PEP 440 specifier list such as '>=1.27,<2' or '== 1.45.2'."""
    for raw in spec.split(","):
        clause = raw.strip().strip("()").strip()
        if not clause:
            continue
        m = re.match(r"^(===|==|!=|~=|>=|<=|>|<)\s*(\S+)$", clause)
        if m is None:
            continue
        if not _matches(version, m.group(1), m.group(2)):
            return False
    return True


def parse_requirement(text: str) -> tuple[str, str, str] | None:
    """(normalized name, specifier, marker) of one requirement line, or None."""
    line = text.split(" #", 1)[0].strip()
    if not line or line.startswith(("#", "-", "git+", "http:", "https:", "file:", ".", "/")):
        return None
    if " @ " in line:
        return (normalize(line.split(" @ ", 1)[0].split("[")[0].strip()), "", "")
    m = _REQ.match(line)
    if m is None:
        return None
    return (normalize(m.group(1)), (m.group(3) or "").strip(), (m.group(4) or "").lstrip(";").strip())


# --- what is installed -------------------------------------------------------------------------


def installed(paths: Sequence[str] | None = None) -> dict[str, Dist]:
    """OpenTelemetry distributions on `paths` (a sys.path; default this interpreter's), first one wins."""
    from importlib import metadata

    out: dict[str, Dist] = {}
    try:
        dists: Iterable[metadata.Distribution] = (
            metadata.distributions(path=list(paths)) if paths is not None else metadata.distributions()
        )
        for dist in dists:
            try:
                name = normalize(dist.metadata["Name"] or "")
            except (KeyError, AttributeError, ValueError):
                continue
            if not name.startswith("opentelemetry") or name in out:
                continue
            out[name] = Dist(name, dist.version or "", tuple(dist.requires or ()), "installed")
    except OSError:
        return out
    return out


def analyse(dists: Mapping[str, Dist]) -> DepReport:
    """Removed packages and skew among the given distributions (installed or declared)."""
    report = DepReport()
    for name in sorted(dists):
        if name in JAEGER_PACKAGES:
            report.removed.append(dists[name])
    api, sdk = dists.get("opentelemetry-api"), dists.get("opentelemetry-sdk")
    seen: set[str] = set()
    if api and sdk and api.version and sdk.version and _vkey(api.version) != _vkey(sdk.version):
        report.skew.append(
            f"opentelemetry-api {api.version} and opentelemetry-sdk {sdk.version} differ; they are released "
            "together and the SDK needs its own API version."
        )
        seen.add("opentelemetry-sdk->opentelemetry-api")
    for name in sorted(dists):
        dist = dists[name]
        if not dist.version:
            continue
        for raw in dist.requires:
            parsed = parse_requirement(raw)
            if parsed is None:
                continue
            dep, spec, marker = parsed
            if "extra" in marker or not dep.startswith("opentelemetry") or not spec:
                continue
            have = dists.get(dep)
            if have is None or not have.version or f"{name}->{dep}" in seen:
                continue
            if not satisfies(have.version, spec):
                seen.add(f"{name}->{dep}")
                report.skew.append(f"{name} {dist.version} requires {dep}{spec}, but {have.version} is {have.where}.")
    pinned = {n: d for n, d in dists.items() if n in CORE_STABLE and d.version and d.where != "installed"}
    versions = {_vkey(d.version) for d in pinned.values()}
    if len(versions) > 1:
        shown = ", ".join(f"{n}=={d.version} ({d.where})" for n, d in sorted(pinned.items()))
        report.skew.append(f"{shown}: the core packages are released together at one version.")
    return report


# --- what the app declares ---------------------------------------------------------------------


def _read(path: Path) -> str | None:
    try:
        if not path.is_file() or path.stat().st_size > _MAX_FILE:
            return None
        with path.open("rb") as fh:
            return fh.read(_MAX_FILE).decode("utf-8", errors="replace")
    except OSError:
        return None


def declared(app_dir: Path) -> dict[str, Dist]:
    """OpenTelemetry requirements pinned or named in requirements*.txt and pyproject.toml."""
    out: dict[str, Dist] = {}
    files = sorted(app_dir.glob("requirements*.txt"))[:20] + sorted(app_dir.glob("requirements/*.txt"))[:20]
    for path in files:
        text = _read(path)
        if text is None:
            continue
        for n, line in enumerate(text.splitlines(), 1):
            _declare(out, line, f"{path.name}:{n}")
    text = _read(app_dir / "pyproject.toml")
    if text is not None:
        _declare_pyproject(out, text)
    return out


def _declare_pyproject(out: dict[str, Dist], text: str) -> None:
    """[project] dependencies and [tool.poetry.dependencies], each at the first line that names it."""
    import tomllib

    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        doc = {}
    lines = text.splitlines()
    project = doc.get("project") if isinstance(doc.get("project"), dict) else {}
    deps = project.get("dependencies") if isinstance(project, dict) else None
    for item in deps if isinstance(deps, list) else []:
        if isinstance(item, str):
            _declare(out, item, _pyproject_line(lines, item.split(";")[0].strip()))
    poetry = doc.get("tool", {}).get("poetry", {}) if isinstance(doc.get("tool"), dict) else {}
    pdeps = poetry.get("dependencies") if isinstance(poetry, dict) else None
    for name, spec in (pdeps if isinstance(pdeps, dict) else {}).items():
        value = spec.get("version") if isinstance(spec, dict) else spec
        if isinstance(value, str) and isinstance(name, str):
            _declare(out, f"{name}{_poetry_spec(value)}", _pyproject_line(lines, name))


def _pyproject_line(lines: list[str], name: str) -> str:
    for n, line in enumerate(lines, 1):
        if name in line:
            return f"pyproject.toml:{n}"
    return "pyproject.toml"


def _poetry_spec(value: str) -> str:
    """Poetry's version constraint as a PEP 440 specifier: 1.27.0 is ==1.27.0, ^1.27 is >=1.27, * is none."""
    value = value.strip()
    if re.match(r"^\d", value):
        value = "==" + value
    elif value.startswith("^"):
        value = f">={value[1:]}"
    return "" if value == "*" else value


def _declare(out: dict[str, Dist], line: str, where: str) -> None:
    parsed = parse_requirement(line)
    if parsed is None:
        return
    name, spec, _ = parsed
    if not name.startswith("opentelemetry") or name in out:
        return
    m = re.match(r"^===?\s*([0-9][^,\s]*)$", spec)
    out[name] = Dist(name, m.group(1) if m and "*" not in m.group(1) else "", (), where)


# --- check --app-dir ---------------------------------------------------------------------------


def app_site_packages(app_dir: Path) -> list[str] | None:
    """The site-packages of a virtual environment inside the app's directory (.venv, venv, env), if any."""
    for name in (".venv", "venv", "env", ".env"):
        root = app_dir / name
        if not (root / "pyvenv.cfg").is_file():
            continue
        found = sorted(str(p) for p in root.glob("lib/python3*/site-packages") if p.is_dir())
        found += [str(p) for p in [root / "Lib" / "site-packages"] if p.is_dir()]
        if found:
            return found
    return None


def app_dir_findings(app_dir: Path) -> list[Finding]:
    """Removed packages and version skew in the app's declared and installed dependencies (heading 3)."""
    import sys

    from otdiag import catalogue as c

    out: list[Finding] = []
    wanted = declared(app_dir)
    venv = app_site_packages(app_dir)
    have = installed(venv if venv is not None else sys.path)
    where = f"the app's virtual environment ({Path(venv[0]).parent.parent.parent})" if venv else "otdiag's environment"
    for name, dist in sorted(wanted.items()):
        if name in JAEGER_PACKAGES:
            file, _, line = dist.where.rpartition(":")
            out.append(
                c.APP_JAEGER_REMOVED(
                    f"{dist.where} requires {name}"
                    + (f"=={dist.version}" if dist.version else "")
                    + f": the Jaeger exporter was removed after {JAEGER_LAST_RELEASE}; Jaeger v2 reads OTLP only.",
                    location=Location(file, int(line), 1) if line.isdigit() else None,
                )
            )
    for name, dist in sorted(have.items()):
        if name in JAEGER_PACKAGES and name not in wanted:
            out.append(
                c.APP_JAEGER_REMOVED(
                    f"{name} {dist.version} is installed in {where}: the Jaeger exporter was removed after "
                    f"{JAEGER_LAST_RELEASE}."
                )
            )
    skew = analyse(wanted).skew + [f"{s} (installed in {where})" for s in analyse(have).skew]
    if skew:
        out.append(c.APP_VERSION_SKEW(skew[0], evidence=skew[1:5]))
    return out
