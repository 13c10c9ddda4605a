"""What a `java` command line says before the JVM starts: the launcher, the agents, the -D properties.

The Java SDK's autoconfigure (and the Java agent) read a system property before the environment
variable of the same name: `-Dotel.exporter.otlp.endpoint=...` beats OTEL_EXPORTER_OTLP_ENDPOINT.
Properties come, in the order the JVM applies them (a later one wins), from JAVA_TOOL_OPTIONS,
JDK_JAVA_OPTIONS (the `java` launcher only), the command line before the main class or `-jar`,
and _JAVA_OPTIONS.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import PurePath

_TAKES_VALUE = frozenset(
    {
        "-cp", "-classpath", "--class-path", "-p", "--module-path", "--upgrade-module-path", "--add-modules",
        "--add-exports", "--add-opens", "--add-reads", "--limit-modules", "--patch-module", "--source",
        "--enable-native-access",
    }
)  # fmt: skip
_ENDS_OPTIONS = frozenset({"-jar", "-m", "--module"})
_LAUNCHERS = re.compile(r"^java(\.exe)?$")
_MAX_ARGS = 4096


@dataclass(frozen=True, slots=True)
class JavaCommand:
    """The JVM options of one `java` command (the app's own arguments are not read)."""

    properties: dict[str, str] = field(default_factory=dict)
    """Every -Dname=value in force, the last one of each name winning."""
    origin: dict[str, str] = field(default_factory=dict)
    """Where each property came from: 'command line', 'JAVA_TOOL_OPTIONS', ..."""
    agents: tuple[str, ...] = ()
    """The -javaagent: jar paths (without their options), in load order."""
    main: str | None = None
    """The main class, `-jar X`, `-m X` or source file, when found."""

    def otel_agent(self) -> str | None:
        """The OpenTelemetry Java agent's jar, when one is loaded."""
        for jar in self.agents:
            name = PurePath(jar).name
            if "opentelemetry-javaagent" in name or "otel" in name.lower():
                return jar
        return None


def is_java(argv: Sequence[str]) -> bool:
    """`java …` (any path to it); not javac, jshell or a script."""
    return bool(argv) and _LAUNCHERS.match(PurePath(argv[0]).name) is not None


def _split(value: str) -> list[str]:
    try:
        return shlex.split(value)
    except ValueError:
        return value.split()


def parse(argv: Sequence[str], env: Mapping[str, str]) -> JavaCommand:
    """The JVM options of `argv` (a `java` command) and of the JVM's environment variables."""
    props: dict[str, str] = {}
    origin: dict[str, str] = {}
    agents: list[str] = []

    def take(options: Sequence[str], where: str) -> None:
        for opt in options[:_MAX_ARGS]:
            if opt.startswith("-D") and len(opt) > 2:
                name, _, value = opt[2:].partition("=")
                props[name] = value
                origin[name] = where
            elif opt.startswith("-javaagent:"):
                agents.append(opt[len("-javaagent:") :].split("=", 1)[0])

    take(_split(env.get("JAVA_TOOL_OPTIONS", "")), "JAVA_TOOL_OPTIONS")
    take(_split(env.get("JDK_JAVA_OPTIONS", "")), "JDK_JAVA_OPTIONS")
    jvm, main = jvm_options(argv)
    take(jvm, "the command line")
    take(_split(env.get("_JAVA_OPTIONS", "")), "_JAVA_OPTIONS")
    return JavaCommand(props, origin, tuple(agents), main)


def jvm_options(argv: Sequence[str]) -> tuple[list[str], str | None]:
    """The options before the main class (or -jar/-m and its value), and that main."""
    out: list[str] = []
    args = list(argv[1:_MAX_ARGS])
    i = 0
    while i < len(args):
        arg = args[i]
        if arg in _ENDS_OPTIONS:
            return out, args[i + 1] if i + 1 < len(args) else None
        if arg in _TAKES_VALUE:
            out.extend(args[i : i + 2])
            i += 2
            continue
        if not arg.startswith("-") or arg == "-":
            return out, arg
        out.append(arg)
        i += 1
    return out, None
