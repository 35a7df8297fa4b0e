"""Google Cloud resource arguments, from the typed model: plain dicts for pulumi-gcp. No Pulumi import here.

Not Kubernetes objects (those are in ``manifests/``): the GKE cluster, its network and node pools, the
kubeconfig that reaches it, and the Binary Authorization policy.
"""
