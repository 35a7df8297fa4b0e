"""The Pulumi program's shell around the components: stack config, errors, pulumi-gcp loading, stack history.

Not components themselves: what a program and its components share at run time.
"""
