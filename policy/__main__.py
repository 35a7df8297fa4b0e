"""The CrossGuard policy pack: ``pulumi preview --policy-pack policy --policy-pack-config policy/config/<stack>.json``.

The rules are in :mod:`platform_policies` (plain Python, unit-tested offline
in tests/test_policy.py); this file only serves them to the Pulumi engine.
"""

from platform_policies import PACK_NAME, resource_policies
from pulumi_policy import EnforcementLevel, PolicyPack

PolicyPack(name=PACK_NAME, enforcement_level=EnforcementLevel.MANDATORY, policies=resource_policies())
