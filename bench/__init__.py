"""Benchmarks: `python -m bench` (or `make bench`) runs every module of this package.

Each module exposes `run() -> list[dict]`: one dict per measured case, printed as one table per module. They run
against a temporary database created for the run and dropped afterwards, never the real one.
"""
