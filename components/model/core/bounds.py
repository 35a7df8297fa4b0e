"""Bounds every scalar of a spec meets, whatever field it is in: Kubernetes' own integer widths and sane sizes.

YAML and JSON carry integers of any size, floats that are not numbers, strings
of any length and code points that no encoder accepts. Left alone, such a value
passes validation and breaks later: an integer past 2**63 fails while Pulumi
serialises the resource that holds it, after the resources before it were
registered (a half-applied ``pulumi up``); a lone surrogate fails when a file
or a gRPC message is encoded. :mod:`knative_platform.model.core.decode` applies these checks
to every field it decodes or type-checks, so no field can forget them, and each
message names the limit.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

INT32_MIN = -(2**31)
INT32_MAX = 2**31 - 1
"""Kubernetes declares its counts, ports, seconds and scales ``int32`` (k8s.io/api core/v1 types.go), and
GKE its node counts and disk sizes (``int32`` in google.container.v1 NodeConfig / NodePoolAutoscaling); a
wider integer is refused by the API server or the GCP API, so it is refused here, before anything exists."""
MAX_STRING = 32_768
"""The longest string any field takes. Names have their own, much shorter, limits (DNS labels: 63); this
generic bound keeps one mistaken paste (a whole file in an env value) from producing objects Kubernetes
refuses at apply time (a request body is at most 3 MiB, an object in etcd 1.5 MiB)."""
MAX_DEPTH = 32
"""How deeply a structured config value may nest. The deepest spec (a service's probe or traffic target)
is 5 levels; Python's recursion (and the JSON and YAML libraries) give out near 1,000."""
_SURROGATE = re.compile("[\ud800-\udfff]")


def int_problem(value: int) -> str | None:
    """Why ``value`` does not fit a Kubernetes ``int32``, or None."""
    if INT32_MIN <= value <= INT32_MAX:
        return None
    if value > INT32_MAX:
        return f"is {number_text(value)}, must be at most {INT32_MAX} (Kubernetes and GKE store it as int32)"
    return f"is {number_text(value)}, must be at least {INT32_MIN} (Kubernetes and GKE store it as int32)"


def float_problem(value: float | int) -> str | None:
    """Why ``value`` is not a finite number that a float holds, or None."""
    if isinstance(value, int):
        return None if abs(value) <= 2**1023 else f"is {number_text(value)}, too large for a number"
    if math.isnan(value):
        return "is .nan (not a number); give a number"
    if math.isinf(value):
        return f"is {'-' if value < 0 else ''}.inf; give a finite number"
    return None


def string_problem(value: str) -> str | None:
    """Why ``value`` cannot be written into a Kubernetes object or a file, or None."""
    if len(value) > MAX_STRING:
        return f"is {len(value)} characters long, must be at most {MAX_STRING}"
    match = _SURROGATE.search(value)
    if match:
        return (f"contains U+{ord(match.group()):04X} at position {match.start()}, a lone UTF-16 surrogate that "
                "is not a character and cannot be encoded as UTF-8; remove it or write the character it was meant "
                "to be")
    if "\x00" in value:
        return f"contains a NUL character at position {value.index(chr(0))}; remove it"
    return None


def number_text(value: int) -> str:
    """An integer for a message: in full when short, else its first digits and how many there are."""
    digits = len(str(abs(value))) if abs(value) < 10**60 else math.floor(math.log10(abs(value))) + 1
    if digits <= 20:
        return str(value)
    head = str(value)[:12] if digits < 4000 else ("-" if value < 0 else "")  # str() refuses 4300+ digits
    return f"{head}… ({digits} digits)"


def depth(value: Any, limit: int = MAX_DEPTH) -> int:
    """How deeply ``value`` nests (a scalar is 0), counted no further than ``limit + 1``, without recursion."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, level = stack.pop()
        deepest = max(deepest, level)
        if level > limit:
            return level
        if isinstance(item, Mapping):
            stack += [(v, level + 1) for v in item.values()]
        elif isinstance(item, Sequence) and not isinstance(item, (str, bytes)):
            stack += [(v, level + 1) for v in item]
    return deepest


def depth_problem(value: Any, limit: int = MAX_DEPTH) -> str | None:
    """Why ``value`` nests too deeply to be configuration, or None."""
    return too_deep(limit) if depth(value, limit) > limit else None


def too_deep(limit: int = MAX_DEPTH) -> str:
    """The message for a value nested past ``limit`` levels."""
    return f"nests more than {limit} levels deep; no setting is structured like that: check the value"
