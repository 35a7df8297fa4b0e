"""The services a scale benchmark deploys, as stack config and as the plain manifest the floor registers.

Every service has a canary, autoscaling and resources: the shape the issue measured
(issue 9). Services are spread over ten namespaces, as a platform team's would be.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
STACK = "bench"
NAMESPACES = 10
LOCAL_CONFIG: dict[str, Any] = {
    key: value for key, value in yaml.safe_load((ROOT / "stacks" / "Pulumi.local.yaml").read_text(
        encoding="utf-8"))["config"].items() if key != "knative-platform:registry"}
"""The committed ``local`` stack's settings (an existing cluster reached by context, Kourier, sslip.io), read
from its stack file so the benchmark follows it; the services are the benchmark's own, built images all (no
registry: the services built from source are measured by the build's tests, not here)."""


def name(i: int) -> str:
    """The ``i``-th service's name."""
    return f"svc-{i:05d}"


def namespace(i: int) -> str:
    """The ``i``-th service's namespace."""
    return f"team-{i % NAMESPACES}"


def service_config(i: int) -> dict[str, Any]:
    """One ``knative-platform:services`` entry: canary to the latest revision, autoscaling and resources."""
    return {
        "image": f"ghcr.io/example/{name(i)}:1.{i % 7}.0",
        "namespace": namespace(i),
        "revision": "v2",
        "env": {"LOG_LEVEL": "info"},
        "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": "1", "memory": "512Mi"}},
        "autoscaling": {"minScale": 1, "maxScale": 10, "target": 50, "window": "60s"},
        "traffic": {"canary": {"stable": "v1", "percent": 10}},
    }


def write_projects(services: int, root: Path) -> dict[str, Path]:
    """Pulumi projects under ``root`` with a ``bench`` stack of ``services`` services: the program and the floors.

    ``program`` is a copy of this project whose stack file declares the services;
    its code is linked, not copied, so it uses the repository's bytecode caches.
    ``floor`` and ``minimal`` run :mod:`benchmarks.floor` as their ``__main__`` (the same-graph floor and the
    minimal one), so all go through
    the same ``run_program`` (and the same stack depth at each registration, which
    the Pulumi SDK walks for every resource).
    """
    program = root / "program"
    (program / "stacks").mkdir(parents=True)
    shutil.copy(ROOT / "Pulumi.yaml", program / "Pulumi.yaml")
    shutil.copy(ROOT / "__main__.py", program / "__main__.py")
    (program / "components").symlink_to(ROOT / "components")
    for source in (ROOT / "stacks").glob("*.py"):
        (program / "stacks" / source.name).symlink_to(source)
    config = {**LOCAL_CONFIG, "knative-platform:services": {name(i): service_config(i) for i in range(services)}}
    _write_stack(program, config)

    projects = {"program": program}
    for kind, history in (("floor", True), ("minimal", False)):
        floor = projects[kind] = root / kind
        (floor / "stacks").mkdir(parents=True)
        shutil.copy(ROOT / "Pulumi.yaml", floor / "Pulumi.yaml")
        (floor / "__main__.py").write_text(FLOOR_MAIN, encoding="utf-8")
        _write_stack(floor, {"knative-platform:services": services, "knative-platform:history": history})
    return projects


FLOOR_MAIN = '''"""The scale benchmark's floors (benchmarks/floor.py) as a Pulumi program."""

import pulumi

from benchmarks.floor import program

config = pulumi.Config()
program(config.require_int("services"), config.require_bool("history"))
'''


def _write_stack(project: Path, config: dict[str, Any]) -> None:
    text = yaml.safe_dump({"config": config}, sort_keys=False, default_flow_style=False)
    (project / "stacks" / f"Pulumi.{STACK}.yaml").write_text(text, encoding="utf-8")


def floor_manifest(i: int) -> dict[str, Any]:
    """The Knative Service the program renders for :func:`service_config`, written out as a plain dict."""
    svc = name(i)
    labels = {"app.kubernetes.io/managed-by": "pulumi", "app.kubernetes.io/name": svc,
              "app.kubernetes.io/part-of": "knative-platform", "app.kubernetes.io/component": "app"}
    return {
        "apiVersion": "serving.knative.dev/v1",
        "kind": "Service",
        "metadata": {"name": svc, "namespace": namespace(i), "labels": labels,
                     "annotations": {"pulumi.com/waitFor": "condition=Ready"}},
        "spec": {
            "template": {
                "metadata": {
                    "name": f"{svc}-v2",
                    "labels": labels,
                    "annotations": {"autoscaling.knative.dev/max-scale": "10",
                                    "autoscaling.knative.dev/min-scale": "1",
                                    "autoscaling.knative.dev/target": "50",
                                    "autoscaling.knative.dev/window": "60s"},
                },
                "spec": {
                    "containerConcurrency": 0,
                    "containers": [{
                        "image": f"ghcr.io/example/{svc}:1.{i % 7}.0",
                        "ports": [{"name": "http1", "containerPort": 8080}],
                        "env": [{"name": "LOG_LEVEL", "value": "info"}],
                        "resources": {"requests": {"cpu": "100m", "memory": "128Mi"},
                                      "limits": {"cpu": "1", "memory": "512Mi"}},
                        "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]},
                                            "seccompProfile": {"type": "RuntimeDefault"}, "runAsNonRoot": True},
                    }],
                },
            },
            # A fresh stack has no v1 yet: the program sends its share to this update's revision (issue 13).
            "traffic": [{"revisionName": f"{svc}-v2", "percent": 90, "tag": "stable"},
                        {"latestRevision": True, "percent": 10, "tag": "canary"}],
        },
    }


TEMPLATE_FIELDS = 22
"""The leaves of :func:`floor_manifest`'s revision template: the fields the program's revision record hashes."""


def floor_revisions(i: int) -> dict[str, Any]:
    """The ``revisions`` record the program exports for service ``i`` on a fresh stack, digests as stand-ins.

    Same keys and value sizes as :func:`knative_platform.model.revisions.revisions.revisions_output`:
    one revision, created by this update, with an 8-character hash per template field.
    """
    svc = name(i)
    digest = "sha256:" + f"{i:032x}"
    return {"namespace": namespace(i), "generation": 1, "list": [{
        "name": f"{svc}-v2", "generation": 1, "image": f"ghcr.io/example/{svc}:1.{i % 7}.0", "percent": 100,
        "tags": ["stable", "canary"], "latest": True, "specDigest": digest, "digest": digest,
        "fields": f"{i:08x}" * TEMPLATE_FIELDS,
    }]}
