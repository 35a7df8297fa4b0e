"""Automatic TLS: the ``tls`` settings, the certificates, which names they cover, the rules across a stack."""
