"""The whole stack: ``PlatformSpec``, the Knative settings, app namespaces, host names, the app-stack contract."""
