"""The contract between a platform stack and the app stacks that deploy onto it. No Pulumi import here.

An app-only project reads the platform stack's outputs through a Pulumi
StackReference (:class:`knative_platform.reference.PlatformReference`). The names it
needs, and what to do when one is missing, live here so that the platform's
exports and the reference's expectations are one list, testable without Pulumi.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ..core.errors import Problem, join_path

REQUIRED_PLATFORM_OUTPUTS: dict[str, str] = {
    "clusterIdentifier": "every knative-platform stack exports it; run `pulumi up` on the platform stack "
                         "with this version of knative-platform, then retry",
    "kubeconfig": "the platform exports its kubeconfig (a secret) when it creates the cluster (cluster type gke) "
                  "or when knative-platform:kubeconfig is set with `pulumi config set --secret`; set one and run "
                  "`pulumi up` on the platform stack",
    "domain": "every knative-platform stack exports it; run `pulumi up` on the platform stack, then retry",
}
"""Outputs an app stack cannot work without, each with the fix when the platform stack lacks it."""

_STACK_PART = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")


def stack_name_problem(name: str) -> str | None:
    """Why ``name`` is not a fully qualified stack name ``<organization>/<project>/<stack>``, or None.

    A bare ``dev`` would resolve against the *app* project (``team-app/dev``),
    not the platform, so the reference insists on all three parts. On a
    self-managed backend (a GCS bucket) the organization is ``organization``.
    """
    parts = name.split("/")
    if len(parts) != 3 or not all(_STACK_PART.match(p) for p in parts):
        return (f"'{name}' is not a fully qualified stack name; write <organization>/<project>/<stack>, "
                "for example organization/knative-platform/dev (a self-managed backend's organization is "
                "'organization')")
    return None


def missing_output_problems(stack: str, present: Iterable[str], path: str = "outputs") -> list[Problem]:
    """One problem per required output that ``stack`` does not export, each saying how to fix it."""
    have = set(present)
    return [
        Problem(join_path(path, key), f"stack {stack} does not export it; {fix}")
        for key, fix in REQUIRED_PLATFORM_OUTPUTS.items()
        if key not in have
    ]
