"""The checks a user would make by hand after ``pulumi up``, each reported as one line.

a) every public URL (service, tag, custom domain) answers 2xx through the gateway, over https with a
   certificate valid for its host; a cold start (scale from zero) is waited for;
b) a traffic split's observed shares are within a tolerance of the declared percents (a blue-green at
   100/0 too: the live colour gets everything, the other nothing);
c) cluster-local services do not answer from outside;
d) where it is visible from outside, a schedule's events reach their service (:mod:`.events`).
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TextIO

from .events import check_events
from .outputs import Plan, Target, TrafficEntry, Url
from .probe import Answer, Gateway, ProbeError

__all__ = ["Clock", "Report", "Settings", "run"]

IDENTICAL = "revisions answer identically: give them different responses, e.g. a different TARGET"


@dataclass(frozen=True)
class Settings:
    """The knobs of one run (the command-line options)."""

    wait: float = 120.0
    timeout: float = 10.0
    requests: int = 200
    tolerance: float = 10.0


class Clock:
    """The whole run's deadline; every wait and timeout is cut to what is left of it."""

    def __init__(self, deadline: float, now: Callable[[], float] = time.monotonic) -> None:
        self._now = now
        self._end = now() + deadline

    def left(self) -> float:
        """Seconds until the deadline (0 when past it)."""
        return max(0.0, self._end - self._now())

    def passed(self) -> bool:
        """Whether the deadline is past."""
        return self.left() <= 0


@dataclass
class Report:
    """Prints one line per finished check and counts them."""

    out: TextIO = field(default_factory=lambda: sys.stdout)
    passed: int = 0
    failed: int = 0
    skipped: int = 0

    def ok(self, line: str) -> None:
        """A check that passed."""
        self.passed += 1
        self._print(f"ok   {line}")

    def fail(self, line: str) -> None:
        """A check that failed."""
        self.failed += 1
        self._print(f"FAIL {line}")

    def skip(self, line: str, reason: str) -> None:
        """A check that could not run, and why."""
        self.skipped += 1
        self._print(f"skip {line} ({reason})")

    def summary(self) -> str:
        """The closing line."""
        return f"{self.passed} passed, {self.failed} failed, {self.skipped} skipped"

    def _print(self, line: str) -> None:
        print(line, file=self.out, flush=True)


def _label(url: Url) -> str:
    return f"{url.service} {url.kind} {url.shown}"


def _reach(gateway: Gateway, url: Url, settings: Settings, clock: Clock) -> tuple[Answer | None, str]:
    """Ask until a 2xx, ``settings.wait`` or the deadline; the answer and what happened."""
    start = time.monotonic()
    pause, attempts, last = 0.2, 0, "no attempt"
    while True:
        left = clock.left()
        if left <= 0:
            return None, f"deadline: the run's --deadline passed ({last})"
        attempts += 1
        try:
            answer = gateway.get(url.host, url.path, https=url.https, timeout=min(settings.timeout, left))
        except ProbeError as e:
            last = str(e)
        else:
            if answer.ok:
                return answer, f"{answer.status} after {time.monotonic() - start:.1f}s, {attempts} attempt(s)"
            last = f"HTTP {answer.status}"
        waited = time.monotonic() - start
        if waited >= settings.wait:
            return None, f"{last}; still failing after {waited:.1f}s and {attempts} attempt(s) (--wait)"
        time.sleep(max(0.0, min(pause, settings.wait - waited, clock.left())))
        pause = min(pause * 2, 2.0)


def check_public(gateway: Gateway, urls: list[Url], settings: Settings, clock: Clock,
                 report: Report) -> dict[str, bytes]:
    """(a) Every public URL answers 2xx; returns each answered URL's body."""
    bodies: dict[str, bytes] = {}
    for url in urls:
        answer, how = _reach(gateway, url, settings, clock)
        if answer is None:
            report.fail(f"reach {_label(url)}: {how}")
            continue
        bodies[url.url] = answer.body
        certificate = " (certificate NOT verified: --insecure)" if url.https and _insecure(gateway) else ""
        report.ok(f"reach {_label(url)}: {how}{certificate}")
    return bodies


def _insecure(gateway: Gateway) -> bool:
    return gateway.context is not None and not gateway.context.check_hostname


def check_cluster_local(gateway: Gateway, targets: list[Target], settings: Settings, clock: Clock,
                        report: Report) -> None:
    """(c) A cluster-local service answers nothing but an error from outside (404 expected), over http."""
    for target in targets:
        line = f"unreachable {target.service} from outside, Host {target.host} ({target.why})"
        left = clock.left()
        if left <= 0:
            report.fail(f"{line}: deadline: the run's --deadline passed")
            continue
        try:
            answer = gateway.get(target.host, "/", timeout=min(settings.timeout, left))
        except ProbeError as e:
            report.fail(f"{line}: the gateway did not answer, so this cannot be shown: {e}")
            continue
        if answer.ok:
            report.fail(f"{line}: HTTP {answer.status} through the external gateway; it must not answer 2xx")
        else:
            report.ok(f"{line}: HTTP {answer.status}")


def _split_targets(entries: list[TrafficEntry]) -> tuple[dict[str, int], dict[str, list[str]], list[str]]:
    """Declared percent per target, each target's tags, and the untagged targets that get traffic."""
    declared: dict[str, int] = {}
    tags: dict[str, list[str]] = {}
    for entry in entries:
        declared[entry.target] = declared.get(entry.target, 0) + entry.percent
        tags.setdefault(entry.target, [])
        if entry.tag:
            tags[entry.target].append(entry.tag)
    return declared, tags, [t for t, ts in tags.items() if not ts and declared[t] > 0]


def check_split(gateway: Gateway, service: str, main: Url, entries: list[TrafficEntry],
                tag_urls: dict[str, Url], bodies: dict[str, bytes], settings: Settings, clock: Clock,
                report: Report) -> None:
    """(b) Over ``settings.requests`` requests, each target's share is within the tolerance of its percent."""
    line = f"split {service} over {settings.requests} requests to {main.shown}"
    declared, tags, untagged = _split_targets(entries)
    rest = untagged[0] if len(untagged) == 1 else None  # "the one left": the body no tag URL gives
    if len(untagged) > 1:
        report.skip(line, f"{len(untagged)} untagged targets with traffic ({', '.join(untagged)}) cannot be told "
                          "apart: give each a tag")
        return
    signature: dict[bytes, str] = {}
    for target, target_tags in tags.items():
        for tag in target_tags:
            url = tag_urls.get(tag)
            if url is None:
                report.skip(line, f"no tag URL for tag {tag} in the outputs")
                return
            if url.url not in bodies:
                report.skip(line, f"tag URL {url.shown} did not answer (see its reach line)")
                return
            body = bodies[url.url]
            if signature.setdefault(body, target) != target:
                report.skip(line, f"{signature[body]} and {target}: {IDENTICAL}")
                return
    observed: Counter[str] = Counter()
    for _ in range(settings.requests):
        left = clock.left()
        if left <= 0:
            report.fail(f"{line}: deadline: the run's --deadline passed after {sum(observed.values())} requests")
            return
        try:
            answer = gateway.get(main.host, main.path, https=main.https, timeout=min(settings.timeout, left))
        except ProbeError as e:
            observed[f"no answer ({e.kind})"] += 1
            continue
        if not answer.ok:
            observed[f"HTTP {answer.status}"] += 1
        elif answer.body in signature:
            observed[signature[answer.body]] += 1
        elif rest is not None:
            observed[rest] += 1
        else:
            observed["an unknown body"] += 1
    hint = ""
    if rest is not None and observed[rest] == 0:
        hint = f" ({rest} is known only as the body no tag URL gives: if it answers like a tagged one, {IDENTICAL})"
    _judge(line, declared, observed, settings, report, hint)


def _judge(line: str, declared: dict[str, int], observed: Counter[str], settings: Settings, report: Report,
           hint: str) -> None:
    total = sum(observed.values()) or 1
    parts, wrong = [], []
    for target in [*declared, *(k for k in observed if k not in declared)]:
        want = declared.get(target, 0)
        got = 100.0 * observed[target] / total
        parts.append(f"{target} declared {want}% observed {got:.1f}%")
        if abs(got - want) > settings.tolerance:
            wrong.append(target)
    text = "; ".join(parts)
    if wrong:
        report.fail(f"{line}: {text}; off by more than {settings.tolerance:g} points: {', '.join(wrong)}{hint}")
    else:
        report.ok(f"{line}: {text} (tolerance {settings.tolerance:g} points)")


def run(plan: Plan, gateway: Gateway, settings: Settings, clock: Clock, report: Report) -> None:
    """All checks, in order: skips the outputs imply, (a) reach, (c) not reachable, (b) splits."""
    for check, reason in plan.skips:
        report.skip(check, reason)
    bodies = check_public(gateway, plan.public, settings, clock, report)
    check_cluster_local(gateway, plan.cluster_local, settings, clock, report)
    for service, entries in plan.splits.items():
        urls = [u for u in plan.public if u.service == service]
        main = next(u for u in urls if u.kind == "url")
        tag_urls = {u.kind.removeprefix("tag "): u for u in urls if u.kind.startswith("tag ")}
        check_split(gateway, service, main, entries, tag_urls, bodies, settings, clock, report)
    check_events(gateway, plan.events, settings, clock, report)
