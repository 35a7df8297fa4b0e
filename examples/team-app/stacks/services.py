"""team-app's services, declared once as typed objects and deployed per environment.

``storefront`` is public and on a canary: its new template (revision ``v3``)
gets a share of requests while ``v2`` keeps the rest, each on its own tag URL.
On a fresh app stack ``storefront-v2`` does not exist: the first ``pulumi up``
sends v2's share and tag to v3 as well, and warns; a canary between two real
revisions starts with the next release (``revision="v4"``, ``stable="v3"``).
``inventory`` is cluster-local: only ``storefront`` (and anything else inside
the cluster) can call it. It reads stock from Firestore as its own Google
service account (created by the app stack, bound through Workload Identity to
the Kubernetes account ``team-app/inventory``), never as the node. Both meet the same validation as the platform's own
services before anything is registered.
"""

from __future__ import annotations

from knative_platform import Autoscaling, Canary, Quantities, Resources, Service, ServiceAccount, Visibility, versions

NAMESPACE = "team-app"
"""The team's own namespace; the app stack creates it, so the team's objects never mix with others'."""

CANARY_PERCENT = {"dev": 50, "prod": 10}
"""How much of storefront's traffic reaches the candidate: half in dev, a careful tenth in prod."""


def inventory() -> Service:
    """Stock levels for the storefront; never exposed on the gateway."""
    return Service(
        name="inventory",
        namespace=NAMESPACE,
        image=versions.SAMPLE_IMAGE,
        env={"TARGET": "inventory"},
        visibility=Visibility.CLUSTER_LOCAL,
        concurrency=50,
        service_account=ServiceAccount(roles=("roles/datastore.user",)),
        # One warm instance: the storefront calls it on every page, a cold start would show.
        autoscaling=Autoscaling(min_scale=1, max_scale=4),
        resources=Resources(requests=Quantities(cpu="100m", memory="64Mi"),
                            limits=Quantities(cpu="500m", memory="128Mi")),
        # Relaxation: the sample image has no USER line and runs as root; real apps keep the default.
        run_as_non_root=False,
    )


def storefront(stack: str) -> Service:
    """The public web front; revision v3 is the candidate, v2 (when an earlier deployment created it) is stable."""
    return Service(
        name="storefront",
        namespace=NAMESPACE,
        image=versions.SAMPLE_IMAGE,
        revision="v3",
        env={"TARGET": "storefront v3", "INVENTORY_URL": f"http://inventory.{NAMESPACE}.svc.cluster.local"},
        autoscaling=Autoscaling(min_scale=0, max_scale=10, target=80),
        traffic=Canary(stable="v2", percent=CANARY_PERCENT.get(stack, 10)),
        # Relaxation: the sample image has no USER line and runs as root; real apps keep the default.
        run_as_non_root=False,
    )


def services_for(stack: str) -> tuple[Service, ...]:
    """The services ``stack`` deploys."""
    return (inventory(), storefront(stack))
