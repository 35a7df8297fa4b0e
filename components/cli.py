"""The ``knative-platform`` command: one entry point for the platform's tools.

Each subcommand is a module's own command line, run with the arguments that
follow its name: ``render`` and ``diff`` are :mod:`.offline`'s, ``build`` is
:mod:`.imagebuild`'s and ``smoke`` is :mod:`.smoke`'s. :data:`SUBCOMMANDS` is the
whole list; a tool joins it with one entry. Where the command is not installed
(a workflow with only requirements.txt), ``python -m knative_platform ...`` runs it.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import metadata

from .model.core.errors import did_you_mean

PROG = "knative-platform"
DISTRIBUTION = "knative-platform"


@dataclass(frozen=True)
class Subcommand:
    """A subcommand: its one-line help and the function that runs it with the rest of the command line."""

    help: str
    run: Callable[[list[str]], int]


def _offline(command: str) -> Callable[[list[str]], int]:
    def run(argv: list[str]) -> int:
        from .offline.__main__ import main

        return main([command, *argv], prog=PROG)

    return run


def _build(argv: list[str]) -> int:
    from .imagebuild.__main__ import main

    return main(argv, prog=f"{PROG} build")


def _smoke(argv: list[str]) -> int:
    from .smoke.__main__ import main

    return main(argv, prog=f"{PROG} smoke")


SUBCOMMANDS: dict[str, Subcommand] = {
    "render": Subcommand("render a stack's desired state to files, with no cloud and no Pulumi CLI",
                         _offline("render")),
    "diff": Subcommand("compare two renders or two git refs; print a summary for a pull-request comment",
                       _offline("diff")),
    "build": Subcommand("build or reuse the images of a stack's source services; record their digests in the stack",
                        _build),
    "smoke": Subcommand("check a deployed stack from outside: its URLs answer, splits match, private stays private",
                        _smoke),
}
"""Every subcommand, by name, in the order ``--help`` lists them."""

EPILOG = f"""\
examples:
  {PROG} render --stack dev                     # -> build/render/dev/
  {PROG} render --all --out /tmp/render         # every stack of the project in .
  {PROG} render --stack dev --project examples/team-app
  {PROG} diff --base-ref origin/main            # render main and the working tree, compare
  {PROG} diff build/base build/head --summary summary.md
  {PROG} build --stack local                    # source services -> images, digests in the stack file
  {PROG} smoke --stack staging                  # a deployed stack, checked through its gateway
  {PROG} render --help                          # a subcommand's own options

exit status:
  0  done (smoke: every check passed)
  1  smoke: a check failed; build: a build or registry failed; render, diff: an unexpected failure
  2  bad configuration, input or usage: the message names the key or file and the fix
"""


def version() -> str:
    """The installed distribution's version (from its git tag); ``unknown`` when run from a plain checkout."""
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return "unknown (not installed; run from a checkout)"


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser: ``--version`` and the subcommand's name; the subcommand parses the rest."""
    parser = argparse.ArgumentParser(
        prog=PROG, formatter_class=argparse.RawDescriptionHelpFormatter, epilog=EPILOG,
        description="Pulumi components for a Knative platform you own: tools that need no cloud.")
    parser.add_argument("--version", action="version", version=f"{PROG} {version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, command in SUBCOMMANDS.items():
        sub.add_parser(name, help=command.help, add_help=False)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``knative-platform COMMAND ...``; the exit status is the subcommand's."""
    args = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    if args and not args[0].startswith("-") and args[0] not in SUBCOMMANDS:
        parser.error(f"unknown command '{args[0]}'{did_you_mean(args[0], SUBCOMMANDS)}; "
                     f"expected one of: {', '.join(SUBCOMMANDS)}")
    if not args or args[0] not in SUBCOMMANDS:
        parser.parse_args(args)  # --help, --version, or a usage error (exit 2) naming the known commands
        return 2
    return SUBCOMMANDS[args[0]].run(args[1:])


if __name__ == "__main__":
    sys.exit(main())
