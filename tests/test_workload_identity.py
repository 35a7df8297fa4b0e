"""No IAM grant to a Workload Identity member before its pool exists (issue 18, N3).

The pool ``<project>.svc.id.goog`` exists only once a Workload Identity
cluster has been created in the project; a grant to
``serviceAccount:<project>.svc.id.goog[<ns>/<ksa>]`` made before that fails
with ``Error 400: Identity Pool does not exist`` (terraform-google-kubernetes-
engine #916, PR #301). So every such grant must wait for the cluster, through
its inputs, its dependencies or its parents (a child registers only once its
parent has, and a parent that depends on a resource registers only after it
exists). On an app stack the pool comes from the platform stack's outputs:
the platform's cluster exists, and the grant waits for that read.

The rule is checked on the renders of every shipped stack, of the team-app
example, and of a platform stack whose service has a Google identity; not on a
hand list of resource names.
"""

from __future__ import annotations

import json
import re

import pytest
from conftest import ROOT, STACKS, committed, committed_team_app, run_stack

from knative_platform.offline.engine import Capture
from knative_platform.offline.stackfile import load_program_config

CLUSTER = "gcp:container/cluster:Cluster"
STACK_REFERENCE = "pulumi:pulumi:StackReference"
IAM = re.compile(r"^gcp:[^:]+:[A-Za-z]*IAM(Member|Binding)$")


def waits_for(capture: Capture, urn: str) -> set[str]:
    """Every URN the resource ``urn`` waits for: its dependencies and parents, transitively."""
    by_urn = {r.urn: r for r in capture.registrations}
    seen: set[str] = set()
    todo = [urn]
    while todo:
        reg = by_urn.get(todo.pop())
        if reg is None:
            continue
        for nxt in (*reg.dependencies, *([reg.parent] if reg.parent else [])):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def workload_identity_grants(capture: Capture) -> list:
    """IAM grants whose member is a Kubernetes service account under Workload Identity."""
    def members(reg):
        return [reg.inputs.get("member"), *(reg.inputs.get("members") or ())]
    return [r for r in capture.registrations
            if IAM.match(r.type) and any("svc.id.goog[" in str(m) for m in members(r))]


def early_grants(capture: Capture) -> list[str]:
    """The Workload Identity grants that may run before their pool exists (empty: the rule holds)."""
    clusters = {r.urn for r in capture.by_type(CLUSTER)}
    own = f"organization/{capture.project}/{capture.stack}"
    platform_reads = {r.urn for r in capture.by_type(STACK_REFERENCE) if r.inputs.get("name") != own}
    # A stack that creates a cluster must wait for it; an app stack (no cluster) for the platform stack's outputs.
    needed = clusters or platform_reads
    return [r.name for r in workload_identity_grants(capture) if not needed & waits_for(capture, r.urn)]


@pytest.mark.parametrize("stack", STACKS)
def test_no_workload_identity_grant_of_a_shipped_stack_runs_before_the_cluster(stack):
    assert early_grants(committed(stack)) == []


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_no_workload_identity_grant_of_an_app_stack_runs_before_the_platform_exists(stack):
    capture = committed_team_app(stack)
    assert workload_identity_grants(capture), "team-app binds inventory's Google identity"
    assert early_grants(capture) == []


def test_a_platform_services_google_identity_waits_for_the_cluster():
    services = json.loads(load_program_config(ROOT, "staging").config["knative-platform:services"])
    services["greeter"]["serviceAccount"] = {"roles": ["roles/datastore.user"]}
    capture = run_stack("staging", {"services": services})
    (grant,) = workload_identity_grants(capture)
    assert grant.inputs["member"] == "serviceAccount:knative-platform-staging.svc.id.goog[default/greeter]"
    assert early_grants(capture) == []


def test_prods_dns01_grant_names_the_pool_of_its_cluster():
    prod = committed("prod")
    (grant,) = workload_identity_grants(prod)
    (cluster,) = prod.by_type(CLUSTER)
    assert grant.inputs["member"] == (f"serviceAccount:{cluster.inputs['workloadIdentityConfig']['workloadPool']}"
                                      "[cert-manager/cert-manager]")
    assert cluster.urn in grant.dependencies  # through its member, not only through a parent
