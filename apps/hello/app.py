"""apps/hello: the sample service built from source (docs/build.md).

It answers every GET with one line, ``Hello from source, <TARGET>!``, which a
smoke check can assert after ``knative-platform build`` and ``pulumi up``:
the fixed greeting proves this image runs, ``TARGET`` (a service ``env``)
proves the platform's settings reached it. Knative sets ``PORT``.

It is also an event receiver (docs/eventing.md): a POST carrying a CloudEvent
(binary mode, the ``ce-*`` headers Knative's brokers and sources send) is logged
and kept as the last event of its type, and ``GET /events`` answers them as
JSON, which the smoke check and the kind workflow read to prove delivery.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

GREETING = "Hello from source"
EVENTS_PATH = "/events"
CE_ATTRIBUTES = ("type", "source", "id", "time", "subject")
"""CloudEvents 1.0 attributes kept per event, from the HTTP binding's ``ce-<name>`` headers."""
MAX_TYPES = 100
"""At most this many event types are kept, so a stream of distinct types cannot grow the memory."""

_events: dict[str, dict[str, str]] = {}
_lock = threading.Lock()


def record(headers: Mapping[str, str]) -> dict[str, str] | None:
    """Keep the CloudEvent these headers carry as the last of its type; None when they carry none."""
    event = {name: headers.get(f"ce-{name}", "")[:200] for name in CE_ATTRIBUTES}
    if not event["type"] or not event["source"]:
        return None
    with _lock:
        if event["type"] in _events or len(_events) < MAX_TYPES:
            _events[event["type"]] = {k: v for k, v in event.items() if v}
    return event


def events() -> dict[str, dict[str, str]]:
    """The last event of each type received, by type."""
    with _lock:
        return {t: dict(e) for t, e in sorted(_events.items())}


def message(env: Mapping[str, str] = os.environ) -> str:
    """The response body: the greeting and the ``TARGET`` environment variable (``world`` when unset)."""
    return f"{GREETING}, {env.get('TARGET', 'world')}!\n"


class Hello(BaseHTTPRequestHandler):
    """Every GET gets the greeting as plain text, ``GET /events`` the events received; a POST is an event."""

    def do_GET(self) -> None:
        """Answer with :func:`message`, or the events at :data:`EVENTS_PATH`."""
        if self.path.split("?", 1)[0] == EVENTS_PATH:
            self._answer(200, json.dumps(events()) + "\n", "application/json")
        else:
            self._answer(200, message(), "text/plain; charset=utf-8")

    def do_POST(self) -> None:
        """Take a CloudEvent: log it, keep it; 202 (accepted), or 400 without ``ce-type`` and ``ce-source``."""
        length = min(int(self.headers.get("Content-Length") or 0), 1 << 20)
        self.rfile.read(length)
        event = record({k.lower(): v for k, v in self.headers.items()})
        if event is None:
            self._answer(400, "not a CloudEvent: ce-type and ce-source are required\n", "text/plain; charset=utf-8")
            return
        print(f"event type={event['type']} source={event['source']} id={event['id']}", flush=True)
        self._answer(202, "", "text/plain; charset=utf-8")

    def _answer(self, status: int, text: str, content_type: str) -> None:
        body = text.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


if __name__ == "__main__":
    ThreadingHTTPServer(("", int(os.environ.get("PORT", "8080"))), Hello).serve_forever()
