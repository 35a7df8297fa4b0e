"""``python -m knative_platform.smoke`` against a fake gateway on 127.0.0.1 that routes by Host header.

The fake plays what Knative programs into the gateway: a tag host answers its revision's body, the
main host splits between revisions by the declared weights (a seeded RNG), a host with no route
answers 404 (as Kourier and kgateway do), so cluster-local services are 404 from outside.
"""

from __future__ import annotations

import json
import random
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import trustme
from conftest import ROOT

from knative_platform.smoke.__main__ import build_parser, main

DOMAIN = "example.test"
MAIN = f"helloworld-go.default.{DOMAIN}"
STABLE, CANARY = f"stable-helloworld-go.default.{DOMAIN}", f"canary-helloworld-go.default.{DOMAIN}"
CUSTOM = "hello.example.test"
LOCAL = "greeter.default.svc.cluster.local"
LOCAL_PUBLIC = f"greeter.default.{DOMAIN}"
V1, V2 = b"Hello Knative v1!\n", b"Hello Knative v2!\n"

Route = Callable[[], tuple[int, bytes]]


def fixed(body: bytes, status: int = 200) -> Route:
    return lambda: (status, body)


def split(weights: dict[bytes, int], seed: int = 14) -> Route:
    rng, lock = random.Random(seed), threading.Lock()
    bodies, percents = list(weights), list(weights.values())

    def route() -> tuple[int, bytes]:
        with lock:
            return 200, rng.choices(bodies, percents)[0]
    return route


def cold(route: Route, failures: int) -> Route:
    """503 for the first ``failures`` requests (a revision scaling from zero), then ``route``."""
    left = [failures]

    def answer() -> tuple[int, bytes]:
        if left[0] > 0:
            left[0] -= 1
            return 503, b"no healthy upstream"
        return route()
    return answer


def routes(**overrides: Route | None) -> dict[str, Route]:
    """What Knative would program for the canary below: 80% v1 (stable), 20% v2 (canary)."""
    table: dict[str, Route | None] = {MAIN: split({V1: 80, V2: 20}), STABLE: fixed(V1), CANARY: fixed(V2),
                                      CUSTOM: split({V1: 80, V2: 20}, seed=15)}
    names = {"main": MAIN, "stable": STABLE, "canary": CANARY, "custom": CUSTOM, "local": LOCAL,
             "local_public": LOCAL_PUBLIC}
    table.update({names[k]: v for k, v in overrides.items()})
    return {host: route for host, route in table.items() if route is not None}


def outputs(scheme: str = "http", **overrides: object) -> dict:
    """A platform stack's outputs (the shape of tests/golden/staging/stack.yaml) on the fake's hosts."""
    data = {
        "gatewayAddress": "127.0.0.1", "domain": DOMAIN, "domainTemplate": "{{.Name}}.{{.Namespace}}.{{.Domain}}",
        "https": scheme == "https", "kubeconfig": "[secret]",
        "serviceUrls": {"helloworld-go": f"{scheme}://{MAIN}", "greeter": f"http://{LOCAL}"},
        "tagUrls": {"helloworld-go": {"stable": f"{scheme}://{STABLE}", "canary": f"{scheme}://{CANARY}"},
                    "greeter": {}},
        "domainUrls": {"helloworld-go": {CUSTOM: f"{scheme}://{CUSTOM}"}, "greeter": {}},
        "revisions": {"helloworld-go": "helloworld-go-v2", "greeter": None},
        "traffic": {
            "helloworld-go": [{"revisionName": "helloworld-go-v1", "percent": 80, "tag": "stable"},
                              {"latestRevision": True, "percent": 20, "tag": "canary"}],
            "greeter": [{"latestRevision": True, "percent": 100}],
        },
    }
    data.update(overrides)
    return data


class Gateway:
    """A ThreadingHTTPServer on an ephemeral 127.0.0.1 port, answering each Host with its route."""

    def __init__(self, table: dict[str, Route], context: ssl.SSLContext | None = None) -> None:
        self.hosts: list[str] = []
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                host = (self.headers.get("Host") or "").split(":")[0]
                gateway.hosts.append(host)
                status, body = table[host]() if host in table else (404, b"no route for this host\n")
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        if context is not None:
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.01},
                                       daemon=True)

    def __enter__(self) -> Gateway:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@contextmanager
def https_gateway(ca: trustme.CA, table: dict[str, Route], *hosts: str) -> Iterator[Gateway]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(*hosts).configure_cert(context)
    with Gateway(table, context) as gateway:
        yield gateway


@pytest.fixture
def smoke(tmp_path, capsys):
    """Run the command in-process on an outputs file; (exit status, stdout, stderr)."""
    def run(data: dict, *args: str) -> tuple[int, str, str]:
        path = tmp_path / "outputs.json"
        path.write_text(json.dumps(data))
        status = main(["--outputs", str(path), "--requests", "100", *args])  # later options win
        out, err = capsys.readouterr()
        return status, out, err
    return run


def lines(out: str, prefix: str) -> list[str]:
    return [line for line in out.splitlines() if line.startswith(prefix)]


# -- plain http ------------------------------------------------------------------------------------

def test_a_healthy_canary_passes_every_check(smoke):
    with Gateway(routes()) as gw:
        status, out, _ = smoke(outputs(), "--http-port", str(gw.port), "--requests", "200")
    assert status == 0, out
    assert out.splitlines()[-1] == "7 passed, 0 failed, 0 skipped"
    assert len(lines(out, "ok   reach ")) == 4  # main, two tags, the custom domain
    (split_line,) = lines(out, "ok   split helloworld-go")
    assert "helloworld-go-v1 declared 80% observed" in split_line
    assert "helloworld-go-v2 declared 20% observed" in split_line
    assert len(lines(out, "ok   unreachable greeter")) == 2
    assert LOCAL in gw.hosts and LOCAL_PUBLIC in gw.hosts  # both asked, both 404
    assert gw.hosts.count(MAIN) == 1 + 200


@pytest.mark.parametrize(("case", "table", "expected"), [
    ("the split is off", routes(main=split({V1: 50, V2: 50})),
     "FAIL split helloworld-go over 100 requests"),
    ("a tag URL is down", routes(canary=None), f"FAIL reach helloworld-go tag canary http://{CANARY}: HTTP 404"),
    ("the custom domain is not routed", routes(custom=None), f"FAIL reach helloworld-go domain http://{CUSTOM}"),
    ("a cluster-local service answers outside", routes(local=fixed(b"hi")),
     f"FAIL unreachable greeter from outside, Host {LOCAL} (its cluster-local host): HTTP 200"),
    ("its public twin answers", routes(local_public=fixed(b"hi")),
     f"FAIL unreachable greeter from outside, Host {LOCAL_PUBLIC}"),
    ("the split serves a third body", routes(main=split({V1: 70, V2: 15, b"v3": 15})),
     "an unknown body declared 0% observed"),
])
def test_each_defect_is_a_failure_and_exit_1(smoke, case, table, expected):
    with Gateway(table) as gw:
        status, out, _ = smoke(outputs(), "--http-port", str(gw.port), "--wait", "0")
    assert status == 1, case
    assert any(line.startswith(expected) or expected in line for line in lines(out, "FAIL")), out
    assert ", 0 failed," not in out.splitlines()[-1]


def test_a_wrong_split_prints_declared_and_observed_shares(smoke):
    with Gateway(routes(main=split({V1: 50, V2: 50}))) as gw:
        status, out, _ = smoke(outputs(), "--http-port", str(gw.port), "--tolerance", "10")
    (line,) = lines(out, "FAIL split")
    assert status == 1
    assert "helloworld-go-v1 declared 80% observed 4" in line or "helloworld-go-v1 declared 80% observed 5" in line
    assert "off by more than 10 points: helloworld-go-v1, helloworld-go-v2" in line


def test_a_cold_start_is_waited_for(smoke):
    with Gateway(routes(stable=cold(fixed(V1), failures=1))) as gw:
        status, out, _ = smoke(outputs(), "--http-port", str(gw.port), "--wait", "5")
    assert status == 0, out
    (line,) = lines(out, f"ok   reach helloworld-go tag stable http://{STABLE}")
    assert "2 attempt(s)" in line


def test_the_one_untagged_target_is_the_body_no_tag_url_gives(smoke):
    traffic = {"helloworld-go": [{"revisionName": "helloworld-go-v1", "percent": 80, "tag": "stable"},
                                 {"latestRevision": True, "percent": 20}]}
    data = outputs(traffic=traffic, tagUrls={"helloworld-go": {"stable": f"http://{STABLE}"}})
    with Gateway(routes()) as gw:
        status, out, _ = smoke(data, "--http-port", str(gw.port))
    assert status == 0, out
    (line,) = lines(out, "ok   split")
    assert "helloworld-go-v2 declared 20% observed" in line  # `revisions` names the latest revision


@pytest.mark.parametrize(("case", "traffic", "tag_urls", "reason"), [
    ("identical answers", None, None, "revisions answer identically: give them different responses"),
    ("two untagged targets", [{"revisionName": "a", "percent": 50}, {"revisionName": "b", "percent": 50}], {},
     "2 untagged targets with traffic (a, b) cannot be told apart: give each a tag"),
])
def test_a_split_that_cannot_be_told_apart_is_skipped_with_the_reason(smoke, case, traffic, tag_urls, reason):
    data = outputs()
    if traffic is not None:
        data["traffic"]["helloworld-go"] = traffic
        data["tagUrls"]["helloworld-go"] = tag_urls
    with Gateway(routes(canary=fixed(V1))) as gw:
        status, out, _ = smoke(data, "--http-port", str(gw.port))
    (line,) = lines(out, "skip split helloworld-go")
    assert reason in line, case
    assert status == 0


def test_a_zero_percent_target_must_get_nothing(smoke):
    blue_green = [{"revisionName": "helloworld-go-v1", "percent": 100, "tag": "stable"},
                  {"revisionName": "helloworld-go-v2", "percent": 0, "tag": "canary"}]
    data = outputs()
    data["traffic"]["helloworld-go"] = blue_green
    with Gateway(routes(main=fixed(V1))) as gw:
        status, out, _ = smoke(data, "--http-port", str(gw.port))
    (line,) = lines(out, "ok   split")  # a blue-green: the live colour gets it all
    assert status == 0 and "helloworld-go-v2 declared 0% observed 0.0%" in line
    with Gateway(routes(main=fixed(V2))) as gw:  # the flip happened on the gateway, not in the outputs
        status, out, _ = smoke(data, "--http-port", str(gw.port))
    (line,) = lines(out, "FAIL split")
    assert status == 1 and "helloworld-go-v1 declared 100% observed 0.0%" in line
    data["traffic"]["helloworld-go"] = [*blue_green, {"revisionName": "helloworld-go-v3", "percent": 0}]
    data["traffic"]["helloworld-go"][0]["percent"] = 50
    data["traffic"]["helloworld-go"][1]["percent"] = 50
    with Gateway(routes(main=fixed(V1))) as gw:
        status, out, _ = smoke(data, "--http-port", str(gw.port))
    (line,) = lines(out, "FAIL split")
    assert "helloworld-go-v2 declared 50% observed 0.0%" in line


# -- https -----------------------------------------------------------------------------------------

HTTPS_HOSTS = (MAIN, STABLE, CANARY, CUSTOM)


def https_args(gw_http: Gateway, gw_https: Gateway, *extra: str) -> list[str]:
    return ["--http-port", str(gw_http.port), "--https-port", str(gw_https.port), "--wait", "0", *extra]


def test_https_urls_present_a_certificate_valid_for_their_host(smoke, tmp_path):
    ca = trustme.CA()
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    with Gateway(routes()) as plain, https_gateway(ca, routes(), *HTTPS_HOSTS) as tls:
        status, out, _ = smoke(outputs("https"), *https_args(plain, tls, "--ca-file", str(tmp_path / "ca.pem")))
    assert status == 0, out
    assert len(lines(out, "ok   reach ")) == 4
    assert lines(out, "ok   split") and len(lines(out, "ok   unreachable")) == 2  # cluster-local: over http
    assert "NOT verified" not in out


def test_a_certificate_for_another_host_fails_with_the_reason(smoke, tmp_path):
    ca = trustme.CA()
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    with Gateway(routes()) as plain, https_gateway(ca, routes(), MAIN, STABLE, CUSTOM) as tls:
        status, out, _ = smoke(outputs("https"), *https_args(plain, tls, "--ca-file", str(tmp_path / "ca.pem")))
    assert status == 1
    (line,) = lines(out, "FAIL reach")
    assert line.startswith(f"FAIL reach helloworld-go tag canary https://{CANARY}: certificate for {CANARY} not valid")
    assert "mismatch" in line.lower()
    assert "skip split" in out  # its body is unknown, so the split cannot be judged


def test_an_unknown_ca_fails_and_insecure_says_it_verified_nothing(smoke):
    ca = trustme.CA()  # not in the system store, and no --ca-file
    with Gateway(routes()) as plain, https_gateway(ca, routes(), *HTTPS_HOSTS) as tls:
        status, out, _ = smoke(outputs("https"), *https_args(plain, tls))
        assert status == 1 and len(lines(out, "FAIL reach")) == 4
        assert all("not valid" in line for line in lines(out, "FAIL reach"))
        status, out, _ = smoke(outputs("https"), *https_args(plain, tls, "--insecure"))
    assert status == 0, out
    assert all(line.endswith("(certificate NOT verified: --insecure)") for line in lines(out, "ok   reach"))


# -- bounded time, bad input -----------------------------------------------------------------------

def test_the_deadline_bounds_the_run_and_fails_what_is_left(smoke):
    with Gateway(routes(main=None)) as gw:
        start = time.monotonic()
        status, out, _ = smoke(outputs(), "--http-port", str(gw.port), "--wait", "120", "--deadline", "0.3")
    assert time.monotonic() - start < 3
    assert status == 1
    assert lines(out, f"FAIL reach helloworld-go url http://{MAIN}: deadline")
    assert all("deadline" in line for line in lines(out, "FAIL"))


@pytest.mark.parametrize(("case", "data", "args", "message"), [
    ("no gatewayAddress", outputs(gatewayAddress=None), [], "pass --gateway-address ADDRESS"),
    ("no serviceUrls", {"gatewayAddress": "127.0.0.1"}, [], "the outputs have no `serviceUrls`"),
    ("not an http URL", outputs(serviceUrls={"a": "ftp://x"}), [], "outputs.serviceUrls.a: 'ftp://x' is not"),
    ("bad traffic", outputs(traffic={"helloworld-go": [{"percent": 50}]}), [],
     "outputs.traffic.helloworld-go[0]: neither revisionName nor latestRevision"),
    ("bad option", outputs(), ["--requests", "0"], "--requests must be positive"),
    ("both TLS options", outputs(), ["--insecure", "--ca-file", "x.pem"], "give --ca-file or --insecure"),
    ("no such CA file", outputs(), ["--ca-file", "/nonexistent/ca.pem"],
     "--ca-file /nonexistent/ca.pem: [Errno 2] No such file or directory; give a PEM file"),
    ("a project without a stack", outputs(), ["--project", "."], "--project goes with --stack"),
])
def test_bad_input_exits_2_with_the_fix(smoke, case, data, args, message):
    status, out, err = smoke(data, *args)
    assert status == 2, case
    assert message in err and out == ""


def test_an_address_given_on_the_command_line_replaces_a_missing_one(smoke):
    with Gateway(routes()) as gw:
        status, out, _ = smoke(outputs(gatewayAddress=None), "--gateway-address", "127.0.0.1",
                               "--http-port", str(gw.port))
    assert status == 0, out


def test_missing_optional_outputs_skip_their_checks_with_the_reason(smoke):
    data = outputs()
    for key in ("tagUrls", "domainUrls", "traffic", "domainTemplate"):
        del data[key]
    with Gateway(routes()) as gw:
        status, out, _ = smoke(data, "--http-port", str(gw.port))
    assert status == 0, out
    assert {line.split(" (", 1)[1] for line in lines(out, "skip ")} == {
        "no `tagUrls` output)", "no `domainUrls` output)", "no `traffic` output)",
        "no `domainTemplate` or `domain` output)"}


def test_the_outputs_come_from_pulumi_stack_output(tmp_path, monkeypatch, capsys):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (tmp_path / "outputs.json").write_text(json.dumps(outputs(gatewayAddress=None)))
    pulumi = bin_dir / "pulumi"
    pulumi.write_text(f"#!{sys.executable}\nimport sys\n"
                      f"assert sys.argv[1:] == ['stack', 'output', '--json', '--stack=local', '--cwd=proj']\n"
                      f"print(open({str(tmp_path / 'outputs.json')!r}).read())\n")
    pulumi.chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))
    with Gateway(routes()) as gw:
        status = main(["--stack", "local", "--project", "proj", "--gateway-address", "127.0.0.1",
                       "--http-port", str(gw.port)])
    assert status == 0, capsys.readouterr().out
    monkeypatch.setenv("PATH", str(tmp_path / "nowhere"))
    assert main(["--stack", "local"]) == 2
    assert "the Pulumi CLI is not on PATH" in capsys.readouterr().err


def test_the_help_shows_examples_and_the_exit_status_contract():
    text = build_parser().format_help()
    assert "knative-platform smoke --stack local" in text
    assert "0  every check passed" in text and "1  a check failed" in text and "2  bad input" in text


def test_the_command_runs_as_a_module_with_the_standard_library_only(tmp_path):
    missing = tmp_path / "none.json"
    result = subprocess.run([sys.executable, "-m", "knative_platform.smoke", "--outputs", str(missing)], cwd=ROOT,
                            capture_output=True, text=True, check=False, timeout=30)
    assert result.returncode == 2
    assert result.stderr.startswith(f"error: --outputs {missing}: ") and "give a readable JSON file" in result.stderr
    loaded = subprocess.run([sys.executable, "-c", "import sys, knative_platform.smoke.__main__; "
                             "print(sorted({m.split('.')[0] for m in sys.modules} & {'pulumi', 'yaml', 'trustme'}))"],
                            cwd=ROOT, capture_output=True, text=True, check=True, timeout=30)
    assert loaded.stdout.strip() == "[]"
