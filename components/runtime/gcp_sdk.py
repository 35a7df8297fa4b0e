"""pulumi-gcp, imported where a Google Cloud resource is about to be created: it is the ``gke`` extra.

An app stack (``KnativeApp``, ``PlatformReference``) creates Google Cloud
resources only for a service whose ``serviceAccount`` acts as a Google service
account; everything else runs on pulumi and pulumi-kubernetes alone, without
pulumi-gcp's 290 MB. The platform's own GKE components import it at the top.
"""

from __future__ import annotations

import importlib
from types import ModuleType

EXTRA_HINT = "install knative-platform[gke] (pulumi-gcp)"


def pulumi_gcp(needed_for: str) -> ModuleType:
    """The ``pulumi_gcp`` module; without it, an error that says what needs it and which extra brings it."""
    try:
        return importlib.import_module("pulumi_gcp")
    except ModuleNotFoundError as exc:
        if exc.name != "pulumi_gcp":
            raise
        raise ModuleNotFoundError(f"{needed_for} creates Google Cloud resources and needs pulumi-gcp: {EXTRA_HINT}",
                                  name="pulumi_gcp") from exc
