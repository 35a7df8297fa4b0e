"""What earlier deployments of this stack left behind, and the record this one leaves for the next.

A program learns which revisions its stack already created by reading the
stack's own ``revisions`` output (:data:`~knative_platform.model.revisions.revision_record.REVISIONS_OUTPUT`)
from the last update, with the engine's built-in ``pulumi:pulumi:readStackOutputs``
invoke (:data:`READ_STACK_OUTPUTS`), answered by the same function that answers a
StackReference (pulumi/pulumi v3.259.0, the newest tag read, for the pinned 3.272.0:
``pkg/resource/deploy/builtins.go``, ``Invoke`` -> ``readStackReference`` ->
``pkg/backend/backend.go`` ``backendClient.GetStackOutputs`` -> ``SnapshotStackOutputs``;
``pkg/resource/deploy/providers/registry.go`` ``loadProvider`` gives package ``pulumi``
the built-in provider; ``builtins_test.go`` tests the invoke). The read is a plain
(synchronous) invoke (pulumi 3.272.0 ``pulumi/runtime/invoke.py`` ``invoke``), so
every revision check runs before anything registers, and the Knative objects are
plain values, not Outputs waiting for a read (issue 23: an Output per service cost
more than the record itself). A stack deployed when the read was a StackReference
to itself loses that read resource on its next update: the engine discards a read
resource no longer read, touching nothing else (``pkg/resource/deploy/step.go``,
``DeleteStep.Op``: ``OpReadDiscard`` for an external resource). The answer:

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

The name it reads (:func:`self_reference_name`) is the bare stack name on a
self-managed backend, whose organization is always ``organization``
(``pkg/backend/diy/state.go``): a state bucket in the legacy layout (no
projects) parses references with ``tokens.ParseStackName``, which refuses a
``/`` (``pkg/backend/diy/store.go`` ``legacyReferenceStore.ParseReference``),
while the project layout resolves a bare name against the current project
(``projectReferenceStore.ParseReference``), so the bare name reads the stack
itself in both. On Pulumi Cloud it is ``<organization>/<project>/<stack>``.

**The record.** Every :class:`~knative_platform.app.KnativeApp` adds its service's
record to the stack output ``revisions`` itself (:meth:`StackHistory.record`),
so a program that exports nothing still remembers its revisions. It exports
one value per stack with ``pulumi.export``, an awaitable that gathers the
records when the stack's outputs are registered: the Python SDK does that only
once the program's module code has run (pulumi 3.272.0 ``pulumi/runtime/stack.py``:
``export`` stores the value in ``Stack.outputs``; ``run_in_stack`` calls
``Stack._finish``, which serializes ``self.outputs``, after the program). A program that exports
``revisions`` itself (as earlier releases asked) replaces the map with its own
value: the stack's outputs are then kept as a map whose ``revisions`` entry
stays the record, and a value that differs from it is reported.

The reads and the record are per stack: one read of the stack's own outputs,
shared by every component that plans revisions (:meth:`StackHistory.of_stack`).
Offline, the project's mocks answer the read from the previous render's
outputs, or with none (:mod:`knative_platform.offline.mocks`); Pulumi mocks that
do not know the invoke answer with no ``outputs``, which reads as a fresh stack.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Mapping
from typing import Any

import pulumi

from ..model.core.config_value import parse_config_value
from ..model.core.errors import Problem
from ..model.revisions.reset import RESET_KEY, reset_problems
from ..model.revisions.revision_record import REVISIONS_OUTPUT
from ..model.revisions.revisions import Previous
from .errors import checked

READ_STACK_OUTPUTS = "pulumi:pulumi:readStackOutputs"
"""The engine's built-in invoke that reads a stack's outputs: ``{"name": ...}`` -> ``{"name", "outputs",
"secretOutputNames"}`` (pulumi/pulumi v3.259.0 ``pkg/resource/deploy/builtins.go``)."""
SELF_MANAGED_ORGANIZATION = "organization"
"""The organization of every stack on a self-managed (diy) backend (pulumi v3.259.0 ``pkg/backend/diy/state.go``)."""
CONFIG_NAMESPACE = "knative-platform"
"""The config namespace of the library's own settings, in the platform project and in app projects alike."""


def self_reference_name() -> str:
    """The name the running program's reference to its own stack reads (see the module docstring)."""
    organization = pulumi.get_organization()
    if organization == SELF_MANAGED_ORGANIZATION:
        return pulumi.get_stack()
    return f"{organization}/{pulumi.get_project()}/{pulumi.get_stack()}"


class _Outputs(dict):  # type: ignore[type-arg]
    """The root stack's outputs, keeping ``revisions`` the record whatever the program exports under that name."""

    def __init__(self, outputs: Mapping[str, Any], history: StackHistory) -> None:
        super().__init__(outputs)
        self.history = history

    def __setitem__(self, key: str, value: Any) -> None:
        if key == REVISIONS_OUTPUT and value is not self.history.record_value:
            self.history.adopt(value)
            value = self.history.record_value
        super().__setitem__(key, value)


class _Record:
    """The stack output ``revisions``: every app's record, gathered when the stack's outputs are registered.

    An awaitable, which the SDK awaits when it serializes the stack's outputs,
    after the program's code has run (pulumi 3.272.0 ``pulumi/runtime/stack.py``
    ``massage`` turns an awaitable into an Output; ``runtime/rpc.py``
    ``serialize_property`` awaits one): one value for the whole stack, however
    many apps recorded into it, and no Output per app unless one is needed.
    """

    def __init__(self, history: StackHistory) -> None:
        self.history = history

    def __await__(self) -> Any:
        return self.history.gather().__await__()


_STACKS: weakref.WeakKeyDictionary[Any, StackHistory] = weakref.WeakKeyDictionary()
"""The history of each running program, by its root stack resource (a process may run several, offline)."""


class StackHistory:
    """The running program's own previous outputs, read once and shared, and the record its apps leave."""

    @classmethod
    def of_stack(cls) -> StackHistory:
        """The running program's history (one per root stack resource)."""
        root = pulumi.runtime.get_root_resource()
        found = _STACKS.get(root) if root is not None else None
        if found is None:
            found = cls()
            if root is not None:
                _STACKS[root] = found
        return found

    def __init__(self) -> None:
        self._previous: Previous | None = None
        self._claimed: set[str] = set()
        self._records: dict[str, Callable[[], Any]] = {}
        self._grouped: set[str] = set()
        self._groups: list[Mapping[str, Any] | pulumi.Output[Mapping[str, Any]]] = []
        self._exported = False
        self.record_value = _Record(self)
        """What the stack exports as ``revisions``."""

    def read(self, reset: tuple[str, ...] | None = None) -> Previous:
        """What the last deployment recorded, and the services whose record this update forgets.

        Read once, by the first caller, before anything of the program registers; later callers share it.
        ``reset`` is the validated :data:`RESET_KEY` setting of a platform stack's spec; None reads it from
        the stack's config (an app stack).
        """
        if self._previous is not None:
            return self._previous
        if reset is None:
            value = parse_config_value(pulumi.Config(CONFIG_NAMESPACE).get(RESET_KEY))
            checked(reset_problems(value, None, f"{CONFIG_NAMESPACE}:{RESET_KEY}"))
            reset = tuple(value or ())
        answer = pulumi.runtime.invoke(READ_STACK_OUTPUTS, {"name": self_reference_name()}).value
        # The record holds names, images and digests, nothing secret (only the kubeconfig output is); the invoke
        # unwraps secrets, and no other output is kept.
        outputs = answer.get("outputs") if isinstance(answer, Mapping) else None
        self._previous = previous(outputs, frozenset(reset))
        return self._previous

    def claim(self, service: str, path: str) -> list[Problem]:
        """Why an app for ``service`` cannot record its revisions: another app of this program records them."""
        if service in self._claimed:
            return [Problem(path, f"{service} is deployed twice by this program: the stack records each service's "
                                  "revisions once, by name; give each KnativeApp its own service name")]
        self._claimed.add(service)
        return []

    def record(self, service: str, revisions: Callable[[], Any], grouped: bool = False) -> None:
        """Add ``service``'s record (claimed first), made when needed, to the stack output ``revisions``.

        ``revisions`` makes the record, a value or an Output. ``grouped``: the caller that planned the service
        records it (:meth:`record_all`); ``revisions`` is called only when none does.
        """
        self._export()
        self._records[service] = revisions
        if grouped:
            self._grouped.add(service)

    def record_all(self, records: Mapping[str, Any] | pulumi.Output[Mapping[str, Any]]) -> None:
        """Records of several services at once, by the component that planned them together.

        Only the services whose app took that component's plan are kept from it (``record(grouped=True)``).
        """
        self._export()
        self._groups.append(records)

    async def gather(self) -> dict[str, Any]:
        """The record of every claimed service, by name: from a group when one has it, else the app's own."""
        values: dict[str, Any] = {}
        for group in self._groups:
            found = await group.future(with_unknowns=True) if isinstance(group, pulumi.Output) else group
            values.update({k: v for k, v in (found or {}).items() if k in self._grouped})
        for service, make in self._records.items():
            if service not in values:
                made = make()
                values[service] = await made.future(with_unknowns=True) if isinstance(made, pulumi.Output) else made
        return dict(sorted(values.items()))

    def _export(self) -> None:
        if self._exported:
            return
        self._exported = True
        root = pulumi.runtime.get_root_resource()
        outputs = getattr(root, "outputs", None)
        if isinstance(outputs, dict) and not isinstance(outputs, _Outputs):
            root.outputs = _Outputs(outputs, self)  # type: ignore[union-attr]
            if REVISIONS_OUTPUT in outputs:  # exported before the first app: the program's own map
                self.adopt(outputs[REVISIONS_OUTPUT])
        pulumi.export(REVISIONS_OUTPUT, self.record_value)

    def adopt(self, value: Any) -> None:
        """A ``revisions`` export of the program's own: its apps' records (kept as they are), or a warning."""
        ours = isinstance(value, Mapping) and set(value) <= self._claimed and all(
            isinstance(v, pulumi.Output) for v in value.values())
        if not ours:
            pulumi.log.warn(f"the program exports its own '{REVISIONS_OUTPUT}'; knative-platform records each "
                            "KnativeApp's revisions there itself and keeps its record: remove that export")


def previous(outputs: Any, reset: frozenset[str] = frozenset()) -> Previous:
    """The last deployment as the plan reads it from the stack's outputs: whether there was one, its record."""
    outputs = outputs if isinstance(outputs, Mapping) else {}
    return Previous(revisions=outputs.get(REVISIONS_OUTPUT), deployed=bool(outputs), reset=reset)
