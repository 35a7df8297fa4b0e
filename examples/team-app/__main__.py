"""team-app: one app team's services on a knative-platform environment (the split layout).

The platform team owns the cluster, Knative and the gateway (the knative-platform
project, one stack per environment). This project owns only the team's namespace
and services: it reads the platform stack named in ``team-app:platformStack``
through a PlatformReference, which hands it a Kubernetes provider for that
cluster and the platform's domain, and deploys each service with KnativeApp.
"""

import pulumi
import pulumi_kubernetes as k8s

from knative_platform import KnativeApp, PlatformReference, PlatformReferenceArgs
from knative_platform.manifests.knative import render_namespace
from stacks.services import NAMESPACE, services_for

config = pulumi.Config()
services = services_for(pulumi.get_stack())
# The reference also reads this stack's own previous outputs: the revisions earlier deployments created. Each
# KnativeApp records its service's revisions in the stack output `revisions` for the next update.
platform = PlatformReference("platform", PlatformReferenceArgs(stack=config.require("platformStack"),
                                                               services=services))

namespace = k8s.core.v1.Namespace(
    f"namespace-{NAMESPACE}",
    metadata=render_namespace(NAMESPACE)["metadata"],
    opts=pulumi.ResourceOptions(provider=platform.provider),
)
# app_args carries the platform's provider, domain, scheme (https when it runs TLS) and URL templates.
apps = {
    service.name: KnativeApp(service.name, platform.app_args(service, depends_on=[namespace]))
    for service in services
}

pulumi.export("platformStack", platform.stack_name)
pulumi.export("platformVersions", platform.versions)
pulumi.export("serviceUrls", {name: app.url for name, app in sorted(apps.items())})
pulumi.export("tagUrls", {name: app.tag_urls for name, app in sorted(apps.items())})
