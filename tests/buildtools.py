"""Real build tools for the tests: the CNCF distribution registry on a free loopback port, and buildah.

Nothing at the registry's edge is faked: :func:`local_registry` starts Debian's ``docker-registry``
(distribution v2.8) with a config and storage of its own, waits until it answers ``/v2/``, and stops it.
Its access log is how a test sees what was pushed. ``.ci/run`` installs the tools and sets
``REQUIRE_BUILD_TOOLS=1``, so in CI (or with ``CI`` set) a missing tool fails instead of skipping.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "source" / "hello"
"""A source directory that builds FROM scratch: nothing is pulled."""
STACK = "test"
REGISTRY = "docker-registry"
BUILDAH = "buildah"
USER, PASSWORD = "builder", "s3cret-test"
HTPASSWD = f"{USER}:$2b$04$znDS63A7yLtAr2XaFwFe7OvFUIb99WbSsciLyi0dLEpjzLxK0U3UW\n"
"""``PASSWORD`` hashed with bcrypt at cost 4 (the registry's htpasswd takes bcrypt only); a test credential."""


def require(*tools: str) -> None:
    """Skip when a tool is missing, or fail when the build tools are required here (CI)."""
    missing = [t for t in tools if shutil.which(t) is None]
    if not missing:
        return
    text = f"not installed: {', '.join(missing)} (apt-get install -y docker-registry buildah skopeo)"
    if os.environ.get("REQUIRE_BUILD_TOOLS") or os.environ.get("CI"):
        pytest.fail(f"REQUIRE_BUILD_TOOLS/CI is set and {text}")
    pytest.skip(text)


@dataclass(frozen=True)
class LocalRegistry:
    """A running registry: its ``host:port`` and its access log."""

    host: str
    log: Path

    def requests(self, method: str, fragment: str = "") -> list[str]:
        """Access-log lines of ``method`` requests whose line contains ``fragment``."""
        text = self.log.read_text(encoding="utf-8", errors="replace")
        return [line for line in text.splitlines() if f'"{method} /v2/' in line and fragment in line]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _answers(host: str) -> bool:
    try:
        with urllib.request.urlopen(f"http://{host}/v2/", timeout=0.5):
            return True
    except urllib.error.HTTPError as exc:
        return exc.code == 401
    except OSError:
        return False


def _config(directory: Path, port: int, auth: bool) -> Path:
    lines = ["version: 0.1", "log:", "  level: warn", "storage:", "  filesystem:",
             f"    rootdirectory: {directory / 'data'}", "http:", f"  addr: 127.0.0.1:{port}",
             "  secret: test-only-secret"]
    if auth:
        (directory / "htpasswd").write_text(HTPASSWD, encoding="utf-8")
        lines += ["auth:", "  htpasswd:", "    realm: test", f"    path: {directory / 'htpasswd'}"]
    config = directory / "config.yml"
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return config


@contextlib.contextmanager
def local_registry(directory: Path, auth: bool = False) -> Iterator[LocalRegistry]:
    """Run ``docker-registry serve`` on a free 127.0.0.1 port until the block ends; ``auth`` asks for a login."""
    require(REGISTRY)
    directory.mkdir(parents=True, exist_ok=True)
    for _attempt in range(3):  # a free port can be taken between the probe and the registry's bind
        port = _free_port()
        log = directory / f"registry-{port}.log"
        with log.open("wb") as out:
            process = subprocess.Popen([REGISTRY, "serve", str(_config(directory, port, auth))], stdout=out,
                                       stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 15
        while process.poll() is None and not _answers(f"127.0.0.1:{port}") and time.monotonic() < deadline:
            time.sleep(0.02)
        if process.poll() is None and _answers(f"127.0.0.1:{port}"):
            break
        process.kill()
        process.wait()
    else:
        raise RuntimeError(f"docker-registry did not start: {log.read_text(errors='replace')[-2000:]}")
    try:
        yield LocalRegistry(f"127.0.0.1:{port}", log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(autouse=True)
def no_stored_logins(monkeypatch, tmp_path):
    """The developer's own registry logins never reach a test: every auth file points into tmp_path."""
    for name in ("REGISTRY_AUTH_FILE", "DOCKER_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path / "run"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))


def make_project(root: Path, prefix: str, source: str = "{path: apps/hello}") -> Path:
    """A project with the fixture at apps/hello and a stack ``test`` that builds it into ``prefix``."""
    shutil.copytree(FIXTURE, root / "apps" / "hello")
    (root / "Pulumi.yaml").write_text("name: knative-platform\nruntime: python\nstackConfigDir: stacks\n")
    (root / "stacks").mkdir()
    (root / "stacks" / f"Pulumi.{STACK}.yaml").write_text(
        "# a test stack: one service built from source\n"
        "config:\n"
        "  knative-platform:registry:\n"
        "    type: external\n"
        f"    prefix: {prefix}   # the test's own registry\n"
        "  knative-platform:services:\n"
        "    hello:\n"
        f"      source: {source}\n"
        "      env: {TARGET: tests}\n")
    return root


PROGRAM = """import pulumi

from knative_platform import Platform, PlatformArgs
from knative_platform.runtime.config import load_stack_config

stack_config = load_stack_config()
platform = Platform("platform", PlatformArgs(spec=stack_config.spec, kubeconfig=stack_config.kubeconfig))
for key, value in platform.stack_outputs().items():
    pulumi.export(key, value)
"""
CLUSTER = ("  knative-platform:cluster: {type: existing, context: kind-knative, gatewayService: NodePort}\n"
           "  knative-platform:domain: 127.0.0.1.sslip.io\n"
           "  knative-platform:ingress: kourier\n")


def make_program(root: Path, prefix: str, source: str = "{path: apps/hello}", revision: str = "auto") -> Path:
    """:func:`make_project` made a Pulumi program: the platform's own ``__main__.py`` on a kind cluster."""
    make_project(root, prefix, source)
    stack_file = root / "stacks" / f"Pulumi.{STACK}.yaml"
    text = stack_file.read_text().replace("config:\n", "config:\n" + CLUSTER, 1)
    stack_file.write_text(text + f"      revision: {revision}\n")
    (root / "__main__.py").write_text(PROGRAM)
    return root


def recorded(project: Path) -> dict:
    """The stack file's ``knative-platform:images``."""
    doc = yaml.safe_load((project / "stacks" / f"Pulumi.{STACK}.yaml").read_text())
    return doc["config"]["knative-platform:images"]
