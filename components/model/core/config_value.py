"""A stack-config value as the program receives it, read back into data: the one reader of config text.

The Pulumi CLI hands every config value to the program as text: strings as
written, and booleans, numbers, null, lists and maps as JSON text (pulumi/pulumi
``sdk/go/common/resource/config/object.go``, ``MarshalString``;
``unmarshalObject`` stores a YAML ``null`` as the JSON value ``null``). The
program, the offline render and the image build all read config through
:func:`parse_config_value`, so a value means the same to each of them.
"""

from __future__ import annotations

import json
from typing import Any

from .bounds import depth_problem, too_deep

TOO_DEEP: Any = object()
"""What :func:`parse_config_value` returns for JSON nested past what Python's parser can follow (about 1,000
levels); :func:`nesting_problem` says so."""


def parse_config_value(raw: Any) -> Any:
    """Structured values (``[...]``, ``{...}``) as data and ``null`` as None; any other text stays as written.

    Scalars stay the strings the user wrote (``"8080"`` is text until the
    model's decoder reads it as the type it expects); text that looks
    structured but is not JSON stays text, so the model reports it as a string
    where a map or list is expected.
    """
    if raw is None or raw == "null":
        return None
    if isinstance(raw, str) and raw[:1] in "[{":
        try:
            return json.loads(raw)
        except json.JSONDecodeError:
            return raw
        except RecursionError:
            return TOO_DEEP
    return raw


def nesting_problem(value: Any) -> str | None:
    """Why a parsed config value nests too deeply to be configuration, or None."""
    return too_deep() if value is TOO_DEEP else depth_problem(value)
