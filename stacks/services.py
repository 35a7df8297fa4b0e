"""Services declared in Python, shared by the stacks that use them.

A service declared here is the same typed object a stack file's
``knative-platform:services`` entry becomes, and meets the same validation.
Declare a service in one place only: a name in both is an error.
"""

from __future__ import annotations

from knative_platform import Autoscaling, Service, versions


def helloworld(target: str) -> Service:
    """The classic Knative sample: prints ``Hello <TARGET>!`` and scales to zero when idle."""
    return Service(
        name="helloworld-go",
        image=versions.SAMPLE_IMAGE,
        env={"TARGET": target},
        autoscaling=Autoscaling(min_scale=0, max_scale=3),
        # Relaxation: the sample image has no USER line and runs as root; real apps keep the default.
        run_as_non_root=False,
    )


_BY_STACK: dict[str, tuple[Service, ...]] = {
    "local": (helloworld("Knative user"),),
    "dev": (helloworld("Knative user"),),
}


def services_for(stack: str) -> tuple[Service, ...]:
    """The Python-declared services of ``stack`` (staging and prod declare theirs in stack config)."""
    return _BY_STACK.get(stack, ())
