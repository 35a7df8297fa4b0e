"""Per-environment declarations: ``Pulumi.<stack>.yaml`` config files and typed Python services."""
