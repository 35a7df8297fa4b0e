"""The CrossGuard policy pack: ``pulumi preview --policy-pack policy --policy-pack-config policy/config/<stack>.json``.

The rules are in :mod:`platform_policies` (plain Python, unit-tested offline
in tests/test_policy.py); this file only serves them to the Pulumi engine. The
CLI starts a Python pack as ``python -u -m pulumi.policy ... <pack directory>``
with the pack directory as its working directory (pulumi/pulumi
``sdk/python/cmd/pulumi-language-python/main.go``, ``RunPlugin``), so
``platform_policies`` imports from here, in the pack's own ``venv``.
"""

from platform_policies import PACK_NAME, resource_policies
from pulumi_policy import EnforcementLevel, PolicyPack

PolicyPack(name=PACK_NAME, enforcement_level=EnforcementLevel.MANDATORY, policies=resource_policies())
