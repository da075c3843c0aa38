"""Benchmarks behind `make bench`: each measures the project beside a baseline in the same run."""
