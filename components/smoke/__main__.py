"""Command line: ``knative-platform smoke --stack local`` (or ``--outputs FILE``).

Exit status: 0 every check passed (skips allowed), 1 a check failed, 2 bad input or usage
(the message says the fix).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import replace

from .checks import Clock, Report, Settings, run
from .events import add_event_checks
from .outputs import InputError, load_outputs, plan
from .probe import Gateway, tls_context

EPILOG = """\
examples:
  knative-platform smoke --stack local
  knative-platform smoke --stack staging --project . --requests 400 --tolerance 5
  pulumi stack output --json --stack prod > prod.json
  knative-platform smoke --outputs prod.json --ca-file letsencrypt-staging.pem
  knative-platform smoke --stack dev --gateway-address 127.0.0.1 --http-port 8080

checks (one line each: ok, FAIL or skip, then "N passed, N failed, N skipped"):
  reach        every public service URL, tag URL and custom-domain URL answers 2xx through
               gatewayAddress (http: Host header; https: SNI and a verified certificate),
               retried for --wait seconds (a cold start from zero)
  unreachable  a cluster-local service does not answer 2xx from outside, neither on its
               .svc.cluster.local host nor on the public host domainTemplate would give it
  split        a service whose traffic names more than one target (a 100/0 blue-green too):
               over --requests requests, each target's share (told apart by its tag URL's
               body) is within --tolerance points of its percent
  deliver      a schedule firing every minute (* * * * *) on a public service: its PingSource's
               event shows at the service's GET /events (apps/hello's) within a bounded wait;
               triggers, rarer schedules and services without /events are skipped with the reason

exit status:
  0  every check passed (skips allowed)
  1  a check failed (or the --deadline passed)
  2  bad input or usage; the message says the fix
"""


PROG = f"python -m {__package__}"
"""How this module is run on its own (``knative-platform smoke`` passes its own ``prog``)."""


def build_parser(prog: str = PROG) -> argparse.ArgumentParser:
    """The ``python -m <package>.smoke`` command line (``knative-platform smoke`` passes its own ``prog``)."""
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Check a deployed platform stack from outside, as a user would: its URLs answer through "
                    "the gateway, splits match the declared percents, cluster-local services stay private, "
                    "certificates are valid.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--stack", help="read the outputs with `pulumi stack output --json --stack STACK`")
    source.add_argument("--outputs", metavar="FILE", help="read the outputs from FILE (that command's JSON)")
    parser.add_argument("--project", "--cwd", metavar="DIR", help="the Pulumi project directory (with --stack)")
    parser.add_argument("--gateway-address", metavar="ADDRESS",
                        help="the gateway's address, when the outputs have none or another is wanted")
    parser.add_argument("--http-port", type=int, default=80, help="the gateway's http port (default 80)")
    parser.add_argument("--https-port", type=int, default=443, help="the gateway's https port (default 443)")
    parser.add_argument("--ca-file", metavar="FILE", help="verify certificates against FILE instead of the system CAs")
    parser.add_argument("--insecure", action="store_true",
                        help="do not verify certificates (each https line says so)")
    parser.add_argument("--wait", type=float, default=120.0, metavar="SECONDS",
                        help="per URL, how long to retry until it answers 2xx (default 120: a cold start)")
    parser.add_argument("--timeout", type=float, default=10.0, metavar="SECONDS",
                        help="per request (default 10)")
    parser.add_argument("--requests", type=int, default=200, metavar="N",
                        help="requests per split check (default 200)")
    parser.add_argument("--tolerance", type=float, default=10.0, metavar="POINTS",
                        help="allowed gap between declared and observed share, in percentage points (default 10)")
    parser.add_argument("--deadline", type=float, default=600.0, metavar="SECONDS",
                        help="for the whole run; checks left when it passes fail (default 600)")
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    problems = [f"--{name.replace('_', '-')} must be positive, got {getattr(args, name):g}"
                for name in ("timeout", "requests", "deadline") if getattr(args, name) <= 0]
    problems += [f"--{name} must be 0 or more, got {getattr(args, name):g}" for name in ("wait", "tolerance")
                 if getattr(args, name) < 0]
    problems += [f"--{name.replace('_', '-')} must be a port (1-65535), got {getattr(args, name)}"
                 for name in ("http_port", "https_port") if not 0 < getattr(args, name) < 65536]
    if args.insecure and args.ca_file:
        problems.append("give --ca-file or --insecure, not both")
    if args.project is not None and args.outputs is not None:
        problems.append("--project goes with --stack: with --outputs FILE there is no project to read")
    if problems:
        raise InputError("; ".join(problems))
    return Settings(wait=args.wait, timeout=args.timeout, requests=args.requests, tolerance=args.tolerance)


def main(argv: Sequence[str] | None = None, prog: str = PROG) -> int:
    """Run the smoke checks; the exit status."""
    args = build_parser(prog).parse_args(argv)
    try:
        settings = _settings(args)
        clock = Clock(args.deadline)  # from here on, everything (reading the outputs too) counts against it
        outputs = load_outputs(stack=args.stack, outputs_file=args.outputs, project=args.project,
                               timeout=max(0.001, min(120.0, clock.left())))
        checks = plan(outputs, gateway_address=args.gateway_address)
        checks = replace(checks, events=add_event_checks(outputs, checks))
        context = tls_context(ca_file=args.ca_file, insecure=args.insecure)
    except InputError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except OSError as e:  # an unreadable or malformed --ca-file
        print(f"error: --ca-file {args.ca_file}: {e}; give a PEM file of CA certificates", file=sys.stderr)
        return 2
    gateway = Gateway(checks.gateway, args.http_port, args.https_port, context)
    print(f"smoke: {len(checks.public)} public URL(s), {len(checks.cluster_local)} cluster-local host(s), "
          f"{len(checks.splits)} split(s) through {checks.gateway}", flush=True)
    if args.insecure:
        print("smoke: --insecure: https certificates are NOT verified", flush=True)
    report = Report()
    run(checks, gateway, settings, clock, report)
    print(report.summary(), flush=True)
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
