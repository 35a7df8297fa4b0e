"""One output of a referenced stack, read at a cost that does not grow with the stack's other outputs.

``StackReference.get_output(name)`` (pulumi 3.272.0, the pinned SDK: ``pulumi/stack_reference.py``)
joins the name and the stack's outputs with ``Output.all``, which walks every value
of every output and wraps each in an Output of its own. A platform stack exports a
record per service, so each read of one of its outputs cost as much as all of them:
an app stack with one service on a 1,000-service platform took half a minute under
the mocks (issue 9). :func:`stack_output` reads ``outputs`` once, as the SDK's own
``get_output_details`` does, and keeps ``get_output``'s secrecy: the value is secret
when the stack lists it among its secret outputs, or, when that list is unknown,
when the outputs are.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pulumi


def stack_output(reference: pulumi.StackReference, name: str) -> pulumi.Output[Any]:
    """The output ``name`` of the stack ``reference`` reads (None when it has none), like ``get_output``."""
    value = reference.outputs.apply(lambda outputs: outputs.get(name) if isinstance(outputs, dict) else None)

    async def secret() -> bool:
        names = reference.secret_output_names
        listed = await names.future() if await names.is_known() else None
        return name in listed if listed is not None else await reference.outputs.is_secret()

    return pulumi.Output(value.resources(), value.future(), value.is_known(), asyncio.ensure_future(secret()))
