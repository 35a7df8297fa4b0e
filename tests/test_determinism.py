"""Same input, byte-identical output, whatever the interpreter's hash seed (issue 19).

Sets and string hashes iterate in an order that depends on ``PYTHONHASHSEED``,
which differs between processes, not within one: comparing a render with itself
in one process cannot fail. So every committed stack's typed spec, its Knative
Services, its public hosts, and (for a GKE cluster) its cluster, node-pool and
kubeconfig arguments are computed by two interpreters with different hash seeds
and compared. The whole program's render across processes is held by the
golden trees (tests/test_render.py), which another process wrote.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from conftest import ROOT

SCRIPT = r'''
import hashlib, json, sys
from pathlib import Path
from knative_platform.gcp_args import gke
from knative_platform.manifests.knative import render_service
from knative_platform.model.cluster.cluster import GkeClusterSpec
from knative_platform.model.core.config_value import parse_config_value
from knative_platform.model.core.errors import SpecError
from knative_platform.model.platform.hosts import public_hosts
from knative_platform.model.platform.platform import build_platform_spec
from knative_platform.offline.stackfile import load_program_config

out = {}
for path in sorted(Path(sys.argv[1], "stacks").glob("Pulumi.*.yaml")):
    stack = path.name.split(".")[1]
    config = load_program_config(sys.argv[1], stack).config
    values = {k.split(":", 1)[1]: parse_config_value(v) for k, v in config.items() if k.startswith("knative-platform:")}
    try:
        spec = build_platform_spec(stack, values)
    except SpecError as error:
        out[stack] = [str(p) for p in error.problems]
        continue
    parts = [repr(spec)]
    parts += [repr(render_service(s)) for s in spec.services]
    parts.append(repr(public_hosts(spec.services, spec.domain, spec.knative.network.domain_template,
                                   spec.knative.network.tag_template)))
    if isinstance(spec.cluster, GkeClusterSpec):
        parts.append(repr(gke.cluster_args(spec.cluster, network="n", subnetwork="s", node_service_account="a",
                                          kms_key="k")))
        parts += [repr(gke.node_pool_args(spec.cluster, pool, cluster="c", node_service_account="a"))
                  for pool in spec.cluster.node_pools]
        parts.append(gke.kubeconfig(spec.cluster, endpoint="10.0.0.2", ca_certificate="Q0E=", dns_endpoint="d"))
    out[stack] = [hashlib.sha256(p.encode()).hexdigest() for p in parts]
print(json.dumps(out, sort_keys=True))
'''


def _run(seed: str) -> dict[str, list[str]]:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    result = subprocess.run([sys.executable, "-c", SCRIPT, str(ROOT)], cwd=ROOT, env=env, capture_output=True,
                            text=True, check=True, timeout=120)
    return json.loads(result.stdout)


def test_specs_and_pure_renders_are_the_same_under_two_hash_seeds():
    first, second = _run("1"), _run("2")
    assert sorted(first) == sorted(p.name.split(".")[1] for p in (ROOT / "stacks").glob("Pulumi.*.yaml"))
    assert all(len(parts) > 1 for parts in first.values()), first  # each stack was built, not refused
    assert first == second
