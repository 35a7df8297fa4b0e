"""Fail when a release asset the platform pins is not published (yet): run on every pull request.

Renovate follows ``knative/serving`` releases only, but ``KNATIVE_VERSION``
also names the net-gateway-api and net-kourier bundles, which their own
repositories publish hours or days later. A bump whose bundles do not exist
yet would fail at ``pulumi up``; this check fails the pull request first.
It asks GitHub for each :class:`knative_platform.versions.ReleaseManifest` URL
(a HEAD request, following the redirect to the asset) and needs network access.

Usage: ``python .github/scripts/check_release_assets.py``
"""

from __future__ import annotations

import sys
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from knative_platform import versions  # the repository's own package, from the checkout


def manifests() -> list[versions.ReleaseManifest]:
    """Every release asset pinned in components/versions.py."""
    return [v for v in vars(versions).values() if isinstance(v, versions.ReleaseManifest)]


def missing(url: str) -> str | None:
    """Why ``url`` cannot be fetched, or None when it can."""
    request = urllib.request.Request(url, method="HEAD")
    try:
        with urllib.request.urlopen(request, timeout=30):
            return None
    except urllib.error.HTTPError as exc:
        return f"HTTP {exc.code}"
    except OSError as exc:
        return str(exc)


def main() -> int:
    """Check each pinned asset; print one line per asset."""
    failures = 0
    for manifest in manifests():
        problem = missing(manifest.url)
        print(f"{'ok     ' if problem is None else 'MISSING'} {manifest.component} {manifest.version}: {manifest.url}"
              + (f" ({problem})" if problem else ""))
        failures += problem is not None
    if failures:
        print(f"{failures} pinned release asset(s) are not published; wait for them before merging", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
