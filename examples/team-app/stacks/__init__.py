"""Per-environment declarations of team-app: ``Pulumi.<stack>.yaml`` files and typed Python services."""
