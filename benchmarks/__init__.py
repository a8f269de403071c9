"""Benchmarks: speed, memory and API economy as ratios against references in the same run."""
