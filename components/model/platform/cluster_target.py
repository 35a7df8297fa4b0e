"""The stack must name the cluster it deploys to: a rule over the raw stack config, before the spec is built.

It reads the config as Pulumi hands it over (values and which keys are secrets), so
:func:`knative_platform.runtime.config.load_stack_config` reports it in the same ConfigError as the spec's.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ..core.errors import Problem

NO_CLUSTER_FIX = ("name the cluster this stack deploys to. For a cluster you already have: "
                  "`cluster: {type: existing, context: <kubeconfig context>}` (or `kubeconfig: <path>`, or the "
                  "secret knative-platform:kubeconfig); for one the platform creates: `cluster: {type: gke, ...}`")


def cluster_target_problems(values: Mapping[str, Any], secret_keys: Iterable[str]) -> list[Problem]:
    """A stack must say which cluster it deploys to: never whatever kubectl's current context happens to be."""
    if "cluster" in secret_keys:  # refused by the spec: a cluster is not a secret
        return []
    cluster = values.get("cluster")
    if "cluster" not in values or cluster is None:
        return [Problem("cluster", f"is required: {NO_CLUSTER_FIX}")]
    if (isinstance(cluster, Mapping) and cluster.get("type", "existing") == "existing"
            and not cluster.get("context") and not cluster.get("kubeconfig") and "kubeconfig" not in secret_keys):
        return [Problem("cluster.context", "is required for an existing cluster, or the stack would deploy to "
                                           "whatever kubectl's current context is: set context to a kubeconfig "
                                           "context, or kubeconfig to a kubeconfig file's path, or set the secret "
                                           "knative-platform:kubeconfig")]
    return []
