"""(d) Event delivery in the smoke check: what is visible from outside is checked, the rest skipped with why."""

from __future__ import annotations

import json

import pytest
from test_smoke import DOMAIN, Gateway, fixed, lines, outputs, routes

from knative_platform.smoke.__main__ import main

EVENTS = f"events.default.{DOMAIN}"
SOURCE = "/apis/v1/namespaces/default/pingsources/events-tick"
PING = "dev.knative.sources.ping"


def with_events(schedule: str = "* * * * *", **extra: object) -> dict:
    data = outputs()
    data["serviceUrls"] = {**data["serviceUrls"], "events": f"http://{EVENTS}"}
    data["events"] = {
        "events": {"triggers": {"events-e2e": {"broker": "default", "filter": {"type": "dev.example"}}},
                   "schedules": {"events-tick": {"schedule": schedule, "timezone": "UTC", "type": PING,
                                                 "source": SOURCE}}},
        "greeter": {"triggers": {}, "schedules": {"greeter-nightly": {"schedule": "* * * * *", "type": PING,
                                                                      "source": "/x"}}},
        **extra,
    }
    return data


@pytest.fixture
def smoke(tmp_path, capsys):
    """The command in-process on an outputs file: (exit status, stdout)."""
    def run(data: dict, *args: str) -> tuple[int, str]:
        path = tmp_path / "outputs.json"
        path.write_text(json.dumps(data))
        status = main(["--outputs", str(path), "--requests", "20", *args])
        return status, capsys.readouterr().out
    return run


def received(source: str = SOURCE) -> bytes:
    return json.dumps({PING: {"type": PING, "source": source, "id": "1"}}).encode()


def test_an_every_minute_schedule_is_seen_at_the_services_events(smoke):
    with Gateway({**routes(), EVENTS: fixed(received())}) as gw:
        status, out = smoke(with_events(), "--http-port", str(gw.port))
    assert status == 0, out
    (ok,) = lines(out, "ok   deliver schedule events-tick to events")
    assert f"{PING} from {SOURCE}" in ok
    skipped = lines(out, "skip deliver")
    assert [line.split(" (", 1)[0] for line in skipped] == [
        "skip deliver through trigger events-e2e", "skip deliver schedule greeter-nightly"]
    assert "cluster-internal" in skipped[0] and "greeter is not public" in skipped[1]


def test_an_event_that_never_comes_fails_within_the_deadline(smoke):
    with Gateway({**routes(), EVENTS: fixed(received("/elsewhere"))}) as gw:
        status, out = smoke(with_events(), "--http-port", str(gw.port), "--deadline", "1.5")
    assert status == 1
    (failed,) = lines(out, "FAIL deliver schedule events-tick to events")
    assert f"no {PING} from {SOURCE} yet" in failed


def test_a_service_without_an_events_endpoint_and_a_rare_schedule_are_skipped_never_passed(smoke):
    with Gateway({**routes(), EVENTS: fixed(b"Hello World!\n")}) as gw:
        status, out = smoke(with_events(), "--http-port", str(gw.port))
        rare_status, rare = smoke(with_events("0 3 * * *"), "--http-port", str(gw.port))
    assert status == 0 and rare_status == 0
    (skip,) = lines(out, "skip deliver schedule events-tick")
    assert "does not answer GET /events with JSON" in skip
    (skip,) = lines(rare, "skip deliver schedule events-tick")
    assert "fires at `0 3 * * *`" in skip
    assert lines(out, "ok   deliver") == [] and lines(rare, "ok   deliver") == []
