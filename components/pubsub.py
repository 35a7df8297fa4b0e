"""``EventarcPubSub``: Google Pub/Sub topics delivered into brokers by Eventarc's GKE destination.

For every ``pubsub: {backend: eventarc-gke}`` source (accepted only on a cluster
the platform creates with a public control-plane endpoint:
:mod:`knative_platform.model.eventing.pubsub`), the component creates:

* once per stack: the Eventarc service agent (``gcp.projects.ServiceIdentity``,
  so the account exists before it is granted anything: Eventarc creates it only
  "when first needed", Google Cloud, Eventarc "Access control with IAM") and its
  three project roles, which ``gcloud eventarc gke-destinations init`` would bind;
* per source: a keyless Google service account for the trigger, its two project
  roles, and the ``gcp.eventarc.Trigger`` from the user's topic to the broker's
  ingress Service (:mod:`knative_platform.gcp_args.eventarc`).

No grant here names a Workload Identity member (Eventarc binds its forwarder's
Kubernetes account itself, with ``roles/iam.serviceAccountAdmin``). The trigger
waits for every grant, for the cluster (its destination is the cluster's own
``name`` and ``location`` outputs) and for the brokers (``depends_on``): Eventarc
starts its forwarder in the cluster and sends to the ingress when the trigger
is created. The Eventarc and Pub/Sub APIs are a prerequisite of the project
(docs/eventing.md): the platform enables no API anywhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp

from .gcp_args.eventarc import (
    AGENT_ROLES,
    EVENTARC_SERVICE,
    TRIGGER_ROLES,
    eventarc_service_agent,
    role_slug,
    trigger_account_id,
    trigger_args,
)
from .gcp_args.gke import resource_labels
from .model.cluster.cluster import GkeClusterSpec
from .model.eventing.eventing import EventingSpec, EventSource


@dataclass(frozen=True)
class EventarcPubSubArgs:
    """The Pub/Sub sources, the brokers they deliver to, and the cluster Eventarc sends into."""

    sources: Sequence[EventSource]
    """The stack's ``pubsub`` sources, validated (``eventarc-gke``, a broker sink)."""
    eventing: EventingSpec
    """The stack's Eventing spec: each source's broker is declared there."""
    cluster: GkeClusterSpec
    """The cluster the platform creates; its project holds the trigger, its accounts and the topic."""
    cluster_name: pulumi.Input[str]
    """The cluster's name as GKE reports it (an output: the trigger waits for the cluster)."""
    cluster_location: pulumi.Input[str]
    """The cluster's location as GKE reports it."""
    gcp_provider: gcp.Provider
    """The explicit GCP provider of the cluster's project."""
    depends_on: Sequence[pulumi.Resource] = ()
    """What the triggers wait for besides their grants: the brokers and the bundles serving them."""


class EventarcPubSub(pulumi.ComponentResource):
    """The Eventarc service agent's roles, and per source a trigger account, its roles and the trigger."""

    triggers: dict[str, gcp.eventarc.Trigger]
    accounts: dict[str, gcp.serviceaccount.Account]

    def __init__(self, name: str, args: EventarcPubSubArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("knative-platform:index:EventarcPubSub", name, None, opts)
        child = pulumi.ResourceOptions(parent=self, provider=args.gcp_provider)
        project = args.cluster.project
        # The agent's member from the project number (known in preview, as the GKE agent's in gke.py); the grants
        # wait for the ServiceIdentity, which makes the agent exist before anything is granted to it.
        agent = gcp.projects.ServiceIdentity(f"{name}-agent", project=project, service=EVENTARC_SERVICE, opts=child)
        number = gcp.organizations.get_project_output(
            project_id=project, opts=pulumi.InvokeOutputOptions(provider=args.gcp_provider, parent=self)).number
        agent_roles = [gcp.projects.IAMMember(
            f"{name}-agent-{role_slug(role)}", project=project, role=role,
            member=number.apply(eventarc_service_agent),
            opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=[agent])))
            for role in AGENT_ROLES]
        self.accounts, self.triggers = {}, {}
        for source in args.sources:
            self._trigger(name, source, args, agent_roles, child)
        self.register_outputs({"triggers": {k: t.id for k, t in sorted(self.triggers.items())},
                               "serviceAccounts": {k: a.email for k, a in sorted(self.accounts.items())}})

    def _trigger(self, name: str, source: EventSource, args: EventarcPubSubArgs,
                 agent_roles: list[gcp.projects.IAMMember], child: pulumi.ResourceOptions) -> None:
        """One source's keyless account, its roles, and its trigger after all of them."""
        assert source.sink.broker is not None  # pubsub_problems refuses any other sink
        broker = args.eventing.broker(source.sink.broker, source.namespace)
        assert broker is not None  # the sink names a declared broker (eventing_checks)
        cluster = args.cluster
        prefix = f"{name}-{source.name}"
        account = gcp.serviceaccount.Account(
            f"{prefix}-account", account_id=trigger_account_id(cluster.name, source.name), project=cluster.project,
            display_name=f"Eventarc trigger of Pub/Sub source {source.name} on {cluster.name}", opts=child)
        roles = [gcp.projects.IAMMember(f"{prefix}-{role_slug(role)}", project=cluster.project, role=role,
                                        member=account.member, opts=child) for role in TRIGGER_ROLES]
        self.accounts[source.name] = account
        self.triggers[source.name] = gcp.eventarc.Trigger(
            prefix, **trigger_args(source, broker, cluster, cluster_name=args.cluster_name,
                                   cluster_location=args.cluster_location, service_account=account.email),
            labels=resource_labels(cluster),
            opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(
                depends_on=[*agent_roles, *roles, *args.depends_on])))
