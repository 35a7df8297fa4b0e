"""Knative Eventing's admission webhook, rule by rule, on the typed model: the verdict a cluster would give.

Each function mirrors one rule of Eventing ``knative-v1.23.0``, Go module
``knative.dev/eventing v0.50.0`` (read as vendored in knative/operator
``knative-v1.23.0``, ``vendor/knative.dev/eventing/pkg/apis``; knative/eventing
has no 1.23 tag in the snapshot, and its main branch at 8cf4c4b has the same
``pkg/apis``), and of its duck types in ``knative.dev/pkg`` (same vendor tree).
Each says which function it mirrors. Where the project is stricter, the
docstring says so and why. Each returns the problems with the config path they
belong to; none stops at the first, so a user sees every mistake at once.
"""

from __future__ import annotations

import base64
import binascii
import re
import ssl
from collections.abc import Mapping

from ..core.errors import Problem, join_path, show
from ..platform.knative import FeatureFlag
from . import iso_period
from .eventing import Delivery, Destination, EventFilter, EventingFeatures, KReference

ATTRIBUTE_NAME = re.compile(r"[a-z][a-z0-9]*")
"""trigger_validation.go ``validAttributeName``: CloudEvents attribute names as filters may name them."""
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
_PATH = re.compile(r"/(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/]|%[0-9A-Fa-f]{2})*")
_PEM = re.compile(r"-----BEGIN ([^\n-]*)-----\r?\n(.*?)-----END \1-----", re.DOTALL)


def enabled(flag: FeatureFlag) -> bool:
    """feature.go ``Flags.IsEnabled``: only ``enabled`` turns a feature on (``allowed`` does not)."""
    return flag is FeatureFlag.ENABLED


# -- duck types: references and destinations (knative.dev/pkg apis/duck/v1) -------------------------


def kreference_problems(ref: KReference, path: str, parent_namespace: str | None = None) -> list[Problem]:
    """knative_reference.go ``KReference.Validate``: name, apiVersion and kind set; the parent's namespace.

    A namespace other than the parent's is refused only where the object
    attaches itself as parent and disallows it (``parent_namespace`` given):
    Broker does, Trigger and the sources do not.
    """
    problems = [Problem(join_path(path, key), "is required and must not be empty")
                for key, value in (("name", ref.name), ("apiVersion", ref.api_version), ("kind", ref.kind))
                if not value]
    if ref.namespace and parent_namespace and ref.namespace != parent_namespace:
        problems.append(Problem(join_path(path, "namespace"), f"is '{ref.namespace}', but references here must stay "
                                                              f"in the namespace '{parent_namespace}'"))
    return problems


def uri_problem(uri: str, relative: bool) -> str | None:
    """destination.go ``ValidateDestination``'s URI rules, on ``apis.URL``: absolute with a host, or not at all.

    Stricter: a URI with spaces or control characters is refused here (Go's
    ``url.Parse`` refuses most of them, with rules this does not copy).
    """
    if any(c.isspace() or ord(c) < 0x20 or c == "\x7f" for c in uri):
        return f"{show(uri)} contains a space or a control character; percent-encode it"
    absolute = bool(_SCHEME.match(uri))
    if relative:
        return ("is an absolute URI, which Knative refuses next to a service, broker or ref (a relative path is "
                "resolved against its address); drop the scheme and host" if absolute else None)
    host = uri.split("://", 1)[1].split("/", 1)[0].split("?", 1)[0].split("#", 1)[0].rsplit("@", 1)[-1] \
        if absolute and "://" in uri else ""
    if not absolute or not host:
        return (f"{show(uri)} is not an absolute URI with a host (http://host/path); a relative URI needs a "
                "service, broker or ref to resolve against")
    return None


def ca_certs_problem(pem: str) -> str | None:
    """destination.go ``validateCACerts``: the first PEM block is a CERTIFICATE that parses as X.509.

    Go parses with ``crypto/x509``; this asks OpenSSL (``ssl``, no network),
    whose parser can differ from Go's on malformed certificates.
    """
    block = _PEM.search(pem)
    if block is None:
        return "is not a PEM certificate (-----BEGIN CERTIFICATE----- ...)"
    if block.group(1) != "CERTIFICATE":
        return f"holds a PEM {block.group(1)!r} block, not a CERTIFICATE"
    try:
        der = base64.b64decode("".join(block.group(2).split()), validate=True)
        ssl.create_default_context(cadata=der)
    except (binascii.Error, ValueError, ssl.SSLError):
        return "holds a CERTIFICATE block that does not parse as an X.509 certificate"
    return None


def destination_problems(dest: Destination, path: str, parent_namespace: str | None = None) -> list[Problem]:
    """destination.go ``ValidateDestination``: a target (service, broker or ref), a URI, or both.

    Mirrors the order of the Go function, which returns at its first finding:
    nothing given; an absolute URI next to a target; a URI alone that is not
    absolute; a ref alone (its fields; CA certificates then go unchecked); CA
    certificates. ``service`` and ``broker`` are this project's shorthands for
    a ref, so naming more than one target is refused first.
    """
    targets = [key for key, value in (("service", dest.service), ("broker", dest.broker), ("ref", dest.ref))
               if value is not None]
    if len(targets) > 1:
        return [Problem(path, f"names {' and '.join(targets)}; give exactly one target")]
    if not targets and dest.uri is None:
        return [Problem(path, "names no target: set service, broker, ref or an absolute uri")]
    if dest.uri is not None:
        problem = uri_problem(dest.uri, relative=bool(targets))
        if problem:
            return [Problem(join_path(path, "uri"), problem)]
    else:  # a target alone: Go returns the ref's own verdict, CA certificates unchecked
        return kreference_problems(dest.ref, join_path(path, "ref"), parent_namespace) if dest.ref else []
    if dest.ca_certs is not None:
        problem = ca_certs_problem(dest.ca_certs)
        if problem:
            return [Problem(join_path(path, "CACerts"), problem)]
    return []


# -- delivery (pkg/apis/duck/v1/delivery_types.go DeliverySpec.Validate) ---------------------------------


def duration_problem(value: str) -> str | None:
    """An ISO-8601 period as ``period.Parse`` (rickb777/date v1.13.0) reads it, or why not."""
    parsed = iso_period.parse(value)
    if isinstance(parsed, str):
        return f"{show(value)} is not an ISO-8601 duration such as PT0.2S or PT1M ({parsed})"
    return None


def delivery_problems(delivery: Delivery, path: str, features: EventingFeatures,
                      parent_namespace: str | None = None) -> list[Problem]:
    """delivery_types.go ``DeliverySpec.Validate``, rule by rule (the enums are closed by decoding)."""
    problems = []
    if delivery.dead_letter_sink is not None:
        problems += destination_problems(delivery.dead_letter_sink, join_path(path, "deadLetterSink"),
                                         parent_namespace)
    if delivery.retry is not None and delivery.retry < 0:
        problems.append(Problem(join_path(path, "retry"), f"is {delivery.retry}, must be >= 0"))
    if delivery.timeout is not None:
        problems += _timeout_problems(delivery.timeout, join_path(path, "timeout"), features)
    if delivery.backoff_delay is not None:
        problem = duration_problem(delivery.backoff_delay)
        if problem:
            problems.append(Problem(join_path(path, "backoffDelay"), problem))
    if delivery.retry_after_max is not None:
        problems += _retry_after_problems(delivery.retry_after_max, join_path(path, "retryAfterMax"), features)
    return problems


def _timeout_problems(timeout: str, path: str, features: EventingFeatures) -> list[Problem]:
    """``DeliverySpec.Validate``: ``timeout`` needs ``delivery-timeout`` and is a non-zero period."""
    if not enabled(features.delivery_timeout):
        return [Problem(path, "needs Eventing's delivery-timeout feature: set eventing.features.deliveryTimeout: "
                              "enabled (Knative's default), or remove timeout")]
    parsed = iso_period.parse(timeout)
    if isinstance(parsed, str):
        return [Problem(path, duration_problem(timeout) or "")]
    if parsed.is_zero():
        return [Problem(path, f"{show(timeout)} is zero; give a positive duration such as PT30S")]
    return []


def _retry_after_problems(value: str, path: str, features: EventingFeatures) -> list[Problem]:
    """``DeliverySpec.Validate``: ``retryAfterMax`` needs ``delivery-retryafter`` and is not negative."""
    if not enabled(features.delivery_retry_after):
        return [Problem(path, "needs Eventing's delivery-retryafter feature (off by default): set "
                              "eventing.features.deliveryRetryAfter: enabled, or remove retryAfterMax")]
    parsed = iso_period.parse(value)
    if isinstance(parsed, str):
        return [Problem(path, duration_problem(value) or "")]
    if parsed.is_negative():
        return [Problem(path, f"{show(value)} is negative; give zero or a positive duration")]
    return []


# -- trigger filters (pkg/apis/eventing/v1/trigger_validation.go) --------------------------------------


def attribute_names_problems(attributes: Mapping[str, str], path: str) -> list[Problem]:
    """trigger_validation.go ``ValidateAttributesNames``: lowercase letters and digits, starting with a letter."""
    return [Problem(join_path(path, name), "is not a CloudEvents attribute name: lowercase letters and digits, "
                                           "starting with a letter (type, source, subject, myextension)")
            for name in attributes if not ATTRIBUTE_NAME.fullmatch(name)]


def dialects(expression: EventFilter) -> list[str]:
    """The dialects an expression sets (trigger_validation.go ``hasMultipleDialects`` counts non-empty ones)."""
    return [key for key, value in (("exact", expression.exact), ("prefix", expression.prefix),
                                   ("suffix", expression.suffix), ("all", expression.all), ("any", expression.any),
                                   ("not", expression.not_), ("cesql", expression.cesql)) if value]


def cesql_problems(expression: EventFilter, path: str) -> list[Problem]:
    """trigger_validation.go ``ValidateCESQLExpression``, not mirrored: a ``cesql`` filter is refused.

    Stricter, by choice: the webhook parses CESQL with cloudevents sdk-go's
    ``sql/v2`` ANTLR parser, which has no Python port, so a bad expression
    could only fail at apply time, after other resources changed.
    """
    if expression.cesql is None:
        return []
    return [Problem(join_path(path, "cesql"), "CloudEvents SQL filters are not supported by the platform yet: no "
                                              "Python port of the CESQL parser exists, so it could not be checked "
                                              "before deploying; express it with exact, prefix, suffix, all, any "
                                              "and not")]


def filters_problems(filters: tuple[EventFilter, ...], path: str) -> list[Problem]:
    """trigger_validation.go ``ValidateSubscriptionAPIFiltersList``: each expression, recursively."""
    problems: list[Problem] = []
    for i, expression in enumerate(filters):
        problems += filter_problems(expression, join_path(path, i))
    return problems


def filter_problems(expression: EventFilter, path: str) -> list[Problem]:
    """trigger_validation.go ``ValidateSubscriptionAPIFilter``: one dialect, valid names, valid sub-expressions."""
    problems = []
    found = dialects(expression)
    if len(found) > 1:  # ValidateOneOf
        problems.append(Problem(path, f"sets {', '.join(found)}; an expression has exactly one dialect: nest them "
                                      "in all or any"))
    for key in ("exact", "prefix", "suffix"):
        problems += attribute_names_problems(getattr(expression, key), join_path(path, key))
    problems += filters_problems(expression.all, join_path(path, "all"))
    problems += filters_problems(expression.any, join_path(path, "any"))
    if expression.not_ is not None:
        problems += filter_problems(expression.not_, join_path(path, "not"))
    return problems + cesql_problems(expression, path)


def subscriber_path_problems(value: str, path: str) -> list[Problem]:
    """destination.go: a URI next to a ref is relative; here, a path appended to the service's address.

    Stricter: the path must start with ``/`` and hold only URL path characters
    (Knative resolves any relative reference, query and fragment included).
    """
    problem = uri_problem(value, relative=True)
    if problem is None and not _PATH.fullmatch(value):
        problem = (f"{show(value)} is not a URL path: start it with '/', use letters, digits and -._~!$&'()*+,;=:@/ "
                   "and percent-encode the rest")
    return [Problem(path, problem)] if problem else []
