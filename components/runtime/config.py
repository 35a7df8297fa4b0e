"""Read the stack's ``knative-platform:*`` configuration from Pulumi and build the validated spec.

This is the thin shell around :func:`knative_platform.model.platform.platform.build_platform_spec`: it
lists the config keys Pulumi passed to the program, parses structured values,
reads credentials as Pulumi secrets, and turns any SpecError into a
:class:`~knative_platform.runtime.errors.ConfigError` before a single resource is registered.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi.runtime import config as runtime_config

from ..model.core.config_value import nesting_problem, parse_config_value
from ..model.core.errors import Problem, SpecError
from ..model.platform.cluster_target import cluster_target_problems
from ..model.platform.platform import PlatformSpec, build_platform_spec
from ..model.service.service import Service
from .errors import ConfigError


@dataclass(frozen=True)
class StackConfig:
    """The validated spec plus the credentials that must stay Pulumi secrets."""

    spec: PlatformSpec
    kubeconfig: pulumi.Output[str] | None = None


def _all_config() -> dict[str, Any]:
    """Every config key the program received (set in-process or passed by the language host)."""
    return {**runtime_config.get_config_env(), **runtime_config.CONFIG.get()}


def _secret_keys() -> set[str]:
    keys = set(runtime_config.get_config_secret_keys_env())
    return keys | {k for k in _all_config() if runtime_config.is_config_secret(k)}


def load_stack_config(python_services: Iterable[Service] = ()) -> StackConfig:
    """The stack's validated spec; raises ConfigError (a ``pulumi.RunError``) listing every problem."""
    namespace = pulumi.get_project()
    prefix = f"{namespace}:"
    secret = _secret_keys()
    values: dict[str, Any] = {}
    secret_keys: list[str] = []
    problems: list[Problem] = []
    for full_key, raw in sorted(_all_config().items()):
        if not full_key.startswith(prefix):
            continue
        key = full_key[len(prefix):]
        if full_key in secret:
            secret_keys.append(key)
            values[key] = None  # the value is read below as a secret, never as plain data
            continue
        value = parse_config_value(raw)
        nesting = nesting_problem(value)
        if nesting:
            problems.append(Problem(key, nesting))
        elif value is not None:  # `key: null` says what leaving the key out says
            values[key] = value
    if not any(p.path == "cluster" for p in problems):
        problems += cluster_target_problems(values, secret_keys)
    try:
        spec = build_platform_spec(pulumi.get_stack(), values, python_services, secret_keys)
    except SpecError as error:
        raise ConfigError(SpecError([*problems, *error.problems])) from None
    if problems:
        raise ConfigError(SpecError(problems))
    config = pulumi.Config(namespace)
    kubeconfig = config.get_secret("kubeconfig") if "kubeconfig" in secret_keys else None
    return StackConfig(spec=spec, kubeconfig=kubeconfig)
