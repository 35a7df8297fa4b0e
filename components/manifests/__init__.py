"""Pure renderers: spec objects in, Kubernetes objects (plain dicts) out. No Pulumi import here.

Every object the platform authors is built here, deterministically, so tests,
the offline render and reviewers all see exactly what ``pulumi up`` will apply.
"""
