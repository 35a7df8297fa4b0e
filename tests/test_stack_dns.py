"""Every public URL a stack exports resolves to its gateway (issue 18, M2).

A stack on a real domain writes the DNS records for it (``cluster.dns``); one
on sslip.io needs none (the name carries the address). An app stack's URLs
live under its platform's domain, so the platform's records must cover them.
Custom domains (``domains``) are the operator's records, as documented.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from conftest import STACKS, committed, committed_team_app

from knative_platform.offline.engine import Capture

RECORD_SET = "gcp:dns/recordSet:RecordSet"


def public_hosts(outputs: dict) -> set[str]:
    """The hosts of the ``serviceUrls`` and ``tagUrls`` a stack exports, cluster-local ones left out."""
    urls = [*outputs.get("serviceUrls", {}).values()]
    urls += [url for tags in outputs.get("tagUrls", {}).values() for url in tags.values()]
    hosts = {urlsplit(url).hostname for url in urls}
    return {h for h in hosts if h and not h.endswith(".svc.cluster.local")}


def covered(host: str, capture: Capture) -> bool:
    """Whether one of the stack's A records answers for ``host`` with the gateway's address."""
    address = capture.outputs.get("gatewayAddress")
    for record in capture.by_type(RECORD_SET):
        name, data = record.inputs["name"].rstrip("."), record.inputs["rrdatas"]
        if record.inputs["type"] != "A" or data != [address]:
            continue
        if host == name or (name.startswith("*.") and host.endswith(name[1:])):
            return True
    return False


def resolvable(host: str, capture: Capture) -> bool:
    return host.endswith(".sslip.io") or host.endswith(".nip.io") or covered(host, capture)


@pytest.mark.parametrize("stack", STACKS)
def test_every_url_a_shipped_stack_exports_resolves_to_its_gateway(stack):
    capture = committed(stack)
    hosts = public_hosts(capture.outputs)
    assert hosts, "each shipped stack exports at least one public URL"
    assert sorted(h for h in hosts if not resolvable(h, capture)) == []


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_url_of_an_app_stack_resolves_through_its_platforms_records(stack):
    app = committed_team_app(stack)
    platform = committed(stack)
    assert app.outputs["platformStack"] == f"organization/knative-platform/{stack}"
    hosts = public_hosts(app.outputs)
    assert hosts
    assert sorted(h for h in hosts if not resolvable(h, platform)) == []


def test_each_environment_writes_its_records_in_its_own_zone_and_project():
    zones = {}
    for stack in ("dev", "staging", "prod"):
        (record,) = [r for r in committed(stack).by_type(RECORD_SET) if r.inputs["name"].startswith("*.")
                     and r.inputs["name"] == f"*.{committed(stack).outputs['domain']}."]
        zones[stack] = (record.inputs["project"], record.inputs["managedZone"])
    assert len(set(zones.values())) == 3, zones
    assert all(project == f"knative-platform-{stack}" for stack, (project, _) in zones.items())
