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
