"""What earlier deployments of this stack left behind: its own last outputs, read through a StackReference.

A program learns which revisions its stack already created by reading the
stack's own ``revisions`` output (:data:`~components.spec.revisions.REVISIONS_OUTPUT`)
from the last update, with a StackReference to ``<organization>/<project>/<stack>``.
The engine answers a StackReference from the backend's latest checkpoint of the
named stack (pulumi/pulumi ``pkg/resource/deploy/builtins.go`` ``readStackReference``
-> ``pkg/backend/backend.go`` ``GetStackOutputs`` -> ``SnapshotStackOutputs``):

- a stack that has never been updated has no checkpoint, or one without a root
  stack resource, and answers with no outputs (``pkg/backend/diy/state.go``
  ``getSnapshotStackOutputs`` returns an empty map when ``checkpoint.Latest`` is
  nil; ``pkg/resource/stack/deployment.go`` ``DeserializeStackOutputs`` returns
  nil without a root stack resource), so a fresh stack reads an empty history;
- during an update the root stack resource keeps its old outputs until the
  program's outputs are registered at the end (``pkg/resource/deploy/step.go``
  ``SameStep.Apply`` retains ``old.Outputs``; ``step_executor.go`` finalizes
  stack outputs last), so the read sees the previous update, in ``pulumi up``
  and ``pulumi preview`` alike. After a *failed* update the engine keeps the old
  outputs and overlays the new ones (``executeRegisterResourceOutputs`` with
  ``errored``), so a revision a failed update applied is still recorded.

The Python SDK reads it as any StackReference (``pulumi/stack_reference.py``: a
read of ``pulumi:pulumi:StackReference`` whose ID is the stack name), so the
read is the one resource registered before the revision checks can refuse an
update. Offline, the project's mocks answer the stack's own reference from the
previous render's outputs, or with none (:mod:`components.offline.mocks`).
"""

from __future__ import annotations

import datetime
import os
from typing import Any

import pulumi

from .spec.revisions import REVISIONS_OUTPUT
from .stack_outputs import stack_output


def own_stack_name() -> str:
    """``<organization>/<project>/<stack>`` of the running program: the name its own StackReference reads."""
    return f"{pulumi.get_organization()}/{pulumi.get_project()}/{pulumi.get_stack()}"


def now() -> str:
    """The creation time recorded for a new revision, UTC to the second.

    ``SOURCE_DATE_EPOCH`` (the reproducible-builds convention), when set, is the
    time: the offline render sets it so that renders stay byte-identical.
    """
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    moment = (datetime.datetime.fromtimestamp(int(epoch), datetime.UTC) if epoch and epoch.isdigit()
              else datetime.datetime.now(datetime.UTC))
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class StackHistory:
    """The stack's own previous ``revisions`` output, read once per program and shared by its apps."""

    reference: pulumi.StackReference
    revisions: pulumi.Output[dict[str, Any]]
    """Service name -> what the last deployment recorded for it; empty on a new stack."""

    def __init__(self, name: str, opts: pulumi.ResourceOptions | None = None) -> None:
        self.stack_name = own_stack_name()
        self.reference = pulumi.StackReference(name, stack_name=self.stack_name, opts=opts)
        # The record holds names, times, images and digests, nothing secret.
        self.revisions = pulumi.Output.unsecret(stack_output(self.reference, REVISIONS_OUTPUT)).apply(_revisions)


def _revisions(value: Any) -> dict[str, Any]:
    """The ``revisions`` output as read back: a map, or empty when the stack has none (or something else)."""
    return dict(value) if isinstance(value, dict) else {}
