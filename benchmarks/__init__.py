"""Benchmarks of the program's own cost; run by hand (see README "Performance"), never collected by pytest."""
