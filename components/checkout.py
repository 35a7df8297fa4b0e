"""Inside the platform repository, ``knative_platform`` names this checkout's ``components`` package.

Installed, the package's import name is ``knative_platform`` (pyproject's
``package-dir``). The repository keeps the design card's ``components/``
folder, and its example app project (``examples/team-app``, also the ``pulumi
new`` template) imports ``knative_platform`` as every app project does. So that
the example renders from a checkout with the checkout's code (the review
workflow renders it with only requirements.txt installed, and a git ref with
that ref's own tree), importing ``components`` makes ``knative_platform`` and
each ``knative_platform.<module>`` the very same module objects as
``components`` and ``components.<module>``: one set of classes, whichever name
a program imports.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
from importlib.machinery import ModuleSpec
from types import ModuleType

INSTALLED_NAME = "knative_platform"


class PackageAlias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Resolve ``alias`` and ``alias.<x>`` to the already importable ``target`` and ``target.<x>``."""

    def __init__(self, alias: str, target: str) -> None:
        """Map the package ``alias`` onto ``target``."""
        self.alias = alias
        self.target = target

    def find_spec(self, fullname: str, path: object = None, target: object = None) -> ModuleSpec | None:
        """A spec for names under the alias; None for every other name."""
        if fullname != self.alias and not fullname.startswith(self.alias + "."):
            return None
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec: ModuleSpec) -> ModuleType:
        """The target's module itself: no second copy of any class."""
        return importlib.import_module(self.target + spec.name[len(self.alias):])

    def exec_module(self, module: ModuleType) -> None:
        """Nothing to run: the target module is already imported."""


def alias_checkout(package: str) -> None:
    """Make ``knative_platform`` this checkout's ``package``, once; nothing when ``package`` is that name."""
    if package == INSTALLED_NAME or any(isinstance(f, PackageAlias) for f in sys.meta_path):
        return
    for name in [n for n in sys.modules if n == INSTALLED_NAME or n.startswith(INSTALLED_NAME + ".")]:
        del sys.modules[name]  # an installed copy imported earlier: the checkout's code wins, as `components` does
    sys.meta_path.insert(0, PackageAlias(INSTALLED_NAME, package))
