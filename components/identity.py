"""``ServiceIdentity``: one service's own Kubernetes service account, bound to Google through Workload Identity.

The Kubernetes ServiceAccount comes from
:func:`knative_platform.manifests.knative.render_service_account`; the names and IAM
members from :mod:`knative_platform.model.service.identity`. On a GKE cluster (a
``workload_pool`` is given) the account acts as a Google service account:
either an existing one the service names, or one created here with the roles
the service lists on the cluster's project. The Google account grants
``roles/iam.workloadIdentityUser`` to exactly this Kubernetes account
(``serviceAccount:<project>.svc.id.goog[<namespace>/<name>]``), so no key
exists and no other workload, and never the node, can act as it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, cast

import pulumi
import pulumi_kubernetes as k8s

from .manifests.knative import render_service_account
from .model.core.errors import join_path
from .model.service.identity import (
    POOL_SUFFIX,
    WORKLOAD_IDENTITY_USER_ROLE,
    google_account_id,
    google_account_resource,
    google_identity_problems,
    role_resource_names,
    workload_identity_member,
    workload_pool_problems,
)
from .model.service.service import Service
from .runtime.errors import checked
from .runtime.gcp_sdk import pulumi_gcp

if TYPE_CHECKING:
    # pulumi_gcp takes longer to import than the rest of a small stack's program, and only a Google identity
    # creates GCP resources: _google imports it where it builds them (issue 9).
    import pulumi_gcp as gcp




@dataclass(frozen=True)
class ServiceIdentityArgs:
    """The service, the cluster's provider and, on GKE, its Workload Identity pool and GCP provider.

    ``workload_pool`` is ``<project>.svc.id.goog``; the Google account created
    for a service lives in that project. GKE creates the pool with the
    project's first Workload Identity cluster, and a grant to one of its
    members made before then fails (``Error 400: Identity Pool does not
    exist``, terraform-google-kubernetes-engine #916). So the pool must come
    from the cluster: on a platform stack it is the cluster's own
    ``workload_identity_config.workload_pool`` output
    (:attr:`knative_platform.gke.GkeCluster.workload_pool`), which makes every grant
    here wait for the cluster; on an app stack it is the platform stack's
    ``workloadIdentityPool`` output (:class:`knative_platform.reference.PlatformReference`),
    which exists only once the platform's cluster does.
    """

    service: Service
    """The service whose Kubernetes (and Google) service account this is."""
    provider: k8s.Provider
    """The Kubernetes provider of the cluster."""
    workload_pool: pulumi.Input[str | None] | None = None
    """The Workload Identity pool, from the cluster (never computed from the project id)."""
    gcp_provider: gcp.Provider | None = None
    """The GCP provider a Google service account is created with."""
    depends_on: Sequence[pulumi.Resource] = field(default_factory=tuple)
    """What must exist before the Kubernetes service account (the namespace)."""


class ServiceIdentity(pulumi.ComponentResource):
    """A Kubernetes service account for one service and, on GKE, its Google identity; :attr:`ready` holds both.

    Its attributes are read-only properties, as :class:`~knative_platform.app.KnativeApp`'s
    are: the SDK would evaluate class annotations again for every instance (issue 9).
    """

    def __init__(self, name: str, args: ServiceIdentityArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        svc = args.service
        account = svc.service_account
        path = join_path(join_path("services", svc.name), "serviceAccount")
        if account is None or svc.service_account_name is None:
            raise ValueError(f"{path}: a ServiceIdentity is for a service that declares serviceAccount")
        checked(google_identity_problems(account, join_path("services", svc.name),
                                         wired=args.workload_pool is not None and args.gcp_provider is not None))
        super().__init__("knative-platform:index:ServiceIdentity", name, None, opts)
        self._account_name: str = svc.service_account_name
        self._ready: list[pulumi.Resource] = []
        self._google_email: pulumi.Output[str] | None = None
        if account.wants_google:
            assert args.workload_pool is not None and args.gcp_provider is not None
            given = cast("pulumi.Input[str]", args.workload_pool)  # None, or a str an app stack read: checked here
            pool = pulumi.Output.from_input(given).apply(lambda p: _checked_pool(p, path))
            self._google_email = self._google(name, svc, pool, args.gcp_provider)
        manifest = render_service_account(svc, self._google_email)
        ksa = k8s.core.v1.ServiceAccount(
            f"{name}-kubernetes", metadata=manifest["metadata"],
            opts=pulumi.ResourceOptions(parent=self, provider=args.provider, depends_on=list(args.depends_on)),
        )
        self._ready.insert(0, ksa)
        self.register_outputs({"name": self._account_name, "googleEmail": self._google_email})

    @property
    def name(self) -> str:
        """The Kubernetes service account's name."""
        return self._account_name

    @property
    def google_email(self) -> pulumi.Output[str] | None:
        """The Google service account the pods act as, on GKE with a Google identity."""
        return self._google_email

    @property
    def ready(self) -> list[pulumi.Resource]:
        """The Kubernetes service account and its Google grants: what the service's pods must wait for."""
        return self._ready

    def _google(self, name: str, svc: Service, pool: pulumi.Output[str], gcp_provider: gcp.Provider
                ) -> pulumi.Output[str]:
        account = svc.service_account
        assert account is not None and svc.service_account_name is not None
        gcp = pulumi_gcp("a service's Google identity (serviceAccount acting as a Google service account)")
        child = pulumi.ResourceOptions(parent=self, provider=gcp_provider)
        if account.google_service_account is not None:
            email: pulumi.Output[str] = pulumi.Output.from_input(account.google_service_account)
            resource_id: pulumi.Input[str] = google_account_resource(account.google_service_account)
        else:
            project = pool.apply(lambda p: p.removesuffix(POOL_SUFFIX))
            created = gcp.serviceaccount.Account(
                f"{name}-google", account_id=google_account_id(svc.name), project=project,
                display_name=f"Knative service {svc.namespace}/{svc.name} (via Workload Identity)", opts=child,
            )
            for role, resource_name in role_resource_names(name, account.roles).items():
                self._ready.append(gcp.projects.IAMMember(
                    resource_name, project=project, role=role, member=created.member, opts=child,
                ))
            email, resource_id = created.email, created.name
        ksa_name, namespace = svc.service_account_name, svc.namespace
        self._ready.append(gcp.serviceaccount.IAMMember(
            f"{name}-workload-identity",
            service_account_id=resource_id,
            role=WORKLOAD_IDENTITY_USER_ROLE,
            member=pool.apply(lambda p: workload_identity_member(p, namespace, ksa_name)),
            opts=child,
        ))
        return email


def _checked_pool(pool: str | None, path: str) -> str:
    """The pool an app stack read from the platform stack, once it is known (:func:`workload_pool_problems`)."""
    checked(workload_pool_problems(pool, path))
    assert pool is not None
    return pool
