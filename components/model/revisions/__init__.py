"""Revisions across deployments: which exist, where traffic may go, and the record each stack keeps."""
