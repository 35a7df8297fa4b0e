"""Labels every object we author carries, so ``kubectl get -l`` finds the platform's own objects."""

from __future__ import annotations

PART_OF = "knative-platform"


def standard_labels(name: str, component: str | None = None) -> dict[str, str]:
    """``app.kubernetes.io/*`` labels; no versions or timestamps, so renders stay byte-identical."""
    labels = {
        "app.kubernetes.io/managed-by": "pulumi",
        "app.kubernetes.io/name": name,
        "app.kubernetes.io/part-of": PART_OF,
    }
    if component:
        labels["app.kubernetes.io/component"] = component
    return labels
