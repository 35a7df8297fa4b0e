"""How the program's own cost grows with the number of services, against floors that only register resources.

Run from the repository root (it is not a test: pytest collects only ``tests/``)::

    .venv/bin/python -m benchmarks.scale --services 100 1000 5000 --runs 3 --update

For each N it writes three projects with a ``bench`` stack of N services
(:func:`benchmarks.shapes.write_projects`): a copy of this project, whose stack
file declares the services, and two floors (:mod:`benchmarks.floor`), programs
that register the resources from plain dicts: the *same-graph* floor registers
the program's whole graph, its revision history included (the read of the
stack's own outputs, each service's revision record); the *minimal* floor the
same resources with no history at all. Each run is a fresh Python process
doing what ``knative-platform render`` does up to the render
(``load_program_config`` + ``run_program``, the project's mocks:
:class:`~knative_platform.offline.engine.RecordingMonitor` with
:class:`~knative_platform.offline.mocks.PlatformMocks`), alternating the three. A
process's wall time runs from its start to its exit, so start-up (imports)
counts; its CPU time and peak memory (``ru_maxrss``) come from ``wait4``. With
``--update`` each size is measured a second time as an update of the stack the
program deployed first: the program's and the same-graph floor's read of
their own stack's outputs gets them back, and the program plans every
service's revisions against them. It prints the medians and the program's
ratios to both floors, then the offline
render of a ``--render`` services stack: the whole run and the shares spent
building (``render_files``) and writing (``write_tree``) the tree.

Other work on the machine inflates wall times; CPU time is the steadier measure
when the machine is shared.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from .shapes import ROOT, STACK, write_projects


def _child(kind: str, project: Path, out: Path | None, previous: Path | None) -> dict[str, Any]:
    """Run one measured kind in this (fresh) process; return phase timings.

    ``previous`` holds the stack outputs of an earlier deployment (``seed``
    writes them to ``out``): the run is then an update of that deployment, whose
    read of its own stack's outputs gets them back, as ``pulumi up`` on a deployed stack does.
    """
    start = time.perf_counter()
    from knative_platform.offline.engine import own_stack_name, run_program
    from knative_platform.offline.stackfile import load_program_config

    imported = time.perf_counter()
    phases: dict[str, Any] = {"import": imported - start}
    config = load_program_config(project, STACK)
    if previous is not None:
        outputs = json.loads(previous.read_text(encoding="utf-8"))
        config = dataclasses.replace(config, stack_outputs={**config.stack_outputs, own_stack_name(config): outputs})
    loaded = time.perf_counter()
    phases["config"] = loaded - imported
    capture = run_program(config)
    phases["run"] = time.perf_counter() - loaded
    if kind == "seed":
        assert out is not None
        out.write_text(json.dumps(capture.outputs), encoding="utf-8")
    if kind == "render":
        from knative_platform.offline.render import render_files, write_tree

        ran = time.perf_counter()
        files = render_files(capture, config)
        built = time.perf_counter()
        assert out is not None
        write_tree(files, out)
        phases["render_files"] = built - ran
        phases["write_tree"] = time.perf_counter() - built
        phases["files"] = len(files)
    phases["resources"] = len(capture.registrations)
    return phases


def _spawn(kind: str, project: Path, out: Path | None = None, previous: Path | None = None) -> dict[str, Any]:
    """One fresh process; its wall time, CPU time, peak RSS (MB) and the phases it reports."""
    cmd = [sys.executable, "-m", "benchmarks.scale", "--child", kind, "--project", str(project)]
    if out is not None:
        cmd += ["--out", str(out)]
    if previous is not None:
        cmd += ["--previous", str(previous)]
    start = time.perf_counter()
    # stderr goes to a file: a program that warns once per service (a fresh stack's canaries) would fill a pipe
    # that is read only after stdout, and both processes would wait for each other.
    with tempfile.TemporaryFile() as errors:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=errors)
        assert proc.stdout is not None
        stdout = proc.stdout.read()
        _pid, status, usage = os.wait4(proc.pid, 0)
        errors.seek(0)
        stderr = errors.read()
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{kind} in {project} failed:\n{stderr.decode()}")
    cpu = usage.ru_utime + usage.ru_stime
    return {"wall": wall, "cpu": cpu, "rss_mb": usage.ru_maxrss / 1024, **json.loads(stdout)}


def _median(runs: list[dict[str, Any]], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def _phases(runs: list[dict[str, Any]]) -> str:
    return " ".join(f"{k} {_median(runs, k):.2f}s" for k in ("import", "config", "run"))


KINDS = ("program", "floor", "minimal")
"""The measured programs: the real one, the same-graph floor and the minimal floor (no revision history)."""
Results = dict[tuple[int, str], dict[str, list[dict[str, Any]]]]
"""Runs by (services, stack) and kind (:data:`KINDS`); the stack is ``new`` or ``update``."""


def measure(sizes: list[int], runs: int, update: bool) -> Results:
    """Alternate the runs of each kind for each size (after one unmeasured warm-up of each).

    A ``new`` stack is one never deployed; with ``update``, each size is also
    measured as an update of the stack the program deployed first, which reads
    its every service's revision record back.
    """
    results: Results = {}
    for n in sizes:
        with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
            projects = write_projects(n, Path(tmp))
            previous = Path(tmp) / "previous.json"
            stacks: list[tuple[str, Path | None]] = [("new", None)]
            if update:
                _spawn("seed", projects["program"], out=previous)
                stacks.append(("update", previous))
            for stack, earlier in stacks:
                for kind in KINDS:
                    _spawn(kind, projects[kind], previous=earlier)  # warm-up: page cache, bytecode of the copies
                runs_of = results[(n, stack)] = {kind: [] for kind in KINDS}
                for _ in range(runs):
                    for kind in KINDS:
                        runs_of[kind].append(_spawn(kind, projects[kind], previous=earlier))
                for kind, measured in runs_of.items():
                    print(f"{n:>6} services, {stack:>6} stack, {kind:>7}: wall {_median(measured, 'wall'):6.2f} s, "
                          f"cpu {_median(measured, 'cpu'):6.2f} s, {_median(measured, 'rss_mb'):4.0f} MB "
                          f"({_phases(measured)}; {measured[0]['resources']} resources)", flush=True)
    return results


def report(results: Results) -> None:
    """The table of medians and the program's ratios to each floor, and the growth of the program's cost."""
    print("\n| services | stack | program wall | / same-graph floor | / minimal floor | program memory "
          "| / same-graph floor | / minimal floor | cpu / same-graph | cpu / minimal |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for (n, stack), kinds in results.items():
        def ratio(key: str, floor: str, kinds: Any = kinds) -> str:
            return f"{_median(kinds['program'], key) / _median(kinds[floor], key):.2f}x"

        wall, memory = _median(kinds["program"], "wall"), _median(kinds["program"], "rss_mb")
        print(f"| {n} | {stack} | {wall:.2f} s | {ratio('wall', 'floor')} | {ratio('wall', 'minimal')} "
              f"| {memory:.0f} MB | {ratio('rss_mb', 'floor')} | {ratio('rss_mb', 'minimal')} "
              f"| {ratio('cpu', 'floor')} | {ratio('cpu', 'minimal')} |")
    for stack in ("new", "update"):
        sizes = sorted(n for n, s in results if s == stack)
        for small, large in itertools.pairwise(sizes):
            before, after = results[(small, stack)], results[(large, stack)]

            def growth(kind: str, key: str, before: Any = before, after: Any = after) -> str:
                return f"{_median(after[kind], key) / _median(before[kind], key):.2f}x"

            print(f"\n{stack} stack, {large} vs {small} services ({large / small:.0f}x the services): program "
                  f"{growth('program', 'wall')} the wall time ({growth('program', 'cpu')} cpu), same-graph floor "
                  f"{growth('floor', 'wall')} ({growth('floor', 'cpu')} cpu), minimal floor "
                  f"{growth('minimal', 'wall')} ({growth('minimal', 'cpu')} cpu)")


def render_report(services: int, runs: int) -> None:
    """The offline render of one stack: the whole process and the shares of building and writing the tree."""
    with tempfile.TemporaryDirectory(prefix="bench-render-") as tmp:
        project = write_projects(services, Path(tmp))["program"]
        _spawn("render", project, Path(tmp) / "render")  # warm-up
        measured = [_spawn("render", project, Path(tmp) / "render") for _ in range(runs)]
    wall = _median(measured, "wall")
    build, write = _median(measured, "render_files"), _median(measured, "write_tree")
    print(f"\noffline render of {services} services ({measured[0]['files']} files): {wall:.2f} s in all; "
          f"render_files {build:.2f} s ({build / wall:.0%}), write_tree {write:.2f} s ({write / wall:.0%}), "
          f"program {_median(measured, 'run'):.2f} s, peak {_median(measured, 'rss_mb'):.0f} MB")


def main(argv: list[str] | None = None) -> int:
    """Parse the command line; ``--child`` is the measured process itself."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scale", description=__doc__.split("\n\n")[0])
    parser.add_argument("--services", type=int, nargs="+", default=[100, 1000, 5000], metavar="N",
                        help="stack sizes to measure, in services (default 100 1000 5000; 5000 takes minutes)")
    parser.add_argument("--runs", type=int, default=3, help="measured runs of each kind per size (default 3)")
    parser.add_argument("--render", type=int, default=1000, metavar="N",
                        help="services in the offline-render measurement; 0 skips it (default 1000)")
    parser.add_argument("--update", action="store_true",
                        help="also measure each size as an update of the stack deployed first (a second pulumi up)")
    parser.add_argument("--child", choices=(*KINDS, "render", "seed"), help=argparse.SUPPRESS)
    parser.add_argument("--project", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--previous", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(_child(args.child, args.project, args.out, args.previous)))
        return 0
    print(f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}, {args.runs} runs of each", flush=True)
    report(measure(args.services, args.runs, args.update))
    if args.render:
        render_report(args.render, args.runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
