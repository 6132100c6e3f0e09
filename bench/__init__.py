"""Benchmarks run by `make bench`: each module exposing run() -> list[dict] prints its rows."""
