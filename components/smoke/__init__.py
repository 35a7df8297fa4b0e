"""Smoke-check a deployed platform stack from outside: ``knative-platform smoke --stack local``.

It reads the stack's outputs (``pulumi stack output --json``, or ``--outputs FILE``) and checks
what a user would check by hand with the recipe's ``curl -H "Host: …" http://<gatewayAddress>``:
every public URL answers, a split's observed shares match the declared percents, cluster-local
services are not reachable from outside, https hosts present a valid certificate. Standard library
only (no Pulumi): it runs wherever the stack's outputs and the gateway are reachable.
"""

from __future__ import annotations

from .checks import Clock, Report, Settings, run
from .outputs import InputError, Plan, load_outputs, plan
from .probe import Answer, Gateway, ProbeError, tls_context

__all__ = ["Answer", "Clock", "Gateway", "InputError", "Plan", "ProbeError", "Report", "Settings", "load_outputs",
           "plan", "run", "tls_context"]
