"""The typed model: what a stack declares, as typed values, with its validation. No Pulumi import here.

Everything a stack deploys is first a value of these types. Values come from
stack config (:func:`~knative_platform.model.platform.platform.build_platform_spec`)
or from Python declarations, and both paths meet the same validation, so an app
team sees ``services.api.traffic: percents sum to 90, must be 100`` before
anything touches a cloud.

One folder per concept; import each name from its module:

- ``core/``: shared machinery: config paths and problems (``errors``), decoding
  stack-config data into typed values (``decode``), bounds, names, units, paths;
- ``service/``: one app service: ``Service``, its traffic policies, autoscaling,
  containers, identity (``ServiceAccount``);
- ``revisions/``: revisions across deployments: the plan and the record a stack keeps;
- ``source/``: services built from source: ``Source`` and the image registry;
- ``cluster/``: where the platform runs: the GKE cluster, an existing cluster,
  Binary Authorization;
- ``tls/``: automatic TLS: certificates, which names they cover, the rules across a stack;
- ``eventing/``: Knative Eventing: brokers, sources, triggers, schedules and the webhook's rules;
- ``platform/``: the whole stack (``PlatformSpec``, ``build_platform_spec``), the
  platform team's Knative settings, app namespaces, host names, the platform's
  contract with app stacks;
- ``schema``: the stack file's JSON Schema, generated from this model.
"""
