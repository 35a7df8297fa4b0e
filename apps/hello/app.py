"""apps/hello: the sample service built from source (docs/build.md).

It answers every GET with one line, ``Hello from source, <TARGET>!``, which a
smoke check can assert after ``knative-platform build`` and ``pulumi up``:
the fixed greeting proves this image runs, ``TARGET`` (a service ``env``)
proves the platform's settings reached it. Knative sets ``PORT``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

GREETING = "Hello from source"


def message(env: Mapping[str, str] = os.environ) -> str:
    """The response body: the greeting and the ``TARGET`` environment variable (``world`` when unset)."""
    return f"{GREETING}, {env.get('TARGET', 'world')}!\n"


class Hello(BaseHTTPRequestHandler):
    """Every GET gets the greeting as plain text."""

    def do_GET(self) -> None:
        """Answer with :func:`message`."""
        body = message().encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


if __name__ == "__main__":
    ThreadingHTTPServer(("", int(os.environ.get("PORT", "8080"))), Hello).serve_forever()
