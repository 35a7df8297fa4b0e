"""Deterministic stand-ins for what clouds compute: IDs, endpoints, addresses, e-mails.

A resource's mocked state is its inputs plus the few outputs the program reads
(a cluster's endpoint and CA, an address's IP, a service account's e-mail).
Every value derives from the resource's name, so renders are byte-identical.
Addresses come from the documentation ranges (RFC 5737) and never route anywhere.
A StackReference returns the outputs given for its stack in the project's file
of mocked outputs (see :mod:`knative_platform.offline.stackfile`). The program's
read of its *own* stack (its previous deployment: the engine's ``readStackOutputs``
invoke, :mod:`knative_platform.runtime.history`) answers with that stack's entry
when there is one, else with no outputs, as a stack that was never deployed does.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Mapping
from typing import Any

import pulumi

from ..runtime.history import READ_STACK_OUTPUTS
from .secrets import REDACTED
from .stackfile import STACK_OUTPUTS_FILE, StackFileError

MOCK_CA = base64.b64encode(b"-----BEGIN CERTIFICATE-----\nOFFLINE-RENDER\n-----END CERTIFICATE-----\n").decode()


def _digest(text: str, length: int = 8) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:length]


def mock_ip(name: str) -> str:
    """A stable address in 203.0.113.0/24 (TEST-NET-3) for ``name``."""
    return f"203.0.113.{10 + int(_digest(name, 4), 16) % 240}"


def _project(state: dict[str, Any], default: str) -> str:
    return str(state.get("project") or default)


def _cluster(name: str, state: dict[str, Any], project: str) -> str:
    name = state.setdefault("name", name)
    location = state.get("location") or "us-central1"
    state["endpoint"] = mock_ip(f"cluster/{name}")
    state["masterAuth"] = {**(state.get("masterAuth") or {}), "clusterCaCertificate": MOCK_CA}
    endpoints = state.get("controlPlaneEndpointsConfig")
    if isinstance(endpoints, dict) and isinstance(endpoints.get("dnsEndpointConfig"), dict):
        dns = {**endpoints["dnsEndpointConfig"], "endpoint": f"gke-{_digest(project + name, 16)}.{location}.gke.goog"}
        state["controlPlaneEndpointsConfig"] = {**endpoints, "dnsEndpointConfig": dns}
    state["selfLink"] = f"https://container.googleapis.com/v1/projects/{project}/locations/{location}/clusters/{name}"
    return f"projects/{project}/locations/{location}/clusters/{name}"


def _address(name: str, state: dict[str, Any], project: str) -> None:
    state.setdefault("name", name)
    state["address"] = mock_ip(f"address/{name}")


def _service_account(name: str, state: dict[str, Any], project: str) -> str:
    account = state.get("accountId") or name
    email = f"{account}@{project}.iam.gserviceaccount.com"
    state.update(email=email, member=f"serviceAccount:{email}", name=f"projects/{project}/serviceAccounts/{email}")
    return str(state["name"])


def project_number(project: str) -> str:
    """The stable 12-digit number a mocked project has (``getProject`` and the service agents agree on it)."""
    return str(100000000000 + int(_digest(project, 8), 16) % 899999999999)


def _service_identity(name: str, state: dict[str, Any], project: str) -> None:
    """A Google service agent: ``service-<number>@gcp-sa-<api>.iam.gserviceaccount.com`` (Eventarc's pattern)."""
    api = str(state.get("service") or name).split(".", 1)[0]
    email = f"service-{project_number(project)}@gcp-sa-{api}.iam.gserviceaccount.com"
    state.update(email=email, member=f"serviceAccount:{email}")


def _path_id(template: str) -> Callable[[str, dict[str, Any], str], str]:
    """Resources whose ID is a resource path (``projects/p/global/networks/n``) that other resources take as input."""

    def fill(name: str, state: dict[str, Any], project: str) -> str:
        state.setdefault("name", name)
        return template.format_map({**{k: v for k, v in state.items() if isinstance(v, str)}, "project": project})

    return fill


_GCP_OUTPUTS: dict[str, Callable[[str, dict[str, Any], str], str | None]] = {
    "gcp:container/cluster:Cluster": _cluster,
    "gcp:compute/address:Address": _address,
    "gcp:compute/globalAddress:GlobalAddress": _address,
    "gcp:serviceaccount/account:Account": _service_account,
    "gcp:projects/serviceIdentity:ServiceIdentity": _service_identity,
    "gcp:compute/network:Network": _path_id("projects/{project}/global/networks/{name}"),
    "gcp:compute/subnetwork:Subnetwork": _path_id("projects/{project}/regions/{region}/subnetworks/{name}"),
    "gcp:kms/keyRing:KeyRing": _path_id("projects/{project}/locations/{location}/keyRings/{name}"),
    "gcp:kms/cryptoKey:CryptoKey": _path_id("{keyRing}/cryptoKeys/{name}"),
}
"""Computed outputs per type; a fill returns the resource's ID when GCP's is a path the program reads."""


def qualified(stack: str) -> str:
    """``<organization>/<project>/<stack>`` of a reference, as a self-managed backend in the project layout reads it.

    A bare ``<stack>`` (the program's read of its own outputs,
    :func:`knative_platform.runtime.history.self_reference_name`) or ``<organization>/<stack>`` is in the
    running project (pulumi/pulumi v3.259.0 ``pkg/backend/diy/store.go`` ``projectReferenceStore.ParseReference``).
    """
    parts = stack.split("/")
    if len(parts) == 1:
        return f"{pulumi.get_organization()}/{pulumi.get_project()}/{stack}"
    if len(parts) == 2:
        return f"{parts[0]}/{pulumi.get_project()}/{parts[1]}"
    return stack


class UnmockedStackReferenceError(StackFileError):
    """A StackReference to a stack the file of mocked outputs does not list."""


class PlatformMocks(pulumi.runtime.Mocks):
    """Mocks for pulumi-gcp and pulumi-kubernetes resources, StackReferences and the invokes the platform calls."""

    def __init__(self, gcp_project: str = "offline-project", gcp_region: str = "europe-west1",
                 stack_outputs: Mapping[str, Mapping[str, Any]] | None = None, own_stack: str | None = None) -> None:
        self.gcp_project = gcp_project
        self.gcp_region = gcp_region
        self.stack_outputs = dict(stack_outputs or {})
        self.own_stack = own_stack
        """``<organization>/<project>/<stack>`` of the program itself (default: the running one's)."""
        self.unmocked_references: list[str] = []

    def _stack_reference(self, stack: str) -> dict[str, Any]:
        """The referenced stack's mocked outputs; ``"[secret]"`` values are its secret outputs.

        A stack the file does not list answers with no outputs and is noted;
        :meth:`check_references` turns that into one clear error after the run,
        instead of letting the program fail on made-up values.
        """
        stack = qualified(stack)
        own = self.own_stack or f"{pulumi.get_organization()}/{pulumi.get_project()}/{pulumi.get_stack()}"
        outputs: Mapping[str, Any] | None
        if stack == own:
            outputs = self.stack_outputs.get(stack, {})
        else:
            outputs = self.stack_outputs.get(stack, self.stack_outputs.get("*"))
        if outputs is None:
            self.unmocked_references.append(stack)
            outputs = {}
        secret = sorted(k for k, v in outputs.items() if v == REDACTED)
        return {"name": stack, "outputs": dict(outputs), "secretOutputNames": secret}

    def check_references(self) -> None:
        """Raise :class:`UnmockedStackReferenceError` when the program read a stack with no mocked outputs."""
        if self.unmocked_references:
            stack = self.unmocked_references[0]
            raise UnmockedStackReferenceError(
                f"the program reads stack {stack}, which has no mocked outputs offline; add them to the "
                f"project's {STACK_OUTPUTS_FILE} (or pass --stack-outputs FILE): "
                f'{{"{stack}": {{"output": "value", "secretOutput": "{REDACTED}"}}}}'
            )

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        """Echo the inputs, add computed outputs, and give custom resources a stable ID."""
        state = dict(args.inputs or {})
        if args.typ == "pulumi:pulumi:StackReference":
            stack = str(state.get("name") or args.resource_id or args.name)
            return stack, self._stack_reference(stack)
        if args.typ.startswith("gcp:"):
            project = _project(state, self.gcp_project)
            state.setdefault("project", project)
            fill = _GCP_OUTPUTS.get(args.typ)
            gcp_id = fill(args.name, state, project) if fill else None
            state.setdefault("name", args.name)
            state.setdefault("selfLink", f"https://www.googleapis.com/projects/{project}/{args.name}")
            if gcp_id and args.custom:
                return args.resource_id or gcp_id, state
        elif args.typ.startswith("kubernetes:") and args.custom and isinstance(state.get("metadata"), dict):
            metadata = dict(state["metadata"])
            metadata.setdefault("name", f"{args.name}-{_digest(args.typ + args.name, 8)}")
            state["metadata"] = metadata
        if not args.custom:
            return "", state
        return args.resource_id or f"{args.name}-id", state

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        """Answer the invokes the program makes; anything else echoes its arguments."""
        a = dict(args.args or {})
        if args.token == READ_STACK_OUTPUTS:  # the program's read of its own stack (runtime/history.py)
            return self._stack_reference(str(a.get("name") or "")), []
        if args.token == "gcp:organizations/getProject:getProject":
            project = a.get("projectId") or self.gcp_project
            return {"projectId": project, "number": project_number(project), "name": project,
                    "id": f"projects/{project}"}, []
        if args.token == "gcp:organizations/getClientConfig:getClientConfig":
            return {"project": self.gcp_project, "region": self.gcp_region, "accessToken": "offline",
                    "id": "offline"}, []
        return {**a, "id": a.get("id") or f"{args.token}-result"}, []
