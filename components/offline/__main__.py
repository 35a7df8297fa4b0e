"""Command line: ``python -m components.offline render --stack dev``.

Renders one stack (or ``--all``) of the project in ``--project`` (default: the
current directory) into ``--out`` (default ``build/render/<stack>``). Exit
status: 0 rendered, 2 bad configuration (the message names the key and the fix).
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from ..errors import ConfigError
from .engine import run_program
from .render import render_files, write_tree
from .stackfile import StackFileError, load_program_config


def available_stacks(project: Path) -> list[str]:
    """Stacks with a ``Pulumi.<stack>.yaml`` in the project's ``stackConfigDir``."""
    import yaml

    doc = yaml.safe_load((project / "Pulumi.yaml").read_text(encoding="utf-8")) or {}
    config_dir = project / str(doc.get("stackConfigDir") or ".")
    return sorted(p.name[len("Pulumi."):-len(".yaml")] for p in config_dir.glob("Pulumi.*.yaml"))


def render_command(args: argparse.Namespace) -> int:
    """Render the requested stacks; print one summary line per stack."""
    project = Path(args.project)
    stacks = available_stacks(project) if args.all else [args.stack]
    for stack in stacks:
        stack_outputs = Path(args.stack_outputs) if args.stack_outputs else None
        program = load_program_config(project, stack, stack_outputs)
        capture = run_program(program)
        files = render_files(capture, program)
        if args.out is None:
            out = project / "build" / "render" / stack
        else:
            out = Path(args.out) / stack if args.all else Path(args.out)
        write_tree(files, out)
        objects = sum(1 for f in files if f.startswith("kubernetes/"))
        print(f"rendered {stack}: {len(capture.registrations)} resources, {objects} Kubernetes objects -> {out}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run it; configuration errors exit 2 without a traceback."""
    parser = argparse.ArgumentParser(prog="python -m components.offline", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    render = sub.add_parser("render", help="render a stack's desired state to files, with no cloud")
    which = render.add_mutually_exclusive_group(required=True)
    which.add_argument("--stack", "-s", help="stack name (reads stacks/Pulumi.<stack>.yaml)")
    which.add_argument("--all", action="store_true", help="render every stack")
    render.add_argument("--project", default=".", help="directory holding Pulumi.yaml (default: .)")
    render.add_argument("--out", help="output directory (default: <project>/build/render/<stack>)")
    render.add_argument("--stack-outputs", metavar="FILE",
                        help="mocked outputs of the stacks the program references (JSON or YAML; default: "
                             "<stackConfigDir>/stack-outputs.json when the project has one)")
    render.set_defaults(handler=render_command)
    args = parser.parse_args(argv)
    # A program that fails inside an apply leaves futures Pulumi never awaits; asyncio reports each one
    # with a traceback when it is garbage-collected, burying the single message below that matters.
    logging.getLogger("asyncio").setLevel(logging.CRITICAL)
    try:
        return int(args.handler(args))
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (StackFileError, FileExistsError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
