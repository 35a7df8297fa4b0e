"""One app service: ``Service``, its traffic policies, autoscaling, containers and identity."""
