"""Services built from source: where the image comes from and the registry it is pushed to."""
