"""One request through the gateway, as the recipe's curl lines make it, within a wall-clock deadline.

Plain http: connect to the gateway address and send the service's host in the ``Host`` header
(``curl -H "Host: <host>" http://<gatewayAddress>``). https: connect to the gateway address, TLS
with SNI = the host and the certificate verified for it
(``curl --resolve <host>:443:<gatewayAddress> https://<host>``).

The server on the other end is not the user's to trust. ``timeout`` bounds the whole request,
not each read: every read of the socket gets only what is left of it, so an answer sent one byte
at a time, ``100 Continue`` sent forever, or a body that never ends is cut off when the time is
up. A body shorter than its ``Content-Length`` is a failure, not a truncated success. What the
server sent is only ever quoted shortened and escaped (:func:`quote`).
"""

from __future__ import annotations

import http.client
import io
import socket
import ssl
import time
from dataclasses import dataclass

__all__ = ["Answer", "Gateway", "ProbeError", "tls_context"]

MAX_BODY = 64 * 1024
"""Bytes of a body kept: enough to tell revisions apart, bounded against a misbehaving backend."""
QUOTED = 80
"""The most characters of anything a server sent that a line quotes."""


def quote(text: str | bytes, limit: int = QUOTED) -> str:
    """What a server sent, for one line of output: escaped (``repr``), cut at ``limit`` characters with its length."""
    if isinstance(text, bytes):
        text = text.decode("latin-1")
    shown = repr(text[:limit])
    return shown if len(text) <= limit else f"{shown}… ({len(text):,} characters)"


class _DeadlineReader(io.RawIOBase):
    """A socket's reads, each given only the time left until ``deadline``; :class:`TimeoutError` after it."""

    def __init__(self, sock: socket.socket, deadline: float) -> None:
        super().__init__()
        self._sock, self._deadline = sock, deadline

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("the request's time is up")
        self._sock.settimeout(left)
        return self._sock.recv_into(buffer)


class _DeadlineSocket:
    """What ``http.client`` uses of a socket (send, a reader, close), bounded by one deadline."""

    def __init__(self, sock: socket.socket, deadline: float) -> None:
        self._sock, self._deadline = sock, deadline

    def sendall(self, data: bytes) -> None:
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("the request's time is up")
        self._sock.settimeout(left)
        self._sock.sendall(data)

    def makefile(self, mode: str = "rb", *args: object, **kwargs: object) -> io.BufferedReader:
        return io.BufferedReader(_DeadlineReader(self._sock, self._deadline))

    def close(self) -> None:
        # http.client closes the connection as soon as the headers say "Connection: close", while the
        # response still reads the body through makefile()'s reader; Gateway.get closes the socket after it.
        pass


class ProbeError(Exception):
    """No whole HTTP answer: ``kind`` is ``certificate``, ``tls``, ``timeout``, ``connection`` or ``short``."""

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
        """``GET path`` with ``Host: host`` through the gateway, all of it within ``timeout`` seconds.

        :class:`ProbeError` when nothing answers in time, the exchange breaks, or
        the body ends before its ``Content-Length``.
        """
        deadline = time.monotonic() + timeout
        port = self.https_port if https else self.http_port
        try:
            sock = socket.create_connection((self.address, port), timeout=timeout)
        except TimeoutError:
            raise ProbeError("timeout", f"no connection to {self.address}:{port} within {timeout:g}s") from None
        except OSError as e:
            raise ProbeError("connection", f"cannot connect to {self.address}:{port}: {e.strerror or e}") from None
        try:
            if https:
                sock.settimeout(max(0.001, deadline - time.monotonic()))  # the whole handshake (CPython's _ssl)
                sock = self._wrap(sock, host)
            connection = http.client.HTTPConnection(host, port, timeout=timeout)
            connection.sock = _DeadlineSocket(sock, deadline)
            try:
                connection.request("GET", path, headers={"Host": host, "User-Agent": "knative-platform-smoke",
                                                         "Connection": "close"})
                response = connection.getresponse()
                return Answer(response.status, _body(response))
            except TimeoutError:
                raise ProbeError("timeout", f"no whole answer from {self.address}:{port} within {timeout:g}s"
                                 ) from None
            except http.client.IncompleteRead as e:
                raise ProbeError("short", f"{self.address}:{port} ended the body after {len(e.partial):,} bytes, "
                                          "before its end") from None
            except (OSError, http.client.HTTPException) as e:
                raise ProbeError("connection", f"{self.address}:{port} broke the exchange: {type(e).__name__}"
                                 + (f" {quote(str(e))}" if str(e) else "")) from None
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
            raise ProbeError("certificate", f"certificate for {host} not valid: {quote(str(e.verify_message or e))}"
                             ) from None
        except TimeoutError:
            sock.close()
            raise ProbeError("timeout", f"no TLS handshake with {self.address} for {host}") from None
        except (ssl.SSLError, OSError) as e:
            sock.close()
            raise ProbeError("tls", f"TLS handshake for {host} failed: {quote(str(getattr(e, 'reason', None) or e))}"
                             ) from None


def _body(response: http.client.HTTPResponse) -> bytes:
    """The body's first :data:`MAX_BODY` bytes; :class:`ProbeError` when it ends before its ``Content-Length``."""
    body = response.read(MAX_BODY)
    missing = response.length  # what the Content-Length announced and did not come (None: no length, or chunked)
    if missing and len(body) < MAX_BODY:
        raise ProbeError("short", f"the body ended after {len(body):,} of the {len(body) + missing:,} bytes its "
                                  "Content-Length announced")
    return body
