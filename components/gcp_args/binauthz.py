"""The project's Binary Authorization policy: the ``gcp.binaryauthorization.Policy`` arguments, from the spec.

Deny by default; admit, one allowlist entry per image repository, the images the
platform itself runs (read from the pins in :mod:`knative_platform.versions`, for the
ingress and TLS this stack installs), the images of the stack's services, and
every registry path the stack names. Google's own GKE system images are admitted
by Google's global policy (``globalPolicyEvaluationMode: ENABLE``: "Controls
the evaluation of a Google-maintained global admission policy for common
system-level images. Images not covered by the global policy will be subject
to the project admission policy.", pulumi-gcp 10.2.0
``binaryauthorization/policy.py``; the Policy YAML reference: "Specifies
whether to apply a system policy that exempts Google-owned system images").

Adding a registry (say, the environment's Artifact Registry repository) is one
more entry in the ``registries`` argument of :func:`allow_patterns`. No Pulumi
import here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from .. import versions
from ..model.cluster.binauthz import enforcement, image_pattern, registry_patterns, service_patterns
from ..model.cluster.cluster import GkeClusterSpec
from ..model.platform.knative import Ingress
from ..model.service.service import Service

DEFAULT_EVALUATION = "ALWAYS_DENY"
"""What the default admission rule does with an image no allowlist entry admits."""
GLOBAL_POLICY = "ENABLE"


def installed_pins(ingress: Ingress, tls: bool) -> tuple[versions.ReleaseManifest | versions.HelmChart, ...]:
    """The pinned bundles whose pods run on the cluster: Serving (and its post-install Jobs), the ingress, TLS.

    The same pins the components install (``KnativeServing``, ``Kgateway`` or ``Kourier``, ``AutoTls``) and
    the stack's ``versions`` output lists; a test holds the two together.
    """
    pins: list[versions.ReleaseManifest | versions.HelmChart] = [versions.SERVING_CORE, versions.SERVING_POST_INSTALL]
    if ingress is Ingress.KOURIER:
        pins.append(versions.NET_KOURIER)
    else:
        pins += [versions.GATEWAY_API, versions.NET_GATEWAY_API, versions.KGATEWAY]
    if tls:
        pins.append(versions.CERT_MANAGER)
    return tuple(pins)


def system_patterns(pins: Iterable[versions.ReleaseManifest | versions.HelmChart]) -> set[str]:
    """One entry per image the pins run: ``<repository>@*`` for a digest-pinned image, ``<repository>:*`` by tag.

    Any digest or tag of that one repository: the program pins which one runs;
    the policy keeps every other repository out.
    """
    return {f"{image.repository}{'@' if image.by_digest else ':'}*" for pin in pins for image in pin.images}


def allow_patterns(ingress: Ingress, tls: bool, services: Iterable[Service], registries: Iterable[str] = (),
                   eventing: Iterable[versions.ReleaseManifest] = (), images: Iterable[str] = ()
                   ) -> tuple[str, ...]:
    """Every allowlist entry of the stack's policy, sorted: system images, service images, registry paths.

    ``eventing``: the Eventing pins the stack installs (``manifests.eventing_install.eventing_pins``), none when
    it installs no Eventing; ``images``: other images the stack runs as written (its ContainerSources').
    """
    patterns = system_patterns((*installed_pins(ingress, tls), *eventing)) | service_patterns(services)
    patterns |= {image_pattern(image) for image in images}
    patterns |= {p for prefix in registries for p in registry_patterns(prefix)}
    return tuple(sorted(patterns))


def policy_args(spec: GkeClusterSpec, patterns: Sequence[str]) -> dict[str, Any]:
    """The ``gcp.binaryauthorization.Policy`` arguments: the project's one policy (a singleton per project)."""
    return {
        "project": spec.project,
        "description": f"knative-platform {spec.name}: deny images the platform and its stack do not name",
        "global_policy_evaluation_mode": GLOBAL_POLICY,
        "admission_whitelist_patterns": [{"name_pattern": p} for p in patterns],
        "default_admission_rule": {"evaluation_mode": DEFAULT_EVALUATION,
                                   "enforcement_mode": str(enforcement(spec))},
    }


def policy_output(spec: GkeClusterSpec, patterns: Sequence[str]) -> dict[str, Any]:
    """The ``binaryAuthorization`` stack output: what app stacks check their images against."""
    return {"enforcement": str(enforcement(spec)), "allow": list(patterns)}
