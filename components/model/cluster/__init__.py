"""Where the platform runs: the GKE cluster, an existing cluster, Binary Authorization."""
