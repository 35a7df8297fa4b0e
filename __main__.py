"""knative-platform: one stack is one environment (local, dev, staging, prod).

Load the stack's validated spec (stack config + the Python declarations in
``stacks/``), build the platform, export what other stacks and people need.
Bad configuration stops here with a ConfigError naming the key and the fix,
before any resource is registered.
"""

import pulumi

from knative_platform import Platform, PlatformArgs
from knative_platform.runtime.config import load_stack_config
from stacks.services import services_for

stack_config = load_stack_config(python_services=services_for(pulumi.get_stack()))
platform = Platform("platform", PlatformArgs(spec=stack_config.spec, kubeconfig=stack_config.kubeconfig))

for key, value in platform.stack_outputs().items():
    pulumi.export(key, value)
