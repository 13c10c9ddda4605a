"""Build the Java test apps once, with the real OpenTelemetry jars pinned from Maven Central.

Every case is one source file `tests/apps/java/<case>/Main.java` (package `<case>`). The jars come
from Maven Central through `mvn` into one shared local repository (~/.cache/otdiag/apps/java-m2),
and the cases are compiled with one `javac` run into ~/.cache/otdiag/apps/java-<hash of the sources
and pins>/, reused until a source or a pin changes. Nothing built lands in the repository.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
SDK_VERSION = "1.55.0"
"""The SDK the agent below bundles (its shaded api/version.properties), so API-only apps bridge cleanly."""
AGENT_VERSION = "2.21.0"
CACHE = Path(os.environ.get("OTDIAG_APPS_CACHE", Path.home() / ".cache" / "otdiag" / "apps"))
M2 = CACHE / "java-m2"

_POM = """<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>otdiag.tests</groupId><artifactId>java-apps</artifactId><version>1</version>
  <dependencyManagement><dependencies><dependency>
    <groupId>io.opentelemetry</groupId><artifactId>opentelemetry-bom</artifactId>
    <version>{sdk}</version><type>pom</type><scope>import</scope>
  </dependency></dependencies></dependencyManagement>
  <dependencies>
    <dependency><groupId>io.opentelemetry</groupId><artifactId>opentelemetry-api</artifactId></dependency>
    <dependency><groupId>io.opentelemetry</groupId><artifactId>opentelemetry-sdk</artifactId></dependency>
    <dependency><groupId>io.opentelemetry</groupId><artifactId>opentelemetry-exporter-otlp</artifactId></dependency>
    <dependency><groupId>io.opentelemetry</groupId><artifactId>opentelemetry-exporter-logging</artifactId></dependency>
    <dependency><groupId>io.opentelemetry</groupId>
      <artifactId>opentelemetry-sdk-extension-autoconfigure</artifactId></dependency>
    <dependency><groupId>io.opentelemetry.javaagent</groupId><artifactId>opentelemetry-javaagent</artifactId>
      <version>{agent}</version><scope>provided</scope></dependency>
  </dependencies>
</project>
"""


class BuildError(RuntimeError):
    """The toolchain is missing or the build failed (a test failure under CI=true)."""


@dataclass(frozen=True)
class JavaApps:
    root: Path
    java: str

    @property
    def agent(self) -> Path:
        return self.root / "lib" / f"opentelemetry-javaagent-{AGENT_VERSION}.jar"

    def classpath(self, *, sdk: bool = True) -> str:
        """The case classes and the jars: the SDK's, or the API's alone (for apps run under the agent)."""
        jars = sorted(p for p in (self.root / "lib").glob("*.jar") if "javaagent" not in p.name)
        if not sdk:
            jars = [p for p in jars if p.name.startswith(("opentelemetry-api-", "opentelemetry-context-"))]
        return os.pathsep.join([str(self.root / "classes"), *map(str, jars)])

    def command(
        self, case: str, *, agent: bool = False, jvm: tuple[str, ...] = (), args: tuple[str, ...] = ()
    ) -> list[str]:
        head = [self.java]
        if agent:
            head.append(f"-javaagent:{self.agent}")
        return [*head, *jvm, "-cp", self.classpath(sdk=not agent), f"{case}.Main", *args]


def cases() -> list[str]:
    return sorted(p.parent.name for p in HERE.glob("*/Main.java"))


def _key() -> str:
    h = hashlib.sha256(f"{SDK_VERSION} {AGENT_VERSION}".encode())
    for case in cases():
        h.update(case.encode() + (HERE / case / "Main.java").read_bytes())
    return h.hexdigest()[:16]


def build(timeout: float = 600) -> JavaApps:
    """The built apps (cached); raises BuildError when java, javac or mvn is missing or the build fails."""
    tools = {name: shutil.which(name) for name in ("java", "javac", "mvn")}
    missing = [name for name, path in tools.items() if path is None]
    if missing:
        raise BuildError(
            f"missing Java toolchain: {', '.join(missing)} (apt-get install openjdk-17-jdk-headless maven)"
        )
    root = CACHE / f"java-{_key()}"
    if (root / "ok").exists():
        return JavaApps(root, str(tools["java"]))
    CACHE.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="java-build-", dir=CACHE))
    try:
        (tmp / "pom.xml").write_text(_POM.format(sdk=SDK_VERSION, agent=AGENT_VERSION))
        _run(
            [str(tools["mvn"]), "-B", "-q", f"-Dmaven.repo.local={M2}", "dependency:copy-dependencies",
             "-DincludeScope=provided", "-DoutputDirectory=lib"],
            tmp, timeout,
        )  # fmt: skip
        _run(
            [str(tools["mvn"]), "-B", "-q", f"-Dmaven.repo.local={M2}", "dependency:copy-dependencies",
             "-DincludeScope=runtime", "-DoutputDirectory=lib"],
            tmp, timeout,
        )  # fmt: skip
        sources = [str(HERE / case / "Main.java") for case in cases()]
        jars = os.pathsep.join(str(p) for p in sorted((tmp / "lib").glob("*.jar")) if "javaagent" not in p.name)
        _run([str(tools["javac"]), "-nowarn", "-d", "classes", "-cp", jars, *sources], tmp, timeout)
        (tmp / "ok").write_text("")
        try:
            tmp.rename(root)
        except OSError:
            if not (root / "ok").exists():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return JavaApps(root, str(tools["java"]))


def _run(argv: list[str], cwd: Path, timeout: float) -> None:
    try:
        done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise BuildError(f"{argv[0]} timed out after {timeout:.0f}s") from None
    if done.returncode != 0:
        raise BuildError(
            f"{' '.join(argv[:3])} failed ({done.returncode}):\n{done.stdout[-2000:]}{done.stderr[-2000:]}"
        )


if __name__ == "__main__":
    import time

    t0 = time.monotonic()
    apps = build()
    print(f"built {len(cases())} Java apps in {apps.root} ({time.monotonic() - t0:.1f}s)")
