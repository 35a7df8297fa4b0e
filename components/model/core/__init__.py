"""Shared machinery of the typed model: config paths and problems, decoding, bounds, names, units, paths."""
