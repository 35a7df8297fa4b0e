"""The offline render and review: ``knative-platform render --stack dev`` and ``knative-platform diff``.

(``python -m knative_platform render|diff`` runs the same where the command is not
installed, as the workflows do.)

``render`` renders one stack (or ``--all``) of the project in ``--project``
(default: the current directory) into ``--out`` (default ``build/render/<stack>``);
with ``--previous DIR``, as the update that follows the deployment rendered in
DIR (its outputs are what the stack's read of its own outputs gets); with
``--mode update``, as ``pulumi up`` runs the program rather than ``pulumi preview``.

``diff`` compares two renders (``diff BASE_DIR HEAD_DIR``) or two git refs
(``diff --base-ref origin/main [--head-ref HEAD]``, each rendered with its own
code; without ``--head-ref``, the working tree) and writes a markdown summary
fit for a pull-request comment (stdout or ``--summary``) and the full detail
(``--detail``).

Exit status: 0 done, 2 bad configuration or input (the message says what to fix),
1 an unexpected failure (the traceback says where).

``diff`` of two render directories needs only PyYAML: the Pulumi side (the
engine, the renderer) is imported by ``render`` and by ``diff --base-ref`` only,
so a workflow can compare uploaded renders with trusted code and no SDK.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
from pathlib import Path

from ..model.core.errors import did_you_mean
from . import report
from .diff import RenderError, compare, load_renders
from .esc import relative
from .gitrefs import describe_ref, render_refs, resolve_commit
from .outdir import OutputError, replace_dir, write_file
from .stackfile import StackFileError, available_stacks, check_stack, load_program_config


def render_command(args: argparse.Namespace) -> int:
    """Render the requested stacks; print one summary line per stack.

    Every stack name is checked before anything runs (a name Pulumi would not
    give a stack is "no stack"), and each output directory is replaced only if
    this tool made it (:mod:`knative_platform.offline.outdir`).
    """
    from .engine import Mode
    from .render import REFUSED, render_files, write_tree  # the Pulumi SDK: only rendering needs it
    from .update import previous_outputs, run_update

    project = Path(args.project)
    stacks = available_stacks(project) if args.all else list(dict.fromkeys(args.stack))
    for stack in stacks:
        check_stack(stack)
    for stack in stacks:
        stack_outputs = Path(args.stack_outputs) if args.stack_outputs else None
        program = load_program_config(project, stack, stack_outputs)
        if program.environment is not None:  # loud: the render shows values `pulumi up` may not use
            where = relative(program.stack_file, project.resolve())
            print(f"warning: {stack}: {program.environment.warning(where)}", file=sys.stderr)
        previous = previous_outputs(Path(args.previous), stack) if args.previous else None
        capture, refused = run_update(program, previous, Mode(args.mode))
        files = render_files(capture, program, refused)
        if args.out is None:
            out = project / "build" / "render" / stack
        else:
            out = Path(args.out) / stack if len(stacks) > 1 or args.all else Path(args.out)
        out = write_tree(files, out)
        objects = sum(1 for f in files if f.startswith("kubernetes/"))
        note = f" (the update after --previous is refused: {len(refused)} problem(s) in {out / REFUSED})" \
            if refused else ""
        print(f"rendered {stack}: {len(capture.registrations)} resources, {objects} Kubernetes objects -> {out}{note}")
    return 0


def _check_stack_names(stacks: list[str], project_dirs: list[Path]) -> None:
    """A ``--stack`` no project has would render nothing: refuse it, with the closest name."""
    known = sorted({s for d in project_dirs if (d / "Pulumi.yaml").is_file() for s in available_stacks(d)})
    for stack in stacks:
        check_stack(stack)
        if stack not in known:
            raise RenderError(f"no project has a stack '{stack}'{did_you_mean(stack, known)} "
                              f"(stacks: {', '.join(known) or 'none'})")


def diff_command(args: argparse.Namespace) -> int:
    """Compare two renders (directories or git refs); write the summary and the detail."""
    if args.base_ref is None and (args.base is None or args.head is None):
        raise RenderError("give two render directories (diff BASE HEAD) or a git ref (diff --base-ref REF)")
    if args.base_ref is not None and args.base is not None:
        raise RenderError("give either two render directories or --base-ref/--head-ref, not both")
    if not 2_000 <= args.limit <= report.GITHUB_COMMENT_LIMIT:
        raise RenderError(f"--limit {args.limit}: give 2000 to {report.GITHUB_COMMENT_LIMIT} characters")
    if args.base_ref is not None:
        repo = Path(args.repo)
        projects = args.project or ["."]
        for ref in (args.base_ref, args.head_ref):
            if ref is not None:
                resolve_commit(repo, ref)  # before anything: a ref that reads as a git option names no commit
        _check_stack_names(args.stack or [], [repo / p for p in projects])
        keep = Path(args.keep_renders) if args.keep_renders else None
        with tempfile.TemporaryDirectory(prefix="offline-review-") as tmp:
            root = keep or Path(tmp)
            base_dir, head_dir = (replace_dir(root / side) for side in ("base", "head"))
            render_refs(repo, [(args.base_ref, base_dir), (args.head_ref, head_dir)], projects, args.stack,
                        progress=lambda line: print(line, file=sys.stderr, flush=True))
            base, head = load_renders(base_dir), load_renders(head_dir)
        title = f"Offline review: {describe_ref(repo, args.base_ref)} → {describe_ref(repo, args.head_ref)}"
    else:
        for side in (args.base, args.head):
            if not Path(side).is_dir():
                # A typo must not read as "every resource deleted" (or created).
                raise RenderError(f"{side}: no such render directory")
        base, head = load_renders(Path(args.base)), load_renders(Path(args.head))
        if not base and not head:
            raise RenderError(f"no renders (directories with a stack.yaml) under {args.base} or {args.head}")
        title = f"Offline review: {args.base} → {args.head}"
    title = args.title or title
    review = compare(base, head)
    detail_path = write_file(Path(args.detail), report.detail(review, title=title))
    text = report.summary(review, title=title, detail=args.detail_link or f"`{detail_path}`", limit=args.limit)
    if args.summary:
        write_file(Path(args.summary), text)
        print(f"wrote the summary ({len(text):,} characters) to {args.summary} and the detail to {detail_path}",
              file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


PROG = f"python -m {__package__}"
"""How this module is run on its own (``knative-platform render`` and ``diff`` pass their own ``prog``)."""


def build_parser(prog: str = PROG) -> argparse.ArgumentParser:
    """The command line of ``python -m <package>.offline`` (workflows call it; their tests parse with it)."""
    parser = argparse.ArgumentParser(prog=prog, description=__doc__.split("\n\n")[0].replace("``", ""))
    sub = parser.add_subparsers(dest="command", required=True)
    render = sub.add_parser("render", help="render a stack's desired state to files, with no cloud")
    which = render.add_mutually_exclusive_group(required=True)
    which.add_argument("--stack", "-s", action="append",
                       help="stack name (reads stacks/Pulumi.<stack>.yaml); repeat for several")
    which.add_argument("--all", action="store_true", help="render every stack")
    render.add_argument("--project", default=".", help="directory holding Pulumi.yaml (default: .)")
    render.add_argument("--out", help="output directory (default: <project>/build/render/<stack>); with several "
                                      "stacks, each goes to <out>/<stack>")
    render.add_argument("--stack-outputs", metavar="FILE",
                        help="mocked outputs of the stacks the program references (JSON or YAML; default: "
                             "<stackConfigDir>/stack-outputs.json when the project has one)")
    render.add_argument("--previous", metavar="DIR",
                        help="render as the update after the deployment rendered in DIR (a render of the stack, "
                             "or of --all): the stack's read of its own outputs gets that render's outputs; a refused "
                             "update is rendered as a first deployment with the refusal in refused.yaml")
    render.add_argument("--mode", choices=("preview", "update"), default="preview",
                        help="run the program as `pulumi preview` runs it (a dry run: values only the deployment "
                             "learns are unknown) or as `pulumi up` does (default: preview)")
    render.set_defaults(handler=render_command)

    diff = sub.add_parser("diff", help="compare two renders or two git refs; print a summary for a PR comment")
    diff.add_argument("base", nargs="?", help="render directory of the base (one stack, or several below it)")
    diff.add_argument("head", nargs="?", help="render directory of the head")
    diff.add_argument("--base-ref", help="git ref to render as the base, e.g. origin/main")
    diff.add_argument("--head-ref", help="git ref to render as the head (default: the working tree)")
    diff.add_argument("--project", action="append",
                      help="project directory inside the repository, repeatable (default: .)")
    diff.add_argument("--repo", default=".", help="the git repository (default: .)")
    diff.add_argument("--stack", action="append",
                      help="with git refs: render only this stack of each project that has it, repeatable "
                           "(default: every stack)")
    diff.add_argument("--keep-renders", metavar="DIR", help="keep the renders of both refs in DIR/base and DIR/head")
    diff.add_argument("--summary", metavar="FILE", help="write the summary here instead of stdout")
    diff.add_argument("--detail", metavar="FILE", default="build/review/offline-review.md",
                      help="write the full detail here (default: build/review/offline-review.md)")
    diff.add_argument("--detail-link", metavar="MARKDOWN",
                      help="how the summary points at the detail, e.g. a link to a workflow artifact")
    diff.add_argument("--title", help="the summary's heading")
    diff.add_argument("--limit", type=int, default=report.DEFAULT_LIMIT,
                      help=f"maximum characters of the summary (default {report.DEFAULT_LIMIT}; GitHub refuses "
                           f"comments over {report.GITHUB_COMMENT_LIMIT})")
    diff.set_defaults(handler=diff_command)
    return parser


def _usage_errors() -> tuple[type[Exception], ...]:
    """The errors that mean bad input: exit 2 with the message, no traceback."""
    errors: tuple[type[Exception], ...] = (StackFileError, OutputError, RenderError)
    # The package's ``runtime.errors``: it is loaded (with the Pulumi SDK) only when something rendered.
    loaded = sys.modules.get(f"{__package__.rsplit('.', 1)[0]}.runtime.errors")
    if loaded is not None:
        errors += (loaded.ConfigError,)
    return errors


def main(argv: list[str] | None = None, prog: str = PROG) -> int:
    """Parse the command line and run it; configuration errors exit 2 without a traceback."""
    args = build_parser(prog).parse_args(argv)
    # A program that fails inside an apply leaves futures Pulumi never awaits; asyncio reports each one
    # with a traceback when it is garbage-collected, burying the single message below that matters.
    logging.getLogger("asyncio").setLevel(logging.CRITICAL)
    try:
        return int(args.handler(args))
    except _usage_errors() as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except ModuleNotFoundError as exc:
        if exc.name != "pulumi_gcp":
            raise
        print(f"error: {exc}", file=sys.stderr)  # the program needs the [gke] extra: the message says so
        return 2


if __name__ == "__main__":
    sys.exit(main())
