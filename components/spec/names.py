"""Kubernetes and Knative naming rules, as pure predicates with user-facing wording.

Knative's webhook rejects these names at apply time, minutes into a ``pulumi up``;
checking them here turns that into an error that names the config key.
"""

from __future__ import annotations

import re

DNS1035_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
ENV_VAR_NAME = re.compile(r"^[-._a-zA-Z][-._a-zA-Z0-9]*$")
CONFIG_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")
MAX_LABEL = 63
MAX_SUBDOMAIN = 253


def dns1035_problem(value: str, what: str = "name") -> str | None:
    """Why ``value`` is not a DNS-1035 label (Knative Service, revision and tag names), or None."""
    if len(value) > MAX_LABEL:
        return f"{what} '{value}' is {len(value)} characters, must be at most {MAX_LABEL}"
    if not DNS1035_LABEL.match(value):
        return (
            f"{what} '{value}' must be a DNS-1035 label: lowercase letters, digits and '-', "
            "starting with a letter and ending with a letter or digit"
        )
    return None


def dns1123_label_problem(value: str, what: str = "name") -> str | None:
    """Why ``value`` is not a DNS-1123 label (namespaces), or None."""
    if len(value) > MAX_LABEL:
        return f"{what} '{value}' is {len(value)} characters, must be at most {MAX_LABEL}"
    if not DNS1123_LABEL.match(value):
        return (
            f"{what} '{value}' must be a DNS-1123 label: lowercase letters, digits and '-', "
            "starting and ending with a letter or digit"
        )
    return None


def dns1123_subdomain_problem(value: str, what: str = "name") -> str | None:
    """Why ``value`` is not a DNS-1123 subdomain (Secret names, domains), or None."""
    if len(value) > MAX_SUBDOMAIN:
        return f"{what} '{value}' is {len(value)} characters, must be at most {MAX_SUBDOMAIN}"
    if not DNS1123_SUBDOMAIN.match(value):
        return (
            f"{what} '{value}' must be a DNS-1123 subdomain: "
            "lowercase labels of letters, digits and '-', joined by '.'"
        )
    if any(len(label) > MAX_LABEL for label in value.split(".")):
        return f"{what} '{value}' has a label longer than {MAX_LABEL} characters"
    return None


def domain_problem(value: str, what: str = "domain") -> str | None:
    """Why ``value`` is not a fully qualified DNS name with at least two labels, or None."""
    problem = dns1123_subdomain_problem(value, what)
    if problem:
        return problem
    if "." not in value:
        return f"{what} '{value}' must be fully qualified, for example '{value}.example.com'"
    return None


GENERATED_REVISION = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?-[0-9]{5}$")
"""Knative's own revision names: ``<configuration>-<generation, five digits>`` (``api-00003``).

knative/serving knative-v1.23.0 ``pkg/reconciler/configuration/resources/revision.go``
``MakeRevision``: ``kmeta.ChildName(configuration.Name, fmt.Sprintf("-%05d", configuration.Generation))``
when the template names no revision."""


def revision_full_name(service: str, ref: str) -> str:
    """The revision ``ref`` names for ``service``: a full name (``api-00003``, ``api-v3``) as is, a suffix prefixed.

    ``kn`` names revisions by their full name; the platform also accepts the
    suffix the service's own ``revision`` field uses (``v3`` is ``api-v3``).
    ``api-v3`` stays ``api-v3``: never ``api-api-v3``.
    """
    return ref if ref.startswith(f"{service}-") else f"{service}-{ref}"


def foreign_revision_problem(service: str, ref: str) -> str | None:
    """Why ``ref``, written like a Knative-generated name of another service (``other-00003``), is refused."""
    if GENERATED_REVISION.match(ref) and not ref.startswith(f"{service}-"):
        return (f"'{ref}' is written like a Knative-generated revision name but does not start with "
                f"'{service}-'; a service's traffic can only name its own revisions (write '{service}-<suffix>' "
                "or just the suffix)")
    return None
