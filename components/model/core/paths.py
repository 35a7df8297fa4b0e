"""Field paths of nested values, as a reviewer reads them: ``spec.containers[0].env[name=TARGET].value``.

One way of naming a field for every place that reports one: the offline diff
(:mod:`knative_platform.offline.diff`) and the revision checks, which name the
template fields that changed under an unchanged revision name
(:mod:`knative_platform.model.revisions.revision_record`). A list of named objects is keyed by
name, so adding one environment variable is one change, not a shift of every
later index. Pure Python, no Pulumi.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from typing import Any

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
LIST_KEYS = ("name", "containerPort", "port")
"""Keys that name the items of a list of objects (``env``, ``containers``, ``ports``), tried in this order."""
_PLAIN_KEY = re.compile(r"^[A-Za-z0-9_.:/-]+$")
_LEAF_TYPES = frozenset({str, int, float, bool, type(None)})


@functools.lru_cache(maxsize=4096)  # a stack's templates share their paths: each is joined once, not per service
def join_key(path: str, key: str) -> str:
    """``spec`` + ``traffic`` -> ``spec.traffic``; keys that are not identifiers in brackets, JSON-quoted."""
    if _IDENTIFIER.match(key):
        return f"{path}.{key}" if path else key
    return f"{path}[{json.dumps(key, ensure_ascii=False)}]"


def list_key(items: list[Any]) -> str | None:
    """The key every item of ``items`` has, with a distinct value each, so items diff by it; None: by index."""
    for key in LIST_KEYS:
        values = [item.get(key) if isinstance(item, Mapping) else None for item in items]
        if all((isinstance(v, str) and v) or (isinstance(v, int) and not isinstance(v, bool)) for v in values) \
                and len(set(values)) == len(values):
            return key
    return None


def item_key(key: str, value: str | int) -> str:
    """The path step of a keyed list item: ``[name=TARGET]``, the value JSON-quoted when it is not plain."""
    text = str(value)
    return f"[{key}={text if _PLAIN_KEY.match(text) else json.dumps(text, ensure_ascii=False)}]"


def flatten(value: Any, path: str = "") -> dict[str, Any]:
    """Every leaf of ``value`` by its path; empty maps and lists are leaves too (so they can appear or vanish).

    A list of named objects is keyed by name (``env[name=TARGET].value``), a
    list of ports by number (``ports[containerPort=8080]``): adding one item is
    then one change, not a shift of every later index. Other lists go by index.
    """
    out: dict[str, Any] = {}
    _flatten(value, path, out)
    return out


def _flatten(value: Any, path: str, out: dict[str, Any]) -> None:
    if type(value) in _LEAF_TYPES:  # most leaves: skip the slower Mapping check
        out[path] = value
    elif isinstance(value, Mapping) and value:
        for key in sorted(value, key=str):
            _flatten(value[key], join_key(path, str(key)), out)
    elif isinstance(value, list) and value:
        key = list_key(value)
        for index, item in enumerate(value):
            _flatten(item, f"{path}{item_key(key, item[key]) if key else f'[{index}]'}", out)
    else:
        out[path] = value
