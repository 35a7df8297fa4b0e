"""Command line: ``knative-platform build --stack <stack>``.

For each service of the stack file that declares ``source``: reuse the image already pushed for its source
fingerprint (tag ``src-<fingerprint>`` in ``<registry>/<service>``), or build and push it; then record every
service's ``{source, repository, digest}`` in the stack file's ``knative-platform:images`` key, which the
program deploys as ``<repository>@<digest>``. One line per service says what was reused or built, and how
long it took. Run it before ``pulumi up``, in CI or on a laptop; it never runs inside the program.

``--promote-from <stack>`` builds nothing: it copies the image each source service's build recorded in that
stack into this stack's registry, by digest, and records it here (:mod:`.promote`); with ``--record-only`` it
only writes the records the copy will produce (for a preview that may not push).

``--plan`` prints what the build would do, as JSON (service, path, fingerprint, repository, tag), without
asking a registry or building: the fingerprints are computed offline.

Exit status: 0 done; 1 a build or a registry failed (the builder's own error is shown, and nothing is
recorded); 2 bad configuration or usage (the message names the key and the fix).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from ..model.core.errors import SpecError
from ..model.source.fingerprint import SourceError, fingerprint, list_files
from ..model.source.registry import source_tag
from ..offline.stackfile import StackFileError
from .builders import BuilderKind, BuildError, make_builder
from .credentials import CredentialError
from .oci import RegistryError
from .promote import PromotionError, copy, promotions
from .run import build_one
from .stackconfig import StackBuild, load_stack_build, recorded_images, write_images

PROG = f"python -m {__package__}"


def default_storage() -> Path:
    """Where buildah keeps its own vfs storage: ``$XDG_CACHE_HOME/knative-platform/buildah``."""
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "knative-platform" / "buildah"


def build_parser(prog: str = PROG) -> argparse.ArgumentParser:
    """The command line of ``knative-platform build``."""
    about = __doc__.split("\n\n")[1].replace("\n", " ").replace("``", "")  # plain text: --help shows no reST
    parser = argparse.ArgumentParser(prog=prog, description=about)
    parser.add_argument("--stack", "-s", required=True, help="stack name (reads stacks/Pulumi.<stack>.yaml)")
    parser.add_argument("--project", default=".", help="directory holding Pulumi.yaml (default: .)")
    parser.add_argument("--builder", choices=[k.value for k in BuilderKind], default=BuilderKind.BUILDAH.value,
                        help="buildah (daemonless, default), docker (buildx) or cloudbuild (gcloud builds submit)")
    parser.add_argument("--registry", metavar="HOST/PATH",
                        help="push to this registry prefix instead of the stack's knative-platform:registry")
    parser.add_argument("--promote-from", metavar="STACK",
                        help="copy the images STACK recorded (same sources) into this stack's registry by digest")
    parser.add_argument("--record-only", action="store_true",
                        help="with --promote-from: record the copies' images without copying (nothing is pushed)")
    parser.add_argument("--plan", action="store_true",
                        help="print the fingerprints and tags as JSON; ask no registry, build nothing, write nothing")
    parser.add_argument("--buildah-storage", metavar="DIR", type=Path,
                        help="buildah's storage directory (default: $XDG_CACHE_HOME/knative-platform/buildah)")
    parser.add_argument("--gcp-project", help="cloudbuild: the Google Cloud project to build in (default: gcloud's)")
    parser.add_argument("--region", help="cloudbuild: the Cloud Build region (default: gcloud's, global)")
    return parser


def plan(stack: StackBuild) -> list[dict[str, str]]:
    """What a build of ``stack`` would push: one entry per source service, computed offline."""
    rows = []
    for target in stack.targets:
        found = fingerprint(target.source, stack.project_dir / target.source.path,
                            list_files(stack.project_dir / target.source.path))
        rows.append({"service": target.service, "path": target.source.path, "fingerprint": found.value,
                     "tree": found.tree, "repository": target.repository, "tag": source_tag(found.value)})
    return rows


def build_command(args: argparse.Namespace) -> int:
    """Build or reuse every source service of the stack, then record their digests; the exit status."""
    stack = load_stack_build(Path(args.project), args.stack, args.registry)
    if args.plan:
        print(json.dumps(plan(stack), indent=2))
        return 0
    if args.promote_from:
        return promote_command(stack, args.project, args.promote_from, args.record_only)
    if not stack.targets:
        print(f"{args.stack}: no service in {stack.stack_file.name} declares source; nothing to build")
        if write_images(stack.stack_file, stack.namespace, {}):
            print(f"removed {stack.namespace}:images from {stack.stack_file}")
        return 0
    builder = make_builder(BuilderKind(args.builder), args.buildah_storage or default_storage(), args.gcp_project,
                           args.region)
    records, failed = {}, 0
    for target in stack.targets:
        try:
            outcome = build_one(target, stack.project_dir, builder)
        except (BuildError, RegistryError, SourceError, CredentialError) as exc:
            failed += 1
            print(f"{target.service}: failed: {exc}", file=sys.stderr, flush=True)
            continue
        records[target.service] = outcome.record
        print(outcome.line(), flush=True)
    if failed:
        print(f"error: {failed} of {len(stack.targets)} service(s) failed; nothing recorded in {stack.stack_file}",
              file=sys.stderr)
        return 1
    changed = write_images(stack.stack_file, stack.namespace, records)
    where = f"{stack.namespace}:images in {stack.stack_file}"
    print(f"recorded {len(records)} image(s) in {where}" if changed else f"{where} is up to date")
    return 0


def promote_command(stack: StackBuild, project: str, origin: str, record_only: bool) -> int:
    """Copy (or, ``record_only``, only record) the origin stack's images into ``stack``'s registry."""
    rows = promotions(stack, origin, recorded_images(Path(project), origin))
    for row in rows:
        try:
            copied = False if record_only else copy(row)
        except (PromotionError, RegistryError, CredentialError) as exc:
            print(f"{row.service}: failed: {exc}", file=sys.stderr, flush=True)
            print(f"error: nothing recorded in {stack.stack_file}", file=sys.stderr)
            return 1
        print(row.line(copied), flush=True)
    changed = write_images(stack.stack_file, stack.namespace, {row.service: row.record for row in rows})
    where = f"{stack.namespace}:images in {stack.stack_file}"
    print(f"recorded {len(rows)} image(s) in {where}" if changed else f"{where} is up to date")
    return 0


def main(argv: list[str] | None = None, prog: str = PROG) -> int:
    """Parse the command line and run it; configuration errors exit 2 without a traceback."""
    args = build_parser(prog).parse_args(argv)
    try:
        return build_command(args)
    except (SpecError, StackFileError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except BuildError as exc:  # the builder chosen is not installed
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except PromotionError as exc:  # the origin recorded no build of this source
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except SourceError as exc:  # --plan on a source git cannot list
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
