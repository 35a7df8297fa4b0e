"""Knative Eventing's webhook rules for sources and schedules (PingSource, ApiServerSource, SinkBinding, ...).

The source half of :mod:`knative_platform.model.eventing.eventing_rules` (whose docstring says
where the rules are read: Eventing ``knative-v1.23.0``, ``knative.dev/eventing
v0.50.0`` ``pkg/apis/sources/v1``, and ``knative.dev/pkg``'s duck types and
tracker, as vendored in knative/operator ``knative-v1.23.0``); one function per
rule, each naming the Go function it mirrors.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re

from ..core.errors import Problem, join_path, show
from ..core.names import c_identifier_problem, dns1123_label_problem, label_value_problem, qualified_name_problem
from ..service.containers import env_name_problem, image_problem
from . import cron
from .eventing import (
    ApiServerSpec,
    BindingSubject,
    CloudEventOverrides,
    ContainerSpec,
    EventingFeatures,
    LabelSelector,
    Schedule,
)
from .eventing_rules import enabled, filters_problems

APPLICATION_JSON = "application/json"
"""cloudevents sdk-go ``ApplicationJSON``: the content type whose data ping_validation.go parses as JSON."""


# -- sources (pkg/apis/sources/v1 and knative.dev/pkg apis/duck/v1/source_types.go) -------------------


def ce_overrides_problems(overrides: CloudEventOverrides, path: str) -> list[Problem]:
    """source_types.go ``validateExtensionName``: extension names are non-empty and ASCII alphanumeric.

    The Go code reports only the first bad name (in map order); this reports each.
    """
    return [Problem(join_path(join_path(path, "extensions"), name or '""'),
                    "is not a CloudEvents extension name: ASCII letters and digits only, not empty")
            for name in overrides.extensions if not name or not name.isascii() or not name.isalnum()]


def json_object_problem(text: str) -> str | None:
    """ping_validation.go ``validateJSON``: Go's ``json.Unmarshal`` into a map, so an object (or ``null``).

    Like Go: NaN and Infinity are not JSON, and a number beyond float64 is
    refused. Stricter: a value nested more deeply than Python's parser goes
    (about 1,000 levels; Go allows 10,000) is refused.
    """
    def finite(number: str) -> float:
        value = float(number)
        if math.isinf(value):
            raise ValueError(f"number {number[:20]} is out of range")
        return value

    def constant(name: str) -> None:
        raise ValueError(f"{name} is not JSON")

    try:
        value = json.loads(text, parse_float=finite, parse_int=finite, parse_constant=constant)
    except (ValueError, RecursionError) as exc:
        return f"is not valid JSON ({str(exc)[:120]})"
    if value is not None and not isinstance(value, dict):
        return "is JSON but not an object; with contentType application/json Knative needs {...}"
    return None


def schedule_problems(schedule: Schedule, path: str, data_max_size: int) -> list[Problem]:
    """ping_validation.go ``PingSourceSpec.Validate``: schedule, timezone and data, in the webhook's order."""
    problems = []
    if "@every" in schedule.schedule:  # validateDescriptor
        problems.append(Problem(join_path(path, "schedule"), "@every is not supported by PingSource; write a cron "
                                                             "schedule such as '*/5 * * * *'"))
    spec = schedule.schedule if not schedule.timezone else f"CRON_TZ={schedule.timezone} {schedule.schedule}"
    error = cron.parse_error(spec)
    if error and error.startswith("provided bad location"):
        problems.append(Problem(join_path(path, "timezone"), f"{error}; give an IANA time zone such as "
                                                             "Europe/Paris or UTC"))
    elif error:
        problems.append(Problem(join_path(path, "schedule"), f"{error}; write five fields (minute hour day-of-month "
                                                             "month day-of-week), six with seconds first, or "
                                                             "@hourly, @daily, @weekly, @monthly, @yearly"))
    return problems + _data_problems(schedule, path, data_max_size)


def _data_problems(schedule: Schedule, path: str, data_max_size: int) -> list[Problem]:
    """``PingSourceSpec.Validate``: data or dataBase64, their size, base64 and the JSON object rule."""
    data, data64 = schedule.data or "", schedule.data_base64 or ""
    if data and data64:
        return [Problem(join_path(path, "data"), "and dataBase64 are both set; keep one")]
    key, body = ("dataBase64", data64) if data64 else ("data", data)
    if not body:
        return []
    problems = []
    size = len(body.encode("utf-8"))
    if data_max_size > -1 and size > data_max_size:
        problems.append(Problem(join_path(path, key), f"is {size} bytes, above the platform's limit of "
                                                      f"{data_max_size} (eventing.pingDataMaxSize)"))
    if key == "dataBase64":
        try:  # Go's base64.StdEncoding skips \r and \n
            body = base64.b64decode(re.sub(r"[\r\n]", "", body), validate=True).decode("utf-8", "replace")
        except (binascii.Error, ValueError):
            return [*problems, Problem(join_path(path, key), "is not valid base64 (standard alphabet, padded)")]
    if schedule.content_type == APPLICATION_JSON:
        problem = json_object_problem(body)
        if problem:
            problems.append(Problem(join_path(path, key), problem))
    return problems


def label_selector_problems(selector: LabelSelector, path: str) -> list[Problem]:
    """Kubernetes' ``LabelSelectorAsSelector`` (apimachinery): label keys are qualified names, values label values."""
    problems = []
    for key, value in selector.match_labels.items():
        where = join_path(join_path(path, "matchLabels"), key)
        problem = qualified_name_problem(key, "label key") or label_value_problem(value)
        if problem:
            problems.append(Problem(where, problem))
    return problems


def api_version_problem(value: str) -> str | None:
    """Kubernetes' ``schema.ParseGroupVersion`` (apimachinery): at most one ``/`` (an empty string parses too)."""
    return None if value.count("/") <= 1 else f"{show(value)} is not group/version or version (v1, apps/v1)"


def api_server_problems(spec: ApiServerSpec, path: str, features: EventingFeatures) -> list[Problem]:
    """apiserver_validation.go ``ApiServerSourceSpec.Validate`` (``mode`` is closed by decoding)."""
    problems = []
    if not spec.resources:
        problems.append(Problem(join_path(path, "resources"), "is empty; list the kinds to watch, such as "
                                                              "{apiVersion: v1, kind: Event}"))
    for i, resource in enumerate(spec.resources):
        rpath = join_path(join_path(path, "resources"), i)
        problem = api_version_problem(resource.api_version)
        if problem:
            problems.append(Problem(join_path(rpath, "apiVersion"), problem))
        if not cron.go_trim_space(resource.kind):
            problems.append(Problem(join_path(rpath, "kind"), "is required and must not be blank"))
        if resource.selector is not None:
            problems += label_selector_problems(resource.selector, join_path(rpath, "selector"))
    if spec.owner is not None:
        problem = api_version_problem(spec.owner.api_version)
        if problem:
            problems.append(Problem(join_path(path, "owner.apiVersion"), problem))
        if not cron.go_trim_space(spec.owner.kind):
            problems.append(Problem(join_path(path, "owner.kind"), "is required and must not be blank"))
    if spec.namespace_selector is not None:
        problems += label_selector_problems(spec.namespace_selector, join_path(path, "namespaceSelector"))
    if spec.filters and not enabled(features.new_apiserversource_filters):
        problems.append(Problem(join_path(path, "filters"), "needs Eventing's new-apiserversource-filters feature "
                                                            "(off by default): set eventing.features."
                                                            "newApiServerSourceFilters: enabled, or remove filters"))
    elif spec.filters:
        problems += filters_problems(spec.filters, join_path(path, "filters"))
    return problems


def binding_subject_problems(subject: BindingSubject, path: str) -> list[Problem]:
    """knative.dev/pkg tracker ``Reference.Validate``: apiVersion, kind, and exactly one of name and selector.

    The subject's namespace is always the binding's (sinkbinding_defaults.go
    defaults it, sinkbinding_validation.go refuses any other), so it is not a key.
    """
    problems = []
    for key, problem in (("apiVersion", qualified_name_problem(subject.api_version, "apiVersion")),
                         ("kind", c_identifier_problem(subject.kind))):
        if problem:
            problems.append(Problem(join_path(path, key), problem))
    if subject.name is not None and subject.selector is not None:
        problems.append(Problem(path, "sets name and selector; give exactly one"))
    elif subject.name is not None:
        problem = dns1123_label_problem(subject.name)
        if problem:
            problems.append(Problem(join_path(path, "name"), problem))
    elif subject.selector is not None:
        problems += label_selector_problems(subject.selector, join_path(path, "selector"))
    else:
        problems.append(Problem(path, "names no workload: set name or selector"))
    return problems


def container_problems(spec: ContainerSpec, path: str) -> list[Problem]:
    """container_validation.go ``isValidContainer``: an image (the container's name is the source's).

    The environment's names are checked as Kubernetes checks a container's (the
    ``K_SINK`` Knative sets is refused like the variables Knative reserves on a service).
    """
    problem = "is required and must not be empty" if not spec.image else image_problem(spec.image)
    problems = [Problem(join_path(path, "image"), problem)] if problem else []
    for key in spec.env:
        env_name_problem(key, "env", lambda where, message: problems.append(Problem(join_path(path, where), message)),
                         frozenset({"K_SINK", "K_CE_OVERRIDES"}))
    return problems
