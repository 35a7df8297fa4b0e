"""(d) Event delivery, where it can be seen from outside the cluster (docs/eventing.md, "Checking delivery").

The platform's ``events`` output lists each service's triggers and schedules. From outside, the smoke check
can see an event only if the receiving service is public and tells what it received: ``GET /events``
answering JSON ``{<type>: {"source": ..., ...}}``, as the sample app ``apps/hello`` does. So:

* a schedule firing every minute (``* * * * *``) on a public service is waited for (bounded: at least
  70 s, one firing and its delivery, at most the run's ``--deadline``) until ``/events`` shows an event of
  type ``dev.knative.sources.ping`` from that PingSource;
* a schedule firing less often is skipped: its next event may be hours away;
* a trigger is skipped: a broker's ingress (``broker-ingress.knative-eventing.svc``) is cluster-internal,
  so nothing outside can send it an event (the kind workflow posts one through ``kubectl port-forward``);
* a service that does not answer ``/events`` with JSON is skipped with that reason, never passed.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .outputs import Plan, Url
from .probe import Gateway, ProbeError

if TYPE_CHECKING:
    from .checks import Clock, Report, Settings

EVENTS_PATH = "/events"
EVERY_MINUTE = "* * * * *"
MIN_WAIT = 70.0
"""A minute for the next firing, and ten seconds for its delivery (a cold start included)."""


@dataclass(frozen=True)
class EventCheck:
    """One schedule whose events a public service must show at ``/events``."""

    url: Url
    name: str
    type: str
    source: str


def add_event_checks(outputs: Mapping[str, Any], plan: Plan) -> list[EventCheck]:
    """The checks the ``events`` output allows; what it does not, as skip lines in ``plan.skips``."""
    events = outputs.get("events")
    if not isinstance(events, Mapping):
        return []
    mains = {u.service: u for u in plan.public if u.kind == "url"}
    checks: list[EventCheck] = []
    for service, entry in sorted(events.items()):
        entry = entry if isinstance(entry, Mapping) else {}
        for name in sorted(entry.get("triggers") or {}):
            plan.skips.append((f"deliver through trigger {name}", "a broker's ingress is cluster-internal: no "
                                                                  "event can be sent to it from outside"))
        for name, schedule in sorted((entry.get("schedules") or {}).items()):
            schedule = schedule if isinstance(schedule, Mapping) else {}
            line = f"deliver schedule {name}"
            if service not in mains:
                plan.skips.append((line, f"{service} is not public: its {EVENTS_PATH} cannot be read from outside"))
            elif schedule.get("schedule") != EVERY_MINUTE:
                plan.skips.append((line, f"it fires at `{schedule.get('schedule')}`: the next event may be hours "
                                         f"away; only `{EVERY_MINUTE}` is waited for"))
            else:
                checks.append(EventCheck(mains[service], str(name), str(schedule.get("type")),
                                         str(schedule.get("source"))))
    return checks


def _received(body: bytes, event_type: str) -> Mapping[str, Any] | bool | None:
    """The last event of ``event_type`` in a ``/events`` answer; None: not yet; False: not such an answer."""
    try:
        events = json.loads(body)
    except ValueError:
        return False
    if not isinstance(events, dict):
        return False
    event = events.get(event_type)
    return event if isinstance(event, Mapping) else None


def check_events(gateway: Gateway, checks: list[EventCheck], settings: Settings, clock: Clock,
                 report: Report) -> None:
    """(d) Each every-minute schedule's event reaches its service, within a bounded wait."""
    for check in checks:
        line = f"deliver schedule {check.name} to {check.url.service}"
        start, last = time.monotonic(), "no answer"
        while clock.left() > 0 and time.monotonic() - start < max(settings.wait, MIN_WAIT):
            try:
                answer = gateway.get(check.url.host, EVENTS_PATH, https=check.url.https,
                                     timeout=min(settings.timeout, clock.left()))
            except ProbeError as e:  # retried until the wait ends
                last = str(e)
            else:
                event = _received(answer.body, check.type) if answer.ok else None
                if event is False:
                    report.skip(line, f"{check.url.service} does not answer GET {EVENTS_PATH} with JSON "
                                      "(apps/hello does): delivery is not visible from outside")
                    break
                if isinstance(event, Mapping) and event.get("source") == check.source:
                    report.ok(f"{line}: {check.type} from {check.source} after {time.monotonic() - start:.0f}s")
                    break
                last = f"HTTP {answer.status}, no {check.type} from {check.source} yet"
            time.sleep(max(0.0, min(5.0, clock.left())))
        else:
            report.fail(f"{line}: {last} after {time.monotonic() - start:.0f}s")
