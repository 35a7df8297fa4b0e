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


_QUALIFIED_NAME = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")
_C_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def qualified_name_problem(value: str, what: str = "name") -> str | None:
    """Why ``value`` is not a Kubernetes qualified name (label keys, ``apps/v1``), or None.

    k8s.io/apimachinery ``pkg/util/validation/validation.go`` ``IsQualifiedName``: an
    optional DNS-1123 subdomain prefix and ``/``, then at most 63 of ``[-A-Za-z0-9_.]``,
    starting and ending alphanumeric.
    """
    parts = value.split("/")
    if len(parts) > 2:
        return f"{what} '{value}' must be a qualified name: an optional DNS subdomain prefix and '/', then a name"
    if len(parts) == 2 and (not parts[0] or dns1123_subdomain_problem(parts[0])):
        return f"{what} '{value}' has a prefix that is not a DNS-1123 subdomain"
    name = parts[-1]
    if not name or len(name) > MAX_LABEL or not _QUALIFIED_NAME.fullmatch(name):
        return (f"{what} '{value}' must end in a name of at most {MAX_LABEL} letters, digits, '-', '_' and '.', "
                "starting and ending with a letter or digit")
    return None


def label_value_problem(value: str, what: str = "label value") -> str | None:
    """Why ``value`` is not a Kubernetes label value (``IsValidLabelValue``; empty is valid), or None."""
    if value and (len(value) > MAX_LABEL or not _QUALIFIED_NAME.fullmatch(value)):
        return (f"{what} '{value}' must be at most {MAX_LABEL} letters, digits, '-', '_' and '.', starting and "
                "ending with a letter or digit")
    return None


def c_identifier_problem(value: str, what: str = "kind") -> str | None:
    """Why ``value`` is not a C identifier (``IsCIdentifier``: Kubernetes kinds as tracker references check them)."""
    if not _C_IDENTIFIER.fullmatch(value):
        return f"{what} '{value}' must be a C identifier: letters, digits and '_', not starting with a digit"
    return None
