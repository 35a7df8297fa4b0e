"""``python -m knative_platform ...`` is the ``knative-platform`` command (:mod:`.cli`), where it is not installed."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
