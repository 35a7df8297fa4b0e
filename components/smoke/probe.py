"""One request through the gateway, as the recipe's curl lines make it.

Plain http: connect to the gateway address and send the service's host in the ``Host`` header
(``curl -H "Host: <host>" http://<gatewayAddress>``). https: connect to the gateway address, TLS
with SNI = the host and the certificate verified for it
(``curl --resolve <host>:443:<gatewayAddress> https://<host>``).
"""

from __future__ import annotations

import http.client
import socket
import ssl
from dataclasses import dataclass

__all__ = ["Answer", "Gateway", "ProbeError", "tls_context"]

MAX_BODY = 64 * 1024
"""Bytes of a body kept: enough to tell revisions apart, bounded against a misbehaving backend."""


class ProbeError(Exception):
    """No HTTP answer: ``kind`` is ``certificate``, ``tls``, ``timeout`` or ``connection``."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True)
class Answer:
    """An HTTP answer: status and (the start of) the body."""

    status: int
    body: bytes

    @property
    def ok(self) -> bool:
        """2xx."""
        return 200 <= self.status < 300


def tls_context(*, ca_file: str | None, insecure: bool) -> ssl.SSLContext:
    """System CAs (or ``ca_file``), hostname checked; ``insecure`` verifies nothing."""
    if insecure:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    return ssl.create_default_context(cafile=ca_file)


@dataclass(frozen=True)
class Gateway:
    """Where requests go: the gateway's address and ports, and how TLS is verified."""

    address: str
    http_port: int = 80
    https_port: int = 443
    context: ssl.SSLContext | None = None

    def get(self, host: str, path: str = "/", *, https: bool = False, timeout: float = 10.0) -> Answer:
        """``GET path`` with ``Host: host`` through the gateway; :class:`ProbeError` when nothing answers."""
        port = self.https_port if https else self.http_port
        try:
            sock = socket.create_connection((self.address, port), timeout=timeout)
        except TimeoutError:
            raise ProbeError("timeout", f"no connection to {self.address}:{port} within {timeout:g}s") from None
        except OSError as e:
            raise ProbeError("connection", f"cannot connect to {self.address}:{port}: {e.strerror or e}") from None
        try:
            if https:
                sock = self._wrap(sock, host)
            connection = http.client.HTTPConnection(host, port, timeout=timeout)
            connection.sock = sock  # already connected (and wrapped): http.client sends over it as is
            try:
                connection.request("GET", path, headers={"Host": host, "User-Agent": "knative-platform-smoke",
                                                         "Connection": "close"})
                response = connection.getresponse()
                return Answer(response.status, response.read(MAX_BODY))
            except TimeoutError:
                raise ProbeError("timeout", f"no answer from {self.address}:{port} within {timeout:g}s") from None
            except (OSError, http.client.HTTPException) as e:
                raise ProbeError("connection", f"{self.address}:{port} broke the exchange: {e or type(e).__name__}"
                                 ) from None
            finally:
                connection.close()
        finally:
            sock.close()

    def _wrap(self, sock: socket.socket, host: str) -> ssl.SSLSocket:
        context = self.context or tls_context(ca_file=None, insecure=False)
        try:
            return context.wrap_socket(sock, server_hostname=host)
        except ssl.SSLCertVerificationError as e:
            sock.close()
            raise ProbeError("certificate", f"certificate for {host} not valid: {e.verify_message or e}") from None
        except TimeoutError:
            sock.close()
            raise ProbeError("timeout", f"no TLS handshake with {self.address} for {host}") from None
        except (ssl.SSLError, OSError) as e:
            sock.close()
            raise ProbeError("tls", f"TLS handshake for {host} failed: {getattr(e, 'reason', None) or e}") from None
