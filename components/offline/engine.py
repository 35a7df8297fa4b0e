"""Run a Pulumi program in-process under mocks and capture everything it registers.

This is the machinery behind the offline render and the program-level tests.
It uses the SDK's public mock hooks only: ``pulumi.runtime.set_mocks`` with a
``MockMonitor`` subclass (``monitor=``), ``pulumi.runtime.test`` to run the
program and wait for every outstanding registration, and
``pulumi.runtime.reset_options`` / ``set_all_config`` around each run. It
records, per resource, what a reviewer needs: type, name, parent, provider,
options, dependencies and inputs, with every Pulumi secret replaced by
``[secret]``.

A run returns a :class:`Capture`, which is also the assertion API for tests of
a program, this project's and a user's own (as the AWS CDK's ``Template`` is
for a synthesized stack): :meth:`Capture.by_type` and :meth:`Capture.named`
find registrations, and each :class:`Registration` has its inputs, options,
dependencies and :attr:`Registration.parent_type`. docs/python-api.md ("Testing
a program offline") shows it.

A run is a *preview* (``pulumi preview``: the SDK's dry run, where an output the
mocks do not give is unknown and ``pulumi.runtime.is_dry_run()`` is true) or an
*update* (``pulumi up``: every output known, missing ones None), the
:class:`Mode`. The program has no clock here either: a value that differs
between the two (``pulumi up --plan`` would refuse it) is the program's own.
"""

from __future__ import annotations

import enum
import logging
import os
import runpy
import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
from google.protobuf import json_format, struct_pb2
from pulumi.runtime.mocks import MockCallArgs, MockMonitor
from pulumi.runtime.proto import provider_pb2, resource_pb2

from ..runtime.history import READ_STACK_OUTPUTS
from .mocks import PlatformMocks
from .secrets import REDACTED
from .stackfile import ProgramConfig

# Markers of the Pulumi wire format (pulumi/sdk/python/lib/pulumi/runtime/rpc.py).
_SIG = "4dabf18193072939515e22adb298388d"
_SECRET = "1b47061264138c4ac30d75fd1eb44270"
_RESOURCE = "5cf8f73096256a8f31e491e813e4eb8e"
_OUTPUT = "d0e6a833031e9bbcd3f4e8bde6ca49a4"
_ASSET = "c44067f5952c0a294b673a41bacd8c17"
_ARCHIVE = "0def7320c3a5731c473e5ecbe6d01bc7"
_UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
UNKNOWN = "(known after apply)"
ORGANIZATION = "organization"
"""The organization the mocked runtime reports: a self-managed backend's (``pulumi.get_organization()``)."""



class Mode(enum.Enum):
    """How the engine runs the program: as ``pulumi preview`` does (a dry run) or as ``pulumi up`` does."""

    PREVIEW = "preview"
    UPDATE = "update"


_OPTION_FIELDS = (
    "protect", "ignoreChanges", "replaceOnChanges", "deleteBeforeReplace", "retainOnDelete",
    "aliases", "customTimeouts", "additionalSecretOutputs", "deletedWith", "importId",
)


def plain(value: Any) -> Any:
    """Wire-format values as plain data: secrets redacted, references and unknowns spelled out."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        return UNKNOWN if value == _UNKNOWN else value
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        sig = value.get(_SIG)
        if sig == _SECRET:
            return REDACTED
        if sig == _OUTPUT:
            if value.get("secret"):
                return REDACTED
            return plain(value["value"]) if "value" in value else UNKNOWN
        if sig == _RESOURCE:
            return {"$ref": value.get("urn")}
        if sig in (_ASSET, _ARCHIVE):
            return {"$asset": {k: plain(v) for k, v in sorted(value.items()) if k != _SIG}}
        return {str(k): plain(v) for k, v in sorted(value.items())}
    return value


@dataclass(frozen=True)
class Registration:
    """One resource as the program registered it."""

    urn: str
    type: str
    name: str
    custom: bool
    parent: str | None
    provider: str | None
    inputs: Mapping[str, Any]
    options: Mapping[str, Any]
    dependencies: tuple[str, ...]

    @property
    def parent_type(self) -> str | None:
        """The parent's type token, read from this resource's URN (None for a resource of the stack itself).

        Part of the assertion API: "the Knative Service sits under its ``KnativeApp``".
        """
        qualified = self.urn.split("::")[2]
        return qualified.rsplit("$", 1)[0] if "$" in qualified else None


@dataclass
class Capture:
    """Everything one program run registered, in URN order, with the queries tests assert on.

    The offline render writes it out; tests (ours, and a user's of their own program) query it with
    :meth:`by_type` and :meth:`named` instead of walking :attr:`registrations` by hand.
    """

    project: str
    stack: str
    registrations: list[Registration] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    component_outputs: dict[str, dict[str, Any]] = field(default_factory=dict)

    def by_type(self, type_: str) -> list[Registration]:
        """The registrations of one type token, in URN order (empty when there is none)."""
        return [r for r in self.registrations if r.type == type_]

    def named(self, name: str, type_: str | None = None) -> Registration:
        """The single registration called ``name`` (of ``type_``, when given); KeyError unless exactly one."""
        hits = [r for r in self.registrations if r.name == name and (type_ is None or r.type == type_)]
        if len(hits) != 1:
            raise KeyError(f"{len(hits)} registrations named {name!r} (type {type_})")
        return hits[0]


class RecordingMonitor(MockMonitor):
    """A MockMonitor that also keeps each registration's parent, provider, options and dependencies."""

    def __init__(self, mocks: pulumi.runtime.Mocks) -> None:
        super().__init__(mocks)
        self.lock = threading.Lock()
        self.recorded: dict[str, Registration] = {}
        self.outputs_by_urn: dict[str, dict[str, Any]] = {}
        self.stack_urn: str | None = None

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 - gRPC method name
        """Record the request, then let the SDK's mock monitor answer it."""
        response = super().RegisterResource(request)  # type: ignore[no-untyped-call]  # pulumi.runtime.mocks is unannotated
        if request.type == "pulumi:pulumi:Stack":
            self.stack_urn = response.urn
            return response
        message = json_format.MessageToDict(request, preserving_proto_field_name=True)
        options = {k: plain(message[k]) for k in _OPTION_FIELDS if message.get(k) not in (None, "", [], {}, False)}
        record = Registration(
            urn=response.urn,
            type=request.type,
            name=request.name,
            custom=bool(request.custom),
            parent=request.parent or None,
            provider=request.provider or None,
            inputs=plain(json_format.MessageToDict(request.object)),
            options=options,
            dependencies=tuple(sorted(set(request.dependencies))),
        )
        self._record(record)
        return response

    def Invoke(self, request: Any) -> Any:  # noqa: N802 - gRPC method name
        """Answer the read of a stack's outputs as one Struct, as the engine does; other invokes as the SDK's mocks do.

        The engine answers ``readStackOutputs`` in Go (pulumi v3.259.0 ``pkg/resource/deploy/builtins.go``); the
        SDK's mock monitor would serialize the answer value by value with the SDK's async serializer, which for a
        large stack (a revision record per service) costs more than the program's own work with it. protobuf
        builds the same Struct (the serializer too drops only top-level nulls).
        """
        if request.tok != READ_STACK_OUTPUTS:
            return super().Invoke(request)  # type: ignore[no-untyped-call]
        args = plain(json_format.MessageToDict(request.args))
        answer = self.mocks.call(MockCallArgs(token=request.tok, args=args, provider=request.provider))
        value, failures = answer if isinstance(answer, tuple) else (answer, ())
        result = struct_pb2.Struct()
        result.update({k: v for k, v in value.items() if v is not None})
        return resource_pb2.ResourceInvokeResponse(**{"return": result, "failures": [
            provider_pb2.CheckFailure(property=prop, reason=reason) for prop, reason in failures or ()]})

    def ReadResource(self, request: Any) -> Any:  # noqa: N802 - gRPC method name
        """Record a read (a StackReference, a ``get`` of an existing resource) with the ID it reads."""
        response = super().ReadResource(request)  # type: ignore[no-untyped-call]
        properties = plain(json_format.MessageToDict(request.properties))
        record = Registration(
            urn=response.urn,
            type=request.type,
            name=request.name,
            custom=True,
            parent=request.parent or None,
            provider=request.provider or None,
            inputs={k: v for k, v in properties.items() if v is not None},
            options={"read": request.id},
            dependencies=tuple(sorted(set(request.dependencies))),
        )
        self._record(record)
        return response

    def _record(self, record: Registration) -> None:
        """Keep ``record``; a second registration of one URN fails as the Pulumi engine fails it."""
        with self.lock:
            if record.urn in self.recorded:
                raise RuntimeError(f"duplicate resource URN {record.urn}: give the resource a unique name")
            self.recorded[record.urn] = record

    def RegisterResourceOutputs(self, request: Any) -> Any:  # noqa: N802 - gRPC method name
        """Keep component and stack outputs (``register_outputs`` and ``pulumi.export``).

        The root stack registers twice (empty when ``set_mocks`` creates it,
        then the program's exports): later registrations add to earlier ones.
        """
        with self.lock:
            outputs = plain(json_format.MessageToDict(request.outputs))
            self.outputs_by_urn[request.urn] = {**self.outputs_by_urn.get(request.urn, {}), **outputs}
        return super().RegisterResourceOutputs(request)  # type: ignore[no-untyped-call]


class _Diagnostics(logging.Handler):
    """The program's ``pulumi.log`` messages on stderr, named like the CLI's diagnostics: ``warning: dev: ...``."""

    def __init__(self, stack: str) -> None:
        super().__init__(logging.INFO)  # info and up, as the Pulumi CLI shows them; debug only with -v
        self.stack = stack

    def emit(self, record: logging.LogRecord) -> None:
        """One line per message, prefixed with its severity and the stack, on the current stderr."""
        print(f"{record.levelname.lower()}: {self.stack}: {record.getMessage()}", file=sys.stderr)


def _program_logger(stack: str) -> logging.Logger:
    """Where the mocks' engine sends the program's log messages (``set_mocks(logger=...)``) during one run."""
    logger = logging.getLogger(f"{__name__}.program")
    logger.setLevel(logging.INFO)
    logger.handlers[:] = [_Diagnostics(stack)]
    return logger


@contextmanager
def _runtime(project: str, stack: str, monitor: RecordingMonitor, config: Mapping[str, str],
             secret_keys: tuple[str, ...], mode: Mode) -> Iterator[None]:
    """Point the Pulumi SDK at ``monitor`` with ``config``, and restore a clean runtime afterwards."""
    env_keys = ("PULUMI_CONFIG", "PULUMI_CONFIG_SECRET_KEYS", "PULUMI_PROJECT", "PULUMI_STACK", "PULUMI_DRY_RUN")
    saved_env = {k: os.environ.get(k) for k in env_keys}
    for key in env_keys:
        os.environ.pop(key, None)
    preview = mode is Mode.PREVIEW
    # A fresh runtime (no root stack from an earlier run), then the mocks with our recording monitor;
    # set_mocks registers this run's root stack with it.
    pulumi.runtime.reset_options(project=project, stack=stack, preview=preview, organization=ORGANIZATION)
    pulumi.runtime.set_all_config(dict(config), list(secret_keys))
    pulumi.runtime.set_mocks(monitor.mocks, project=project, stack=stack, preview=preview, monitor=monitor,
                             organization=ORGANIZATION, logger=_program_logger(stack))
    try:
        yield
    finally:
        pulumi.runtime.set_all_config({}, [])
        pulumi.runtime.reset_options()
        for key, value in saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _run_to_completion(fn: Callable[[], object]) -> None:
    """Run ``fn`` as a program under the mocks: every registration awaited, the stack's exports registered."""

    def program() -> None:
        fn()
        root = pulumi.runtime.get_root_resource()
        if isinstance(root, pulumi.ComponentResource):  # the Stack: pulumi.export() writes its outputs
            root.register_outputs(dict(getattr(root, "outputs", {}) or {}))  # as the language host does

    pulumi.runtime.test(program)()


def _capture(project: str, stack: str, monitor: RecordingMonitor) -> Capture:
    outputs = dict(monitor.outputs_by_urn)
    stack_outputs = outputs.pop(monitor.stack_urn, {}) if monitor.stack_urn else {}
    return Capture(
        project=project,
        stack=stack,
        registrations=sorted(monitor.recorded.values(), key=lambda r: r.urn),
        outputs=stack_outputs,
        component_outputs=dict(sorted(outputs.items())),
    )


def run_function(fn: Callable[[], object], *, project: str = "knative-platform", stack: str = "test",
                 config: Mapping[str, str] | None = None, secret_keys: tuple[str, ...] = (),
                 monitor: RecordingMonitor | None = None, mode: Mode = Mode.PREVIEW) -> Capture:
    """Run ``fn`` as if it were a Pulumi program, under mocks; raise what it raises.

    Pass ``monitor`` to inspect what was registered before an exception.
    """
    monitor = monitor or RecordingMonitor(PlatformMocks())
    with _runtime(project, stack, monitor, config or {}, secret_keys, mode):
        _run_to_completion(fn)
    return _capture(project, stack, monitor)


_PACKAGE = __name__.split(".", 1)[0]
"""This package's import name, ``knative_platform``: in the platform repository, the root's link to ``components/``."""


def _program_modules(main_dir: Path) -> list[str]:
    """Loaded modules the program's own directory provides (``stacks``, an app's ``components`` ...).

    Two projects (the platform and an app project) may both have a ``stacks``
    package, and an app project its own ``components``; dropping them around
    each run makes every run import its own. This package itself stays: in the
    platform repository it is the program directory's ``knative_platform`` link.
    """
    local = {p.stem for p in main_dir.glob("*.py")} | {p.name for p in main_dir.iterdir() if p.is_dir()}
    local = {name for name in local if name.isidentifier() and name not in (_PACKAGE, "__main__")}
    return [name for name in list(sys.modules) if name.split(".", 1)[0] in local]


@contextmanager
def _program_context(program: ProgramConfig) -> Iterator[None]:
    """Cwd and ``sys.path`` as the language host sets them; the program's own modules fresh each run."""
    saved_cwd, saved_path, saved_argv = os.getcwd(), list(sys.path), list(sys.argv)
    main_dir = str(program.main.parent)
    for name in _program_modules(program.main.parent):
        del sys.modules[name]
    sys.path.insert(0, main_dir)
    os.chdir(main_dir)
    sys.argv = [str(program.main)]
    try:
        yield
    finally:
        os.chdir(saved_cwd)
        sys.path[:] = saved_path
        sys.argv = saved_argv
        for name in _program_modules(program.main.parent):
            del sys.modules[name]


def run_program(program: ProgramConfig, *, monitor: RecordingMonitor | None = None,
                extra_config: Mapping[str, str] | None = None, mode: Mode = Mode.PREVIEW) -> Capture:
    """Run the project's ``__main__.py`` for one stack under mocks, as a preview or an update; raise what it raises."""
    gcp_project = program.config.get("gcp:project", "offline-project")
    gcp_region = program.config.get("gcp:region", "europe-west1")
    monitor = monitor or RecordingMonitor(PlatformMocks(gcp_project, gcp_region, program.stack_outputs,
                                                        own_stack=own_stack_name(program)))
    config = {**program.config, **(extra_config or {})}
    with _program_context(program):
        try:
            capture = run_function(
                lambda: runpy.run_path(str(program.main), run_name="__main__"),
                project=program.project, stack=program.stack, config=config,
                secret_keys=program.secret_keys, monitor=monitor, mode=mode,
            )
        except Exception:
            _check_references(monitor)  # a missing mocked stack explains the failure better
            raise
    _check_references(monitor)
    return capture


def own_stack_name(program: ProgramConfig) -> str:
    """The fully qualified name of the program's own stack, under the mocked runtime's organization.

    The mocks answer the program's read of its own outputs by it (:func:`knative_platform.offline.mocks.qualified`);
    the name that read gives in the program is :func:`knative_platform.runtime.history.self_reference_name`.
    """
    return f"{ORGANIZATION}/{program.project}/{program.stack}"


def _check_references(monitor: RecordingMonitor) -> None:
    """Fail when the program read a stack that has no mocked outputs (see PlatformMocks.check_references)."""
    if isinstance(monitor.mocks, PlatformMocks):
        monitor.mocks.check_references()
