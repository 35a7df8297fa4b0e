"""``knative-platform build``: source services' images, built before ``pulumi up`` and recorded by digest.

:mod:`knative_platform.model.source.fingerprint` hashes a service's source offline (the program
computes the same); :mod:`.oci` asks a registry which image a tag names; :mod:`.credentials` finds the
registry logins; :mod:`.builders` drives buildah, docker buildx or Cloud Build; :mod:`.stackconfig` reads
the stack's source services and records the images in its stack file; :mod:`.run` ties them together per
service; :mod:`.promote` copies another stack's images by digest; ``python -m <package>.imagebuild`` is
the command line.
Nothing here imports Pulumi: the program only reads what the build recorded.
"""
