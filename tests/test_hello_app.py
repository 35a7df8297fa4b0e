"""apps/hello, the sample source service: its one line is what a smoke check asserts after a deploy."""

from __future__ import annotations

import importlib.util
import json
import threading
import urllib.error
import urllib.request
from http.server import ThreadingHTTPServer

from conftest import ROOT

from knative_platform.model.source.fingerprint import list_files
from knative_platform.model.source.source import Source, source_location_problems

APP = ROOT / "apps" / "hello"


def load_app():
    spec = importlib.util.spec_from_file_location("hello_app", APP / "app.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_it_answers_with_the_greeting_and_its_target(monkeypatch):
    app = load_app()
    monkeypatch.setenv("TARGET", "platform")
    server = ThreadingHTTPServer(("127.0.0.1", 0), app.Hello)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{server.server_port}/anything", timeout=5) as response:
            assert response.status == 200
            assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
            assert response.read().decode() == "Hello from source, platform!\n"
    finally:
        server.shutdown()
        server.server_close()
    assert app.message({}) == "Hello from source, world!\n"


def test_it_is_a_valid_source_whose_image_runs_as_a_numeric_non_root_user():
    found: list[str] = []
    source_location_problems(Source(path="apps/hello"), ROOT, lambda k, m: found.append(f"{k}: {m}"),
                             [ROOT / "stacks"])
    assert found == []
    assert {"Dockerfile", "app.py"} <= set(list_files(APP))
    dockerfile = (APP / "Dockerfile").read_text()
    assert "USER 65532:65532" in dockerfile and 'CMD ["python", "/app/app.py"]' in dockerfile


def test_it_keeps_the_last_cloudevent_of_each_type_and_answers_them_at_events():
    app = load_app()
    server = ThreadingHTTPServer(("127.0.0.1", 0), app.Hello)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"

    def post(headers):
        request = urllib.request.Request(base + "/", data=b'{"message": "ping"}', method="POST", headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    try:
        ping = {"ce-specversion": "1.0", "ce-type": "dev.knative.sources.ping", "ce-id": "1",
                "ce-source": "/apis/v1/namespaces/default/pingsources/hello-tick"}
        assert post(ping) == 202
        assert post({**ping, "ce-id": "2"}) == 202
        assert post({"Content-Type": "application/json"}) == 400  # no CloudEvent
        with urllib.request.urlopen(base + "/events", timeout=5) as response:
            assert response.headers["Content-Type"] == "application/json"
            assert json.loads(response.read()) == {"dev.knative.sources.ping": {
                "type": "dev.knative.sources.ping", "id": "2",
                "source": "/apis/v1/namespaces/default/pingsources/hello-tick"}}
    finally:
        server.shutdown()
        server.server_close()
