"""The offline render and diff: review a stack's desired state without a cloud or the Pulumi CLI.

Pull requests from forks get no cloud credentials, so ``pulumi preview`` cannot
run for them. ``knative-platform render --stack dev`` runs the real
program in-process under this package's own Pulumi mocks and writes a
deterministic tree (every resource, every Kubernetes object we author, every
pinned upstream bundle). The project's tests use the same machinery.
"""
